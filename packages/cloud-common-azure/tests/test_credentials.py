"""Credentials and options: the mapping, the environment, the region, checks before any call."""

from __future__ import annotations

import pytest

from cloud_common.azure import AzureOptions, BlobStorageClient
from cloud_common.azure.testing import AzureHarness, free_port
from cloud_common.core import (
    CloudCredentials,
    CloudProvider,
    ValidationError,
    get_compute_client,
    get_serverless_client,
    get_storage_client,
)

CLOSED = f"https://127.0.0.1:{free_port()}"  # nothing listens: any call would fail


def test_from_env_reads_the_azure_variables() -> None:
    creds = CloudCredentials.from_env(
        CloudProvider.AZURE,
        {
            "AZURE_STORAGE_ACCOUNT": "acct",
            "AZURE_STORAGE_KEY": "a-secret-key-value",
            "AZURE_SUBSCRIPTION_ID": "sub-1",
            "AZURE_RESOURCE_GROUP": "rg-1",
            "AZURE_LOCATION": "westeurope",
            "AZURE_STORAGE_SAS_TOKEN": "sv=2024&sig=abc",
        },
    )
    assert (creds.access_key, creds.secret_key) == ("acct", "a-secret-key-value")
    assert (creds.project_id, creds.region) == ("sub-1", "westeurope")
    assert creds.metadata == {"resource_group": "rg-1", "sas_token": "sv=2024&sig=abc"}
    assert "a-secret-key-value" not in repr(creds)
    assert "sig=abc" not in repr(creds)


@pytest.mark.parametrize("factory", [get_compute_client, get_serverless_client])
def test_the_aws_default_region_is_refused_before_any_call(factory: object) -> None:
    creds = CloudCredentials(
        CloudProvider.AZURE, project_id="sub", metadata={"resource_group": "g"}
    )
    assert creds.region == "us-east-1"
    with pytest.raises(ValidationError, match=r"'us-east-1' is not an Azure location"):
        factory(creds, arm_endpoint=CLOSED)  # type: ignore[operator]


def test_a_malformed_location_is_refused() -> None:
    creds = CloudCredentials(
        CloudProvider.AZURE, region="East US", project_id="s", metadata={"resource_group": "g"}
    )
    with pytest.raises(ValidationError, match="'East US' is not an Azure location"):
        get_compute_client(creds, arm_endpoint=CLOSED)


def test_storage_does_not_need_a_location(harness: AzureHarness) -> None:
    creds = harness.credentials()
    creds.region = "us-east-1"
    with get_storage_client(creds) as storage:
        assert isinstance(storage.list_buckets(), list)


def test_missing_subscription_and_resource_group_are_named() -> None:
    group = {"resource_group": "g"}
    with pytest.raises(ValidationError, match="subscription id is missing"):
        get_compute_client(CloudCredentials(CloudProvider.AZURE, region="eastus", metadata=group))
    with pytest.raises(ValidationError, match="resource group is missing"):
        get_compute_client(CloudCredentials(CloudProvider.AZURE, region="eastus", project_id="s"))


def test_a_connection_string_is_enough_for_storage(harness: AzureHarness) -> None:
    creds = CloudCredentials(
        CloudProvider.AZURE,
        region="eastus",
        metadata={"connection_string": harness.azurite.connection_string()},
    )
    with BlobStorageClient(creds) as storage:
        assert storage.create_bucket("conn-string") is True
        assert "conn-string" in storage.list_buckets()
        assert storage.delete_bucket("conn-string") is True


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab--cd", "consecutive hyphens"),
        ("ab-", "3-63 characters"),
        ("Upper", "3-63 characters"),
        ("a.b", "3-63 characters"),
        ("x" * 64, "3-63 characters"),
    ],
)
def test_container_names_follow_azure_rules_before_any_call(name: str, rule: str) -> None:
    creds = CloudCredentials(CloudProvider.AZURE, "acct", "key-value", region="eastus")
    storage = BlobStorageClient(creds, endpoint_url=CLOSED)
    with pytest.raises(ValidationError, match=rule):
        storage.create_bucket(name)


def test_options_are_checked() -> None:
    with pytest.raises(ValidationError, match="block_size"):
        AzureOptions(block_size=10)
    with pytest.raises(ValidationError, match="stop_mode"):
        AzureOptions(stop_mode="hibernate")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="unknown option 'bucket_prefix'"):
        AzureOptions.resolve(None, {"bucket_prefix": "x"})

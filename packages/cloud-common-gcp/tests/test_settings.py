"""Credentials, options and the provider declaration: checked before any call, no secret
shown, no SDK imported before it is needed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path
from typing import Any

import pytest

from cloud_common.core import (
    CloudCredentials,
    CloudProvider,
    RetryPolicy,
    ValidationError,
    get_compute_client,
    get_provider,
    get_storage_client,
)
from cloud_common.gcp import (
    CloudFunctionsServerlessClient,
    GCEComputeClient,
    GcpOptions,
    GCSStorageClient,
)
from cloud_common.gcp.testing import GcpFake, GcsEmulator

CLOSED = "http://127.0.0.1:9"
PROJECT = "cc-test"


def make_creds(**metadata: str) -> CloudCredentials:
    return CloudCredentials(
        CloudProvider.GCP, region="us-central1", project_id=PROJECT, metadata=metadata
    )


def test_project_id_is_required() -> None:
    creds = CloudCredentials(CloudProvider.GCP, region="us-central1")
    with pytest.raises(ValidationError, match="project_id is required"):
        GCSStorageClient(creds)


def test_the_aws_default_region_is_refused_with_a_gcp_suggestion() -> None:
    creds = CloudCredentials(CloudProvider.GCP, project_id="p")  # region defaults to us-east-1
    with pytest.raises(ValidationError) as info:
        GCEComputeClient(creds)
    assert "us-east-1" in str(info.value)
    assert "did you mean 'us-east1'?" in str(info.value)


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("US-CENTRAL1", "region 'US-CENTRAL1' is not a Google Cloud region: did you mean "
         "'us-central1'? (region names are lowercase)"),
        ("europe-west99", "region 'europe-west99' is not a Google Cloud region: did you mean "
         "'europe-west9'?"),
        ("us-centrall1", "did you mean 'us-central1'?"),
        ("mars-north1", "use one such as 'us-central1'"),
    ],
)  # fmt: skip
def test_regions_are_checked_against_the_real_list_with_a_hint(region: str, message: str) -> None:
    creds = CloudCredentials(CloudProvider.GCP, region=region, project_id="p")
    with pytest.raises(ValidationError) as info:
        get_storage_client(creds)
    assert message in str(info.value)
    assert str(info.value).count("\n") == 0


def test_a_region_newer_than_the_list_is_accepted_when_declared(fake: GcpFake) -> None:
    creds = CloudCredentials(
        CloudProvider.GCP,
        region="asia-east9",
        project_id=PROJECT,
        metadata={"extra_regions": "asia-east9, asia-east10"},
    )
    compute = get_compute_client(creds, endpoint_url=fake.url)
    assert compute.list_instances() == []
    with pytest.raises(ValidationError, match="zone 'europe-west99-a'"):
        get_compute_client(make_creds(zone="europe-west99-a"))


@pytest.mark.parametrize(
    ("region", "zone"),
    [
        ("us-central1", "us-central1-a"),
        ("us-east1", "us-east1-b"),
        ("europe-west1", "europe-west1-b"),
    ],
)
def test_instances_go_to_the_first_zone_of_the_region(
    fake: GcpFake, region: str, zone: str
) -> None:
    creds = CloudCredentials(CloudProvider.GCP, region=region, project_id=PROJECT)
    compute = GCEComputeClient(creds, endpoint_url=fake.url)
    assert compute.create_instance("vm-z", "e2-micro", "debian-cloud/debian-12")["id"] == (
        f"{zone}/vm-z"
    )


def test_the_zone_option_wins_over_metadata_and_is_checked(fake: GcpFake) -> None:
    compute = GCEComputeClient(make_creds(zone="us-central1-c"), endpoint_url=fake.url)
    assert compute.create_instance("vm-m", "e2-micro", "img")["id"] == "us-central1-c/vm-m"
    compute = GCEComputeClient(
        make_creds(zone="us-central1-c"), endpoint_url=fake.url, zone="us-central1-f"
    )
    assert compute.create_instance("vm-o", "e2-micro", "img")["id"] == "us-central1-f/vm-o"
    with pytest.raises(ValidationError, match="zone"):
        GcpOptions(zone="us-central1")
    with pytest.raises(ValidationError, match="zone"):
        GCEComputeClient(make_creds(zone="nowhere"))


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"colour": "red"}, "unknown option 'colour'"),
        ({"chunk_size": 1000}, "chunk_size"),
        ({"chunk_size": "big"}, "chunk_size"),
        ({"page_size": 0}, "page_size"),
        ({"compute_endpoint_url": "127.0.0.1:9"}, "compute_endpoint_url"),
        ({"id_token_provider": "token"}, "id_token_provider"),
        ({"retry": 3}, "retry"),
    ],
)
def test_bad_options_are_refused_by_name(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(problem)):
        GCSStorageClient(make_creds(), endpoint_url=CLOSED, **options)


def test_former_option_names_still_work_with_a_warning(fake: GcpFake) -> None:
    with pytest.warns(DeprecationWarning, match="'retry'"):
        compute = GCEComputeClient(make_creds(), endpoint_url=fake.url, retry_policy=RetryPolicy())
    with pytest.warns(DeprecationWarning, match="'endpoint_url'"):
        compute = GCEComputeClient(make_creds(), api_endpoint=fake.url)
    assert compute.list_instances() == []
    assert fake.requests, "the former api_endpoint option was honoured"


def test_one_options_object_serves_all_three_clients(fake: GcpFake, emulator: GcsEmulator) -> None:
    options = GcpOptions(
        endpoint_url=emulator.url, compute_endpoint_url=fake.url, functions_endpoint_url=fake.url
    )
    assert isinstance(GCSStorageClient(make_creds(), options).list_buckets(), list)
    assert GCEComputeClient(make_creds(), options).list_instances() == []
    assert CloudFunctionsServerlessClient(make_creds(), options).list_functions() == []
    assert {p.split("/")[1] for _, p in fake.requests} == {"compute", "v2"}


def test_endpoints_in_credentials_metadata(fake: GcpFake, emulator: GcsEmulator) -> None:
    creds = make_creds(
        endpoint_url=emulator.url, compute_endpoint_url=fake.url, functions_endpoint_url=fake.url
    )
    assert isinstance(get_storage_client(creds).list_buckets(), list)
    assert get_compute_client(creds).list_instances() == []
    with pytest.warns(DeprecationWarning, match="'endpoint_url'"):
        storage = GCSStorageClient(make_creds(endpoint=emulator.url))
    assert isinstance(storage.list_buckets(), list)
    with pytest.warns(DeprecationWarning, match="'compute_endpoint_url'"):
        compute = GCEComputeClient(make_creds(compute_endpoint=fake.url))
    assert compute.list_instances() == []


def test_an_http_endpoint_means_anonymous_data_plane_credentials() -> None:
    from google.auth.credentials import AnonymousCredentials

    client = GCSStorageClient(make_creds(), endpoint_url=CLOSED)
    assert isinstance(client.native._credentials, AnonymousCredentials)


def test_credentials_from_the_environment(
    tmp_path: Path,
    sa_info: dict[str, Any],
    emulator: GcsEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = tmp_path / "sa.json"
    key.write_text(json.dumps(sa_info))
    monkeypatch.setenv("GCLOUD_PROJECT", "from-gcloud")
    monkeypatch.setenv("GOOGLE_CLOUD_REGION", "europe-west1")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.url.removeprefix("http://"))
    creds = CloudCredentials.from_env(CloudProvider.GCP)
    assert (creds.project_id, creds.region) == ("from-gcloud", "europe-west1")
    assert creds.metadata["service_account_file"] == str(key)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    storage = get_storage_client(CloudProvider.GCP)
    assert isinstance(storage.list_buckets(), list), "the emulator answered, anonymously"
    url = storage.generate_presigned_url("env-bucket", "k", 60)
    credential = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Goog-Credential"]
    assert credential[0].startswith(sa_info["client_email"] + "/"), "the key file signs"


def test_a_malformed_or_missing_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    creds = make_creds(service_account_info='{"private_key": "-----BEGIN')
    with pytest.raises(ValidationError) as info:
        GCSStorageClient(creds, endpoint_url=CLOSED)
    assert "BEGIN" not in str(info.value)
    with pytest.raises(ValidationError, match="cannot read"):
        GCSStorageClient(
            make_creds(service_account_file=str(tmp_path / "nope.json")), endpoint_url=CLOSED
        )


def test_no_secret_in_repr_or_errors(sa_info: dict[str, Any]) -> None:
    creds = make_creds(service_account_info=json.dumps(sa_info))
    client = GCSStorageClient(creds, endpoint_url=CLOSED)
    for text in (repr(client), repr(client.driver), repr(creds), json.dumps(creds.to_dict())):
        assert "PRIVATE KEY" not in text
    assert "PRIVATE KEY" not in repr(GcpOptions(google_credentials=sa_info))


def test_the_provider_declares_its_clients_rules_and_environment() -> None:
    info = get_provider("gcp")
    assert info.url_schemes == ("gs",)
    assert info.harness == "cloud_common.gcp.testing:GcpHarness"
    assert info.client_class("storage") is GCSStorageClient
    assert info.client_class("compute") is GCEComputeClient
    assert info.client_class("serverless") is CloudFunctionsServerlessClient
    assert info.options_class() is GcpOptions
    assert {"storage.object_exists", "compute.wait_for_state"} <= info.capabilities
    assert isinstance(get_storage_client(make_creds(), endpoint_url=CLOSED), GCSStorageClient)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(out.stdout.split())


def test_importing_the_package_and_discovery_import_no_sdk() -> None:
    mods = _modules_after(
        "import cloud_common.gcp\nfrom cloud_common.gcp import GcpOptions\n"
        "from cloud_common.core import available_providers\navailable_providers()"
    )
    assert not {m for m in mods if m.startswith("google")}


def test_a_storage_client_never_imports_compute() -> None:
    mods = _modules_after(
        "from cloud_common.core import CloudCredentials, get_storage_client\n"
        "get_storage_client(CloudCredentials('gcp', region='us-central1', project_id='p'),"
        f" endpoint_url={CLOSED!r})"
    )
    assert "google.cloud.storage" in mods
    assert "google.cloud.compute_v1" not in mods
    assert "google.cloud.functions_v2" not in mods


def test_the_distribution_depends_on_no_aws_package() -> None:
    seen: set[str] = set()
    todo = ["cloud-common-gcp"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = requires(name) or []
        except PackageNotFoundError:
            continue
        for req in reqs:
            match = re.match(r"^([A-Za-z0-9_.-]+)", req)
            if match and "extra ==" not in req:
                todo.append(match.group(1).lower().replace("_", "-"))
    assert "google-cloud-storage" in seen
    assert not {n for n in seen if n.startswith(("boto", "botocore", "s3transfer"))}

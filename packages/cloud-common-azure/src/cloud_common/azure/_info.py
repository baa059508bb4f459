"""The provider declaration read by the registry (imports nothing but ``cloud_common.core``)."""

from __future__ import annotations

from cloud_common.core import (
    CONTRACT_VERSION,
    EVERY_EXTENSION,
    BucketRules,
    Capability,
    ProviderInfo,
)

__all__ = ["CAPABILITIES", "CONTAINER_RULES", "ENVIRONMENT", "PROVIDER"]

CAPABILITIES = EVERY_EXTENSION | {Capability.NATIVE}
"""Declared extensions; core adds ``object_exists`` and ``wait_for_state`` (served from
``stat_object`` and ``get_instance``)."""

CONTAINER_RULES = BucketRules(
    pattern=r"[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]",
    description=(
        "Azure container names are 3-63 characters of lowercase letters, digits and '-', "
        "starting and ending with a letter or digit"
    ),
    forbidden=((r"--", "must not contain consecutive hyphens ('--')"),),
    no_ip_address=False,
)
"""Azure Blob Storage's container naming rules."""

ENVIRONMENT = {
    "AZURE_STORAGE_ACCOUNT": "access_key",
    "AZURE_STORAGE_ACCOUNT_NAME": "access_key",
    "AZURE_STORAGE_KEY": "secret_key",
    "AZURE_STORAGE_ACCOUNT_KEY": "secret_key",
    "AZURE_STORAGE_CONNECTION_STRING": "metadata.connection_string",
    "AZURE_STORAGE_SAS_TOKEN": "metadata.sas_token",
    "AZURE_SUBSCRIPTION_ID": "project_id",
    "AZURE_RESOURCE_GROUP": "metadata.resource_group",
    "AZURE_LOCATION": "region",
    "AZURE_STORAGE_BLOB_ENDPOINT": "metadata.endpoint_url",
}
"""The variables ``CloudCredentials.from_env("azure")`` reads (the Azure CLI's names;
for one field the first that is set wins)."""

PROVIDER = ProviderInfo(
    id="azure",
    display_name="Microsoft Azure",
    contract_version=CONTRACT_VERSION,
    services={
        "storage": "cloud_common.azure._storage:BlobStorageClient",
        "compute": "cloud_common.azure._compute:VirtualMachineComputeClient",
        "serverless": "cloud_common.azure._serverless:FunctionAppServerlessClient",
    },
    url_schemes=("az", "abfs"),
    capabilities=frozenset(str(c.value) for c in CAPABILITIES),
    harness="cloud_common.azure.testing:AzureHarness",
    bucket_rules=CONTAINER_RULES,
    environment=ENVIRONMENT,
    options="cloud_common.azure._options:AzureOptions",
    errors="cloud_common.azure._errors:translate",
    ascii_metadata=True,
)

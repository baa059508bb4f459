"""The ``ProviderInfo`` of the local provider (the target of its entry point).

Imports nothing but ``cloud_common.core``: reading it starts nothing.
"""

from __future__ import annotations

from cloud_common.core import (
    CONTRACT_VERSION,
    DEFAULT_BUCKET_RULES,
    EVERY_EXTENSION,
    ProviderInfo,
)

__all__ = ["PROVIDER"]

PROVIDER = ProviderInfo(
    id="local",
    display_name="Local (this machine)",
    contract_version=CONTRACT_VERSION,
    services={
        "storage": "cloud_common.local._storage:LocalStorageClient",
        "compute": "cloud_common.local._compute:LocalComputeClient",
        "serverless": "cloud_common.local._serverless:LocalServerlessClient",
    },
    url_schemes=("local",),
    capabilities=EVERY_EXTENSION,
    harness="cloud_common.local.testing:LocalHarness",
    # DNS-compatible names: a name that every cloud accepts is accepted here too.
    bucket_rules=DEFAULT_BUCKET_RULES,
    filesystem_keys=True,
    environment={
        "CLOUD_COMMON_LOCAL_ROOT": "metadata.root",
        "CLOUD_COMMON_LOCAL_PRESIGN_URL": "metadata.endpoint_url",
        "CLOUD_COMMON_LOCAL_ACCESS_KEY": "access_key",
        "CLOUD_COMMON_LOCAL_SECRET_KEY": "secret_key",
    },
    options="cloud_common.local._options:LocalOptions",
    errors="cloud_common.local._errors:translate",
)

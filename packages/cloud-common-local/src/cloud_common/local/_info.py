"""The ``ProviderInfo`` of the local provider (the target of its entry point).

Imports nothing but ``cloud_common.core``: reading it starts nothing.
"""

from __future__ import annotations

from cloud_common.core import Capability, ProviderInfo

__all__ = ["PROVIDER"]

PROVIDER = ProviderInfo(
    id="local",
    display_name="Local (this machine)",
    contract_version="0.2",
    services={
        "storage": "cloud_common.local._storage:LocalStorageClient",
        "compute": "cloud_common.local._compute:LocalComputeClient",
        "serverless": "cloud_common.local._serverless:LocalServerlessClient",
    },
    url_schemes=("local",),
    capabilities=frozenset(
        {
            Capability.LIST_OBJECTS,
            Capability.STAT_OBJECT,
            Capability.OBJECT_EXISTS,
            Capability.DELETE_BUCKET,
            Capability.COPY_FILE,
            Capability.UPLOAD_STREAM,
            Capability.DOWNLOAD_STREAM,
            Capability.PRESIGN_PUT,
            Capability.USER_METADATA,
            Capability.GET_INSTANCE,
            Capability.WAIT_FOR_STATE,
            Capability.GET_FUNCTION,
        }
    ),
    harness="cloud_common.local.testing:LocalHarness",
    bucket_rules="s3",
    filesystem_keys=True,
)

"""The provider's declaration: the target of its ``cloud_common.providers`` entry point.

It imports nothing but ``cloud_common.core``; client classes are named, not imported.
"""

from __future__ import annotations

from cloud_common.core import Capability, ProviderInfo

__all__ = ["PROVIDER"]

PROVIDER = ProviderInfo(
    id="acme-legacy",
    display_name="Acme Cloud (example third-party provider)",
    contract_version="0.2",
    services={
        "storage": "acme_legacy._storage:AcmeStorageClient",
        "compute": "acme_legacy._compute:AcmeComputeClient",
        "serverless": "acme_legacy._serverless:AcmeServerlessClient",
    },
    url_schemes=("acme",),
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
            Capability.NATIVE,
        }
    ),
    harness="acme_legacy.testing:AcmeHarness",
    bucket_rules="s3",  # 0.2 form: core accepts it
)

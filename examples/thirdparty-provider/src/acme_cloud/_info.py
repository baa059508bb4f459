"""The provider's declaration: the target of its ``cloud_common.providers`` entry point.

It imports nothing but ``cloud_common.core``; client classes are named, not imported.
"""

from __future__ import annotations

from cloud_common.core import CONTRACT_VERSION, Capability, ProviderInfo

__all__ = ["PROVIDER"]

PROVIDER = ProviderInfo(
    id="acme",
    display_name="Acme Cloud (example third-party provider)",
    contract_version=CONTRACT_VERSION,
    services={
        "storage": "acme_cloud._storage:AcmeStorageClient",
        "compute": "acme_cloud._compute:AcmeComputeClient",
        "serverless": "acme_cloud._serverless:AcmeServerlessClient",
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
    harness="acme_cloud.testing:AcmeHarness",
    bucket_rules="s3",
)

"""The provider declaration read by the registry (imports nothing but core)."""

from __future__ import annotations

from cloud_common.core import CONTRACT_VERSION, Capability, ProviderInfo

__all__ = ["PROVIDER"]

PROVIDER = ProviderInfo(
    id="gcp",
    display_name="Google Cloud",
    contract_version=CONTRACT_VERSION,
    services={
        "storage": "cloud_common.gcp._storage:GCSStorageClient",
        "compute": "cloud_common.gcp._compute:GCEComputeClient",
        "serverless": "cloud_common.gcp._serverless:CloudFunctionsServerlessClient",
    },
    url_schemes=("gs",),
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
    harness="cloud_common.gcp.testing:GcpHarness",
    bucket_rules="gcs",
)

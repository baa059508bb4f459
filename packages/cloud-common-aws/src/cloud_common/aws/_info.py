"""The provider declaration read by the registry (imports nothing but ``cloud_common.core``)."""

from __future__ import annotations

from cloud_common.core import CONTRACT_VERSION, Capability, ProviderInfo

__all__ = ["CAPABILITIES", "PROVIDER"]

CAPABILITIES = frozenset(
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
)

PROVIDER = ProviderInfo(
    id="aws",
    display_name="Amazon Web Services",
    contract_version=CONTRACT_VERSION,
    services={
        "storage": "cloud_common.aws._storage:S3StorageClient",
        "compute": "cloud_common.aws._compute:EC2ComputeClient",
        "serverless": "cloud_common.aws._serverless:LambdaServerlessClient",
    },
    url_schemes=("s3",),
    capabilities=frozenset(str(c.value) for c in CAPABILITIES),
    harness="cloud_common.aws.testing:AwsHarness",
    bucket_rules="s3",
)

"""The provider's declaration: the target of its ``cloud_common.providers`` entry point.

It imports nothing but ``cloud_common.core``: drivers, options and the error map are named
as ``"module:attribute"`` and imported when first needed.
"""

from __future__ import annotations

from cloud_common.core import CONTRACT_VERSION, BucketRules, Capability, ProviderInfo

__all__ = ["PROVIDER"]

PROVIDER = ProviderInfo(
    id="acme",
    display_name="Acme Cloud (example third-party provider)",
    contract_version=CONTRACT_VERSION,
    # Drivers: the registry wraps each in core's portable client (CloudStorage...).
    services={
        "storage": "acme_cloud._storage:AcmeStorageDriver",
        "compute": "acme_cloud._compute:AcmeComputeDriver",
        "serverless": "acme_cloud._serverless:AcmeServerlessDriver",
    },
    url_schemes=("acme",),
    # storage.object_exists and compute.wait_for_state come with stat_object / get_instance.
    capabilities=frozenset(
        {
            Capability.LIST_OBJECTS,
            Capability.STAT_OBJECT,
            Capability.DELETE_BUCKET,
            Capability.COPY_FILE,
            Capability.UPLOAD_STREAM,
            Capability.DOWNLOAD_STREAM,
            Capability.PRESIGN_PUT,
            Capability.USER_METADATA,
            Capability.GET_INSTANCE,
            Capability.GET_FUNCTION,
            Capability.NATIVE,
        }
    ),
    harness="acme_cloud.testing:AcmeHarness",
    bucket_rules=BucketRules(
        pattern=r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]",
        description=(
            "Acme bucket names are 3-63 characters of lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        ),
    ),
    environment={
        "ACME_ACCESS_KEY_ID": "access_key",
        "ACME_SECRET_ACCESS_KEY": "secret_key",
        "ACME_CLOUD_ROOT": "metadata.root",
    },
    options="acme_cloud._options:AcmeOptions",
    errors="acme_cloud._errors:translate",
)

"""The provider declaration read by the registry (imports nothing but core)."""

from __future__ import annotations

from cloud_common.core import (
    CONTRACT_VERSION,
    EVERY_EXTENSION,
    BucketRules,
    Capability,
    ProviderInfo,
)

__all__ = ["GCS_BUCKET_RULES", "PROVIDER"]

GCS_BUCKET_RULES = BucketRules(
    pattern=r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]",
    description=(
        "bucket names are 3-63 characters (up to 222 with dots) of lowercase letters, "
        "digits, '-', '_' and '.', starting and ending with a letter or digit"
    ),
    forbidden=(
        (
            r"\.\.|(^|\.)[^.]{64,}(\.|$)",
            "names are at most 63 characters, or 222 with dots where each dot-separated "
            "part is 1-63 characters",
        ),
        (r"^goog", "must not start with 'goog'"),
        (r"g[o0]{2}g[l1][e3]", "must not contain 'google' or a close misspelling of it"),
    ),
    no_ip_address=True,
)
"""Cloud Storage's bucket naming rules
(https://cloud.google.com/storage/docs/buckets#naming)."""

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
    capabilities=EVERY_EXTENSION | {Capability.NATIVE},
    harness="cloud_common.gcp.testing:GcpHarness",
    bucket_rules=GCS_BUCKET_RULES,
    environment={
        "GOOGLE_CLOUD_PROJECT": "project_id",
        "GCLOUD_PROJECT": "project_id",
        "GOOGLE_CLOUD_REGION": "region",
        "GOOGLE_APPLICATION_CREDENTIALS": "metadata.service_account_file",
        "STORAGE_EMULATOR_HOST": "metadata.endpoint_url",
    },
    options="cloud_common.gcp._options:GcpOptions",
    errors="cloud_common.gcp._errors:translate",
)

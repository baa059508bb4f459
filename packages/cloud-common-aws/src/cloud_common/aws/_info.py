"""The provider declaration read by the registry (imports nothing but ``cloud_common.core``)."""

from __future__ import annotations

from cloud_common.core import (
    CONTRACT_VERSION,
    EVERY_EXTENSION,
    BucketRules,
    Capability,
    ProviderInfo,
)

__all__ = ["CAPABILITIES", "ENVIRONMENT", "PROVIDER", "S3_BUCKET_RULES"]

CAPABILITIES = EVERY_EXTENSION | {Capability.NATIVE}
"""Declared extensions; core adds ``object_exists`` and ``wait_for_state`` (served from
``stat_object`` and ``get_instance``)."""

S3_BUCKET_RULES = BucketRules(
    pattern=r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
    description=(
        "S3 bucket names are 3-63 characters of lowercase letters, digits, '-' and '.', "
        "starting and ending with a letter or digit"
    ),
    forbidden=(
        (r"\.\.|\.-|-\.", "must not contain '..', '.-' or '-.'"),
        (
            r"^(xn--|sthree-|amzn-s3-demo-)",
            "uses a prefix S3 reserves (xn--, sthree-, amzn-s3-demo-)",
        ),
        (
            r"(-s3alias|--ol-s3|--x-s3|\.mrap|--table-s3)$",
            "uses a suffix S3 reserves (-s3alias, --ol-s3, --x-s3, .mrap, --table-s3)",
        ),
    ),
    no_ip_address=True,
)
"""S3's general purpose bucket naming rules."""

ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "access_key",
    "AWS_SECRET_ACCESS_KEY": "secret_key",
    "AWS_SESSION_TOKEN": "metadata.session_token",
    "AWS_REGION": "region",
    "AWS_DEFAULT_REGION": "region",
    "AWS_PROFILE": "profile",
    "AWS_ENDPOINT_URL": "metadata.endpoint_url",
}
"""The variables ``CloudCredentials.from_env("aws")`` reads (``AWS_REGION`` wins over
``AWS_DEFAULT_REGION``)."""

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
    bucket_rules=S3_BUCKET_RULES,
    environment=ENVIRONMENT,
    options="cloud_common.aws._options:AwsOptions",
    errors="cloud_common.aws._errors:translate",
    ascii_metadata=True,
)

"""The AWS regions, as data: where a client without a custom endpoint may point.

``REGIONS`` is what botocore's endpoint data listed (S3, EC2, Lambda, every partition) when
this release was made; refresh it with ``python -m cloud_common.aws._regions``. A region AWS
opens later is accepted when named in ``metadata["extra_regions"]`` (comma-separated).
Clients with a custom endpoint (S3-compatible stores, emulators) take any region.
"""

from __future__ import annotations

import sys

from cloud_common.core.validation import region_problem

__all__ = ["REGIONS", "aws_region_problem"]

REGIONS: frozenset[str] = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "cn-north-1",
        "cn-northwest-1",
        "eu-central-1",
        "eu-central-2",
        "eu-isoe-west-1",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eusc-de-east-1",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-gov-east-1",
        "us-gov-west-1",
        "us-iso-east-1",
        "us-iso-west-1",
        "us-isob-east-1",
        "us-isob-west-1",
        "us-isof-east-1",
        "us-isof-south-1",
        "us-west-1",
        "us-west-2",
    }
)
"""Every AWS region botocore knows (S3, EC2, Lambda; all partitions)."""


def aws_region_problem(region: str, extra: frozenset[str] = frozenset()) -> str | None:
    """Why ``region`` is not an AWS region (with a hint for a near miss), or None."""
    return region_problem(
        region, REGIONS | extra, cloud="an AWS", examples="'us-east-1' or 'eu-west-1'"
    )


def _print_current() -> None:
    import boto3  # noqa: PLC0415

    session = boto3.session.Session()
    names = sorted(
        {
            region
            for partition in session.get_available_partitions()
            for service in ("s3", "ec2", "lambda")
            for region in session.get_available_regions(service, partition_name=partition)
        }
    )
    print("REGIONS: frozenset[str] = frozenset(\n    {")
    for name in names:
        print(f'        "{name}",')
    print("    }\n)")


if __name__ == "__main__":
    if len(sys.argv) != 1:
        sys.exit("usage: python -m cloud_common.aws._regions")
    _print_current()

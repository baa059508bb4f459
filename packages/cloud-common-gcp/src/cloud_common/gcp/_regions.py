"""Google Cloud's regions, as data, and the check of a configured region or zone.

``REGIONS`` is the list ``regions.list`` of the Compute Engine API answered when this
release was made. Refresh it with ``python -m cloud_common.gcp._regions PROJECT``
(Application Default Credentials), which prints the current list in this module's form.
A region Google opens later is accepted when named in ``metadata["extra_regions"]``
(comma-separated) of the credentials.
"""

from __future__ import annotations

import sys

from cloud_common.core.validation import region_problem as core_region_problem

__all__ = ["REGIONS", "region_problem"]

REGIONS: frozenset[str] = frozenset(
    {
        "africa-south1",
        "asia-east1",
        "asia-east2",
        "asia-northeast1",
        "asia-northeast2",
        "asia-northeast3",
        "asia-south1",
        "asia-south2",
        "asia-southeast1",
        "asia-southeast2",
        "australia-southeast1",
        "australia-southeast2",
        "europe-central2",
        "europe-north1",
        "europe-north2",
        "europe-southwest1",
        "europe-west1",
        "europe-west2",
        "europe-west3",
        "europe-west4",
        "europe-west6",
        "europe-west8",
        "europe-west9",
        "europe-west10",
        "europe-west12",
        "me-central1",
        "me-central2",
        "me-west1",
        "northamerica-northeast1",
        "northamerica-northeast2",
        "northamerica-south1",
        "southamerica-east1",
        "southamerica-west1",
        "us-central1",
        "us-east1",
        "us-east4",
        "us-east5",
        "us-south1",
        "us-west1",
        "us-west2",
        "us-west3",
        "us-west4",
    }
)
"""Every Google Cloud region (Compute Engine ``regions.list``)."""


def region_problem(region: object, extra: frozenset[str] = frozenset()) -> str | None:
    """Why ``region`` is not a Google Cloud region (with a hint for a near miss), or None
    when it is one (of ``REGIONS`` or ``extra``)."""
    if region == "us-east-1" and region not in extra:
        return (
            "region 'us-east-1' is not a Google Cloud region: that is the spec's AWS default; "
            "did you mean 'us-east1'?"
        )
    return core_region_problem(
        region,
        REGIONS | extra,
        cloud="a Google Cloud",
        examples="'us-central1' or 'europe-west1'",
    )


def _print_current(project: str) -> None:
    from google.cloud import compute_v1  # noqa: PLC0415

    names = sorted(r.name for r in compute_v1.RegionsClient().list(project=project))
    print("REGIONS: frozenset[str] = frozenset(\n    {")
    for name in names:
        print(f'        "{name}",')
    print("    }\n)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m cloud_common.gcp._regions PROJECT")
    _print_current(sys.argv[1])

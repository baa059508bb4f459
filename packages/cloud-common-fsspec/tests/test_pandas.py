"""pandas writes and reads CSV and Parquet (pyarrow) through the bridge on every
first-party provider, by URL and storage_options only."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from cloud_common.fsspec import CloudFileSystem


@pytest.fixture
def frame() -> Any:
    return pd.DataFrame(
        {
            "city": ["Lyon", "Oslo", "Lima", "Pune"] * 250,
            "sales": [float(i) * 1.5 for i in range(1000)],
            "units": list(range(1000)),
        }
    )


def test_csv_round_trip(
    fs: CloudFileSystem, bucket: str, options: dict[str, Any], frame: Any
) -> None:
    url = f"cloudcommon://{fs.provider}/{bucket}/tables/sales.csv"
    frame.to_csv(url, index=False, storage_options=options)
    assert fs.info(f"{bucket}/tables/sales.csv")["size"] > 10_000
    back = pd.read_csv(url, storage_options=options)
    pd.testing.assert_frame_equal(back, frame)


def test_parquet_round_trip(
    fs: CloudFileSystem, bucket: str, options: dict[str, Any], frame: Any
) -> None:
    url = f"cloudcommon://{fs.provider}/{bucket}/tables/sales.parquet"
    frame.to_parquet(url, engine="pyarrow", index=False, storage_options=options)
    back = pd.read_parquet(url, engine="pyarrow", storage_options=options)
    pd.testing.assert_frame_equal(back, frame)
    some = pd.read_parquet(
        url, engine="pyarrow", columns=["units"], storage_options=options
    )  # a column read: ranged reads of the footer and one column chunk
    assert some["units"].sum() == frame["units"].sum()

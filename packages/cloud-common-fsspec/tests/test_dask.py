"""Dask: a LocalCluster of 2 worker processes reads a partitioned Parquet dataset through
the bridge (the filesystem is pickled to the workers) and computes an aggregate, checked
against pandas on the same data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from cloud_common.fsspec import CloudFileSystem

FILES = 20


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Client]:
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def partition(i: int) -> Any:
    return pd.DataFrame(
        {
            "store": [f"s{(i + j) % 7}" for j in range(200)],
            "amount": [float((i * 200 + j) % 97) for j in range(200)],
        }
    )


@pytest.mark.slow
@pytest.mark.parametrize("provider", ["local", "aws"])
def test_workers_read_a_partitioned_dataset_through_the_bridge(
    provider: str,
    options_for: Callable[[str], dict[str, Any]],
    make_bucket: Callable[[CloudFileSystem], str],
    dask_client: Client,
) -> None:
    options = options_for(provider)
    fs = CloudFileSystem(provider, **options)
    bucket = make_bucket(fs)
    try:
        for i in range(FILES):
            partition(i).to_parquet(
                f"cloudcommon://{provider}/{bucket}/sales/part-{i:02d}.parquet",
                index=False,
                storage_options=options,
            )
        expected = pd.concat([partition(i) for i in range(FILES)]).groupby("store")["amount"].sum()

        frame = dd.read_parquet(
            f"cloudcommon://{provider}/{bucket}/sales/", storage_options=options
        )
        assert frame.npartitions == FILES
        totals = frame.groupby("store")["amount"].sum().compute()
        assert totals.to_dict() == pytest.approx(expected.to_dict())
        assert len(expected) == 7
        # the filesystem was unpickled and used in both worker processes
        ran = dask_client.run(lambda: bool(CloudFileSystem._cache))
        assert len(ran) == 2
        assert all(ran.values())
    finally:
        fs.rm(bucket, recursive=True)

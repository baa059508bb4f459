"""One client shared by 8 threads: concurrent uploads, downloads and listings of distinct
keys all come out right (clients are documented as thread-safe)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from cloud_common.contract_tests._session import ContractSession
from cloud_common.core import CloudStorage

pytestmark = pytest.mark.capability("storage")

THREADS = 8
ROUNDS = 4


def _work(storage: CloudStorage, bucket: str, worker: int) -> list[str]:
    problems: list[str] = []
    for n in range(ROUNDS):
        key = f"t{worker}/obj-{n}.bin"
        data = bytes([worker, n]) * (1000 * (worker + 1) + n)
        storage.upload_file(bucket, key, data)
        back = storage.download_file(bucket, key)
        if back != data:
            problems.append(f"{key}: got {len(back)} bytes back, sent {len(data)}")
    return problems


def test_one_client_shared_by_8_threads_stays_correct(storage: CloudStorage, bucket: str) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda w: _work(storage, bucket, w), range(THREADS)))
    problems = [p for found in results for p in found]
    assert not problems, problems


@pytest.mark.capability("storage.list_objects")
def test_8_threads_listing_their_own_prefixes_see_their_own_keys(
    storage: CloudStorage, bucket: str, contract: ContractSession
) -> None:
    def work(worker: int) -> list[str]:
        for n in range(ROUNDS):
            storage.upload_file(bucket, f"p{worker}/k{n}", b"x")
        return [o.key for o in storage.list_objects(bucket, f"p{worker}/")]

    with ThreadPoolExecutor(THREADS) as pool:
        listed = list(pool.map(work, range(THREADS)))
    for worker, keys in enumerate(listed):
        assert keys == [f"p{worker}/k{n}" for n in range(ROUNDS)], f"thread {worker}: {keys}"

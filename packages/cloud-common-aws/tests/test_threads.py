"""One client shared by 8 threads (what docs/providers/aws.md promises)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cloud_common.core import (
    CloudCredentials,
    CloudStorage,
    RetryPolicy,
    TimeoutError,  # noqa: A004
    Timeouts,
    get_storage_client,
)


def test_one_storage_client_shared_by_eight_threads(storage: CloudStorage, bucket: str) -> None:
    def work(n: int) -> tuple[bytes, bool, bool]:
        key = f"t{n}/obj"
        data = f"payload-{n}".encode() * 100
        storage.upload_file(bucket, key, data, metadata={"n": str(n)})
        got = storage.download_file(bucket, key)
        meta_ok = storage.stat_object(bucket, key).metadata == {"n": str(n)}
        listed = [o.key for o in storage.list_objects(bucket, f"t{n}/")] == [key]
        return (got if got == data else b"", meta_ok, listed)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(64)))
    assert all(got and meta_ok and listed for got, meta_ok, listed in results)
    assert len(list(storage.list_objects(bucket))) == 64


def test_each_thread_keeps_its_own_deadline(silent_creds: CloudCredentials) -> None:
    """8 threads on one client against a server that never answers: each call ends at its
    own deadline (the deadlines do not mix, nothing waits for another thread)."""
    policy = RetryPolicy(max_attempts=5, backoff_base=0.01, backoff_cap=0.01, deadline=1.0)
    client = get_storage_client(silent_creds, retry=policy, timeouts=Timeouts(read=0.7))
    client.native  # noqa: B018 - build the boto3 client before the clocks start

    def call(n: int) -> float:
        time.sleep(n * 0.05)  # staggered starts
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            client.list_buckets()
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=8) as pool:
        took = list(pool.map(call, range(8)))
    assert all(0.9 < seconds < 1.6 for seconds in took), took

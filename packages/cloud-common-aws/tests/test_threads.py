"""One client shared by 8 threads (what docs/providers/aws.md promises)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cloud_common.core import CloudStorage


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

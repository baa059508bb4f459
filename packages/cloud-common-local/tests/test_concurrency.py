"""Atomic writes: concurrent writers in threads and processes, and a writer killed mid-upload."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cloud_common.core import ObjectNotFoundError, StorageClient

KEYS = ["shared/one", "shared/two", "shared/deep/three"]


def value(writer: int, serial: int) -> bytes:
    """A self-checking value: header, body of varying size, MD5 of both."""
    body = f"{writer}:{serial}:".encode() + bytes([writer % 256]) * (500 + (serial * 7919) % 60000)
    return body + hashlib.md5(body).hexdigest().encode()


def complete(data: bytes) -> bool:
    body, digest = data[:-32], data[-32:]
    return hashlib.md5(body).hexdigest().encode() == digest


def test_threads_never_see_a_partial_object(storage: StorageClient, bucket: str) -> None:
    writers, writes = 8, 200
    errors: list[str] = []
    reads = [0]
    done = threading.Event()

    def write(writer: int) -> None:
        try:
            for serial in range(writes):
                key = KEYS[(writer + serial) % len(KEYS)]
                storage.upload_file(bucket, key, value(writer, serial), "text/plain")
        except Exception as exc:
            errors.append(f"writer {writer}: {exc!r}")

    def read() -> None:
        while not done.is_set():
            for key in KEYS:
                try:
                    data = storage.download_file(bucket, key)
                except ObjectNotFoundError:
                    continue
                reads[0] += 1
                if not complete(data):
                    errors.append(f"partial read of {key}: {len(data)} bytes")
            time.sleep(0.001)  # leave the writers most of the GIL

    readers = [threading.Thread(target=read) for _ in range(2)]
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in readers + threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert errors == []
    assert reads[0] > 0
    for key in KEYS:
        data = storage.download_file(bucket, key)
        assert complete(data)
        info = storage.stat_object(bucket, key)
        assert info.etag == hashlib.md5(data).hexdigest()
        assert info.content_type == "text/plain"
    assert sorted(o.key for o in storage.list_objects(bucket)) == sorted(KEYS)


WRITER = """
import sys, hashlib
from cloud_common.core import CloudCredentials, CloudProvider, get_storage_client
storage = get_storage_client(CloudCredentials(CloudProvider.LOCAL, metadata={"root": sys.argv[1]}))
writer = int(sys.argv[2])
keys = ["shared/one", "shared/two", "shared/deep/three"]
for serial in range(60):
    body = f"{writer}:{serial}:".encode() + bytes([writer]) * (500 + (serial * 7919) % 60000)
    storage.upload_file("bkt", keys[serial % 3], body + hashlib.md5(body).hexdigest().encode())
    if serial % 10 == 0:
        storage.delete_file("bkt", keys[(serial + 1) % 3])
print("ok")
"""


def test_processes_never_see_a_partial_object(
    storage: StorageClient, bucket: str, root: Path
) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), str(w)], stdout=subprocess.PIPE, text=True
        )
        for w in range(4)
    ]
    partial = []
    while any(p.poll() is None for p in procs):
        for key in KEYS:
            try:
                data = storage.download_file(bucket, key)
            except ObjectNotFoundError:
                continue
            if not complete(data):
                partial.append(key)
    outputs = [p.communicate()[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    assert outputs == ["ok\n"] * 4
    assert partial == []
    for info in storage.list_objects(bucket):
        data = storage.download_file(bucket, info.key)
        assert complete(data) and info.etag == hashlib.md5(data).hexdigest()


KILLED = """
import sys, time
from cloud_common.local import LocalStorageClient
client = LocalStorageClient(root=sys.argv[1])

class Slow:
    sent = 0
    def read(self, size):
        if self.sent >= 4 << 20:
            print("halfway", flush=True)
            time.sleep(60)
        self.sent += 1 << 20
        return b"N" * (1 << 20)

client.upload_stream("bkt", sys.argv[2], Slow())
print("finished", flush=True)
"""


@pytest.mark.parametrize("had_old", [True, False])
def test_writer_killed_mid_upload_leaves_old_object_or_none(
    storage: StorageClient, bucket: str, root: Path, had_old: bool
) -> None:
    old = b"the old object" * 1000
    if had_old:
        storage.upload_file(bucket, "victim", old, "text/old")
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED), str(root), "victim"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "halfway\n"
        partial = [p for p in (root / "storage" / "tmp").iterdir() if p.stat().st_size > 0]
        assert partial, "the upload should be under way in a temporary file"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    if had_old:
        assert storage.download_file(bucket, "victim") == old
        info = storage.stat_object(bucket, "victim")
        assert (info.etag, info.content_type) == (hashlib.md5(old).hexdigest(), "text/old")
        assert [o.key for o in storage.list_objects(bucket)] == ["victim"]
    else:
        assert storage.object_exists(bucket, "victim") is False
        assert list(storage.list_objects(bucket)) == []


def test_concurrent_bucket_delete_and_writes(storage: StorageClient) -> None:
    """A bucket emptied while another thread writes is either deleted or keeps its object."""
    outcomes: list[Any] = []
    for round_ in range(20):
        name = f"race-{round_}"
        storage.create_bucket(name)
        storage.upload_file(name, "seed", b"x")
        storage.delete_file(name, "seed")
        writer = threading.Thread(
            target=lambda n=name: outcomes.append(_try_upload(storage, n))  # type: ignore[misc]
        )
        writer.start()
        deleted = storage.delete_bucket(name)
        writer.join()
        if name in storage.list_buckets():
            objects = [o.key for o in storage.list_objects(name)]
            assert not deleted or objects == [], (deleted, objects)
        assert outcomes[-1] in ("stored", "no bucket")


def _try_upload(storage: StorageClient, bucket: str) -> str:
    try:
        storage.upload_file(bucket, "late/key", b"late")
    except Exception as exc:
        return "no bucket" if "does not exist" in str(exc) else repr(exc)
    return "stored"


def test_concurrent_writers_leave_metadata_that_matches_the_bytes(
    storage: StorageClient, bucket: str
) -> None:
    """Regression: writers interleaving their two renames left one writer's bytes described
    by another's metadata (the content type fell back to the default)."""
    writers = 8
    errors: list[str] = []
    start = threading.Barrier(writers)

    def write(writer: int, round_: int) -> None:
        try:
            start.wait()
            storage.upload_file(
                bucket, "contended", f"{writer}".encode(), f"text/x-writer-{writer}",
                metadata={"writer": str(writer), "round": str(round_)},
            )  # fmt: skip
        except Exception as exc:
            errors.append(repr(exc))

    for round_ in range(40):
        threads = [threading.Thread(target=write, args=(w, round_)) for w in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        writer = storage.download_file(bucket, "contended").decode()
        info = storage.stat_object(bucket, "contended")
        assert (info.content_type, info.metadata.get("writer")) == (
            f"text/x-writer-{writer}",
            writer,
        )

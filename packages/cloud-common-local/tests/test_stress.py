"""Stress: 8 writers and 8 readers on overlapping keys; every read's bytes match its metadata.

Each writer stores self-describing objects: the body names the writer, the content type
is ``text/w<writer>``, user metadata carries the writer and the body's MD5. A reader gets
bytes and metadata in one call (``open_object``, a presigned GET with its headers) or
metadata alone (``stat_object``, listings), and checks that they describe one version.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable

from cloud_common.core import CloudCredentials, NotFoundError, ObjectInfo
from cloud_common.local import LocalStorageClient, RunningServer

KEYS = ["hot", "hot2", "dir/hot", "dir/deep/hot"]
SECONDS = 4.0
WRITERS = READERS = 8


def _body(writer: int, serial: int) -> bytes:
    return f"{writer}:{serial}:".encode() + bytes([65 + writer]) * (100 + (serial * 7919) % 20000)


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _problem(info: ObjectInfo, data: bytes | None) -> str | None:
    """Why ``info`` (and ``data``, when given) are not one writer's version, or None."""
    writer = info.metadata.get("writer")
    if writer is None or info.content_type != f"text/w{writer}":
        return f"{info.key}: content type {info.content_type!r} with metadata {info.metadata}"
    if info.etag != info.metadata.get("md5"):
        return f"{info.key}: etag {info.etag} but metadata md5 {info.metadata.get('md5')}"
    if data is not None:
        if _md5(data) != info.etag or not data.startswith(f"{writer}:".encode()):
            return f"{info.key}: {len(data)} bytes of writer {data[:3]!r} described by {writer}"
        if len(data) != info.size:
            return f"{info.key}: {len(data)} bytes, size says {info.size}"
    return None


def test_readers_never_see_bytes_and_metadata_of_different_writes(
    creds: CloudCredentials, bucket: str, server: RunningServer
) -> None:
    signed = LocalStorageClient(creds, durable=False, endpoint_url=server.base_url)
    stop = threading.Event()
    errors: list[str] = []
    reads: Counter[str] = Counter()
    writes: Counter[int] = Counter()

    def write(writer: int) -> None:
        serial = 0
        while not stop.is_set():
            key = KEYS[(writer + serial) % len(KEYS)]
            data = _body(writer, serial)
            meta = {"writer": str(writer), "md5": _md5(data)}
            try:
                if serial % 2:
                    signed.upload_file(bucket, key, data, f"text/w{writer}", metadata=meta)
                else:
                    signed.upload_stream(
                        bucket, key, io.BytesIO(data), content_type=f"text/w{writer}", metadata=meta
                    )
            except Exception as exc:
                errors.append(f"writer {writer}: {exc!r}")
                return
            writes[writer] += 1
            serial += 1

    def read_open(key: str) -> None:
        handle, info = signed.open_object(bucket, key)
        with handle:
            data = handle.read()
        check("open_object", info, data)

    def read_stat(key: str) -> None:
        check("stat_object", signed.stat_object(bucket, key), None)

    def read_presigned(key: str) -> None:
        url = signed.generate_presigned_url(bucket, key, 60)
        with urllib.request.urlopen(url, timeout=10) as reply:
            data = reply.read()
            etag = reply.headers["ETag"].strip('"')
            ctype = reply.headers["Content-Type"]
        writer = data.split(b":", 1)[0].decode()
        if _md5(data) != etag or ctype != f"text/w{writer}":
            errors.append(f"presigned GET {key}: writer {writer}, type {ctype}, etag {etag}")
        reads["presigned GET"] += 1

    def read_list(_: str) -> None:
        for info in signed.list_objects(bucket):
            check("list_objects item", info, None)

    def check(kind: str, info: ObjectInfo, data: bytes | None) -> None:
        problem = _problem(info, data)
        if problem is not None:
            errors.append(f"{kind} {problem}")
        reads[kind] += 1

    kinds: list[Callable[[str], None]] = [read_open, read_stat, read_presigned, read_list]

    def read(reader: int) -> None:
        turn = reader
        while not stop.is_set():
            try:
                kinds[turn % len(kinds)](KEYS[turn % len(KEYS)])
            except NotFoundError:
                pass  # not written yet
            except Exception as exc:
                errors.append(f"reader {reader}: {exc!r}")
                return
            turn += 1

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    threads += [threading.Thread(target=read, args=(r,)) for r in range(READERS)]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join(30)
    print(
        f"\nstress: {sum(writes.values())} writes, reads {dict(reads)}, {len(errors)} inconsistent"
    )
    assert errors == [], errors[:5]
    assert len(writes) == WRITERS, writes  # every writer got writes through
    assert set(reads) == {"open_object", "stat_object", "presigned GET", "list_objects item"}

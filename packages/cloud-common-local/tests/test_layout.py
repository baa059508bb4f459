"""Storage layout 2: the record format of a root, the trailer fallback, roots of 0.2."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from cloud_common.core import (
    CloudCredentials,
    CloudProvider,
    CloudStorage,
    ValidationError,
    get_storage_client,
)
from cloud_common.local import LocalStorageClient


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _marker(root: Path) -> str:
    return (root / "storage" / "layout").read_text(encoding="utf-8")


def test_a_new_root_records_its_format_and_keeps_no_side_trees(
    storage: CloudStorage, bucket: str, root: Path
) -> None:
    storage.upload_file(bucket, "a/b", b"data", "text/csv", metadata={"k": "v"})
    assert _marker(root).startswith("layout 2\nformat ")
    assert sorted(p.name for p in (root / "storage").iterdir()) == ["buckets", "layout", "tmp"]
    if "format xattr" in _marker(root):  # the file holds exactly the object's bytes
        assert (root / "storage" / "buckets" / bucket / "a" / "b").read_bytes() == b"data"


def _trailer_root(root: Path) -> CloudStorage:
    (root / "storage").mkdir(mode=0o700)
    (root / "storage" / "layout").write_text("layout 2\nformat trailer\n", encoding="utf-8")
    return get_storage_client(CloudCredentials(CloudProvider.LOCAL, metadata={"root": str(root)}))


def test_trailer_format_round_trips_every_operation(root: Path, tmp_path: Path) -> None:
    """The fallback where extended attributes are missing (macOS): the record follows the
    bytes in the file; nothing a user reads shows it."""
    storage = _trailer_root(root)
    storage.create_bucket("bkt")
    data = bytes(range(256)) * 40
    storage.upload_file("bkt", "dir/k", data, "text/plain", metadata={"who": "me"})
    info = storage.stat_object("bkt", "dir/k")
    assert (info.size, info.etag, info.content_type, info.metadata) == (
        len(data),
        md5(data),
        "text/plain",
        {"who": "me"},
    )
    assert storage.download_file("bkt", "dir/k") == data
    sink = io.BytesIO()
    storage.download_stream("bkt", "dir/k", sink, byte_range=(10, 10_000_000))
    assert sink.getvalue() == data[10:]
    [listed] = storage.list_objects("bkt")
    assert (listed.key, listed.size, listed.etag, listed.metadata) == (
        "dir/k",
        len(data),
        md5(data),
        {"who": "me"},
    )
    storage.copy_file("bkt", "dir/k", "bkt", "copy")
    assert storage.download_file("bkt", "copy") == data
    assert storage.stat_object("bkt", "copy").content_type == "text/plain"
    big = tmp_path / "big.bin"
    big.write_bytes(b"b" * (17 << 20))  # above the size whose MD5 is otherwise deferred
    storage.upload_stream("bkt", "big", big)
    assert storage.stat_object("bkt", "big").etag == md5(big.read_bytes())
    client = LocalStorageClient(root=root)
    handle, opened = client.open_object("bkt", "dir/k")
    with handle:
        assert handle.read() == data and opened.size == len(data)
    assert client.download_file("bkt", "big") == big.read_bytes()


def test_a_layout_of_another_version_is_refused_by_name(root: Path) -> None:
    (root / "storage").mkdir(mode=0o700)
    (root / "storage" / "layout").write_text("layout 3\nformat zstd\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="layout '3'.*upgrade cloud-common-local"):
        LocalStorageClient(root=root).list_buckets()


def _legacy_root(root: Path) -> dict[str, bytes]:
    """A root as 0.2 wrote it: bytes in buckets/, JSON beside them in meta/ (naming the
    bytes' inode, size and mtime), MD5s of large streamed files in etags/, lock stripes."""
    top = root / "storage"
    objects = {"a/b/c.txt": b"hello", "top": b"x" * 10, "big": b"z" * 1000, "stale": b"new"}
    for key, data in objects.items():
        path = top / "buckets" / "bkt" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (top / "buckets" / "empty").mkdir()
    (top / "meta" / "empty").mkdir(parents=True)
    (top / "locks").mkdir()
    (top / "locks" / "07").write_bytes(b"")
    (top / "tmp").mkdir()

    def fingerprint(key: str) -> list[int]:
        st = (top / "buckets" / "bkt" / key).stat()
        return [st.st_ino, st.st_size, st.st_mtime_ns]

    def side(tree: str, key: str, record: dict[str, object]) -> None:
        path = top / tree / "bkt" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")

    side(
        "meta",
        "a/b/c.txt",
        {
            "etag": md5(b"hello"),
            "size": 5,
            "content_type": "text/plain",
            "metadata": {"k": "v"},
            "fingerprint": fingerprint("a/b/c.txt"),
        },
    )
    side("meta", "top", {"etag": md5(b"x" * 10), "content_type": "text/x", "metadata": {},
                         "fingerprint": fingerprint("top")})  # fmt: skip
    side("meta", "big", {"etag": None, "content_type": "application/x-big", "metadata": {},
                         "fingerprint": fingerprint("big")})  # fmt: skip
    side("etags", "big", {"etag": md5(b"z" * 1000), "fingerprint": fingerprint("big")})
    side("meta", "stale", {"etag": md5(b"old"), "content_type": "text/old", "metadata": {},
                           "fingerprint": [1, 3, 0]})  # fmt: skip
    return objects


def test_a_root_written_by_0_2_is_migrated_in_place(
    root: Path, creds: CloudCredentials, caplog: pytest.LogCaptureFixture
) -> None:
    objects = _legacy_root(root)
    caplog.set_level("INFO", logger="cloud_common.local")
    storage = get_storage_client(creds)
    assert storage.list_buckets() == ["bkt", "empty"]
    assert "migrated 4 objects" in caplog.text
    assert sorted(p.name for p in (root / "storage").iterdir()) == ["buckets", "layout", "tmp"]
    described = {i.key: (i.etag, i.content_type, i.metadata) for i in storage.list_objects("bkt")}
    assert described == {
        "a/b/c.txt": (md5(b"hello"), "text/plain", {"k": "v"}),
        "big": (md5(b"z" * 1000), "application/x-big", {}),
        "stale": (md5(b"new"), "application/octet-stream", {}),  # its metadata was of others
        "top": (md5(b"x" * 10), "text/x", {}),
    }
    for key, data in objects.items():
        assert storage.download_file("bkt", key) == data
    assert get_storage_client(creds).stat_object("bkt", "a/b/c.txt").metadata == {"k": "v"}


def test_migration_keeps_modification_times(root: Path, creds: CloudCredentials) -> None:
    _legacy_root(root)
    before = (root / "storage" / "buckets" / "bkt" / "top").stat().st_mtime_ns
    info = get_storage_client(creds).stat_object("bkt", "top")
    assert info.last_modified is not None
    assert abs(info.last_modified.timestamp() - before / 1e9) < 1e-5
    assert os.stat(root / "storage" / "buckets" / "bkt" / "top").st_mtime_ns == before

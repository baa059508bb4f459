"""Storage of the local provider, through the registry (as users get it)."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tracemalloc
from pathlib import Path

import pytest

from cloud_common.core import (
    BucketNotFoundError,
    CloudCredentials,
    CloudStorage,
    ConflictError,
    ObjectNotFoundError,
    ValidationError,
    open_storage,
    parse_object_url,
)
from cloud_common.local import DEFAULT_CONTENT_TYPE, LocalStorageClient
from cloud_common.local._storage import LAZY_ETAG_MIN


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.WARNING]


def test_open_storage_by_url(creds: CloudCredentials, bucket: str, storage: CloudStorage) -> None:
    url = storage.upload_file(bucket, "k", b"v")
    client, b, k = open_storage(url, creds)
    assert client.download_file(b, k) == b"v"


# -- buckets ------------------------------------------------------------------------------


def test_bucket_lifecycle(storage: CloudStorage, caplog: pytest.LogCaptureFixture) -> None:
    assert storage.list_buckets() == []
    assert storage.create_bucket("one") is True
    assert storage.create_bucket("one") is True  # exists and is yours
    assert storage.create_bucket("two") is True
    assert storage.list_buckets() == ["one", "two"]
    storage.upload_file("one", "k", b"x")
    caplog.clear()
    assert storage.delete_bucket("one") is False
    assert len(warnings_of(caplog)) == 1
    assert "not empty" in warnings_of(caplog)[0].getMessage()
    assert storage.list_buckets() == ["one", "two"]
    assert storage.delete_file("one", "k") is True
    assert storage.delete_bucket("one") is True
    assert storage.delete_bucket("one") is True  # already gone
    assert storage.list_buckets() == ["two"]


# -- objects ------------------------------------------------------------------------------

KEYS = ["plain", "with space.txt", "dir/sub/ünïcödé 名前.bin", "a-c", "a/b", "%41?#&=+"]


@pytest.mark.parametrize("key", KEYS)
def test_round_trip_keys(storage: CloudStorage, bucket: str, key: str) -> None:
    url = storage.upload_file(bucket, key, key.encode() * 3, "text/plain")
    assert url == f"local://{bucket}/{key}"
    assert parse_object_url(url).key == key
    assert storage.download_file(bucket, key) == key.encode() * 3
    info = storage.stat_object(bucket, key)
    assert (info.key, info.size, info.etag) == (key, len(key.encode()) * 3, md5(key.encode() * 3))
    assert info.content_type == "text/plain"
    assert info.last_modified is not None and info.last_modified.tzinfo is not None


def test_content_type_and_metadata(storage: CloudStorage, bucket: str) -> None:
    storage.upload_file(bucket, "plain", b"1")
    assert storage.stat_object(bucket, "plain").content_type == DEFAULT_CONTENT_TYPE
    storage.upload_file(bucket, "meta", b"2", "image/png", metadata={"owner": "ann", "n": "ü"})
    info = storage.stat_object(bucket, "meta")
    assert info.metadata == {"owner": "ann", "n": "ü"}
    storage.upload_file(bucket, "meta", b"3")  # overwriting replaces type and metadata
    info = storage.stat_object(bucket, "meta")
    assert (info.content_type, info.metadata, info.etag) == (DEFAULT_CONTENT_TYPE, {}, md5(b"3"))


def test_missing_objects_and_buckets(
    storage: CloudStorage, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ObjectNotFoundError):
        storage.download_file(bucket, "nope")
    with pytest.raises(BucketNotFoundError):
        storage.download_file("no-such-bucket", "k")
    with pytest.raises(BucketNotFoundError):
        storage.upload_file("no-such-bucket", "k", b"")
    with pytest.raises(ObjectNotFoundError):
        storage.stat_object(bucket, "nope")
    with pytest.raises(ObjectNotFoundError):
        storage.stat_object("no-such-bucket", "k")
    assert storage.object_exists(bucket, "nope") is False
    assert storage.object_exists("no-such-bucket", "nope") is False
    caplog.clear()
    assert storage.delete_file(bucket, "nope") is True
    assert warnings_of(caplog) == []
    assert storage.delete_file("no-such-bucket", "k") is False
    assert len(warnings_of(caplog)) == 1
    with pytest.raises(BucketNotFoundError):
        list(storage.list_objects("no-such-bucket"))


def test_delete_removes_object_and_empty_folders(
    storage: CloudStorage, bucket: str, root: Path
) -> None:
    storage.upload_file(bucket, "deep/er/key", b"x")
    assert storage.object_exists(bucket, "deep/er/key")
    assert storage.delete_file(bucket, "deep/er/key") is True
    assert not storage.object_exists(bucket, "deep/er/key")
    assert list((root / "storage" / "buckets" / bucket).iterdir()) == []
    assert storage.delete_bucket(bucket) is True


def test_key_and_folder_of_the_same_name_conflict(storage: CloudStorage, bucket: str) -> None:
    storage.upload_file(bucket, "a", b"object")
    with pytest.raises(ConflictError):
        storage.upload_file(bucket, "a/b", b"under an object")
    storage.upload_file(bucket, "x/y", b"object")
    with pytest.raises(ConflictError):
        storage.upload_file(bucket, "x", b"over a folder")
    assert storage.download_file(bucket, "a") == b"object"
    assert storage.download_file(bucket, "x/y") == b"object"


def test_copy_keeps_type_and_metadata(storage: CloudStorage, bucket: str) -> None:
    storage.create_bucket("other")
    storage.upload_file(bucket, "src", b"data", "text/csv", metadata={"k": "v"})
    assert storage.copy_file(bucket, "src", "other", "dst/copy") == "local://other/dst/copy"
    info = storage.stat_object("other", "dst/copy")
    assert (info.content_type, info.metadata, info.etag) == ("text/csv", {"k": "v"}, md5(b"data"))
    assert storage.download_file("other", "dst/copy") == b"data"
    with pytest.raises(ObjectNotFoundError):
        storage.copy_file(bucket, "missing", "other", "x")
    with pytest.raises(BucketNotFoundError):
        storage.copy_file(bucket, "src", "no-such-bucket", "x")


# -- listing ------------------------------------------------------------------------------


def keys(
    storage: CloudStorage, bucket: str, prefix: str = "", delimiter: str | None = None
) -> list[str]:
    return [o.key for o in storage.list_objects(bucket, prefix, delimiter=delimiter)]


def test_list_is_sorted_by_utf8_bytes(storage: CloudStorage, bucket: str) -> None:
    names = ["a/b", "a-c", "a0", "b", "a/b/c" if False else "a/z", "ä", "Z", "a b"]
    for name in names:
        storage.upload_file(bucket, name, b"x")
    assert keys(storage, bucket) == sorted(names, key=lambda k: k.encode("utf-8"))


def test_list_prefix_and_delimiter(storage: CloudStorage, bucket: str) -> None:
    for name in ["photos/2024/jan/1.jpg", "photos/2024/jan/2.jpg", "photos/2024/feb/1.jpg",
                 "photos/2024/index", "photos/2025/x", "photo-book", "readme"]:  # fmt: skip
        storage.upload_file(bucket, name, b"x", "image/jpeg", metadata={"m": "1"})
    assert keys(storage, bucket, "photos/2024/") == [
        "photos/2024/feb/1.jpg",
        "photos/2024/index",
        "photos/2024/jan/1.jpg",
        "photos/2024/jan/2.jpg",
    ]
    assert keys(storage, bucket, "photo") == [
        "photo-book",
        "photos/2024/feb/1.jpg",
        "photos/2024/index",
        "photos/2024/jan/1.jpg",
        "photos/2024/jan/2.jpg",
        "photos/2025/x",
    ]
    top = list(storage.list_objects(bucket, delimiter="/"))
    assert [(o.key, o.is_prefix) for o in top] == [
        ("photo-book", False),
        ("photos/", True),
        ("readme", False),
    ]
    assert [o.key for o in storage.list_objects(bucket, "photos/2024/j", delimiter="/")] == [
        "photos/2024/jan/"
    ]
    assert keys(storage, bucket, "photos/2024/", delimiter="/") == [
        "photos/2024/feb/",
        "photos/2024/index",
        "photos/2024/jan/",
    ]
    assert keys(storage, bucket, "photo", delimiter="-") == [
        "photo-",
        "photos/2024/feb/1.jpg",
        "photos/2024/index",
        "photos/2024/jan/1.jpg",
        "photos/2024/jan/2.jpg",
        "photos/2025/x",
    ]
    assert keys(storage, bucket, "nothing/here") == []
    assert keys(storage, bucket, "photos//x") == []
    item = next(o for o in top if not o.is_prefix)
    assert (item.size, item.etag, item.content_type, item.metadata) == (
        1,
        md5(b"x"),
        "image/jpeg",
        {"m": "1"},
    )


def test_list_reads_folders_as_it_goes(storage: CloudStorage, bucket: str) -> None:
    for name in ["a/1", "b/1", "c/1"]:
        storage.upload_file(bucket, name, b"x")
    it = storage.list_objects(bucket)
    assert next(it).key == "a/1"
    storage.delete_file(bucket, "c/1")  # folder c not read yet: the listing must not show it
    storage.upload_file(bucket, "b/2", b"x")  # nor b: its new key must show
    assert [o.key for o in it] == ["b/1", "b/2"]


# -- streams ------------------------------------------------------------------------------


def test_stream_round_trip_from_file_object(storage: CloudStorage, bucket: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)
    storage.upload_stream(bucket, "s", io.BytesIO(data), content_type="a/b", metadata={"x": "y"})
    info = storage.stat_object(bucket, "s")
    assert (info.size, info.etag, info.content_type, info.metadata) == (
        len(data),
        md5(data),
        "a/b",
        {"x": "y"},
    )
    out = io.BytesIO()
    assert storage.download_stream(bucket, "s", out) == len(data)
    assert out.getvalue() == data


def test_stream_large_file_from_path_gets_md5_etag(
    storage: CloudStorage, bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(LAZY_ETAG_MIN + 123)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    assert storage.upload_stream(bucket, "big", src) == f"local://{bucket}/big"
    assert storage.stat_object(bucket, "big").etag == md5(data)
    assert [o.etag for o in storage.list_objects(bucket)] == [md5(data)]
    dest = tmp_path / "back.bin"
    assert storage.download_stream(bucket, "big", dest) == len(data)
    assert dest.read_bytes() == data
    storage.copy_file(bucket, "big", bucket, "big2")
    assert storage.stat_object(bucket, "big2").etag == md5(data)


@pytest.mark.parametrize(
    ("byte_range", "expected"),
    [
        ((0, 0), b"0"),
        ((2, 4), b"234"),
        ((7, None), b"789"),
        ((5, 1000), b"56789"),
        (None, b"0123456789"),
    ],
)
def test_download_byte_ranges(
    storage: CloudStorage,
    bucket: str,
    tmp_path: Path,
    byte_range: tuple[int, int | None] | None,
    expected: bytes,
) -> None:
    storage.upload_file(bucket, "digits", b"0123456789")
    out = io.BytesIO()
    assert storage.download_stream(bucket, "digits", out, byte_range=byte_range) == len(expected)
    assert out.getvalue() == expected
    dest = tmp_path / "range.bin"
    assert storage.download_stream(bucket, "digits", dest, byte_range=byte_range) == len(expected)
    assert dest.read_bytes() == expected


def test_ranges_past_the_end_are_refused(
    storage: CloudStorage, bucket: str, tmp_path: Path
) -> None:
    storage.upload_file(bucket, "digits", b"0123456789")
    for bad in [(10, None), (11, 20)]:
        with pytest.raises(ValidationError, match="past the end"):
            storage.download_stream(bucket, "digits", tmp_path / "x", byte_range=bad)
    assert not (tmp_path / "x").exists()
    storage.upload_file(bucket, "empty", b"")
    assert storage.download_stream(bucket, "empty", io.BytesIO()) == 0


def test_download_into_open_files_keeps_their_order(
    storage: CloudStorage, bucket: str, tmp_path: Path
) -> None:
    """A file open for writing gets the bytes from the kernel: what the caller wrote before
    (still in its buffer) comes first, what it writes after comes last."""
    storage.upload_file(bucket, "digits", b"0123456789")
    path = tmp_path / "out.bin"
    with open(path, "wb") as handle:
        handle.write(b"head:")
        assert storage.download_stream(bucket, "digits", handle, byte_range=(2, 5)) == 4
        handle.write(b":tail")
        assert handle.tell() == 14
    assert path.read_bytes() == b"head:2345:tail"
    with open(path, "r+b") as both:  # read ahead: the raw position is not the file's
        assert both.read(5) == b"head:"
        assert storage.download_stream(bucket, "digits", both) == 10
    assert path.read_bytes() == b"head:0123456789"


def test_streams_use_bounded_memory(storage: CloudStorage, bucket: str, tmp_path: Path) -> None:
    size = 64 * 1024 * 1024
    zeros = memoryview(bytes(16 * 1024 * 1024))

    class Zeros(io.RawIOBase):
        def __init__(self) -> None:
            self.left = size

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), self.left)
            buffer[:n] = zeros[:n]
            self.left -= n
            return n

    class Sink(io.RawIOBase):
        written = 0

        def writable(self) -> bool:
            return True

        def write(self, data: bytes) -> int:  # type: ignore[override]
            self.written += len(data)
            return len(data)

    tracemalloc.start()
    try:
        storage.upload_stream(bucket, "zeros", Zeros())
        sink = Sink()
        storage.download_stream(bucket, "zeros", sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.written == size
    assert peak < 32 * 1024 * 1024, peak  # half the 64 MiB moved: two 8 MiB buffers and change
    assert storage.stat_object(bucket, "zeros").etag == md5(bytes(size))


# -- crash consistency ----------------------------------------------------------------------


def test_bytes_without_matching_metadata_get_defaults_and_true_md5(
    storage: CloudStorage, bucket: str, root: Path
) -> None:
    """Bytes changed in place by hand are no longer described by the record sealed into
    the file: defaults, and the MD5 of the bytes that are there."""
    storage.upload_file(bucket, "k", b"old", "text/old", metadata={"v": "old"})
    (root / "storage" / "buckets" / bucket / "k").write_bytes(b"new bytes")
    info = storage.stat_object(bucket, "k")
    assert (info.etag, info.content_type, info.metadata) == (
        md5(b"new bytes"),
        DEFAULT_CONTENT_TYPE,
        {},
    )


def test_temporary_files_are_not_objects(storage: CloudStorage, bucket: str, root: Path) -> None:
    (root / "storage" / "tmp" / "obj-leftover").write_bytes(b"partial")
    storage.upload_file(bucket, "k", b"v")
    assert keys(storage, bucket) == ["k"]


# -- direct use (no registry) ----------------------------------------------------------------


def test_durable_off_still_atomic(root: Path) -> None:
    client = LocalStorageClient(root=root, durable=False)
    client.create_bucket("fast")
    client.upload_file("fast", "k", b"v")
    assert client.download_file("fast", "k") == b"v"


def test_a_text_stream_is_refused(storage: CloudStorage, bucket: str, tmp_path: Path) -> None:
    text = tmp_path / "text.txt"
    text.write_text("hello")
    with open(text, encoding="utf-8") as handle, pytest.raises(ValidationError, match="binary"):
        storage.upload_stream(bucket, "k", handle)  # type: ignore[arg-type]
    assert not storage.object_exists(bucket, "k")

"""Data round-trips: sizes, bytes that are not UTF-8, awkward keys, content types."""

from __future__ import annotations

import random

import pytest

from cloud_common.core import CloudStorage, parse_object_url

pytestmark = pytest.mark.capability("storage")

MIB = 1024 * 1024

PAYLOADS = {
    "empty": b"",
    "one-byte": b"\x00",
    "not-utf8": bytes(range(256)) * 4 + b"\xff\xfe\xc3\x28",
    "crlf": b"line one\r\nline two\n\r",
    "10MiB": random.Random(20261126).randbytes(10 * MIB),
}

KEYS = [
    "plain.txt",
    "nested/dir/deep/file.bin",
    "with space/and more spaces.txt",
    "ünïcødé/файл/数据 ✓.bin",
    "symbols !$&'()*+,;=@%20.txt",
    "question?hash#percent%.txt",
    "a" * 200 + "/long-key.txt",
]


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_payload_round_trips_byte_for_byte(storage: CloudStorage, bucket: str, name: str) -> None:
    data = PAYLOADS[name]
    storage.upload_file(bucket, f"payload/{name}", data)
    got = storage.download_file(bucket, f"payload/{name}")
    assert isinstance(got, bytes)
    assert len(got) == len(data), f"{name}: {len(got)} bytes back, {len(data)} sent"
    assert got == data, f"{name}: the bytes differ"


@pytest.mark.parametrize("key", KEYS)
def test_key_round_trips(storage: CloudStorage, bucket: str, key: str) -> None:
    url = storage.upload_file(bucket, key, key.encode("utf-8"))
    assert parse_object_url(url).key == key, f"the URL {url!r} does not carry the key verbatim"
    assert storage.download_file(bucket, key) == key.encode("utf-8")
    assert storage.delete_file(bucket, key) is True


def test_keys_that_differ_only_by_a_slash_or_case_are_different_objects(
    storage: CloudStorage, bucket: str
) -> None:
    storage.upload_file(bucket, "dir/a", b"1")
    storage.upload_file(bucket, "dir/A", b"2")
    storage.upload_file(bucket, "dira", b"3")
    assert storage.download_file(bucket, "dir/a") == b"1"
    assert storage.download_file(bucket, "dir/A") == b"2"
    assert storage.download_file(bucket, "dira") == b"3"


@pytest.mark.capability("storage.stat_object")
@pytest.mark.parametrize(
    "content_type", ["text/plain; charset=utf-8", "application/json", "image/png"]
)
def test_content_type_is_kept(storage: CloudStorage, bucket: str, content_type: str) -> None:
    storage.upload_file(bucket, "typed", b"{}", content_type)
    assert storage.stat_object(bucket, "typed").content_type == content_type


@pytest.mark.capability("storage.stat_object")
def test_size_is_reported_for_each_payload(storage: CloudStorage, bucket: str) -> None:
    for name, data in PAYLOADS.items():
        if len(data) < MIB:
            storage.upload_file(bucket, name, data)
            assert storage.stat_object(bucket, name).size == len(data), name

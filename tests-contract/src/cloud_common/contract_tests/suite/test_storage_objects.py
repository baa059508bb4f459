"""stat_object, object_exists, copy_file, delete_bucket and user metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from cloud_common.contract_tests.checks import expect_error, one_warning
from cloud_common.core import (
    CloudStorage,
    ObjectInfo,
    ObjectNotFoundError,
    ProviderInfo,
    parse_object_url,
)

# -- stat_object -------------------------------------------------------------------------------


@pytest.mark.capability("storage", "storage.stat_object")
def test_stat_object_reports_size_type_etag_and_time(storage: CloudStorage, bucket: str) -> None:
    data = b"stat me" * 100
    before = datetime.now(timezone.utc) - timedelta(minutes=5)
    storage.upload_file(bucket, "s/obj.txt", data, "text/plain")
    info = storage.stat_object(bucket, "s/obj.txt")
    assert isinstance(info, ObjectInfo)
    assert info.key == "s/obj.txt"
    assert info.size == len(data)
    assert info.content_type == "text/plain"
    assert info.is_prefix is False
    assert info.etag is None or (isinstance(info.etag, str) and not info.etag.startswith('"'))
    if info.etag and len(info.etag) == 32:
        assert info.etag == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert info.last_modified is not None and info.last_modified.tzinfo is not None
    assert before < info.last_modified < datetime.now(timezone.utc) + timedelta(minutes=5)


@pytest.mark.capability("storage", "storage.stat_object")
def test_stat_of_a_missing_object_raises_object_not_found(
    storage: CloudStorage, bucket: str, unique: Callable[[str], str]
) -> None:
    expect_error(ObjectNotFoundError, lambda: storage.stat_object(bucket, "missing"))
    expect_error(ObjectNotFoundError, lambda: storage.stat_object(unique("cct"), "missing"))


@pytest.mark.capability("storage", "storage.stat_object", "storage.user_metadata")
def test_user_metadata_round_trips(storage: CloudStorage, bucket: str) -> None:
    meta = {"owner": "team-a", "purpose": "contract test"}
    storage.upload_file(bucket, "m", b"x", "text/plain", metadata=meta)
    assert storage.stat_object(bucket, "m").metadata == meta


# -- object_exists -----------------------------------------------------------------------------


@pytest.mark.capability("storage", "storage.object_exists")
def test_object_exists_tells_the_truth(
    storage: CloudStorage, bucket: str, unique: Callable[[str], str]
) -> None:
    storage.upload_file(bucket, "here", b"x")
    assert storage.object_exists(bucket, "here") is True
    assert storage.object_exists(bucket, "not-here") is False
    assert storage.object_exists(bucket, "her") is False, "a key prefix is not an object"
    assert storage.delete_file(bucket, "here") is True
    assert storage.object_exists(bucket, "here") is False
    assert storage.object_exists(unique("cct"), "here") is False


# -- copy_file ---------------------------------------------------------------------------------


@pytest.mark.capability("storage", "storage.copy_file")
def test_copy_file_copies_bytes_and_returns_the_new_url(
    storage: CloudStorage, bucket: str, unique: Callable[[str], str], provider_info: ProviderInfo
) -> None:
    other = unique("cct")
    assert storage.create_bucket(other) is True
    data = bytes(range(256)) * 3
    storage.upload_file(bucket, "src/a.bin", data, "application/x-test")
    url = storage.copy_file(bucket, "src/a.bin", other, "dst/ü b.bin")
    parsed = parse_object_url(url)
    assert parsed.scheme in provider_info.url_schemes
    assert (parsed.bucket, parsed.key) == (other, "dst/ü b.bin")
    assert storage.download_file(other, "dst/ü b.bin") == data
    assert storage.download_file(bucket, "src/a.bin") == data, "the source stays"


@pytest.mark.capability("storage", "storage.copy_file", "storage.stat_object")
def test_copy_file_keeps_the_content_type(storage: CloudStorage, bucket: str) -> None:
    storage.upload_file(bucket, "typed", b"{}", "application/json")
    storage.copy_file(bucket, "typed", bucket, "typed-copy")
    assert storage.stat_object(bucket, "typed-copy").content_type == "application/json"


@pytest.mark.capability("storage", "storage.copy_file")
def test_copy_of_a_missing_source_raises_object_not_found(
    storage: CloudStorage, bucket: str
) -> None:
    expect_error(ObjectNotFoundError, lambda: storage.copy_file(bucket, "nope", bucket, "dst"))


# -- delete_bucket -----------------------------------------------------------------------------


@pytest.mark.capability("storage", "storage.delete_bucket")
def test_delete_bucket_removes_an_empty_bucket(
    storage: CloudStorage, unique: Callable[[str], str]
) -> None:
    name = unique("cct")
    assert storage.create_bucket(name) is True
    assert storage.delete_bucket(name) is True
    assert name not in storage.list_buckets()
    assert storage.delete_bucket(name) is True, "already absent: the state holds"


@pytest.mark.capability("storage", "storage.delete_bucket")
def test_delete_bucket_of_a_never_created_bucket_is_true(
    storage: CloudStorage, unique: Callable[[str], str]
) -> None:
    assert storage.delete_bucket(unique("cct")) is True


@pytest.mark.capability("storage", "storage.delete_bucket")
def test_delete_bucket_that_is_not_empty_is_false_with_one_warning(
    storage: CloudStorage, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    storage.upload_file(bucket, "still-here", b"x")
    with one_warning(caplog):
        assert storage.delete_bucket(bucket) is False
    assert bucket in storage.list_buckets()
    assert storage.download_file(bucket, "still-here") == b"x"
    assert storage.delete_file(bucket, "still-here") is True
    assert storage.delete_bucket(bucket) is True
    assert bucket not in storage.list_buckets()

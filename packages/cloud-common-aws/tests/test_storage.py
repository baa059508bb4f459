"""S3StorageClient against moto on 127.0.0.1 (through the registry, as users get it)."""

from __future__ import annotations

import io
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig

from cloud_common.aws import S3StorageClient
from cloud_common.aws.testing import MotoServer
from cloud_common.core import (
    BucketNotFoundError,
    CloudStorage,
    ObjectNotFoundError,
    ValidationError,
    get_storage_client,
    parse_object_url,
)

MiB = 1024 * 1024


def fetch(
    url: str, method: str = "GET", data: bytes | None = None, **headers: str
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# -- the contract ---------------------------------------------------------------------


def test_upload_returns_the_canonical_url_and_download_returns_the_bytes(
    storage: CloudStorage, bucket: str
) -> None:
    url = storage.upload_file(bucket, "dir/ünï ✓.txt", b"hello", "text/plain")
    assert url == f"s3://{bucket}/dir/ünï ✓.txt"
    assert parse_object_url(url).key == "dir/ünï ✓.txt"
    assert storage.download_file(bucket, "dir/ünï ✓.txt") == b"hello"
    assert storage.stat_object(bucket, "dir/ünï ✓.txt").content_type == "text/plain"


def test_create_bucket_twice_is_true(storage: CloudStorage, bucket: str) -> None:
    assert storage.create_bucket(bucket) is True
    assert bucket in storage.list_buckets()


def test_create_bucket_outside_us_east_1_sets_the_location_constraint(
    server: MotoServer, raw_s3: Any
) -> None:
    with get_storage_client(server.credentials(region="eu-west-1")) as eu:
        assert eu.create_bucket("cc-eu-bucket") is True
        assert eu.create_bucket("cc-eu-bucket") is True  # BucketAlreadyOwnedByYou
    location = raw_s3.get_bucket_location(Bucket="cc-eu-bucket")["LocationConstraint"]
    assert location == "eu-west-1"


def test_a_name_owned_by_another_account_is_false_with_one_warning(
    server: MotoServer, storage: CloudStorage, caplog: pytest.LogCaptureFixture
) -> None:
    with get_storage_client(server.other_account_credentials()) as other:
        assert other.create_bucket("cc-taken-name") is True
    caplog.set_level(logging.WARNING)
    assert storage.create_bucket("cc-taken-name") is False
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "cc-taken-name" in warnings[0].getMessage()


def test_download_of_a_missing_key_raises_object_not_found(
    storage: CloudStorage, bucket: str
) -> None:
    with pytest.raises(ObjectNotFoundError) as info:
        storage.download_file(bucket, "missing")
    assert info.value.provider == "aws"
    assert info.value.operation == "download_file"
    assert "NoSuchKey" in str(info.value)


def test_download_from_a_missing_bucket_raises_bucket_not_found(storage: CloudStorage) -> None:
    with pytest.raises(BucketNotFoundError):
        storage.download_file("cc-no-such-bucket", "k")


def test_delete_is_true_when_gone_and_false_for_a_missing_bucket(
    storage: CloudStorage, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    storage.upload_file(bucket, "k", b"v")
    assert storage.delete_file(bucket, "k") is True
    assert storage.object_exists(bucket, "k") is False
    assert storage.delete_file(bucket, "k") is True
    caplog.set_level(logging.WARNING)
    assert storage.delete_file("cc-no-such-bucket", "k") is False
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper-case",
        "under_score",
        "-dash-first",
        "dots..twice",
        "dot.-dash",
        "192.168.5.4",
        "xn--punycode",
        "sthree-bucket",
        "amzn-s3-demo-bucket",
        "bucket-s3alias",
        "bucket--ol-s3",
        "bucket--x-s3",
        "bucket.mrap",
        "bucket--table-s3",
    ],
)
def test_names_that_break_s3_rules_are_refused_before_any_request(
    server: MotoServer, storage: CloudStorage, name: str
) -> None:
    before = len(server.faults.requests)
    with pytest.raises(ValidationError, match="name"):
        storage.create_bucket(name)
    with pytest.raises(ValidationError, match="bucket"):
        storage.upload_file(name, "k", b"v")
    assert len(server.faults.requests) == before


def test_user_metadata_must_be_ascii(
    server: MotoServer, storage: CloudStorage, bucket: str
) -> None:
    before = len(server.faults.requests)
    with pytest.raises(ValidationError, match="ASCII"):
        storage.upload_file(bucket, "k", b"v", metadata={"owner": "Zoë"})
    assert len(server.faults.requests) == before


@pytest.mark.parametrize(
    ("content_type", "metadata"),
    [
        ("text/plain\r\nX-Amz-Acl: public-read", None),
        (None, {"owner": "me\nX-Injected: 1"}),
        (None, {"bad\r\nname": "v"}),
    ],
)
def test_cr_or_lf_in_header_values_is_refused_before_any_request(
    server: MotoServer,
    storage: CloudStorage,
    bucket: str,
    content_type: str | None,
    metadata: dict[str, str] | None,
) -> None:
    before = len(server.faults.requests)
    with pytest.raises(ValidationError):
        storage.upload_file(bucket, "k", b"v", content_type, metadata=metadata)
    with pytest.raises(ValidationError):
        storage.upload_stream(
            bucket, "k", io.BytesIO(b"v"), content_type=content_type, metadata=metadata
        )
    if content_type is not None:  # a signed header the uploader would have to send
        with pytest.raises(ValidationError):
            storage.generate_presigned_url(bucket, "k", 60, method="PUT", content_type=content_type)
    assert len(server.faults.requests) == before
    assert storage.object_exists(bucket, "k") is False


def test_the_public_class_is_what_the_registry_returns(server: MotoServer) -> None:
    with (
        get_storage_client(server.credentials()) as registry,
        S3StorageClient(server.credentials()) as direct,
    ):
        assert type(registry) is S3StorageClient
        assert registry.create_bucket("cc-direct") is True
        assert direct.delete_file("cc-no-such-bucket", "k") is False
        assert direct.delete_bucket("cc-no-such-bucket") is True
        with pytest.raises(ObjectNotFoundError):
            direct.download_file("cc-direct", "missing")


# -- extensions -----------------------------------------------------------------------


def test_list_objects_fetches_pages_as_consumed(
    server: MotoServer, storage: CloudStorage, raw_s3: Any, bucket: str
) -> None:
    for i in range(7):
        raw_s3.put_object(Bucket=bucket, Key=f"p/{i:02d}", Body=b"x" * i)
    raw_s3.put_object(Bucket=bucket, Key="other", Body=b"")
    before = server.faults.count("GET", f"^/{bucket}$")
    listing = storage.list_objects(bucket, "p/", page_size=3)
    first = next(listing)
    assert server.faults.count("GET", f"^/{bucket}$") - before == 1
    rest = list(listing)
    assert server.faults.count("GET", f"^/{bucket}$") - before == 3
    assert [o.key for o in [first, *rest]] == [f"p/{i:02d}" for i in range(7)]
    assert [o.size for o in [first, *rest]] == list(range(7))
    assert all(o.etag and o.last_modified and o.last_modified.tzinfo for o in rest)


def test_list_objects_with_a_delimiter_merges_prefixes_in_key_order(
    storage: CloudStorage, raw_s3: Any, bucket: str
) -> None:
    for key in ("a.txt", "b/1", "b/2", "c.txt", "d/x/y", "e"):
        raw_s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    found = [(o.key, o.is_prefix) for o in storage.list_objects(bucket, delimiter="/", page_size=2)]
    assert found == [
        ("a.txt", False),
        ("b/", True),
        ("c.txt", False),
        ("d/", True),
        ("e", False),
    ]


def test_list_objects_of_a_missing_bucket_raises(storage: CloudStorage) -> None:
    with pytest.raises(BucketNotFoundError):
        list(storage.list_objects("cc-no-such-bucket"))


def test_stat_object_reports_metadata_and_missing_objects(
    storage: CloudStorage, bucket: str
) -> None:
    storage.upload_file(bucket, "m", b"12345", "application/x-test", metadata={"owner": "me"})
    info = storage.stat_object(bucket, "m")
    assert (info.size, info.content_type, info.metadata) == (
        5,
        "application/x-test",
        {"owner": "me"},
    )
    assert info.etag == "827ccb0eea8a706c4c34a16891f84e7b"
    with pytest.raises(ObjectNotFoundError):
        storage.stat_object(bucket, "nope")
    with pytest.raises(ObjectNotFoundError):
        storage.stat_object("cc-no-such-bucket", "nope")
    assert storage.object_exists("cc-no-such-bucket", "nope") is False


def test_delete_bucket_is_false_while_objects_remain(
    storage: CloudStorage, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    storage.upload_file(bucket, "k", b"v")
    caplog.set_level(logging.WARNING)
    assert storage.delete_bucket(bucket) is False
    assert "BucketNotEmpty" in caplog.records[-1].getMessage()
    storage.delete_file(bucket, "k")
    assert storage.delete_bucket(bucket) is True
    assert storage.delete_bucket(bucket) is True
    assert bucket not in storage.list_buckets()


def test_copy_keeps_content_type_and_metadata(storage: CloudStorage, bucket: str) -> None:
    storage.upload_file(bucket, "src", b"data", "text/x-src", metadata={"a": "1"})
    assert storage.copy_file(bucket, "src", bucket, "dst") == f"s3://{bucket}/dst"
    info = storage.stat_object(bucket, "dst")
    assert (info.content_type, info.metadata) == ("text/x-src", {"a": "1"})
    with pytest.raises(ObjectNotFoundError):
        storage.copy_file(bucket, "missing", bucket, "dst2")


def test_a_copy_above_the_threshold_is_multipart_and_keeps_metadata(
    server: MotoServer, raw_s3: Any, bucket: str
) -> None:
    data = os.urandom(6 * MiB + 5)
    raw_s3.put_object(Bucket=bucket, Key="big", Body=data, ContentType="a/b", Metadata={"k": "v"})
    with S3StorageClient(server.credentials(), copy_threshold=5 * MiB, part_size=5 * MiB) as s3:
        s3.copy_file(bucket, "big", bucket, "big-copy")
    head = raw_s3.head_object(Bucket=bucket, Key="big-copy")
    assert head["ETag"].strip('"').endswith("-2")  # two UploadPartCopy parts
    assert (head["ContentType"], head["Metadata"]) == ("a/b", {"k": "v"})
    assert raw_s3.get_object(Bucket=bucket, Key="big-copy")["Body"].read() == data


@pytest.mark.parametrize("as_path", [True, False])
def test_upload_stream_is_multipart_and_download_stream_round_trips(
    server: MotoServer, bucket: str, tmp_path: Path, as_path: bool
) -> None:
    data = os.urandom(11 * MiB + 3)
    source_path = tmp_path / "src.bin"
    source_path.write_bytes(data)
    with S3StorageClient(
        server.credentials(), part_size=5 * MiB, multipart_threshold=5 * MiB, max_concurrency=3
    ) as s3:
        with open(source_path, "rb") as handle:
            source: Any = source_path if as_path else handle
            url = s3.upload_stream(
                bucket, "big.bin", source, content_type="x/y", metadata={"m": "1"}
            )
        assert url == f"s3://{bucket}/big.bin"
        info = s3.stat_object(bucket, "big.bin")
        assert info.etag is not None and info.etag.endswith("-3")
        assert (info.content_type, info.metadata) == ("x/y", {"m": "1"})
        target = tmp_path / "out.bin"
        sink = io.BytesIO()
        assert s3.download_stream(bucket, "big.bin", target if as_path else sink) == len(data)
    assert (target.read_bytes() if as_path else sink.getvalue()) == data
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["src.bin", "out.bin"] if as_path else ["src.bin"]
    )


@pytest.mark.parametrize(
    ("byte_range", "expected"),
    [((0, 0), b"0"), ((2, 5), b"2345"), ((7, None), b"789"), ((8, 100), b"89")],
)
def test_byte_ranges_are_inclusive(
    storage: CloudStorage, bucket: str, byte_range: tuple[int, int | None], expected: bytes
) -> None:
    storage.upload_file(bucket, "digits", b"0123456789")
    sink = io.BytesIO()
    assert storage.download_stream(bucket, "digits", sink, byte_range=byte_range) == len(expected)
    assert sink.getvalue() == expected


def test_a_range_past_the_end_is_a_validation_error_and_leaves_no_file(
    storage: CloudStorage, bucket: str, tmp_path: Path
) -> None:
    storage.upload_file(bucket, "digits", b"0123456789")
    with pytest.raises(ValidationError):
        storage.download_stream(bucket, "digits", tmp_path / "out", byte_range=(10, None))
    assert list(tmp_path.iterdir()) == []


def test_download_stream_of_a_missing_object_leaves_no_file(
    storage: CloudStorage, bucket: str, tmp_path: Path
) -> None:
    with pytest.raises(ObjectNotFoundError):
        storage.download_stream(bucket, "missing", tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


# -- presigned URLs (MotoServer verifies SigV4 query signatures) -----------------------


def test_presigned_get_is_sigv4_and_works_with_a_plain_http_client(
    storage: CloudStorage, bucket: str
) -> None:
    storage.upload_file(bucket, "ps.txt", b"presigned")
    url = storage.generate_presigned_url(bucket, "ps.txt", 120)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["120"]
    assert fetch(url) == (200, b"presigned")


def test_a_tampered_or_retargeted_presigned_url_is_refused(
    storage: CloudStorage, bucket: str
) -> None:
    storage.upload_file(bucket, "a", b"a")
    storage.upload_file(bucket, "b", b"b")
    url = storage.generate_presigned_url(bucket, "a", 120)
    assert fetch(url.replace("/a?", "/b?"))[0] == 403
    signature = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert fetch(url.replace(signature, flipped))[0] == 403


def test_presigned_put_signs_the_content_type(storage: CloudStorage, bucket: str) -> None:
    url = storage.generate_presigned_url(
        bucket, "up.json", 120, method="PUT", content_type="application/json"
    )
    status, _ = fetch(url, "PUT", b"{}", **{"Content-Type": "text/plain"})
    assert status == 403
    status, _ = fetch(url, "PUT", b'{"a": 1}', **{"Content-Type": "application/json"})
    assert status == 200
    assert storage.download_file(bucket, "up.json") == b'{"a": 1}'
    assert storage.stat_object(bucket, "up.json").content_type == "application/json"
    assert fetch(url)[0] == 403  # a PUT signature does not allow GET


@pytest.mark.parametrize("expires_in", [0, 604801, 1.5, "60"])
def test_expiry_out_of_bounds_is_refused_before_any_request(
    server: MotoServer, expires_in: Any
) -> None:
    with S3StorageClient(server.credentials()) as s3:
        before = len(server.faults.requests)
        with pytest.raises(ValidationError, match="expires_in"):
            s3.generate_presigned_url("cc-bucket", "k", expires_in)
        assert len(server.faults.requests) == before


def test_the_longest_expiry_is_seven_days(storage: CloudStorage, bucket: str) -> None:
    url = storage.generate_presigned_url(bucket, "k", 604800)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Expires"] == ["604800"]


# -- interop with raw boto3 -------------------------------------------------------------


def test_what_we_upload_raw_boto3_reads_byte_identical(
    storage: CloudStorage, raw_s3: Any, bucket: str
) -> None:
    data = os.urandom(70_000) + bytes(range(256))
    storage.upload_file(bucket, "ours", data, "application/octet-stream", metadata={"x": "y"})
    got = raw_s3.get_object(Bucket=bucket, Key="ours")
    assert got["Body"].read() == data
    assert (got["ContentType"], got["Metadata"]) == ("application/octet-stream", {"x": "y"})


def test_what_raw_boto3_uploads_we_read_byte_identical(
    storage: CloudStorage, raw_s3: Any, bucket: str, tmp_path: Path
) -> None:
    data = os.urandom(9 * MiB + 1)
    raw_s3.upload_fileobj(
        io.BytesIO(data),
        bucket,
        "theirs",
        Config=TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB),
    )
    assert storage.download_file(bucket, "theirs") == data
    assert storage.download_stream(bucket, "theirs", tmp_path / "t") == len(data)
    assert (tmp_path / "t").read_bytes() == data

"""Cloud Storage against a real emulator (fake-gcs-server, else gcp-storage-emulator)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from cloud_common.core import (
    AuthenticationError,
    BucketNotFoundError,
    CloudCredentials,
    ObjectNotFoundError,
    ValidationError,
    get_provider,
    parse_object_url,
)
from cloud_common.core.validation import validate_bucket_name
from cloud_common.gcp import GcpOptions, GCSStorageClient
from cloud_common.gcp.testing import GcsEmulator, reset_connection


def _requests(client: GCSStorageClient) -> list[str]:
    """Record the URLs the SDK's HTTP session sends (an observer, not a mock)."""
    seen: list[str] = []
    client.native._http.hooks["response"].append(
        lambda r, *a, **k: seen.append(f"{r.request.method} {r.request.url}")
    )
    return seen


def test_create_bucket_twice_is_true_and_listed(storage: GCSStorageClient) -> None:
    name = f"cc-{uuid.uuid4().hex[:10]}"
    assert storage.create_bucket(name) is True
    assert storage.create_bucket(name) is True
    assert name in storage.list_buckets()


def test_upload_download_keeps_bytes_type_and_metadata(
    storage: GCSStorageClient, bucket: str
) -> None:
    url = storage.upload_file(
        bucket, "dir/ünï ✓.txt", b"hello", "text/plain", metadata={"team": "a"}
    )
    assert url == f"gs://{bucket}/dir/ünï ✓.txt"
    assert parse_object_url(url).key == "dir/ünï ✓.txt"
    assert storage.download_file(bucket, "dir/ünï ✓.txt") == b"hello"
    info = storage.stat_object(bucket, "dir/ünï ✓.txt")
    assert (info.size, info.content_type, info.metadata) == (5, "text/plain", {"team": "a"})
    assert info.etag == hashlib.md5(b"hello").hexdigest()
    assert info.last_modified is not None and info.last_modified.tzinfo is not None


def test_missing_object_and_bucket(
    storage: GCSStorageClient, bucket: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    missing = f"cc-missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ObjectNotFoundError):
        storage.download_file(bucket, "nope")
    with pytest.raises(BucketNotFoundError, match=missing):
        storage.download_file(missing, "nope")
    with pytest.raises(BucketNotFoundError):
        storage.download_stream(missing, "nope", io.BytesIO())
    with pytest.raises(BucketNotFoundError):
        storage.upload_file(missing, "k", b"x")
    with pytest.raises(BucketNotFoundError):
        storage.upload_stream(missing, "k", io.BytesIO(b"x"))
    with pytest.raises(ObjectNotFoundError):
        storage.stat_object(bucket, "nope")
    with pytest.raises(ObjectNotFoundError):
        storage.stat_object(missing, "nope")
    assert storage.object_exists(bucket, "nope") is False
    assert storage.object_exists(missing, "nope") is False
    caplog.set_level(logging.WARNING)
    assert storage.delete_file(bucket, "nope") is True
    assert not caplog.records
    assert storage.delete_file(missing, "k") is False
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_delete_file_then_gone(storage: GCSStorageClient, bucket: str) -> None:
    storage.upload_file(bucket, "k", b"x")
    assert storage.object_exists(bucket, "k") is True
    assert storage.delete_file(bucket, "k") is True
    assert storage.object_exists(bucket, "k") is False


def test_delete_bucket_semantics(
    storage: GCSStorageClient, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    storage.upload_file(bucket, "k", b"x")
    caplog.set_level(logging.WARNING)
    assert storage.delete_bucket(bucket) is False
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "empty" in caplog.records[0].getMessage()
    storage.delete_file(bucket, "k")
    assert storage.delete_bucket(bucket) is True
    assert storage.delete_bucket(bucket) is True
    assert bucket not in storage.list_buckets()


def test_list_objects_paginates_lazily(
    storage: GCSStorageClient, bucket: str, emulator: GcsEmulator
) -> None:
    keys = [f"p/{i:02d}" for i in range(7)]
    for key in keys:
        storage.upload_file(bucket, key, key.encode())
    storage.upload_file(bucket, "q", b"q")
    seen = _requests(storage)
    result = storage.list_objects(bucket, "p/", page_size=3)
    assert not seen, "nothing is fetched before iteration"
    assert next(result).key == "p/00"
    assert [o.key for o in result] == keys[1:]
    listings = [u for u in seen if "/o?" in u]
    if emulator.paginates:
        assert len(listings) == 3
        assert "pageToken=" in listings[1]
    assert all("maxResults=3" in u for u in listings)


def test_list_objects_with_delimiter_rolls_up_prefixes(
    storage: GCSStorageClient, bucket: str
) -> None:
    for key in ("a.txt", "dir/x", "dir/y", "dir/sub/z", "zz"):
        storage.upload_file(bucket, key, b"1")
    top = [(o.key, o.is_prefix) for o in storage.list_objects(bucket, delimiter="/")]
    assert top == [("a.txt", False), ("dir/", True), ("zz", False)]
    inner = [(o.key, o.is_prefix) for o in storage.list_objects(bucket, "dir/", delimiter="/")]
    assert inner == [("dir/sub/", True), ("dir/x", False), ("dir/y", False)]


@pytest.mark.parametrize("page_size", [1, 2])
def test_small_pages_with_a_delimiter_keep_key_order(
    storage: GCSStorageClient, bucket: str, page_size: int
) -> None:
    # A page names common prefixes that sort after its objects (fake-gcs-server does):
    # they must come out where they belong, once.
    for key in ("a.txt", "b/1", "d/2", "e.txt", "logs/1", "logsX.txt"):
        storage.upload_file(bucket, key, b"1")
    got = [o.key for o in storage.list_objects(bucket, delimiter="/", page_size=page_size)]
    assert got == ["a.txt", "b/", "d/", "e.txt", "logs/", "logsX.txt"]


def test_list_objects_of_a_missing_bucket(storage: GCSStorageClient) -> None:
    with pytest.raises(BucketNotFoundError):
        list(storage.list_objects(f"cc-missing-{uuid.uuid4().hex[:8]}"))


def test_copy_keeps_content_type_and_metadata(storage: GCSStorageClient, bucket: str) -> None:
    storage.upload_file(bucket, "src", b"data", "text/csv", metadata={"k": "v"})
    assert storage.copy_file(bucket, "src", bucket, "dst") == f"gs://{bucket}/dst"
    info = storage.stat_object(bucket, "dst")
    assert (info.content_type, info.metadata) == ("text/csv", {"k": "v"})
    with pytest.raises(ObjectNotFoundError):
        storage.copy_file(bucket, "missing", bucket, "dst2")


def test_copy_to_a_missing_bucket_names_that_bucket(storage: GCSStorageClient, bucket: str) -> None:
    storage.upload_file(bucket, "src", b"data")
    missing = f"cc-missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(BucketNotFoundError, match=missing):
        storage.copy_file(bucket, "src", missing, "dst")


@pytest.mark.parametrize(
    "name",
    [
        "a" * 63,
        "a_b-c.d",
        "0ab",
        ".".join(["a" * 63] * 3) + ".ab",  # 194 characters, parts of at most 63
        "my.bucket." + "x" * 60 + ".example.com",
    ],
)
def test_cloud_storage_bucket_names_are_accepted(name: str) -> None:
    assert validate_bucket_name(name, get_provider("gcp").bucket_rules) == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("a" * 64, "at most 63"),
        ("a." + "b" * 64 + ".c", "at most 63"),
        ("a" * 100 + "." + "b" * 100, "at most 63"),
        ("a..b", "at most 63"),
        ("a" * 61 + ("." + "a" * 60) * 3, "3-63 characters"),  # 244 characters
        ("goog-bucket", "must not start with 'goog'"),
        ("my-google-bucket", "google"),
        ("g00gle-data", "google"),
        ("my-googl3-data", "google"),
        ("192.168.1.1", "IP address"),
        ("Upper", "lowercase"),
        ("-dash", "starting and ending"),
        ("dash_", "starting and ending"),
    ],
)
def test_names_cloud_storage_refuses_fail_before_any_request(
    storage: GCSStorageClient, name: str, rule: str
) -> None:
    seen = _requests(storage)
    with pytest.raises(ValidationError, match=re.escape(rule)):
        storage.create_bucket(name)
    with pytest.raises(ValidationError):
        storage.upload_file(name, "k", b"x")
    assert seen == []


class _Pipe(io.RawIOBase):
    """A non-seekable binary source (like a pipe or socket)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_large_seekable_source_streams_as_one_resumable_request(
    storage: GCSStorageClient, bucket: str, tmp_path: Path
) -> None:
    client = storage
    data = bytes(range(256)) * 4096 * 9  # 9 MiB: above the single-request limit
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    seen = _requests(client)
    url = client.upload_stream(
        bucket, "big", str(src), content_type="application/x-test", metadata={"m": "1"}
    )
    assert url == f"gs://{bucket}/big"
    assert [u.split("?")[0].split(" ")[0] for u in seen if "/upload/" in u] == ["POST", "PUT"]
    assert "uploadType=resumable" in seen[0] or any("uploadType=resumable" in u for u in seen)
    info = client.stat_object(bucket, "big")
    assert (info.size, info.content_type, info.metadata) == (
        len(data),
        "application/x-test",
        {"m": "1"},
    )
    dest = tmp_path / "out.bin"
    assert client.download_stream(bucket, "big", str(dest)) == len(data)
    assert dest.read_bytes() == data
    buf = io.BytesIO()
    assert client.download_stream(bucket, "big", buf, byte_range=(10, 19)) == 10
    assert buf.getvalue() == data[10:20]
    buf = io.BytesIO()
    assert client.download_stream(bucket, "big", buf, byte_range=(len(data) - 5, None)) == 5
    assert buf.getvalue() == data[-5:]
    part = io.BytesIO(b"skip" + data)
    part.seek(4)
    client.upload_stream(bucket, "from-offset", part)
    assert client.download_file(bucket, "from-offset") == data


def test_a_non_seekable_source_goes_up_in_chunks(
    creds: CloudCredentials, storage_options: GcpOptions, bucket: str
) -> None:
    client = GCSStorageClient(creds, storage_options, chunk_size=256 * 1024)
    data = bytes(range(256)) * 4096 * 3  # 3 MiB
    seen = _requests(client)
    client.upload_stream(bucket, "piped", io.BufferedReader(_Pipe(data)))
    assert len([u for u in seen if u.startswith("PUT ")]) >= 12, "one request per 256 KiB"
    assert client.download_file(bucket, "piped") == data
    client.upload_stream(bucket, "small", io.BytesIO(b"small"))
    assert client.download_file(bucket, "small") == b"small"
    client.close()


def test_an_interrupted_stream_resumes_from_the_committed_offset(
    plain_creds: CloudCredentials, httpserver: HTTPServer, tmp_path: Path
) -> None:
    from werkzeug.wrappers import Request, Response

    size = 9 * 1024 * 1024
    data = bytes(range(256)) * (size // 256)
    session = "/upload/storage/v1/b/rb-1/o"
    calls: list[str] = []

    def handler(request: Request) -> Response:
        calls.append(f"{request.method} {request.headers.get('Content-Range', '')}")
        if request.method == "POST":
            return Response("", headers={"Location": httpserver.url_for(session) + "?upload_id=u1"})
        if request.path == "/storage/v1/b/rb-1":
            return Response('{"name": "rb-1"}', content_type="application/json")
        if len(calls) == 2:  # first body: take it, then break the connection
            request.get_data()
            reset_connection(request)
            return Response("", status=500)
        if request.headers.get("Content-Range") == f"bytes */{size}":
            return Response("", status=308, headers={"Range": "bytes=0-4194303"})
        body = request.get_data()
        assert body == data[4194304:]
        import base64

        import google_crc32c

        digest: bytes = google_crc32c.Checksum(data).digest()  # type: ignore[no-untyped-call]
        crc = base64.b64encode(digest).decode()
        return Response(
            json.dumps({"name": "k", "bucket": "rb-1", "size": str(size), "crc32c": crc}),
            content_type="application/json",
        )

    httpserver.expect_request(re.compile(".*")).respond_with_handler(handler)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    client = GCSStorageClient(plain_creds, endpoint_url=httpserver.url_for("/").rstrip("/"))
    assert client.upload_stream("rb-1", "k", str(src)) == "gs://rb-1/k"
    puts = [c for c in calls if c.startswith("PUT")]
    assert puts == [
        f"PUT bytes 0-{size - 1}/{size}",
        f"PUT bytes */{size}",
        f"PUT bytes 4194304-{size - 1}/{size}",
    ]


def test_a_failed_download_leaves_no_file(
    storage: GCSStorageClient, bucket: str, tmp_path: Path
) -> None:
    dest = tmp_path / "never.bin"
    with pytest.raises(ObjectNotFoundError):
        storage.download_stream(bucket, "missing", str(dest))
    assert list(tmp_path.iterdir()) == []


def test_a_range_past_the_end_is_a_validation_error(
    storage: GCSStorageClient, bucket: str, emulator: GcsEmulator
) -> None:
    if not emulator.paginates:
        pytest.skip("gcp-storage-emulator ignores unsatisfiable ranges")
    storage.upload_file(bucket, "k", b"12345")
    with pytest.raises(ValidationError):
        storage.download_stream(bucket, "k", io.BytesIO(), byte_range=(100, None))


# -- signed URLs ---------------------------------------------------------------------------


def _fetch(
    url: str, method: str = "GET", data: bytes | None = None, content_type: str | None = None
) -> tuple[int, bytes]:
    headers = {"Content-Type": content_type} if content_type else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_signed_get_and_put_work_against_the_emulator(
    storage: GCSStorageClient, bucket: str
) -> None:
    storage.upload_file(bucket, "dir/a b.txt", b"signed!", "text/plain")
    status, body = _fetch(storage.generate_presigned_url(bucket, "dir/a b.txt", 300))
    assert (status, body) == (200, b"signed!")
    url = storage.generate_presigned_url(
        bucket, "up.txt", 300, method="PUT", content_type="text/plain"
    )
    status, _ = _fetch(url, "PUT", b"uploaded", "text/plain")
    assert status == 200
    assert storage.download_file(bucket, "up.txt") == b"uploaded"
    assert storage.stat_object(bucket, "up.txt").content_type == "text/plain"


def _verify_v4(
    url: str, public_key: Any, method: str, extra_headers: dict[str, str] | None = None
) -> dict[str, str]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    signature = bytes.fromhex(query.pop("X-Goog-Signature"))
    canonical_query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
        for k, v in sorted(query.items())
    )
    headers = {"host": parts.netloc, **{k.lower(): v for k, v in (extra_headers or {}).items()}}
    signed = query["X-Goog-SignedHeaders"].split(";")
    assert sorted(headers) == signed
    canonical = "\n".join(
        [
            method,
            parts.path,
            canonical_query,
            "".join(f"{h}:{headers[h]}\n" for h in signed),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = query["X-Goog-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        [
            "GOOG4-RSA-SHA256",
            query["X-Goog-Date"],
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    public_key.verify(signature, to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
    return query


def test_signed_urls_are_v4_signatures_by_the_service_account(
    storage: GCSStorageClient, sa_info: dict[str, Any]
) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    public = load_pem_private_key(sa_info["private_key"].encode(), None).public_key()
    url = storage.generate_presigned_url("sig-bucket", "dir/ü x.txt", 900)
    query = _verify_v4(url, public, "GET")
    assert query["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert query["X-Goog-Expires"] == "900"
    assert query["X-Goog-Credential"].startswith(sa_info["client_email"] + "/")
    signed_at = datetime.datetime.strptime(query["X-Goog-Date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    assert abs((datetime.datetime.now(datetime.timezone.utc) - signed_at).total_seconds()) < 300
    put = storage.generate_presigned_url(
        "sig-bucket", "k", 60, method="PUT", content_type="text/plain"
    )
    _verify_v4(put, public, "PUT", {"content-type": "text/plain"})
    with pytest.raises(InvalidSignature):
        _verify_v4(put, public, "GET", {"content-type": "text/plain"})
    with pytest.raises(InvalidSignature):
        _verify_v4(url.replace("X-Goog-Expires=900", "X-Goog-Expires=901"), public, "GET")


@pytest.mark.parametrize("expires", [0, 604801, -1])
def test_expiry_bounds_are_checked_before_signing(storage: GCSStorageClient, expires: int) -> None:
    with pytest.raises(ValidationError):
        storage.generate_presigned_url("b-b", "k", expires)


def test_no_signer_gives_an_error_naming_the_needed_credentials(
    plain_creds: CloudCredentials, emulator: GcsEmulator
) -> None:
    from google.oauth2.credentials import Credentials as UserCredentials

    anonymous = GCSStorageClient(plain_creds, endpoint_url=emulator.url)
    with pytest.raises(AuthenticationError, match="service-account key"):
        anonymous.generate_presigned_url("b-b", "k")
    user = GCSStorageClient(
        plain_creds,
        endpoint_url=emulator.url,
        google_credentials=UserCredentials(token="user-token-123"),  # type: ignore[no-untyped-call]
    )
    with pytest.raises(AuthenticationError, match="signBlob"):
        user.generate_presigned_url("b-b", "k")


# -- interop with the raw SDK --------------------------------------------------------------


def test_interop_with_raw_google_cloud_storage(
    storage: GCSStorageClient, bucket: str, emulator: GcsEmulator
) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage as gcs

    raw = gcs.Client(
        project="cc-test",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": emulator.url},
    )
    raw.bucket(bucket).blob("raw.txt").upload_from_string(b"from raw", content_type="text/x-raw")
    assert storage.download_file(bucket, "raw.txt") == b"from raw"
    assert storage.stat_object(bucket, "raw.txt").content_type == "text/x-raw"
    storage.upload_file(bucket, "ours.txt", b"from ours", "text/x-ours", metadata={"a": "b"})
    blob = raw.bucket(bucket).get_blob("ours.txt")
    assert blob is not None
    assert (blob.download_as_bytes(), blob.content_type, blob.metadata) == (
        b"from ours",
        "text/x-ours",
        {"a": "b"},
    )
    assert base64.b64decode(blob.md5_hash).hex() == storage.stat_object(bucket, "ours.txt").etag


# -- the signed-URL gate the contract harness puts in front of the emulator ------------------


def test_the_gate_checks_signatures_like_cloud_storage(
    creds: CloudCredentials,
    storage_options: GcpOptions,
    bucket: str,
    emulator: GcsEmulator,
    sa_info: dict[str, Any],
) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from cloud_common.gcp.testing import SignedUrlGate, verify_v4_request

    public = load_pem_private_key(sa_info["private_key"].encode(), None).public_key()
    gate = SignedUrlGate(emulator.url, {sa_info["client_email"]: public}).start()
    try:
        client = GCSStorageClient(creds, storage_options, signed_url_endpoint=gate.url)
        client.upload_file(bucket, "dir/ü.txt", b"private", "text/plain")
        get_url = client.generate_presigned_url(bucket, "dir/ü.txt", 60)
        assert get_url.startswith(gate.url + "/")
        assert _fetch(get_url) == (200, b"private")
        put_url = client.generate_presigned_url(bucket, "dir/ü.txt", 60, method="PUT")
        assert _fetch(put_url)[0] == 403, "a PUT signature does not authorise GET"
        assert _fetch(put_url, "PUT", b"new", "application/octet-stream")[0] == 200
        assert client.download_file(bucket, "dir/ü.txt") == b"new"
        assert _fetch(get_url.replace("X-Goog-Expires=60", "X-Goog-Expires=61"))[0] == 403
        assert _fetch(get_url.split("?")[0])[0] == 403
        parts = urllib.parse.urlsplit(get_url)
        later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=61)
        expired = verify_v4_request(
            "GET",
            parts.path,
            parts.query,
            {"Host": parts.netloc},
            {sa_info["client_email"]: public},
            later,
        )
        assert expired is not None and expired[:2] == (400, "ExpiredToken")
    finally:
        gate.stop()

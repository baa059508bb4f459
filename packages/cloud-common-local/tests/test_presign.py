"""Presigned URLs fetched with plain urllib from the local server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from cloud_common.core import (
    CloudCredentials,
    CloudProvider,
    CloudStorage,
    get_storage_client,
)
from cloud_common.local import DEFAULT_PRESIGN_BASE_URL, RunningServer, serve_in_thread


@pytest.fixture
def signed(server: RunningServer, root: Path) -> CloudStorage:
    client = get_storage_client(CloudProvider.LOCAL, root=root, endpoint_url=server.base_url)
    client.create_bucket("bkt")
    return client


def fetch(
    url: str, method: str = "GET", data: bytes | None = None, **headers: str
) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for arg, val in changes.items():
        name = arg.replace("_", "-")
        if val is None:
            query.pop(name, None)
        else:
            query[name] = val
    return urlunsplit(parts._replace(query=urlencode(query)))


KEYS = ["plain.txt", "dir/with space/ünï 名.bin", "%41?#&=+"]


@pytest.mark.parametrize("key", KEYS)
def test_get_and_put(signed: CloudStorage, key: str) -> None:
    signed.upload_file("bkt", key, b"hello", "text/plain")
    status, body, headers = fetch(signed.generate_presigned_url("bkt", key, 60))
    assert (status, body) == (200, b"hello")
    assert headers["Content-Type"] == "text/plain"
    assert headers["ETag"] == f'"{hashlib.md5(b"hello").hexdigest()}"'
    put = signed.generate_presigned_url("bkt", key, 60, method="PUT")
    status, _, headers = fetch(put, "PUT", b"replaced", **{"Content-Type": "text/csv"})
    assert status == 200
    assert headers["ETag"] == f'"{hashlib.md5(b"replaced").hexdigest()}"'
    assert signed.download_file("bkt", key) == b"replaced"
    assert signed.stat_object("bkt", key).content_type == "text/csv"


def test_head(signed: CloudStorage) -> None:
    signed.upload_file("bkt", "k", b"12345")
    request = urllib.request.Request(signed.generate_presigned_url("bkt", "k", 60), method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Length"] == "5"
        assert response.read() == b""


def test_signed_content_type_must_match(signed: CloudStorage) -> None:
    put = signed.generate_presigned_url("bkt", "typed", 60, method="PUT", content_type="image/png")
    assert fetch(put, "PUT", b"x", **{"Content-Type": "text/plain"})[0] == 403
    assert not signed.object_exists("bkt", "typed")
    assert fetch(put, "PUT", b"png", **{"Content-Type": "image/png"})[0] == 200
    assert signed.stat_object("bkt", "typed").content_type == "image/png"


def test_expired_url_is_refused(signed: CloudStorage) -> None:
    signed.upload_file("bkt", "k", b"v")
    url = signed.generate_presigned_url("bkt", "k", 1)
    time.sleep(2.1)
    status, body, _ = fetch(url)
    assert status == 403 and b"expired" in body


@pytest.mark.parametrize(
    "tamper",
    [
        lambda u: u.replace("/bkt/k", "/bkt/other"),
        lambda u: with_query(u, X_Local_Signature="0" * 64),
        lambda u: with_query(u, X_Local_Expires=str(int(time.time()) + 99999)),
        lambda u: with_query(u, X_Local_Method="PUT"),
        lambda u: with_query(u, X_Local_Signature=None),
        lambda u: u.split("?")[0],
    ],
    ids=["key", "signature", "expiry", "method", "no-signature", "unsigned"],
)
def test_tampered_or_unsigned_urls_are_refused(signed: CloudStorage, tamper: object) -> None:
    signed.upload_file("bkt", "k", b"v")
    signed.upload_file("bkt", "other", b"w")
    url = signed.generate_presigned_url("bkt", "k", 60)
    assert fetch(url)[0] == 200
    assert fetch(tamper(url))[0] == 403  # type: ignore[operator]


def test_get_url_cannot_put(signed: CloudStorage) -> None:
    signed.upload_file("bkt", "k", b"v")
    url = signed.generate_presigned_url("bkt", "k", 60)
    assert fetch(url, "PUT", b"overwrite")[0] == 403
    assert signed.download_file("bkt", "k") == b"v"
    put = signed.generate_presigned_url("bkt", "k", 60, method="PUT")
    assert fetch(put)[0] == 403


def test_url_of_another_root_is_refused(signed: CloudStorage, tmp_path: Path) -> None:
    other_root = tmp_path / "other"
    with serve_in_thread(other_root) as other:
        other_client = get_storage_client(
            CloudProvider.LOCAL, root=other_root, endpoint_url=other.base_url
        )
        other_client.create_bucket("bkt")
        other_client.upload_file("bkt", "k", b"v")
        url = other_client.generate_presigned_url("bkt", "k", 60)
        assert fetch(url)[0] == 200
        signed.upload_file("bkt", "k", b"v")
        ours = signed.generate_presigned_url("bkt", "k", 60)
        assert fetch(ours.replace(urlsplit(ours).netloc, urlsplit(other.base_url).netloc))[0] == 403


def test_missing_object_and_bad_paths(signed: CloudStorage, server: RunningServer) -> None:
    assert fetch(signed.generate_presigned_url("bkt", "missing", 60))[0] == 404
    assert (
        fetch(signed.generate_presigned_url("no-bucket", "k", 60, method="PUT"), "PUT", b"x")[0]
        == 404
    )
    assert fetch(f"{server.base_url}/bkt/..%2F..%2Fetc?X-Local-Signature=x")[0] == 400
    assert fetch(f"{server.base_url}/bkt/k", "DELETE")[0] == 405


def test_secret_is_private_and_never_in_the_url(signed: CloudStorage, root: Path) -> None:
    url = signed.generate_presigned_url("bkt", "k", 60)
    secret_file = root / "presign.key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert secret_file.read_text() not in url


def test_generating_needs_no_server(storage: CloudStorage, bucket: str, root: Path) -> None:
    url = storage.generate_presigned_url(bucket, "k", 300)
    assert url.startswith(f"{DEFAULT_PRESIGN_BASE_URL}/{bucket}/k?")
    assert (root / "presign.key").exists()


def test_server_takes_the_bucket_names_local_takes(signed: CloudStorage) -> None:
    """S3 reserves the prefix ``sthree-``; the local provider (and its server) do not."""
    assert signed.create_bucket("sthree-local")
    put = signed.generate_presigned_url("sthree-local", "k", 60, method="PUT")
    assert fetch(put, "PUT", b"through the server")[0] == 200
    assert signed.download_file("sthree-local", "k") == b"through the server"


def test_refusals_log_no_signature(signed: CloudStorage, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cloud_common.local")
    url = signed.generate_presigned_url("bkt", "k", 60)
    signature = parse_qs(urlsplit(url).query)["X-Local-Signature"][0]
    fetch(url)
    fetch(with_query(url, X_Local_Signature="f" * 64))
    assert caplog.records
    assert all(signature not in r.getMessage() for r in caplog.records)


def test_put_with_short_body_stores_nothing(signed: CloudStorage, server: RunningServer) -> None:
    import http.client

    put = signed.generate_presigned_url("bkt", "short", 60, method="PUT")
    parts = urlsplit(put)
    assert parts.hostname is not None
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("PUT", f"{parts.path}?{parts.query}")
    conn.putheader("Content-Length", "1000")
    conn.endheaders()
    conn.send(b"only a few bytes")
    conn.sock.shutdown(1)
    with contextlib.suppress(ConnectionError, http.client.HTTPException):
        conn.getresponse().read()
    conn.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and list((server.root / "storage" / "tmp").iterdir()):
        time.sleep(0.05)
    assert not signed.object_exists("bkt", "short")


def test_cli_serves(root: Path, storage: CloudStorage, bucket: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cloud_common.local", "serve", "--root", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base = line.split(" on ")[1].strip()
        assert base.startswith("http://127.0.0.1:")
        client = get_storage_client(
            CloudCredentials(
                CloudProvider.LOCAL, metadata={"root": str(root), "endpoint_url": base}
            )
        )
        client.upload_file(bucket, "cli", b"via the CLI")
        assert fetch(client.generate_presigned_url(bucket, "cli", 60))[1] == b"via the CLI"
    finally:
        proc.terminate()
        proc.wait(timeout=10)

"""Presigned URLs fetched with a plain HTTP client (urllib): no SDK, no credentials."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest

from cloud_common.contract_tests.harness import Harness
from cloud_common.core import CloudStorage

pytestmark = pytest.mark.capability("storage")

DATA = bytes(range(256)) + "ünïcødé".encode()


def _fetch(
    url: str, method: str = "GET", data: bytes | None = None, extra: dict[str, str] | None = None
) -> tuple[int, bytes, Any]:
    headers = (
        {"Content-Type": "application/octet-stream", **(extra or {})} if data is not None else {}
    )
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


@pytest.mark.parametrize("key", ["plain.bin", "dir/with space/ünï ✓.bin"])
def test_presigned_get_downloads_the_object(storage: CloudStorage, bucket: str, key: str) -> None:
    storage.upload_file(bucket, key, DATA, "application/octet-stream")
    url = storage.generate_presigned_url(bucket, key, 300)
    status, body, _ = _fetch(url)
    assert status == 200, f"GET of the presigned URL answered {status}"
    assert body == DATA


def test_presigned_get_is_for_one_object_only(storage: CloudStorage, bucket: str) -> None:
    storage.upload_file(bucket, "one", b"one")
    storage.upload_file(bucket, "two", b"two")
    url = storage.generate_presigned_url(bucket, "one", 300)
    status, body, _ = _fetch(url)
    assert (status, body) == (200, b"one")


@pytest.mark.capability("storage.presign_put")
def test_presigned_put_uploads_the_object(
    storage: CloudStorage, bucket: str, harness: Harness
) -> None:
    url = storage.generate_presigned_url(bucket, "put/target.bin", 300, method="PUT")
    status, _, _ = _fetch(url, "PUT", DATA, harness.presigned_put_headers())
    assert status in (200, 201, 204), f"PUT of the presigned URL answered {status}"
    assert storage.download_file(bucket, "put/target.bin") == DATA


@pytest.mark.capability("storage.presign_put")
def test_a_presigned_put_url_does_not_allow_get(
    storage: CloudStorage, bucket: str, harness: Harness
) -> None:
    if not harness.presigned_urls_verified():
        pytest.skip("harness limitation: the fake does not verify presigned signatures")
    storage.upload_file(bucket, "secret.bin", b"private")
    url = storage.generate_presigned_url(bucket, "secret.bin", 300, method="PUT")
    status, body, _ = _fetch(url)
    assert status >= 400 or body != b"private", "a PUT signature must not authorise GET"

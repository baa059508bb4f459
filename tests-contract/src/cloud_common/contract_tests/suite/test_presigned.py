"""Presigned URLs fetched with a plain HTTP client (urllib): no SDK, no credentials."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
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


# -- a signature binds bucket, key, method and expiry -----------------------------------------

ORIGINAL = "signed-original.bin"
SUBSTITUTE = "signed-imposter.bin"  # same length: a careless signer may not notice


def _verified(harness: Harness) -> None:
    if not harness.presigned_urls_verified():
        pytest.skip("harness limitation: presigned_urls_verified() is False")


def _swap_in_path(url: str, old: str, new: str) -> str:
    """``url`` with ``old`` replaced by ``new`` in its host and path (never the query)."""
    parts = urllib.parse.urlsplit(url)
    assert old in parts.netloc + parts.path, f"{old!r} is not in the URL's host or path: {url}"
    return urllib.parse.urlunsplit(
        parts._replace(netloc=parts.netloc.replace(old, new), path=parts.path.replace(old, new))
    )


def _refused(status: int, body: bytes, forbidden: bytes, what: str) -> None:
    assert status >= 400 or body != forbidden, (
        f"a presigned URL with its {what} altered was served ({status})"
    )


def test_a_presigned_url_with_another_key_is_refused(
    storage: CloudStorage, bucket: str, harness: Harness
) -> None:
    _verified(harness)
    storage.upload_file(bucket, ORIGINAL, b"the original")
    storage.upload_file(bucket, SUBSTITUTE, b"someone else's object")
    url = storage.generate_presigned_url(bucket, ORIGINAL, 300)
    assert _fetch(url)[:2] == (200, b"the original")
    status, body, _ = _fetch(_swap_in_path(url, ORIGINAL, SUBSTITUTE))
    _refused(status, body, b"someone else's object", "key")


def test_a_presigned_url_with_another_bucket_is_refused(
    storage: CloudStorage, bucket: str, harness: Harness, unique: Callable[[str], str]
) -> None:
    _verified(harness)
    second = unique("cct")[: len(bucket)].ljust(len(bucket), "0")
    assert storage.create_bucket(second) is True
    storage.upload_file(bucket, ORIGINAL, b"the original")
    storage.upload_file(second, ORIGINAL, b"the other bucket's object")
    url = storage.generate_presigned_url(bucket, ORIGINAL, 300)
    status, body, _ = _fetch(_swap_in_path(url, bucket, second))
    _refused(status, body, b"the other bucket's object", "bucket")


def test_a_presigned_get_url_does_not_allow_put(
    storage: CloudStorage, bucket: str, harness: Harness
) -> None:
    _verified(harness)
    storage.upload_file(bucket, ORIGINAL, b"the original")
    url = storage.generate_presigned_url(bucket, ORIGINAL, 300)
    _fetch(url, "PUT", b"overwritten", harness.presigned_put_headers())
    assert storage.download_file(bucket, ORIGINAL) == b"the original", (
        "a GET signature authorised a PUT"
    )


def _lengthen_expiry(url: str, expires_in: int) -> str | None:
    """``url`` with its expiry moved an hour later: a query parameter equal to
    ``expires_in`` (a lifetime) or to a Unix time near now + ``expires_in``; None when the
    URL carries no expiry the suite recognises."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    now = time.time()
    changed = False
    for i, (name, value) in enumerate(query):
        if not value.isdigit():
            continue
        number = int(value)
        if number == expires_in or abs(number - (now + expires_in)) < 120:
            query[i] = (name, str(number + 3600))
            changed = True
    if not changed:
        return None
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def test_a_presigned_url_with_a_later_expiry_is_refused(
    storage: CloudStorage, bucket: str, harness: Harness
) -> None:
    _verified(harness)
    storage.upload_file(bucket, ORIGINAL, b"the original")
    url = storage.generate_presigned_url(bucket, ORIGINAL, 137)
    altered = _lengthen_expiry(url, 137)
    if altered is not None:  # an expiry the suite cannot find: the next test still holds
        status, body, _ = _fetch(altered)
        _refused(status, body, b"the original", "expiry")


def test_a_presigned_url_is_refused_after_it_expires(
    storage: CloudStorage, bucket: str, harness: Harness
) -> None:
    _verified(harness)
    storage.upload_file(bucket, ORIGINAL, b"the original")
    url = storage.generate_presigned_url(bucket, ORIGINAL, 1)
    time.sleep(2.5)
    status, body, _ = _fetch(url)
    _refused(status, body, b"the original", "lifetime (1 s) passed and it")

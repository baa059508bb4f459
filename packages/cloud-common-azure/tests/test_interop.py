"""Interop with raw ``azure-storage-blob`` both ways, and SAS URLs checked by Azurite."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any

import pytest

from cloud_common.azure.testing import AzureHarness
from cloud_common.core import CloudStorage


@pytest.fixture
def raw(harness: AzureHarness) -> Any:
    from azure.storage.blob import BlobServiceClient

    with BlobServiceClient.from_connection_string(harness.azurite.connection_string()) as client:
        yield client


def test_what_cloud_common_writes_raw_sdk_reads(
    storage: CloudStorage, container: str, raw: Any
) -> None:
    url = storage.upload_file(
        container, "dir/ü b.json", b'{"a": 1}', "application/json", metadata={"team": "x"}
    )
    assert url == f"az://{container}/dir/ü b.json"
    blob = raw.get_blob_client(container, "dir/ü b.json")
    assert blob.download_blob().readall() == b'{"a": 1}'
    props = blob.get_blob_properties()
    assert props.content_settings.content_type == "application/json"
    assert props.metadata == {"team": "x"}
    assert props.blob_type == "BlockBlob"


def test_what_raw_sdk_writes_cloud_common_reads(
    storage: CloudStorage, container: str, raw: Any
) -> None:
    from azure.storage.blob import ContentSettings

    data = bytes(range(256)) * 40_000
    raw.get_container_client(container).upload_blob(
        "raw/big.bin",
        data,
        content_settings=ContentSettings(content_type="application/x-raw"),
        metadata={"origin": "raw"},
    )
    info = storage.stat_object(container, "raw/big.bin")
    assert (info.size, info.content_type, info.metadata) == (
        len(data),
        "application/x-raw",
        {"origin": "raw"},
    )
    assert storage.download_file(container, "raw/big.bin") == data
    assert [o.key for o in storage.list_objects(container, "raw/")] == ["raw/big.bin"]


def test_a_large_stream_is_staged_in_blocks_and_committed_once(
    storage: CloudStorage, container: str, raw: Any, tmp_path: Any
) -> None:
    import io

    data = b"0123456789abcdef" * (1024 * 1024)  # 16 MiB: four 4 MiB blocks
    storage.upload_stream(container, "streamed.bin", io.BytesIO(data))
    blocks = raw.get_blob_client(container, "streamed.bin").get_block_list("committed")[0]
    assert [b.size for b in blocks] == [4 * 1024 * 1024] * 4
    assert storage.download_stream(container, "streamed.bin", tmp_path / "out") == len(data)
    assert (tmp_path / "out").read_bytes() == data


def _fetch(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, bytes]:
    headers = {"x-ms-blob-type": "BlockBlob"} if method == "PUT" else {}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_presigned_url_expires_when_expires_in_says(
    storage: CloudStorage, container: str
) -> None:
    storage.upload_file(container, "short-lived", b"now you see me")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    url = storage.generate_presigned_url(container, "short-lived", 2)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    expiry = datetime.strptime(query["se"][0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert 1 <= (expiry - before).total_seconds() <= 3, "se= is now + expires_in"
    assert query["sp"] == ["r"], "a GET URL may only read"
    assert _fetch(url) == (200, b"now you see me")
    time.sleep(max(0.0, (expiry - datetime.now(timezone.utc)).total_seconds()) + 1.5)
    status, _ = _fetch(url)
    assert status == 403, "Azurite refuses an expired SAS"


def test_a_presigned_put_writes_but_cannot_read(storage: CloudStorage, container: str) -> None:
    url = storage.generate_presigned_url(container, "upload.bin", 60, method="PUT")
    assert _fetch(url, "PUT", b"from a browser")[0] == 201
    assert storage.download_file(container, "upload.bin") == b"from a browser"
    assert _fetch(url)[0] == 403


def test_a_presigned_get_can_override_the_content_type(
    storage: CloudStorage, container: str
) -> None:
    storage.upload_file(container, "report", b"%PDF-1.7", "application/octet-stream")
    url = storage.generate_presigned_url(container, "report", 60, content_type="application/pdf")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"] == "application/pdf"


def test_dot_segments_are_refused_before_any_call(storage: CloudStorage, container: str) -> None:
    from cloud_common.core import ValidationError

    for key in ("a/./b", "../up", "dir/.."):
        with pytest.raises(ValidationError, match="'.' and '..' path segments"):
            storage.upload_file(container, key, b"x")
    storage.upload_file(container, "a/.hidden/b..c", b"dots inside names are fine")
    assert storage.download_file(container, "a/.hidden/b..c") == b"dots inside names are fine"

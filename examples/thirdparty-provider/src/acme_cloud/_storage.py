"""The Acme storage driver: the spec's ``StorageClient`` and the storage extensions, as
calls to the account store and nothing else (core's ``CloudStorage`` applies the rules)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, Optional

from acme_cloud._connection import AcmeDriver
from acme_cloud._gateway import presign
from cloud_common.core import (
    DownloadTarget,
    NotSupportedError,
    ObjectInfo,
    StorageClient,
    SupportsRead,
    SupportsWrite,
    UploadSource,
    ValidationError,
)

__all__ = ["AcmeStorageDriver"]

_CHUNK = 1024 * 1024


def _info(record: dict[str, Any]) -> ObjectInfo:
    return ObjectInfo(
        key=record["key"],
        size=record["size"],
        etag=record["etag"],
        content_type=record["content_type"],
        last_modified=datetime.fromtimestamp(record["modified"], tz=timezone.utc),
        metadata=dict(record["metadata"]),
    )


def _chunks(source: SupportsRead) -> Iterator[bytes]:
    while chunk := source.read(_CHUNK):
        yield chunk


class AcmeStorageDriver(AcmeDriver, StorageClient):
    """Buckets and objects in the Acme account store."""

    def list_buckets(self) -> list[str]:
        cloud, account = self._login()
        return cloud.buckets(account)

    def create_bucket(self, name: str) -> bool:
        cloud, account = self._login()
        cloud.create_bucket(account, name)  # another account's name: AcmeNameTaken
        return True

    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: Optional[str] = None,
        *,
        metadata: Optional[dict[str, str]] = None,
    ) -> str:
        cloud, _ = self._login()
        cloud.put_object(bucket, key, iter([data]), content_type, metadata)
        return f"{bucket}/{key}"  # core returns the canonical URL instead

    def download_file(self, bucket: str, key: str) -> bytes:
        cloud, _ = self._login()
        return cloud.object_path(bucket, key).read_bytes()

    def delete_file(self, bucket: str, key: str) -> bool:
        cloud, _ = self._login()
        cloud.delete_object(bucket, key)  # absent object: no error; absent bucket: raises
        return True

    def generate_presigned_url(
        self,
        bucket: str,
        key: str,
        expires_in: int = 3600,
        *,
        method: str = "GET",
        content_type: Optional[str] = None,
    ) -> str:
        gateway = self._options.gateway_url
        if gateway is None:
            raise NotSupportedError("presigned URLs need the gateway_url option")
        cloud, account = self._login()
        secret = cloud.account_secret(account)
        return presign(gateway, secret, account, method, bucket, key, expires_in)

    # -- extensions ---------------------------------------------------------------------

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[ObjectInfo]:
        cloud, _ = self._login()
        limit = page_size or 100
        marker = prefix[:-1] if prefix else ""
        rolled_up: set[str] = set()
        while True:
            page = cloud.list_keys(bucket, marker, limit)
            for record in page:
                key: str = record["key"]
                marker = key
                if not key.startswith(prefix):
                    if key > prefix:
                        return
                    continue
                cut = key.find(delimiter, len(prefix)) if delimiter else -1
                if delimiter and cut >= 0:
                    common = key[: cut + len(delimiter)]
                    if common not in rolled_up:
                        rolled_up.add(common)
                        yield ObjectInfo(key=common, is_prefix=True)
                    continue
                yield _info(record)
            if len(page) < limit:
                return

    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        cloud, _ = self._login()
        return _info(cloud.head_object(bucket, key))

    def delete_bucket(self, name: str) -> bool:
        cloud, _ = self._login()
        cloud.delete_bucket(name)  # absent: AcmeNoSuchBucket; not empty: AcmeConflict
        return True

    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        cloud, _ = self._login()
        meta = cloud.head_object(src_bucket, src_key)
        with cloud.object_path(src_bucket, src_key).open("rb") as source:
            cloud.put_object(
                dst_bucket, dst_key, _chunks(source), meta["content_type"], meta["metadata"]
            )
        return f"{dst_bucket}/{dst_key}"

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: UploadSource,
        *,
        content_type: Optional[str] = None,
        metadata: Optional[dict[str, str]] = None,
    ) -> str:
        cloud, _ = self._login()
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as file:
                cloud.put_object(bucket, key, _chunks(file), content_type, metadata)
        else:
            cloud.put_object(bucket, key, _chunks(source), content_type, metadata)
        return f"{bucket}/{key}"

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: DownloadTarget,
        *,
        byte_range: Optional[tuple[int, Optional[int]]] = None,
    ) -> int:
        assert not isinstance(dest, (str, os.PathLike)), "core opens paths for drivers"
        cloud, _ = self._login()
        size = int(cloud.head_object(bucket, key)["size"])
        first, last = byte_range or (0, None)
        if byte_range is not None and first >= max(size, 1):
            raise ValidationError(f"byte_range {byte_range} starts past the end ({size} bytes)")
        end = size - 1 if last is None else min(last, size - 1)
        with cloud.object_path(bucket, key).open("rb") as source:
            source.seek(first)
            return _copy(source, dest, end - first + 1)


def _copy(source: SupportsRead, dest: SupportsWrite, length: int) -> int:
    written = 0
    while written < length:
        chunk = source.read(min(_CHUNK, length - written))
        if not chunk:
            break
        dest.write(chunk)
        written += len(chunk)
    return written

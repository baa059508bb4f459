"""Acme object storage: the spec's StorageClient plus every storage extension."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Optional

from acme_cloud._gateway import presign
from acme_cloud._store import AcmeNoSuchBucket, AcmeNoSuchKey

from acme_legacy._client import AcmeClient
from cloud_common.core import (
    AlreadyExistsError,
    BucketNotFoundError,
    ConflictError,
    NotSupportedError,
    ObjectInfo,
    PathOrFile,
    StorageClient,
    ValidationError,
    object_url,
)

__all__ = ["AcmeStorageClient"]

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


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(_CHUNK):
        yield chunk


class AcmeStorageClient(AcmeClient, StorageClient):
    """Buckets and objects in the Acme account store."""

    def list_buckets(self) -> list[str]:
        def run() -> list[str]:
            return self._cloud.buckets(self._account())

        return self._policy.call("list_buckets", run)

    def create_bucket(self, name: str) -> bool:
        def run() -> bool:
            self._cloud.create_bucket(self._account(), name)
            return True

        return self._policy.call(
            "create_bucket", run, resource=name, soft={AlreadyExistsError: False}
        )

    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: Optional[str] = None,
        *,
        metadata: Optional[dict[str, str]] = None,
    ) -> str:
        def run() -> str:
            self._account()
            self._cloud.put_object(bucket, key, iter([bytes(data)]), content_type, metadata)
            return object_url("acme", bucket, key)

        return self._policy.call("upload_file", run, resource=f"acme://{bucket}/{key}")

    def download_file(self, bucket: str, key: str) -> bytes:
        def run() -> bytes:
            self._account()
            return self._cloud.object_path(bucket, key).read_bytes()

        return self._policy.call("download_file", run, resource=f"acme://{bucket}/{key}")

    def delete_file(self, bucket: str, key: str) -> bool:
        def run() -> bool:
            self._account()
            self._cloud.delete_object(bucket, key)
            return True

        return self._policy.call(
            "delete_file", run, resource=f"acme://{bucket}/{key}", soft={BucketNotFoundError: False}
        )

    def generate_presigned_url(
        self,
        bucket: str,
        key: str,
        expires_in: int = 3600,
        *,
        method: str = "GET",
        content_type: Optional[str] = None,
    ) -> str:
        def run() -> str:
            if self._gateway_url is None:
                raise NotSupportedError("presigned URLs need the gateway_url option")
            account = self._account()
            secret = self._cloud.account_secret(account)
            return presign(self._gateway_url, secret, account, method, bucket, key, expires_in)

        return self._policy.call("generate_presigned_url", run, resource=f"acme://{bucket}/{key}")

    # -- extensions ---------------------------------------------------------------------

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[ObjectInfo]:
        def first() -> None:
            self._account()
            self._cloud.list_keys(bucket, "", 0)  # raises for a missing bucket, before iterating

        self._policy.call("list_objects", first, resource=f"acme://{bucket}")
        return self._pages(bucket, prefix, delimiter, page_size or 100)

    def _pages(
        self, bucket: str, prefix: str, delimiter: str | None, page_size: int
    ) -> Iterator[ObjectInfo]:
        marker = prefix[:-1] if prefix else ""
        seen_prefixes: set[str] = set()
        while True:
            after = marker
            page = self._policy.call(
                "list_objects",
                lambda: self._cloud.list_keys(bucket, after, page_size),  # noqa: B023 - called at once
                resource=f"acme://{bucket}",
            )
            if not page:
                return
            for record in page:
                key: str = record["key"]
                marker = key
                if not key.startswith(prefix):
                    if key > prefix:
                        return
                    continue
                if delimiter:
                    cut = key.find(delimiter, len(prefix))
                    if cut >= 0:
                        common = key[: cut + len(delimiter)]
                        if common not in seen_prefixes:
                            seen_prefixes.add(common)
                            yield ObjectInfo(key=common, is_prefix=True)
                        continue
                yield _info(record)
            if len(page) < page_size:
                return

    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        def run() -> ObjectInfo:
            self._account()
            try:
                return _info(self._cloud.head_object(bucket, key))
            except AcmeNoSuchBucket:
                raise AcmeNoSuchKey(f"{key} (no bucket {bucket})") from None

        return self._policy.call("stat_object", run, resource=f"acme://{bucket}/{key}")

    def object_exists(self, bucket: str, key: str) -> bool:
        def run() -> bool:
            self._account()
            try:
                self._cloud.head_object(bucket, key)
            except (AcmeNoSuchBucket, AcmeNoSuchKey):
                return False
            return True

        return self._policy.call("object_exists", run, resource=f"acme://{bucket}/{key}")

    def delete_bucket(self, name: str) -> bool:
        def run() -> bool:
            self._account()
            try:
                self._cloud.delete_bucket(name)
            except AcmeNoSuchBucket:
                return True
            return True

        return self._policy.call(
            "delete_bucket", run, resource=f"acme://{name}", soft={ConflictError: False}
        )

    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        def run() -> str:
            self._account()
            meta = self._cloud.head_object(src_bucket, src_key)
            with self._cloud.object_path(src_bucket, src_key).open("rb") as fh:
                self._cloud.put_object(
                    dst_bucket, dst_key, _chunks(fh), meta["content_type"], meta["metadata"]
                )
            return object_url("acme", dst_bucket, dst_key)

        return self._policy.call("copy_file", run, resource=f"acme://{src_bucket}/{src_key}")

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: PathOrFile,
        *,
        content_type: Optional[str] = None,
        metadata: Optional[dict[str, str]] = None,
    ) -> str:
        def run() -> str:
            self._account()
            if isinstance(source, (str, os.PathLike)):
                with open(source, "rb") as fh:
                    self._cloud.put_object(bucket, key, _chunks(fh), content_type, metadata)
            else:
                self._cloud.put_object(bucket, key, _chunks(source), content_type, metadata)
            return object_url("acme", bucket, key)

        return self._policy.call("upload_stream", run, resource=f"acme://{bucket}/{key}")

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: PathOrFile,
        *,
        byte_range: Optional[tuple[int, Optional[int]]] = None,
    ) -> int:
        def run() -> int:
            self._account()
            size = int(self._cloud.head_object(bucket, key)["size"])
            first, last = byte_range or (0, None)
            if byte_range is not None and first >= max(size, 1):
                raise ValidationError(f"byte_range {byte_range} starts past the end ({size} bytes)")
            end = size - 1 if last is None else min(last, size - 1)
            with self._cloud.object_path(bucket, key).open("rb") as src:
                src.seek(first)
                if isinstance(dest, (str, os.PathLike)):
                    return self._to_path(src, Path(dest), end - first + 1)
                return _copy(src, dest, end - first + 1)

        return self._policy.call("download_stream", run, resource=f"acme://{bucket}/{key}")

    @staticmethod
    def _to_path(src: IO[bytes], dest: Path, length: int) -> int:
        fd, tmp = tempfile.mkstemp(dir=dest.parent or ".", prefix=f".{dest.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                written = _copy(src, out, length)
            shutil.move(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return written


def _copy(src: IO[bytes], dest: IO[bytes], length: int) -> int:
    written = 0
    while written < length:
        chunk = src.read(min(_CHUNK, length - written))
        if not chunk:
            break
        dest.write(chunk)
        written += len(chunk)
    return written

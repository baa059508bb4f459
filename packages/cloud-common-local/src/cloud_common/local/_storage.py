"""Object storage on the local file system: the driver and ``LocalStorageClient``.

The driver only moves bytes between its caller and ``ObjectStore`` (``_objects.py``: the
layout on disk and its atomic writes); ``CloudStorage`` applies the contract around it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

from cloud_common.core import (
    CloudStorage,
    DownloadTarget,
    ObjectInfo,
    StorageClient,
    SupportsWrite,
    UploadSource,
    ValidationError,
)
from cloud_common.local._client import LocalClient
from cloud_common.local._objects import DEFAULT_CONTENT_TYPE, Fill, ObjectStore
from cloud_common.local._options import LocalSetup
from cloud_common.local._presign import endpoint, sign_url
from cloud_common.local._transfer import (
    copy_fd_range,
    copy_file_durable,
    copy_to_stream,
    open_bounded,
    write_all,
    write_hashed,
)

__all__ = ["DEFAULT_CONTENT_TYPE", "LAZY_ETAG_MIN", "LocalStorageClient"]

LAZY_ETAG_MIN = 16 << 20
"""Objects streamed from a path at least this large get their MD5 when first asked for."""


class _LocalStorage(StorageClient):
    """The driver: buckets and objects in folders under ``root``; arguments arrive checked."""

    def __init__(self, root: Path, presign_url: str, *, durable: bool) -> None:
        self.root = root
        self.presign_url = presign_url
        self.durable = durable

    @functools.cached_property
    def store(self) -> ObjectStore:
        """The on-disk store, set up on the first call (its errors are the call's)."""
        return ObjectStore(self.root, durable=self.durable)

    def close(self) -> None:
        store = self.__dict__.pop("store", None)
        if store is not None:
            store.close()

    # -- buckets ----------------------------------------------------------------------

    def list_buckets(self) -> list[str]:
        return self.store.list_buckets()

    def create_bucket(self, name: str) -> bool:
        self.store.create_bucket(name)
        return True

    def delete_bucket(self, name: str) -> bool:
        self.store.delete_bucket(name)
        return True

    # -- writing ----------------------------------------------------------------------

    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str | None = None,
        *,
        metadata: dict[str, str] | None = None,
    ) -> str:
        payload = memoryview(data)

        def fill(fd: int) -> tuple[str, int]:
            write_all(fd, payload)
            return hashlib.md5(payload, usedforsecurity=False).hexdigest(), len(payload)

        return self.store.commit(bucket, key, fill, content_type, metadata)

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: UploadSource,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        if not isinstance(source, (str, os.PathLike)):
            return self.store.commit(
                bucket,
                key,
                lambda fd: write_hashed(source, fd, durable=self.durable),
                content_type,
                metadata,
            )
        with open(source, "rb", buffering=0) as stream:
            size = os.fstat(stream.fileno()).st_size
            fill: Fill
            if size < LAZY_ETAG_MIN or not self.store.format.late_etag:
                fill = lambda fd: write_hashed(stream, fd, durable=self.durable)  # noqa: E731
            else:  # a kernel copy; the MD5 is computed when first asked for
                fill = lambda fd: (  # noqa: E731
                    None,
                    copy_file_durable(stream.fileno(), fd, size, durable=self.durable),
                )
            return self.store.commit(bucket, key, fill, content_type, metadata)

    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        opened = self.store.open(src_bucket, src_key)
        try:
            info = opened.info

            def fill(fd: int) -> tuple[str | None, int]:
                return info.etag, copy_fd_range(opened.fd, fd, 0, info.size)

            return self.store.commit(
                dst_bucket, dst_key, fill, info.content_type, dict(info.metadata)
            )
        finally:
            os.close(opened.fd)

    # -- reading ----------------------------------------------------------------------

    def download_file(self, bucket: str, key: str) -> bytes:
        opened = self.store.open(bucket, key, describe=False)
        try:
            size = opened.info.size
            data = os.pread(opened.fd, size, 0)
            if len(data) == size:
                return data
            parts = [data]
            offset = len(data)
            while offset < size and (chunk := os.pread(opened.fd, size - offset, offset)):
                parts.append(chunk)
                offset += len(chunk)
            return b"".join(parts)
        finally:
            os.close(opened.fd)

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: DownloadTarget,
        *,
        byte_range: tuple[int, int | None] | None = None,
    ) -> int:
        sink = cast(SupportsWrite, dest)  # core hands drivers a stream, never a path
        opened = self.store.open(bucket, key, describe=False)
        try:
            size = opened.info.size
            first, last = byte_range if byte_range is not None else (0, None)
            if first >= size and not (first == 0 and size == 0):
                raise ValidationError(
                    f"byte_range {byte_range!r} starts past the end of the object ({size} bytes)"
                )
            end = size if last is None else min(last + 1, size)
            return copy_to_stream(opened.fd, sink, first, end - first)
        finally:
            os.close(opened.fd)

    def open_object(self, bucket: str, key: str) -> tuple[BinaryIO, ObjectInfo]:
        """Open an object for reading: ``(binary file, ObjectInfo)``; close the file."""
        opened = self.store.open(bucket, key)
        return open_bounded(opened.fd, opened.info.size), opened.info

    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        opened = self.store.open(bucket, key)
        os.close(opened.fd)
        return opened.info

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        head, _, rest = prefix.rpartition("/")
        parts = head.split("/") if head else []
        if any(part in ("", ".", "..") or "\\" in part for part in parts):
            self.store.require_bucket(bucket)
            return iter(())  # no key has such a folder
        one_level = delimiter == "/"  # one folder, its subfolders rolled up as they are met
        walker = self.store.listing(bucket, parts, rest, one_level=one_level)
        if delimiter is None or one_level:
            return walker
        return _rolled_up(walker, prefix, delimiter)

    # -- deleting ---------------------------------------------------------------------

    def delete_file(self, bucket: str, key: str) -> bool:
        self.store.delete(bucket, key)
        return True

    # -- presigned URLs ---------------------------------------------------------------

    def generate_presigned_url(
        self,
        bucket: str,
        key: str,
        expires_in: int = 3600,
        *,
        method: str = "GET",
        content_type: str | None = None,
    ) -> str:
        expires = int(time.time()) + expires_in
        return sign_url(self.root, self.presign_url, method, bucket, key, expires, content_type)


def _rolled_up(walker: Iterator[ObjectInfo], prefix: str, delimiter: str) -> Iterator[ObjectInfo]:
    """Keys with ``delimiter`` after ``prefix`` as one ``is_prefix`` item per common prefix."""
    last: str | None = None
    for item in walker:
        cut = item.key.find(delimiter, len(prefix))
        if cut < 0:
            yield item
            continue
        rolled = item.key[: cut + len(delimiter)]
        if rolled != last:
            last = rolled
            yield ObjectInfo(key=rolled, is_prefix=True)


class LocalStorageClient(LocalClient[StorageClient], CloudStorage):
    """Buckets and objects in folders under the local root, as a ``CloudStorage``.

    Args:
        credentials: ``CloudCredentials`` of provider ``local``: only ``metadata["root"]``
            and ``metadata["endpoint_url"]`` are read. None reads the environment.
        options: ``LocalOptions``; keyword arguments set its fields (``root=``,
            ``endpoint_url=``, ``durable=``).

    Raises:
        ValidationError: bad options, or a root that cannot be created.
    """

    def _driver_for(self, resolved: LocalSetup) -> StorageClient:
        creds, opts, root = resolved
        self._local = _LocalStorage(root, endpoint(creds, opts), durable=opts.durable)
        return self._local

    def open_object(self, bucket: str, key: str) -> tuple[BinaryIO, ObjectInfo]:
        """Open an object for reading: ``(binary file, ObjectInfo)``; close the file.

        Raises:
            ObjectNotFoundError: no such object. BucketNotFoundError: no such bucket.
        """
        op = "open_object"
        self._bucket(bucket, op)
        self._key(key, op)
        opened: tuple[BinaryIO, ObjectInfo] = self._policy.call(
            op, lambda: self._local.open_object(bucket, key), resource=self._url(bucket, key)
        )
        return opened

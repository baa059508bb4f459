"""Object storage on the local file system: ``LocalStorageClient``.

The client checks arguments and applies the error policy; ``ObjectStore`` (``_objects.py``)
owns the layout on disk and the atomic writes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from cloud_common.core import (
    BucketNotFoundError,
    CloudCredentials,
    ConflictError,
    ObjectInfo,
    ObjectNotFoundError,
    PathOrFile,
    StorageClient,
    ValidationError,
    object_url,
)
from cloud_common.core.validation import (
    validate_bucket_name,
    validate_byte_range,
    validate_expires_in,
    validate_key,
    validate_presign_method,
)
from cloud_common.local._errors import PROVIDER_ID, make_policy
from cloud_common.local._objects import DEFAULT_CONTENT_TYPE, ObjectStore
from cloud_common.local._presign import DEFAULT_PRESIGN_BASE_URL, ENV_PRESIGN_BASE_URL, sign_url
from cloud_common.local._root import resolve_root
from cloud_common.local._transfer import (
    CHUNK,
    copy_fd_range,
    copy_file_durable,
    write_all,
    write_file_to_path,
    write_hashed,
)

__all__ = ["DEFAULT_CONTENT_TYPE", "LAZY_ETAG_MIN", "LocalStorageClient"]

logger = logging.getLogger(__name__)

LAZY_ETAG_MIN = 16 << 20
"""Objects streamed from a path at least this large get their MD5 when first asked for."""


class LocalStorageClient(StorageClient):
    """Buckets and objects in folders under the local root.

    Args:
        credentials: Only ``metadata["root"]`` and ``metadata["presign_base_url"]`` are read.
        root: The root folder (overrides ``metadata["root"]`` and ``$CLOUD_COMMON_LOCAL_ROOT``).
        presign_base_url: Where ``python -m cloud_common.local serve`` listens
            (default ``metadata["presign_base_url"]``, ``$CLOUD_COMMON_LOCAL_PRESIGN_URL``,
            then ``http://127.0.0.1:8765``).
        durable: ``fsync`` each object before it becomes visible (default True).
    """

    provider_id = PROVIDER_ID

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        presign_base_url: str | None = None,
        durable: bool = True,
    ) -> None:
        self.root = resolve_root(credentials, root)
        meta = credentials.metadata if credentials is not None else {}
        base = (
            presign_base_url
            or meta.get("presign_base_url")
            or os.environ.get(ENV_PRESIGN_BASE_URL)
            or DEFAULT_PRESIGN_BASE_URL
        )
        self.presign_base_url = base.rstrip("/")
        self.durable = durable
        self._policy = make_policy(logger)
        self._store = ObjectStore(self.root, durable=durable)

    def __repr__(self) -> str:
        return f"LocalStorageClient(root={str(self.root)!r})"

    # -- paths ------------------------------------------------------------------------

    def _check(self, bucket: str, key: str | None, operation: str) -> None:
        validate_bucket_name(bucket, "s3", operation=operation)
        if key is not None:
            validate_key(key, filesystem=True, operation=operation)

    # -- buckets ----------------------------------------------------------------------

    def list_buckets(self) -> list[str]:
        """Names of the buckets under the root, sorted."""

        return self._policy.call("list_buckets", self._store.list_buckets)

    def create_bucket(self, name: str) -> bool:
        """Create a bucket. True when it exists afterwards (every local bucket is yours)."""
        self._check(name, None, "create_bucket")

        def run() -> bool:
            self._store.create_bucket(name)
            return True

        return self._policy.call("create_bucket", run, resource=object_url("local", name))

    def delete_bucket(self, name: str) -> bool:
        """Delete an empty bucket. True when it is gone (also when it was absent); a bucket
        that still holds objects is kept: False and a WARNING."""
        self._check(name, None, "delete_bucket")

        def run() -> bool:
            self._store.delete_bucket(name)
            return True

        return self._policy.call(
            "delete_bucket",
            run,
            resource=object_url("local", name),
            soft={ConflictError: False, BucketNotFoundError: True},
        )

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
        """Store ``data`` under ``key`` atomically. Returns ``local://bucket/key``.

        Raises:
            BucketNotFoundError: the bucket does not exist.
            ConflictError: a folder of the key is an object (or the key is a folder).
        """
        self._check(bucket, key, "upload_file")
        _check_attrs(content_type, metadata, "upload_file")
        payload = memoryview(bytes(data))

        def fill(fd: int) -> tuple[str, int]:
            write_all(fd, payload)
            if self.durable:
                os.fsync(fd)
            return hashlib.md5(payload, usedforsecurity=False).hexdigest(), len(payload)

        return self._policy.call(
            "upload_file",
            lambda: self._store.commit(bucket, key, fill, content_type, metadata),
            resource=object_url("local", bucket, key),
        )

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: PathOrFile,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """Store a file (path or binary file object) in bounded memory, atomically.

        Returns ``local://bucket/key``. A file object is read from its current position
        and is not closed.
        """
        self._check(bucket, key, "upload_stream")
        _check_attrs(content_type, metadata, "upload_stream")

        def fill_from(stream: Any) -> Any:
            return lambda fd: write_hashed(stream, fd, durable=self.durable)

        def copy_from(src: int, size: int) -> Any:
            # Large files: a kernel copy, the MD5 is computed when first asked for.
            return lambda fd: (None, copy_file_durable(src, fd, size, durable=self.durable))

        def run() -> str:
            if isinstance(source, (str, os.PathLike)):
                self._store.require_bucket(bucket)
                try:
                    stream = open(source, "rb", buffering=0)  # noqa: SIM115
                except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
                    raise ValidationError(
                        f"source {os.fspath(source)!r} is not a readable file: {exc.strerror}",
                        operation="upload_stream",
                    ) from exc
                with stream:
                    size = os.fstat(stream.fileno()).st_size
                    if size < LAZY_ETAG_MIN:
                        return self._store.commit(
                            bucket, key, fill_from(stream), content_type, metadata
                        )
                    return self._store.commit(
                        bucket, key, copy_from(stream.fileno(), size), content_type, metadata
                    )
            return self._store.commit(bucket, key, fill_from(source), content_type, metadata)

        return self._policy.call("upload_stream", run, resource=object_url("local", bucket, key))

    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        """Copy an object with its content type and metadata. Returns the new URL.

        Raises:
            ObjectNotFoundError: the source does not exist.
            BucketNotFoundError: the destination bucket does not exist.
        """
        self._check(src_bucket, src_key, "copy_file")
        self._check(dst_bucket, dst_key, "copy_file")

        def run() -> str:
            opened = self._store.open(src_bucket, src_key)
            try:
                info = opened.info

                def fill(fd: int) -> tuple[str, int]:
                    copied = copy_fd_range(opened.fd, fd, 0, info.size)
                    if self.durable:
                        os.fsync(fd)
                    return info.etag or "", copied

                return self._store.commit(
                    dst_bucket, dst_key, fill, info.content_type, dict(info.metadata)
                )
            finally:
                os.close(opened.fd)

        return self._policy.call(
            "copy_file", run, resource=object_url("local", src_bucket, src_key)
        )

    # -- reading ----------------------------------------------------------------------

    def download_file(self, bucket: str, key: str) -> bytes:
        """The object's bytes.

        Raises:
            BucketNotFoundError: the bucket does not exist.
            ObjectNotFoundError: the object does not exist.
        """
        self._check(bucket, key, "download_file")

        def run() -> bytes:
            opened = self._store.open(bucket, key, describe=False)
            try:
                parts = []
                offset = 0
                while chunk := os.pread(opened.fd, max(CHUNK, opened.info.size), offset):
                    parts.append(chunk)
                    offset += len(chunk)
                return b"".join(parts)
            finally:
                os.close(opened.fd)

        return self._policy.call("download_file", run, resource=object_url("local", bucket, key))

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: PathOrFile,
        *,
        byte_range: tuple[int, int | None] | None = None,
    ) -> int:
        """Copy an object (or the inclusive ``byte_range``) to a path or binary file.

        A path is written atomically (a temporary file beside it, renamed at the end).
        Returns the bytes written.

        Raises:
            ObjectNotFoundError: no such object.
            ValidationError: the range starts past the end of the object.
        """
        self._check(bucket, key, "download_stream")
        checked = validate_byte_range(byte_range, operation="download_stream")

        def run() -> int:
            opened = self._store.open(bucket, key, describe=False)
            try:
                size = opened.info.size
                first, last = checked if checked is not None else (0, None)
                if first >= size and not (first == 0 and size == 0):
                    raise ValidationError(
                        f"byte_range {checked!r} starts past the end of the object ({size} bytes)",
                        operation="download_stream",
                    )
                end = size if last is None else min(last + 1, size)
                count = end - first
                if isinstance(dest, (str, os.PathLike)):
                    if not os.path.isdir(os.path.dirname(os.path.abspath(dest))):
                        raise ValidationError(
                            f"dest {os.fspath(dest)!r} is in a folder that does not exist",
                            operation="download_stream",
                        )
                    return write_file_to_path(
                        dest, lambda fd: copy_fd_range(opened.fd, fd, first, count)
                    )
                return _copy_to_file(opened.fd, dest, first, count)
            finally:
                os.close(opened.fd)

        return self._policy.call("download_stream", run, resource=object_url("local", bucket, key))

    def open_object(self, bucket: str, key: str) -> tuple[BinaryIO, ObjectInfo]:
        """Open an object for reading: ``(binary file, ObjectInfo)``; close the file.

        Raises:
            ObjectNotFoundError: no such object.
        """
        self._check(bucket, key, "open_object")

        def run() -> tuple[BinaryIO, ObjectInfo]:
            opened = self._store.open(bucket, key)
            return os.fdopen(opened.fd, "rb"), opened.info

        return self._policy.call("open_object", run, resource=object_url("local", bucket, key))

    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        """Size, etag (MD5), content type, modification time and user metadata.

        Raises:
            ObjectNotFoundError: no such object (or bucket).
        """
        self._check(bucket, key, "stat_object")

        def run() -> ObjectInfo:
            try:
                opened = self._store.open(bucket, key)
            except BucketNotFoundError as exc:
                raise ObjectNotFoundError(exc.message, resource=exc.resource) from None
            os.close(opened.fd)
            return opened.info

        return self._policy.call("stat_object", run, resource=object_url("local", bucket, key))

    def object_exists(self, bucket: str, key: str) -> bool:
        """True when the object exists; False when it (or its bucket) does not."""
        self._check(bucket, key, "object_exists")

        def run() -> bool:
            data_path, _ = self._store.paths(bucket, key)
            try:
                return stat.S_ISREG(os.lstat(data_path).st_mode)
            except (FileNotFoundError, NotADirectoryError):
                return False

        return self._policy.call("object_exists", run, resource=object_url("local", bucket, key))

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        """Iterate over objects under ``prefix`` in key order (UTF-8 byte order), reading
        folders as the iteration reaches them. With ``delimiter``, keys below it are rolled
        up into one ``ObjectInfo(is_prefix=True)`` per common prefix.

        Raises:
            BucketNotFoundError: the bucket does not exist (raised by this call, not later).
        """
        self._check(bucket, None, "list_objects")
        if not isinstance(prefix, str):
            raise ValidationError(f"prefix must be a str, not {type(prefix).__name__}")
        if delimiter is not None and (not isinstance(delimiter, str) or not delimiter):
            raise ValidationError(f"delimiter {delimiter!r} must be a non-empty str")
        where = object_url("local", bucket, prefix)
        head, _, rest = prefix.rpartition("/")
        parts = head.split("/") if head else []

        def start() -> Path | None:
            self._store.require_bucket(bucket)
            if any(part in ("", ".", "..") or "\\" in part or "\x00" in part for part in parts):
                return None  # no key has such a folder
            return self._store.folder(bucket, parts)

        folder = self._policy.call("list_objects", start, resource=where)
        if folder is None:
            return iter(())
        base = f"{head}/" if head else ""
        if delimiter == "/":
            walker = self._store.one_level(bucket, folder, base, rest)
        else:
            walker = self._store.walk(bucket, folder, base, rest)
        return self._list(walker, prefix, delimiter, where)

    def _list(
        self, walker: Iterator[ObjectInfo], prefix: str, delimiter: str | None, where: str
    ) -> Iterator[ObjectInfo]:
        rolls = delimiter is not None and delimiter != "/"
        last_prefix: str | None = None
        while True:
            item = self._policy.call("list_objects", lambda: next(walker, None), resource=where)
            if item is None:
                return
            if rolls:
                assert delimiter is not None
                cut = item.key.find(delimiter, len(prefix))
                if cut >= 0:
                    rolled = item.key[: cut + len(delimiter)]
                    if rolled != last_prefix:
                        last_prefix = rolled
                        yield ObjectInfo(key=rolled, is_prefix=True)
                    continue
            yield item

    # -- deleting ---------------------------------------------------------------------

    def delete_file(self, bucket: str, key: str) -> bool:
        """Delete an object. True when it is gone (also when it was absent); False and a
        WARNING when the bucket does not exist."""
        self._check(bucket, key, "delete_file")

        def run() -> bool:
            self._store.delete(bucket, key)
            return True

        return self._policy.call(
            "delete_file",
            run,
            resource=object_url("local", bucket, key),
            soft={BucketNotFoundError: False},
        )

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
        """A URL that the local server (``python -m cloud_common.local serve``) honours for
        ``expires_in`` seconds, for ``method`` GET or PUT. The server need not be running.
        With ``content_type``, a PUT must send that ``Content-Type``."""
        op = "generate_presigned_url"
        self._check(bucket, key, op)
        validate_expires_in(expires_in, operation=op)
        verb = validate_presign_method(method, operation=op)
        _check_attrs(content_type, None, op)
        return self._policy.call(
            op,
            lambda: sign_url(
                self.root,
                self.presign_base_url,
                verb,
                bucket,
                key,
                int(time.time()) + expires_in,
                content_type,
            ),
            resource=object_url("local", bucket, key),
        )


def _copy_to_file(fd: int, dest: Any, offset: int, count: int) -> int:
    done = 0
    while done < count:
        chunk = os.pread(fd, min(CHUNK, count - done), offset + done)
        if not chunk:
            break
        dest.write(chunk)
        done += len(chunk)
    return done


def _check_attrs(content_type: Any, metadata: Any, operation: str) -> None:
    if content_type is not None and (
        not isinstance(content_type, str)
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in content_type)
    ):
        raise ValidationError(
            f"content_type {content_type!r} must be a str without control characters",
            operation=operation,
        )
    if metadata is None:
        return
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k for k, v in metadata.items()
    ):
        raise ValidationError(
            "metadata must be a dict of non-empty str keys to str values", operation=operation
        )

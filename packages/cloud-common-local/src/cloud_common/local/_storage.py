"""Object storage on the local file system: ``LocalStorageClient``.

Layout under the root::

    storage/buckets/<bucket>/<key>   the object's bytes (a plain file; ``/`` in keys are folders)
    storage/meta/<bucket>/<key>      JSON beside it: etag, content type, user metadata
    storage/etags/<bucket>/<key>     MD5 of a large streamed object, computed when first asked
    storage/tmp/                     files being written (renamed into place when complete)
    presign.key                      the secret of presigned URLs (mode 0600)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
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
from cloud_common.local._presign import DEFAULT_PRESIGN_BASE_URL, ENV_PRESIGN_BASE_URL, sign_url
from cloud_common.local._root import ensure_dir, inside, resolve_root
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

DEFAULT_CONTENT_TYPE = "application/octet-stream"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_STALE_TMP_SECONDS = 24 * 3600
_RETRIES = 8
LAZY_ETAG_MIN = 16 << 20
"""Objects streamed from a path at least this large get their MD5 when first asked for."""


@dataclass
class _Opened:
    """An object opened for reading: its descriptor and what is known about it."""

    fd: int
    info: ObjectInfo


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
        top = self.root / "storage"
        self._buckets = top / "buckets"
        self._meta = top / "meta"
        self._tmp = top / "tmp"
        self._etags = top / "etags"
        for folder in (top, self._buckets, self._meta, self._tmp, self._etags):
            folder.mkdir(mode=0o700, exist_ok=True)
        self._sweep_tmp()

    def __repr__(self) -> str:
        return f"LocalStorageClient(root={str(self.root)!r})"

    # -- paths ------------------------------------------------------------------------

    def _check(self, bucket: str, key: str | None, operation: str) -> None:
        validate_bucket_name(bucket, "s3", operation=operation)
        if key is not None:
            validate_key(key, filesystem=True, operation=operation)

    def _bucket_dir(self, bucket: str) -> Path:
        return inside(self._buckets, [bucket], "bucket")

    def _paths(self, bucket: str, key: str) -> tuple[Path, Path]:
        parts = [bucket, *key.split("/")]
        return inside(self._buckets, parts, "key"), inside(self._meta, parts, "key")

    def _require_bucket(self, bucket: str) -> Path:
        folder = self._bucket_dir(bucket)
        if not folder.is_dir():
            raise BucketNotFoundError(
                f"bucket {bucket!r} does not exist", resource=object_url("local", bucket)
            )
        return folder

    def _sweep_tmp(self) -> None:
        """Remove temporary files that writers killed long ago left behind."""
        cutoff = time.time() - _STALE_TMP_SECONDS
        with contextlib.suppress(OSError), os.scandir(self._tmp) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        if entry.is_dir(follow_symlinks=False):
                            _rmtree(Path(entry.path))
                        else:
                            os.unlink(entry.path)

    # -- buckets ----------------------------------------------------------------------

    def list_buckets(self) -> list[str]:
        """Names of the buckets under the root, sorted."""

        def run() -> list[str]:
            with os.scandir(self._buckets) as entries:
                return sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))

        return self._policy.call("list_buckets", run)

    def create_bucket(self, name: str) -> bool:
        """Create a bucket. True when it exists afterwards (every local bucket is yours)."""
        self._check(name, None, "create_bucket")

        def run() -> bool:
            self._bucket_dir(name)
            ensure_dir(self._meta, [name], "bucket")
            ensure_dir(self._buckets, [name], "bucket")
            return True

        return self._policy.call("create_bucket", run, resource=object_url("local", name))

    def delete_bucket(self, name: str) -> bool:
        """Delete an empty bucket. True when it is gone (also when it was absent); a bucket
        that still holds objects is kept: False and a WARNING."""
        self._check(name, None, "delete_bucket")

        def run() -> bool:
            folder = self._bucket_dir(name)
            if not folder.is_dir():
                return True
            if _holds_file(folder):
                raise ConflictError(f"bucket {name!r} is not empty")
            parked = self._tmp / f"bucket-{uuid.uuid4().hex}"
            try:
                os.rename(folder, parked)
            except FileNotFoundError:
                return True
            if _holds_file(parked):  # a writer got in between: put it back
                with contextlib.suppress(OSError):
                    os.rename(parked, folder)
                raise ConflictError(f"bucket {name!r} is not empty")
            _rmtree(parked)
            for tree in (self._meta, self._etags):
                side = tree / name
                if side.is_dir() and not side.is_symlink():
                    parked_side = self._tmp / f"side-{uuid.uuid4().hex}"
                    with contextlib.suppress(OSError):
                        os.rename(side, parked_side)
                        _rmtree(parked_side)
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
            lambda: self._commit(bucket, key, fill, content_type, metadata),
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
                self._require_bucket(bucket)
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
                        return self._commit(bucket, key, fill_from(stream), content_type, metadata)
                    return self._commit(
                        bucket, key, copy_from(stream.fileno(), size), content_type, metadata
                    )
            return self._commit(bucket, key, fill_from(source), content_type, metadata)

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
            opened = self._open(src_bucket, src_key)
            try:
                info = opened.info

                def fill(fd: int) -> tuple[str, int]:
                    copied = copy_fd_range(opened.fd, fd, 0, info.size)
                    if self.durable:
                        os.fsync(fd)
                    return info.etag or "", copied

                return self._commit(
                    dst_bucket, dst_key, fill, info.content_type, dict(info.metadata)
                )
            finally:
                os.close(opened.fd)

        return self._policy.call(
            "copy_file", run, resource=object_url("local", src_bucket, src_key)
        )

    def _commit(
        self,
        bucket: str,
        key: str,
        fill: Any,
        content_type: str | None,
        metadata: dict[str, str] | None,
    ) -> str:
        """Write a temporary file with ``fill(fd) -> (etag, size)``, then rename it (and its
        metadata) into place: readers see the old object or the new one, never a part."""
        self._require_bucket(bucket)
        data_path, meta_path = self._paths(bucket, key)
        fd, data_tmp = tempfile.mkstemp(dir=self._tmp, prefix="obj-")
        meta_tmp = ""
        try:
            try:
                etag, size = fill(fd)
                st = os.fstat(fd)
            finally:
                os.close(fd)
            record = {
                "etag": etag,
                "size": size,
                "content_type": content_type or DEFAULT_CONTENT_TYPE,
                "metadata": dict(metadata or {}),
                "fingerprint": _fingerprint(st),
            }
            mfd, meta_tmp = tempfile.mkstemp(dir=self._tmp, prefix="meta-")
            try:
                write_all(mfd, json.dumps(record, ensure_ascii=False).encode("utf-8"))
            finally:
                os.close(mfd)
            self._place(bucket, key, data_path, meta_path, data_tmp, meta_tmp)
        except BaseException:
            for leftover in (data_tmp, meta_tmp):
                if leftover:
                    with contextlib.suppress(OSError):
                        os.unlink(leftover)
            raise
        return object_url("local", bucket, key)

    def _place(
        self, bucket: str, key: str, data_path: Path, meta_path: Path, data_tmp: str, meta_tmp: str
    ) -> None:
        folders = key.split("/")[:-1]
        meta_placed = False
        for attempt in range(_RETRIES):
            try:
                self._make_parents(bucket, key, folders)
                if data_path.is_dir() and not data_path.is_symlink():
                    raise ConflictError(
                        f"key {key!r} is a folder of other keys: the local provider cannot "
                        "store an object under the same name"
                    )
                if not meta_placed:
                    os.replace(meta_tmp, meta_path)
                    meta_placed = True
                os.replace(data_tmp, data_path)
                return
            except FileNotFoundError:
                # A concurrent delete pruned a folder we had just made: make it again.
                if attempt == _RETRIES - 1 or not os.path.exists(data_tmp):
                    raise
            except IsADirectoryError:
                raise ConflictError(
                    f"key {key!r} is a folder of other keys: the local provider cannot "
                    "store an object under the same name"
                ) from None

    def _make_parents(self, bucket: str, key: str, folders: list[str]) -> None:
        try:
            ensure_dir(self._buckets / bucket, folders, "key")
            ensure_dir(ensure_dir(self._meta, [bucket], "bucket"), folders, "key")
        except NotADirectoryError:
            raise ConflictError(
                f"key {key!r} continues the name of an existing object as a folder: the "
                "local provider cannot store both 'a' and 'a/b'"
            ) from None
        except FileNotFoundError:
            if not (self._buckets / bucket).is_dir():
                raise BucketNotFoundError(
                    f"bucket {bucket!r} does not exist", resource=object_url("local", bucket)
                ) from None
            raise

    # -- reading ----------------------------------------------------------------------

    def _open(self, bucket: str, key: str, *, describe: bool = True) -> _Opened:
        """Open an object and (``describe``) read its metadata, consistently with the bytes."""
        bucket_dir = self._bucket_dir(bucket)
        data_path, _ = self._paths(bucket, key)
        where = object_url("local", bucket, key)
        try:
            fd = os.open(data_path, os.O_RDONLY | _NOFOLLOW | _BINARY)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            if not bucket_dir.is_dir():
                raise BucketNotFoundError(
                    f"bucket {bucket!r} does not exist", resource=where
                ) from None
            raise ObjectNotFoundError(
                f"no object {key!r} in bucket {bucket!r}", resource=where
            ) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise ObjectNotFoundError(f"no object {key!r} in bucket {bucket!r}", resource=where)
            record = (
                self._record(bucket, key, st, fd)
                if describe
                else {"etag": None, "content_type": None, "metadata": {}}
            )
        except BaseException:
            os.close(fd)
            raise
        info = ObjectInfo(
            key=key,
            size=st.st_size,
            etag=record["etag"],
            content_type=record["content_type"],
            last_modified=datetime.fromtimestamp(st.st_mtime, tz=timezone.utc),
            metadata=record["metadata"],
        )
        return _Opened(fd, info)

    def _record(self, bucket: str, key: str, st: os.stat_result, fd: int) -> dict[str, Any]:
        """The metadata written with these bytes. A writer between its two renames is waited
        for; one killed there leaves bytes without metadata: defaults are used and the etag
        is computed."""
        parts = [bucket, *key.split("/")]
        wanted = _fingerprint(st)
        record: dict[str, Any] | None = None
        try:
            meta_path: Path | None = inside(self._meta, parts, "key")
        except ValidationError:
            meta_path = None
        for attempt in range(_RETRIES):
            found = _read_json(meta_path) if meta_path is not None else None
            if found is not None and found.get("fingerprint") == wanted:
                record = found
                break
            if meta_path is None or attempt == _RETRIES - 1:
                break
            time.sleep(0.001 * (attempt + 1))
        if record is None:
            logger.debug("metadata of %s/%s does not match its bytes; using defaults", bucket, key)
            record = {"etag": None, "content_type": DEFAULT_CONTENT_TYPE, "metadata": {}}
        if not record.get("etag"):
            record["etag"] = self._lazy_etag(parts, wanted, fd)
        return record

    def _lazy_etag(self, parts: list[str], wanted: list[int], fd: int) -> str:
        """The MD5 of an object written without one, computed once and kept in the etag tree."""
        try:
            cache_path: Path | None = inside(self._etags, parts, "key")
        except ValidationError:
            cache_path = None
        cached = _read_json(cache_path) if cache_path is not None else None
        if cached is not None and cached.get("fingerprint") == wanted and cached.get("etag"):
            return str(cached["etag"])
        digest = hashlib.md5(usedforsecurity=False)
        offset = 0
        while chunk := os.pread(fd, CHUNK, offset):
            digest.update(chunk)
            offset += len(chunk)
        etag = digest.hexdigest()
        if cache_path is not None:
            with contextlib.suppress(OSError, ValidationError):
                ensure_dir(self._etags, parts[:-1], "key")
                tfd, tmp = tempfile.mkstemp(dir=self._tmp, prefix="etag-")
                try:
                    write_all(tfd, json.dumps({"etag": etag, "fingerprint": wanted}).encode())
                finally:
                    os.close(tfd)
                try:
                    os.replace(tmp, cache_path)
                except OSError:
                    os.unlink(tmp)
        return etag

    def download_file(self, bucket: str, key: str) -> bytes:
        """The object's bytes.

        Raises:
            BucketNotFoundError: the bucket does not exist.
            ObjectNotFoundError: the object does not exist.
        """
        self._check(bucket, key, "download_file")

        def run() -> bytes:
            opened = self._open(bucket, key, describe=False)
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
            opened = self._open(bucket, key, describe=False)
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
            opened = self._open(bucket, key)
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
                opened = self._open(bucket, key)
            except BucketNotFoundError as exc:
                raise ObjectNotFoundError(exc.message, resource=exc.resource) from None
            os.close(opened.fd)
            return opened.info

        return self._policy.call("stat_object", run, resource=object_url("local", bucket, key))

    def object_exists(self, bucket: str, key: str) -> bool:
        """True when the object exists; False when it (or its bucket) does not."""
        self._check(bucket, key, "object_exists")

        def run() -> bool:
            data_path, _ = self._paths(bucket, key)
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
            self._require_bucket(bucket)
            if any(part in ("", ".", "..") or "\\" in part or "\x00" in part for part in parts):
                return None  # no key has such a folder
            return inside(self._buckets, [bucket, *parts], "prefix")

        folder = self._policy.call("list_objects", start, resource=where)
        if folder is None:
            return iter(())
        base = f"{head}/" if head else ""
        if delimiter == "/":
            walker = self._one_level(bucket, folder, base, rest)
        else:
            walker = self._walk(bucket, folder, base, rest)
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

    def _entries(self, folder: Path, rest: str) -> list[tuple[bytes, str, bool]]:
        try:
            with os.scandir(folder) as it:
                found = []
                for entry in it:
                    if not entry.name.startswith(rest):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        found.append(
                            (
                                (entry.name + "/").encode("utf-8", "surrogateescape"),
                                entry.name,
                                True,
                            )
                        )
                    elif entry.is_file(follow_symlinks=False):
                        found.append(
                            (entry.name.encode("utf-8", "surrogateescape"), entry.name, False)
                        )
        except (FileNotFoundError, NotADirectoryError):
            return []
        found.sort()
        return found

    def _walk(self, bucket: str, folder: Path, base: str, rest: str) -> Iterator[ObjectInfo]:
        for _, name, is_dir in self._entries(folder, rest):
            if is_dir:
                yield from self._walk(bucket, folder / name, f"{base}{name}/", "")
            else:
                info = self._info(bucket, folder / name, f"{base}{name}")
                if info is not None:
                    yield info

    def _one_level(self, bucket: str, folder: Path, base: str, rest: str) -> Iterator[ObjectInfo]:
        for _, name, is_dir in self._entries(folder, rest):
            if is_dir:
                if _holds_file(folder / name):
                    yield ObjectInfo(key=f"{base}{name}/", is_prefix=True)
            else:
                info = self._info(bucket, folder / name, f"{base}{name}")
                if info is not None:
                    yield info

    def _info(self, bucket: str, path: Path, key: str) -> ObjectInfo | None:
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
        except OSError:
            return None  # deleted meanwhile, or a link: not an object
        try:
            st = os.fstat(fd)
            record = self._record(bucket, key, st, fd)
        finally:
            os.close(fd)
        return ObjectInfo(
            key=key,
            size=st.st_size,
            etag=record["etag"],
            content_type=record["content_type"],
            last_modified=datetime.fromtimestamp(st.st_mtime, tz=timezone.utc),
            metadata=record["metadata"],
        )

    # -- deleting ---------------------------------------------------------------------

    def delete_file(self, bucket: str, key: str) -> bool:
        """Delete an object. True when it is gone (also when it was absent); False and a
        WARNING when the bucket does not exist."""
        self._check(bucket, key, "delete_file")

        def run() -> bool:
            self._require_bucket(bucket)
            data_path, meta_path = self._paths(bucket, key)
            if data_path.is_dir():
                return True
            etag_path = inside(self._etags, [bucket, *key.split("/")], "key")
            for path in (data_path, meta_path, etag_path):
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    os.unlink(path)
            self._prune(self._buckets / bucket, data_path.parent)
            self._prune(self._meta / bucket, meta_path.parent)
            self._prune(self._etags / bucket, etag_path.parent)
            return True

        return self._policy.call(
            "delete_file",
            run,
            resource=object_url("local", bucket, key),
            soft={BucketNotFoundError: False},
        )

    @staticmethod
    def _prune(top: Path, folder: Path) -> None:
        while folder != top and top in folder.parents:
            try:
                os.rmdir(folder)
            except OSError:
                return
            folder = folder.parent

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


def _fingerprint(st: os.stat_result) -> list[int]:
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _holds_file(folder: Path) -> bool:
    """True when a regular file lies anywhere below ``folder``."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    return True
                if entry.is_dir(follow_symlinks=False) and _holds_file(Path(entry.path)):
                    return True
    except (FileNotFoundError, NotADirectoryError):
        return False
    return False


def _rmtree(folder: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        for name in filenames:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(dirpath, name))
        for name in dirnames:
            path = os.path.join(dirpath, name)
            with contextlib.suppress(OSError):
                if os.path.islink(path):
                    os.unlink(path)
                else:
                    os.rmdir(path)
    with contextlib.suppress(OSError):
        os.rmdir(folder)


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

"""The on-disk layout of local storage, and the atomic operations on it: ``ObjectStore``.

Layout under the root::

    storage/buckets/<bucket>/<key>   the object's bytes (a plain file; ``/`` in keys are folders)
    storage/meta/<bucket>/<key>      JSON beside it: etag, content type, user metadata and the
                                     identity (inode, size, mtime) of the bytes it describes
    storage/etags/<bucket>/<key>     MD5 of a large streamed object, computed when first asked
    storage/tmp/                     files being written (renamed into place when complete)
    storage/locks/<n>                lock files: a writer or deleter of a key holds one of them
                                     (chosen by hashing bucket and key) around its two renames

Names arrive checked by core (``CloudStorage``); every path built here still goes
through ``inside()``, which refuses links planted below the root.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cloud_common.core import (
    BucketNotFoundError,
    ConflictError,
    ObjectInfo,
    ObjectNotFoundError,
    ValidationError,
    object_url,
)
from cloud_common.local._root import ensure_dir, inside
from cloud_common.local._transfer import CHUNK, write_all

__all__ = ["DEFAULT_CONTENT_TYPE", "Fill", "ObjectStore", "Opened"]

logger = logging.getLogger(__name__)

DEFAULT_CONTENT_TYPE = "application/octet-stream"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_STALE_TMP_SECONDS = 24 * 3600
_RETRIES = 8
_LOCK_STRIPES = 64

Fill = Callable[[int], "tuple[str | None, int]"]
"""Writes an object's bytes into a descriptor; returns ``(md5 hex or None, size)``."""


@dataclass
class Opened:
    """An object opened for reading: its descriptor and what is known about it."""

    fd: int
    info: ObjectInfo


class ObjectStore:
    """Buckets and objects in folders under ``root / "storage"``.

    Args:
        root: The provider's root folder (already resolved).
        durable: ``fsync`` each object before it becomes visible.
    """

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root
        self.durable = durable
        top = root / "storage"
        self._buckets = top / "buckets"
        self._meta = top / "meta"
        self._tmp = top / "tmp"
        self._etags = top / "etags"
        self._locks = top / "locks"
        for folder in (top, self._buckets, self._meta, self._tmp, self._etags, self._locks):
            folder.mkdir(mode=0o700, exist_ok=True)
        self._sweep_tmp()

    # -- buckets ----------------------------------------------------------------------

    def list_buckets(self) -> list[str]:
        """Names of the bucket folders, sorted."""
        with os.scandir(self._buckets) as entries:
            return sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))

    def create_bucket(self, name: str) -> None:
        """Create a bucket's folders (nothing when they exist)."""
        self.bucket_dir(name)
        ensure_dir(self._meta, [name], "bucket")
        ensure_dir(self._buckets, [name], "bucket")

    def delete_bucket(self, name: str) -> None:
        """Delete an empty bucket (nothing when it is absent).

        Raises:
            ConflictError: the bucket holds objects.
        """
        folder = self.bucket_dir(name)
        if not folder.is_dir():
            return
        if _holds_file(folder):
            raise ConflictError(f"bucket {name!r} is not empty")
        parked = self._tmp / f"bucket-{uuid.uuid4().hex}"
        try:
            os.rename(folder, parked)
        except FileNotFoundError:
            return
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

    # -- objects ----------------------------------------------------------------------

    def delete(self, bucket: str, key: str) -> None:
        """Delete an object and its side files, then folders left empty.

        Raises:
            BucketNotFoundError: the bucket does not exist.
        """
        self.require_bucket(bucket)
        data_path, meta_path = self.paths(bucket, key)
        if data_path.is_dir():
            return
        etag_path = inside(self._etags, [bucket, *key.split("/")], "key")
        with self._key_lock(bucket, key):
            for path in (data_path, meta_path, etag_path):
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    os.unlink(path)
        self._prune(self._buckets / bucket, data_path.parent)
        self._prune(self._meta / bucket, meta_path.parent)
        self._prune(self._etags / bucket, etag_path.parent)

    def folder(self, bucket: str, parts: list[str]) -> Path:
        """The folder ``parts`` of a bucket, for listing (checked for links)."""
        return inside(self._buckets, [bucket, *parts], "prefix")

    def bucket_dir(self, bucket: str) -> Path:
        return inside(self._buckets, [bucket], "bucket")

    def paths(self, bucket: str, key: str) -> tuple[Path, Path]:
        parts = [bucket, *key.split("/")]
        return inside(self._buckets, parts, "key"), inside(self._meta, parts, "key")

    def require_bucket(self, bucket: str) -> Path:
        folder = self.bucket_dir(bucket)
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

    def commit(
        self,
        bucket: str,
        key: str,
        fill: Fill,
        content_type: str | None,
        metadata: dict[str, str] | None,
    ) -> str:
        """Write a temporary file with ``fill(fd) -> (etag, size)``, then rename it (and its
        metadata) into place: readers see the old object or the new one, never a part."""
        self.require_bucket(bucket)
        data_path, meta_path = self.paths(bucket, key)
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
                # Two writers must not interleave their renames (meta A, meta B, data B,
                # data A would leave A's bytes described by B's metadata).
                with self._key_lock(bucket, key):
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

    @contextlib.contextmanager
    def _key_lock(self, bucket: str, key: str) -> Iterator[None]:
        """Hold the lock stripe of one key, across threads and processes (``flock``)."""
        digest = hashlib.blake2b(f"{bucket}/{key}".encode(), digest_size=4).digest()
        path = self._locks / f"{int.from_bytes(digest, 'big') % _LOCK_STRIPES:02d}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

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

    def open(self, bucket: str, key: str, *, describe: bool = True) -> Opened:
        """Open an object and (``describe``) read its metadata, consistently with the bytes."""
        bucket_dir = self.bucket_dir(bucket)
        data_path, _ = self.paths(bucket, key)
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
        return Opened(fd, info)

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

    def walk(self, bucket: str, folder: Path, base: str, rest: str) -> Iterator[ObjectInfo]:
        for _, name, is_dir in self._entries(folder, rest):
            if is_dir:
                yield from self.walk(bucket, folder / name, f"{base}{name}/", "")
            else:
                info = self._info(bucket, folder / name, f"{base}{name}")
                if info is not None:
                    yield info

    def one_level(self, bucket: str, folder: Path, base: str, rest: str) -> Iterator[ObjectInfo]:
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

    @staticmethod
    def _prune(top: Path, folder: Path) -> None:
        while folder != top and top in folder.parents:
            try:
                os.rmdir(folder)
            except OSError:
                return
            folder = folder.parent


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

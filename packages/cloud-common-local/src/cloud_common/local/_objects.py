"""The on-disk layout of local storage, and the atomic operations on it: ``ObjectStore``.

Layout under the root (layout 2)::

    storage/layout                   the layout version and record format (``_layout.py``)
    storage/buckets/<bucket>/<key>   one file per object: its bytes, with its record (etag,
                                     content type, user metadata) sealed into the same file
                                     (``_records.py``); ``/`` in keys are folders
    storage/tmp/                     files being written (renamed into place when complete)

A write seals the record into a temporary file, then renames it into place: one atomic
step makes bytes and metadata visible together. A reader opens the file and reads both
from that one inode: no lock anywhere, readers never wait.

The root is opened once; ``storage``, ``buckets`` and ``tmp`` must be real folders of the
current user. Every later operation is relative to an open folder handle and never follows
a symbolic link (``_folders.py``). Names arrive checked by core (``CloudStorage``).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import stat
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cloud_common.core import (
    BucketNotFoundError,
    ConflictError,
    ObjectInfo,
    ObjectNotFoundError,
    ValidationError,
    object_url,
)
from cloud_common.local._folders import LINK_ERRNOS, Chain, holds_file, open_child, remove_tree
from cloud_common.local._layout import open_layout
from cloud_common.local._records import DEFAULT_CONTENT_TYPE, Record
from cloud_common.local._root import FOLDER_FLAGS, NOFOLLOW, open_folder, open_root
from cloud_common.local._transfer import md5_of

__all__ = ["DEFAULT_CONTENT_TYPE", "Fill", "ObjectStore", "Opened"]

_BINARY = getattr(os, "O_BINARY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_READ = os.O_RDONLY | NOFOLLOW | _BINARY | _CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | _BINARY | _CLOEXEC
_STALE_TMP_SECONDS = 24 * 3600
_RETRIES = 8
_UTC = timezone.utc

Fill = Callable[[int], "tuple[str | None, int]"]
"""Writes an object's bytes into a descriptor; returns ``(md5 hex or None, size)``."""


@dataclass
class Opened:
    """An object opened for reading: its descriptor and what is known about it (its bytes
    are the first ``info.size`` bytes of the file)."""

    fd: int
    info: ObjectInfo


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


class ObjectStore:
    """Buckets and objects in folders under ``root / "storage"``.

    Args:
        root: The provider's root folder (already resolved).
        durable: ``fsync`` each object before it becomes visible.

    Raises:
        ValidationError: an internal folder is a link, a file or another user's.
    """

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root
        self.durable = durable
        fds: list[int] = []
        self._finalizer = weakref.finalize(self, _close_all, fds)
        try:
            fds.append(open_root(root))
            top = f"{root}{os.sep}storage"
            storage = open_folder(fds[0], "storage", top)
            fds.append(storage)
            self._buckets = open_folder(storage, "buckets", f"{top}{os.sep}buckets")
            fds.append(self._buckets)
            self._tmp = open_folder(storage, "tmp", f"{top}{os.sep}tmp")
            fds.append(self._tmp)
            self.format = open_layout(storage, top, self._buckets, self._tmp)
        except BaseException:
            self._finalizer()
            raise
        self._buckets_path = f"{top}{os.sep}buckets"
        self._token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._serial = itertools.count()
        self._sweep_tmp()

    def close(self) -> None:
        """Close the folder handles. Safe to call twice."""
        self._finalizer()

    # -- buckets ----------------------------------------------------------------------

    def list_buckets(self) -> list[str]:
        """Names of the bucket folders, sorted."""
        with os.scandir(self._buckets) as entries:
            return sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))

    def create_bucket(self, name: str) -> None:
        """Create a bucket's folder (nothing when it exists)."""
        os.close(open_child(self._buckets, name, "bucket", create=True))

    def delete_bucket(self, name: str) -> None:
        """Delete an empty bucket (nothing when it is absent).

        Raises:
            ConflictError: the bucket holds objects.
        """
        try:
            folder = self._open_bucket(name)
        except BucketNotFoundError:
            return
        try:
            if holds_file(folder):
                raise ConflictError(f"bucket {name!r} is not empty")
            parked = f"bucket-{uuid.uuid4().hex}"
            try:
                os.rename(name, parked, src_dir_fd=self._buckets, dst_dir_fd=self._tmp)
            except FileNotFoundError:
                return
            if holds_file(folder):  # a writer got in between: put it back
                with contextlib.suppress(OSError):
                    os.rename(parked, name, src_dir_fd=self._tmp, dst_dir_fd=self._buckets)
                raise ConflictError(f"bucket {name!r} is not empty")
        finally:
            os.close(folder)
        for _ in range(_RETRIES):  # a writer holding the folder may still add to it
            remove_tree(self._tmp, parked)
            try:
                os.stat(parked, dir_fd=self._tmp, follow_symlinks=False)
            except FileNotFoundError:
                break

    def _open_bucket(self, bucket: str) -> int:
        try:
            return open_child(self._buckets, bucket, "bucket", create=False)
        except (FileNotFoundError, NotADirectoryError):
            raise BucketNotFoundError(
                f"bucket {bucket!r} does not exist", resource=object_url("local", bucket)
            ) from None

    def require_bucket(self, bucket: str) -> None:
        """Raises ``BucketNotFoundError`` when the bucket does not exist."""
        os.close(self._open_bucket(bucket))

    def _sweep_tmp(self) -> None:
        """Remove temporary files that writers killed long ago left behind."""
        cutoff = time.time() - _STALE_TMP_SECONDS
        with contextlib.suppress(OSError), os.scandir(self._tmp) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        if entry.is_dir(follow_symlinks=False):
                            remove_tree(self._tmp, entry.name)
                        else:
                            os.unlink(entry.name, dir_fd=self._tmp)

    # -- writing ----------------------------------------------------------------------

    def commit(
        self,
        bucket: str,
        key: str,
        fill: Fill,
        content_type: str | None,
        metadata: dict[str, str] | None,
    ) -> str:
        """Write a temporary file with ``fill(fd) -> (etag, size)``, seal its record into
        it, then rename it into place: readers see the old object or the new one, never a
        part, and never bytes of one with metadata of the other."""
        folder = self._open_bucket(bucket)
        try:
            name, fd = self._new_temporary()
            try:
                try:
                    etag, _ = fill(fd)
                    record = Record(
                        etag, content_type or DEFAULT_CONTENT_TYPE, dict(metadata or {})
                    )
                    self.format.seal(fd, record)
                    if self.durable:
                        os.fsync(fd)
                finally:
                    os.close(fd)
                self._place(folder, bucket, key, name)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=self._tmp)
                raise
        finally:
            os.close(folder)
        return object_url("local", bucket, key)

    def _new_temporary(self) -> tuple[str, int]:
        """A new file in ``tmp``: a name unique to this store and call (no random bytes to
        draw per write; ``O_EXCL`` still refuses a clash), and its descriptor."""
        while True:
            name = f"obj-{self._token}-{next(self._serial)}"
            try:
                return name, os.open(name, _CREATE, 0o600, dir_fd=self._tmp)
            except FileExistsError:
                continue

    def _place(self, bucket_fd: int, bucket: str, key: str, name: str) -> None:
        *folders, leaf = key.split("/")
        for attempt in range(_RETRIES):
            try:
                with Chain(bucket_fd).descend(folders, "key", create=True) as chain:
                    # A link at the key is replaced, never followed: rename acts on names.
                    os.rename(name, leaf, src_dir_fd=self._tmp, dst_dir_fd=chain.last)
                self._check_bucket_kept(bucket_fd, bucket)
                return
            except NotADirectoryError:
                raise ConflictError(
                    f"key {key!r} continues the name of an existing object as a folder: the "
                    "local provider cannot store both 'a' and 'a/b'"
                ) from None
            except FileNotFoundError:
                # A concurrent delete pruned a folder we had just made: make it again.
                self._check_bucket_kept(bucket_fd, bucket)
                if attempt == _RETRIES - 1:
                    raise
            except OSError as exc:
                if exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
                    raise self._folder_conflict(key) from None
                raise

    @staticmethod
    def _folder_conflict(key: str) -> ConflictError:
        return ConflictError(
            f"key {key!r} is a folder of other keys: the local provider cannot store an "
            "object under the same name"
        )

    def _check_bucket_kept(self, bucket_fd: int, bucket: str) -> None:
        """Return when the folder ``bucket_fd`` is still the bucket; raise
        ``BucketNotFoundError`` when it was deleted since it was opened.

        A ``delete_bucket`` that parked the folder meanwhile either puts it back (it found
        this write: the write is stored) or removes it (the write is gone): wait for which.
        """
        deadline = time.monotonic() + 10
        while True:
            try:
                now: int | None = os.stat(
                    bucket, dir_fd=self._buckets, follow_symlinks=False
                ).st_ino
            except FileNotFoundError:
                now = None
            here = os.fstat(bucket_fd)
            if now == here.st_ino:
                return
            if here.st_nlink == 0 or now is not None or time.monotonic() > deadline:
                raise BucketNotFoundError(
                    f"bucket {bucket!r} was deleted during the write",
                    resource=object_url("local", bucket),
                )
            time.sleep(0.0005)

    # -- reading ----------------------------------------------------------------------

    def open(self, bucket: str, key: str, *, describe: bool = True) -> Opened:
        """Open an object; its size, and (``describe``) its record, from the same inode."""
        where = object_url("local", bucket, key)
        *folders, leaf = key.split("/")
        missing = ObjectNotFoundError(f"no object {key!r} in bucket {bucket!r}", resource=where)
        bucket_fd = self._open_bucket(bucket)
        try:
            with Chain(bucket_fd) as chain:
                try:
                    chain.descend(folders, "key", create=False)
                    fd = os.open(leaf, _READ, dir_fd=chain.last)
                except (FileNotFoundError, NotADirectoryError):
                    raise missing from None
                except OSError as exc:
                    if exc.errno in LINK_ERRNOS:
                        raise ValidationError(
                            f"key reaches {leaf!r}, a symbolic link inside the local root: "
                            "links are never followed"
                        ) from None
                    raise
        finally:
            os.close(bucket_fd)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise missing
            info = self._describe(fd, key, st, describe)
        except BaseException:
            os.close(fd)
            raise
        return Opened(fd, info)

    def _describe(self, fd: int, key: str, st: os.stat_result, describe: bool) -> ObjectInfo:
        if not describe and self.format.late_etag:  # the size is the file's
            return ObjectInfo(key=key, size=st.st_size)
        size, record = self.format.read(fd, st.st_size)
        if not describe:
            return ObjectInfo(key=key, size=size)
        if record is None or not record.describes(st):  # bytes placed by hand: defaults
            record = Record(None, DEFAULT_CONTENT_TYPE, {})
        if not record.etag:
            record = self._late_etag(fd, size, st, record)
        return ObjectInfo(
            key=key,
            size=size,
            etag=record.etag,
            content_type=record.content_type,
            last_modified=datetime.fromtimestamp(st.st_mtime, tz=_UTC),
            metadata=record.metadata,
        )

    def _late_etag(self, fd: int, size: int, st: os.stat_result, record: Record) -> Record:
        """The MD5 of an object written without one (a large file streamed from a path),
        computed once and, where the format allows, kept in its record."""
        record = record._replace(etag=md5_of(fd, size), stamp=[st.st_size, st.st_mtime_ns])
        if self.format.late_etag:
            with contextlib.suppress(OSError):
                self.format.add_etag(fd, record)
        return record

    # -- listing ----------------------------------------------------------------------

    def listing(
        self, bucket: str, parts: list[str], rest: str, *, one_level: bool
    ) -> Iterator[ObjectInfo]:
        """Objects (and with ``one_level`` the folders as prefixes) of the folder ``parts``
        whose names start with ``rest``, in key order.

        Raises:
            BucketNotFoundError: no such bucket (at the first item).
            ValidationError: the folder is reached through a link.
        """
        bucket_fd = self._open_bucket(bucket)
        try:
            try:
                chain = Chain(bucket_fd).descend(parts, "prefix", create=False)
            except (FileNotFoundError, NotADirectoryError):
                return
            with chain:
                path = os.sep.join([self._buckets_path, bucket, *parts])
                base = "".join(f"{part}/" for part in parts)
                yield from self._walk(chain.last, path, base, rest, one_level)
        finally:
            os.close(bucket_fd)

    def _walk(
        self, folder: int, path: str, base: str, rest: str, one_level: bool
    ) -> Iterator[ObjectInfo]:
        found: list[tuple[bytes, os.DirEntry[str], bool]] = []
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if rest and not name.startswith(rest):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    found.append(((name + "/").encode("utf-8", "surrogateescape"), entry, True))
                elif entry.is_file(follow_symlinks=False):
                    found.append((name.encode("utf-8", "surrogateescape"), entry, False))
        found.sort(key=lambda item: item[0])
        read_at = self.format.read_at
        for _, entry, is_dir in found:
            name = entry.name
            if is_dir:
                try:
                    sub = os.open(name, FOLDER_FLAGS, dir_fd=folder)
                except OSError:
                    continue  # removed meanwhile (or replaced by a link: never followed)
                try:
                    if one_level:
                        if holds_file(sub):
                            yield ObjectInfo(key=f"{base}{name}/", is_prefix=True)
                    else:
                        yield from self._walk(
                            sub, f"{path}{os.sep}{name}", f"{base}{name}/", "", False
                        )
                finally:
                    os.close(sub)
                continue
            try:
                record = read_at(folder, path, name)
            except OSError:
                continue  # deleted meanwhile
            if record is None or not record.etag or record.stamp is None:
                described = self._reopen(folder, name, f"{base}{name}")
                if described is not None:
                    yield described
                continue
            size, mtime_ns = record.stamp
            yield ObjectInfo(
                key=f"{base}{name}",
                size=size,
                etag=record.etag,
                content_type=record.content_type,
                last_modified=datetime.fromtimestamp(mtime_ns / 1e9, tz=_UTC),
                metadata=record.metadata,
            )

    def _reopen(self, folder: int, name: str, key: str) -> ObjectInfo | None:
        """Describe an object whose record lacks an etag (computed, then kept)."""
        try:
            fd = os.open(name, _READ, dir_fd=folder)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            return self._describe(fd, key, st, True) if stat.S_ISREG(st.st_mode) else None
        finally:
            os.close(fd)

    # -- deleting ---------------------------------------------------------------------

    def delete(self, bucket: str, key: str) -> None:
        """Delete an object, then the folders it leaves empty (nothing when absent).

        Raises:
            BucketNotFoundError: the bucket does not exist.
        """
        *folders, leaf = key.split("/")
        bucket_fd = self._open_bucket(bucket)
        try:
            with Chain(bucket_fd) as chain:
                try:
                    chain.descend(folders, "key", create=False)
                    mode = os.stat(leaf, dir_fd=chain.last, follow_symlinks=False).st_mode
                except (FileNotFoundError, NotADirectoryError):
                    return
                if stat.S_ISLNK(mode):
                    raise ValidationError(
                        f"key reaches {leaf!r}, a symbolic link inside the local root: "
                        "links are never followed"
                    )
                if stat.S_ISDIR(mode):
                    return  # a folder of other keys is not an object
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leaf, dir_fd=chain.last)
                for depth in range(len(folders), 0, -1):  # prune folders left empty
                    try:
                        os.rmdir(folders[depth - 1], dir_fd=chain.fds[depth - 1])
                    except OSError as exc:
                        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                            break
                        raise
        finally:
            os.close(bucket_fd)

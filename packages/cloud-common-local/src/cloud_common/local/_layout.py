"""The layout marker ``storage/layout``, and the migration of roots written by 0.2.

The marker names the record format of the root (``_records.py``), chosen once when the
root is first used. A 0.2 root (objects under ``storage/buckets``, their metadata in
``storage/meta``, lock files in ``storage/locks``, cached MD5s in ``storage/etags``) is
migrated in place by the first client that opens it: each object's metadata is sealed into
its data file, then the three side trees are removed and the marker written. Clients of
0.2 must not write to the root while it is migrated.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import stat
import uuid
from typing import Any

from cloud_common.core import ValidationError
from cloud_common.local._folders import open_child, remove_tree
from cloud_common.local._records import (
    DEFAULT_CONTENT_TYPE,
    FORMATS,
    Record,
    RecordFormat,
    xattrs_work,
)
from cloud_common.local._root import NOFOLLOW
from cloud_common.local._transfer import copy_fd_range, md5_of, write_all

__all__ = ["LAYOUT_FILE", "LEGACY_TREES", "open_layout"]

logger = logging.getLogger(__name__)

LAYOUT_FILE = "layout"
LEGACY_TREES = ("meta", "etags", "locks")
_VERSION = "2"


def open_layout(storage: int, where: str, buckets: int, tmp: int) -> RecordFormat:
    """The record format of the root whose ``storage`` folder is open; a new root gets one
    (``xattr`` where the file system takes user extended attributes, else ``trailer``),
    a 0.2 root is migrated first.

    Raises:
        ValidationError: the marker is a link, or names a layout this version cannot read.
    """
    found = _read_marker(storage, where)
    if found is not None:
        return found
    fcntl.flock(storage, fcntl.LOCK_EX)  # one process decides (and migrates)
    try:
        found = _read_marker(storage, where)
        if found is not None:
            return found
        chosen = FORMATS["xattr" if xattrs_work(tmp) else "trailer"]
        if any(_exists(storage, tree) for tree in LEGACY_TREES):
            migrated = _migrate(storage, buckets, tmp, chosen)
            logger.info(
                "migrated %d objects of %s to storage layout %s (%s)",
                migrated,
                where,
                _VERSION,
                chosen.name,
            )
        _write_marker(storage, tmp, chosen)
        return chosen
    finally:
        fcntl.flock(storage, fcntl.LOCK_UN)


def _exists(folder: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _read_marker(storage: int, where: str) -> RecordFormat | None:
    try:
        fd = os.open(LAYOUT_FILE, os.O_RDONLY | NOFOLLOW, dir_fd=storage)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValidationError(
            f"{where}/{LAYOUT_FILE} is unreadable or a link: {exc.strerror}", provider="local"
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValidationError(f"{where}/{LAYOUT_FILE} is not a file", provider="local")
        text = os.read(fd, 4096).decode("utf-8", "replace")
    finally:
        os.close(fd)
    fields = dict(line.split(" ", 1) for line in text.splitlines() if " " in line)
    fmt = FORMATS.get(fields.get("format", ""))
    if fields.get("layout") != _VERSION or fmt is None:
        raise ValidationError(
            f"{where} was written by another version of cloud-common-local (layout "
            f"{fields.get('layout')!r}, format {fields.get('format')!r}): upgrade "
            "cloud-common-local to use it",
            provider="local",
        )
    if fmt.name == "xattr" and not hasattr(os, "setxattr"):
        raise ValidationError(
            f"{where} keeps object metadata in extended attributes, which Python cannot "
            "read on this system: use the root on Linux",
            provider="local",
        )
    return fmt


def _write_marker(storage: int, tmp: int, fmt: RecordFormat) -> None:
    name = f"layout-{uuid.uuid4().hex}"
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600, dir_fd=tmp)
    try:
        write_all(fd, f"layout {_VERSION}\nformat {fmt.name}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(name, LAYOUT_FILE, src_dir_fd=tmp, dst_dir_fd=storage)


def _migrate(storage: int, buckets: int, tmp: int, fmt: RecordFormat) -> int:
    """Seal each 0.2 object's metadata into its file; remove the side trees."""
    count = 0
    meta = _open_optional(storage, "meta")
    etags = _open_optional(storage, "etags")
    try:
        count = _migrate_folder(buckets, meta, etags, tmp, fmt)
    finally:
        for fd in (meta, etags):
            if fd is not None:
                os.close(fd)
    for tree in LEGACY_TREES:
        remove_tree(storage, tree)
    return count


def _open_optional(parent: int | None, name: str) -> int | None:
    if parent is None:
        return None
    try:
        return open_child(parent, name, "layout", create=False)
    except (OSError, ValidationError):
        return None


def _migrate_folder(
    folder: int, meta: int | None, etags: int | None, tmp: int, fmt: RecordFormat
) -> int:
    count = 0
    with os.scandir(folder) as entries:
        listed = [
            (e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False))
            for e in entries
        ]
    for name, is_dir, is_file in listed:
        if is_dir:
            sub = open_child(folder, name, "layout", create=False)
            sub_meta = _open_optional(meta, name)
            sub_etags = _open_optional(etags, name)
            try:
                count += _migrate_folder(sub, sub_meta, sub_etags, tmp, fmt)
            finally:
                for fd in (sub, sub_meta, sub_etags):
                    if fd is not None:
                        os.close(fd)
        elif is_file:
            _migrate_object(folder, name, meta, etags, tmp, fmt)
            count += 1
    return count


def _legacy_json(folder: int | None, name: str) -> dict[str, Any] | None:
    if folder is None:
        return None
    try:
        fd = os.open(name, os.O_RDONLY | NOFOLLOW, dir_fd=folder)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            found = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _migrate_object(
    folder: int, name: str, meta: int | None, etags: int | None, tmp: int, fmt: RecordFormat
) -> None:
    fd = os.open(name, os.O_RDONLY | NOFOLLOW, dir_fd=folder)
    try:
        st = os.fstat(fd)
        if fmt.read(fd, st.st_size)[1] is not None:
            return  # sealed by an interrupted migration already
        fingerprint = [st.st_ino, st.st_size, st.st_mtime_ns]
        old = _legacy_json(meta, name)
        cached = _legacy_json(etags, name)
        record = Record(None, DEFAULT_CONTENT_TYPE, {})
        if old is not None and old.get("fingerprint") == fingerprint:
            record = Record(
                old.get("etag") or None,
                old.get("content_type") or DEFAULT_CONTENT_TYPE,
                dict(old.get("metadata") or {}),
            )
        if not record.etag and cached is not None and cached.get("fingerprint") == fingerprint:
            record = record._replace(etag=cached.get("etag") or None)
        if fmt.late_etag:
            fmt.seal(fd, record)
            return
        if not record.etag:  # a trailer cannot gain an etag later
            record = record._replace(etag=md5_of(fd, st.st_size))
        copy_name = f"migrate-{uuid.uuid4().hex}"
        out = os.open(copy_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600, dir_fd=tmp)
        try:
            copy_fd_range(fd, out, 0, st.st_size)
            fmt.seal(out, record)
            os.fsync(out)
            os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))
        except BaseException:
            os.close(out)
            with contextlib.suppress(OSError):
                os.unlink(copy_name, dir_fd=tmp)
            raise
        os.close(out)
        os.rename(copy_name, name, src_dir_fd=tmp, dst_dir_fd=folder)
    finally:
        os.close(fd)

"""How an object's metadata travels with its bytes: one record sealed into the data file.

An object is one file. Its record (etag, content type, user metadata) is written into that
same file *before* the file is renamed into place, so one rename makes bytes and metadata
visible together, and a reader that opened the file reads both from the same inode: no
lock, no sidecar, no retry.

Two formats, chosen once per root and written in ``storage/layout``:

- ``xattr`` (where Python has ``os.setxattr``: Linux): the record is the extended
  attribute ``user.ccl`` of the data file; the file holds exactly the object's bytes.
  Listing reads the attribute without opening the file.
- ``trailer`` (elsewhere, e.g. macOS, or a file system without user xattrs): the record
  follows the bytes, then its length (4 bytes, big-endian) and ``MAGIC``. Readers stop at
  the object's size. Listing opens each file to read its trailer (slower).
"""

from __future__ import annotations

import errno
import json
import os
import struct
from typing import NamedTuple

from cloud_common.local._transfer import write_all

__all__ = [
    "ATTRIBUTE",
    "DEFAULT_CONTENT_TYPE",
    "FORMATS",
    "MAGIC",
    "Record",
    "RecordFormat",
    "TrailerFormat",
    "XattrFormat",
    "xattrs_work",
]

DEFAULT_CONTENT_TYPE = "application/octet-stream"
ATTRIBUTE = "user.ccl"
MAGIC = b"CCL2"
_TAIL = struct.Struct(">I4s")
_HEAD = struct.Struct(">BB16sQq")  # version, flags, MD5, size, mtime_ns
_VERSION = 2
_HAS_ETAG = 1
_HAS_STAMP = 2


class Record(NamedTuple):
    """What is known about one object version besides its bytes."""

    etag: str | None
    content_type: str
    metadata: dict[str, str]
    #: ``[size, mtime_ns]`` of the bytes it describes (xattr format): bytes changed in
    #: place by hand no longer match, and get defaults.
    stamp: list[int] | None = None

    def encode(self) -> bytes:
        """34 bytes (version, flags, MD5, size, mtime_ns), then the content type (empty for
        the default), then NUL and the user metadata as JSON when there is any.

        Short on purpose: an object with a common content type and no user metadata fits
        in ext4's inode (no 4 KiB attribute block per object), and a listing decodes it
        without a parse."""
        flags = 0
        digest = b""
        if self.etag and len(self.etag) == 32:
            try:
                digest = bytes.fromhex(self.etag)
                flags |= _HAS_ETAG
            except ValueError:
                digest = b""
        size, mtime = self.stamp if self.stamp else (0, 0)
        if self.stamp:
            flags |= _HAS_STAMP
        ctype = "" if self.content_type == DEFAULT_CONTENT_TYPE else self.content_type
        tail = ctype.encode("utf-8")
        if self.metadata:
            tail += b"\x00" + json.dumps(self.metadata, ensure_ascii=False).encode("utf-8")
        return _HEAD.pack(_VERSION, flags, digest, size, mtime) + tail

    def describes(self, st: os.stat_result) -> bool:
        """False when the file was changed in place since the record was sealed."""
        return self.stamp is None or self.stamp == [st.st_size, st.st_mtime_ns]

    @classmethod
    def decode(cls, raw: bytes) -> Record | None:
        """The record ``encode`` wrote; None for anything else."""
        if len(raw) < _HEAD.size:
            return None
        version, flags, digest, size, mtime = _HEAD.unpack_from(raw)
        if version != _VERSION:
            return None
        ctype, _, meta = raw[_HEAD.size :].partition(b"\x00")
        try:
            metadata = json.loads(meta) if meta else {}
            content_type = ctype.decode("utf-8") or DEFAULT_CONTENT_TYPE
        except ValueError:
            return None
        if not isinstance(metadata, dict):
            return None
        return cls(
            digest.hex() if flags & _HAS_ETAG else None,
            content_type,
            metadata,
            [size, mtime] if flags & _HAS_STAMP else None,
        )


class RecordFormat:
    """Where a record lives in the data file (see the module docstring)."""

    name = ""
    #: True when a record can gain an etag after the file is placed (large streamed files).
    late_etag = False

    def seal(self, fd: int, record: Record) -> None:
        """Write ``record`` into ``fd``, whose bytes are complete (position at their end)."""
        raise NotImplementedError

    def read(self, fd: int, file_size: int) -> tuple[int, Record | None]:
        """``(object size, record or None)`` of an open data file."""
        raise NotImplementedError

    def read_at(self, dir_fd: int, path: str, name: str) -> Record | None:
        """The record of the entry ``name`` of an open folder (``path`` is that folder),
        its ``stamp`` (object size, modification time) set: what a listing needs."""
        raise NotImplementedError

    def add_etag(self, fd: int, record: Record) -> None:
        """Record an etag computed after the file was placed (only with ``late_etag``)."""


class XattrFormat(RecordFormat):
    name = "xattr"
    late_etag = True

    def seal(self, fd: int, record: Record) -> None:
        st = os.fstat(fd)  # setting an attribute leaves the modification time alone
        os.setxattr(fd, ATTRIBUTE, record._replace(stamp=[st.st_size, st.st_mtime_ns]).encode())

    def read(self, fd: int, file_size: int) -> tuple[int, Record | None]:
        try:
            raw = os.getxattr(fd, ATTRIBUTE)
        except OSError as exc:
            if exc.errno in (errno.ENODATA, errno.ENOTSUP):
                return file_size, None
            raise
        return file_size, Record.decode(raw)

    def read_at(self, dir_fd: int, path: str, name: str) -> Record | None:
        # The entry was just listed as a regular file; its last component is never
        # followed. One call and no open: the record's stamp gives size and time.
        try:
            raw = os.getxattr(f"{path}/{name}", ATTRIBUTE, follow_symlinks=False)
        except OSError:
            return None
        return Record.decode(raw)

    def add_etag(self, fd: int, record: Record) -> None:
        os.setxattr(fd, ATTRIBUTE, record.encode())


class TrailerFormat(RecordFormat):
    name = "trailer"

    def seal(self, fd: int, record: Record) -> None:
        blob = record.encode()
        write_all(fd, blob + _TAIL.pack(len(blob), MAGIC))

    def read(self, fd: int, file_size: int) -> tuple[int, Record | None]:
        if file_size < _TAIL.size:
            return file_size, None
        length, magic = _TAIL.unpack(os.pread(fd, _TAIL.size, file_size - _TAIL.size))
        size = file_size - _TAIL.size - length
        if magic != MAGIC or size < 0:
            return file_size, None
        return size, Record.decode(os.pread(fd, length, size))

    def read_at(self, dir_fd: int, path: str, name: str) -> Record | None:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        try:
            st = os.fstat(fd)
            size, record = self.read(fd, st.st_size)
        finally:
            os.close(fd)
        return None if record is None else record._replace(stamp=[size, st.st_mtime_ns])


FORMATS: dict[str, RecordFormat] = {f.name: f for f in (XattrFormat(), TrailerFormat())}


def xattrs_work(dir_fd: int) -> bool:
    """True when a file created in ``dir_fd`` takes a user extended attribute."""
    if not hasattr(os, "setxattr"):
        return False
    name = f".xattr-probe-{os.getpid()}"
    try:
        fd = os.open(
            name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd
        )
    except OSError:
        return False
    try:
        os.setxattr(fd, ATTRIBUTE, b"{}")
        return os.getxattr(fd, ATTRIBUTE) == b"{}"
    except OSError:
        return False
    finally:
        os.close(fd)
        os.unlink(name, dir_fd=dir_fd)

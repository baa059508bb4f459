"""Moving bytes in bounded memory: hashed writes and kernel copies."""

from __future__ import annotations

import hashlib
import io
import os
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO, cast

from cloud_common.core import SupportsWrite, ValidationError

__all__ = [
    "CHUNK",
    "copy_fd_range",
    "copy_file_durable",
    "copy_to_stream",
    "md5_of",
    "open_bounded",
    "write_all",
    "write_hashed",
]

CHUNK = 8 << 20
"""Bytes per read in a streamed transfer; memory in use stays at two of these."""
_SYNC_EVERY = 64 << 20


def write_all(fd: int, data: memoryview | bytes) -> None:
    """``os.write`` until every byte is written."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def md5_of(fd: int, size: int) -> str:
    """The MD5 (hex) of the first ``size`` bytes of ``fd``, read in ``CHUNK`` slices."""
    digest = hashlib.md5(usedforsecurity=False)
    offset = 0
    while offset < size:
        chunk = os.pread(fd, min(CHUNK, size - offset), offset)
        if not chunk:
            break
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


def _reader(source: Any) -> Callable[[bytearray], int]:
    readinto = getattr(source, "readinto", None)
    if readinto is not None:
        return readinto  # type: ignore[no-any-return]

    def read_into(buffer: bytearray) -> int:
        data = source.read(len(buffer))
        if not data:
            return 0
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValidationError(
                f"source.read() returned {type(data).__name__}: open the file in binary mode"
            )
        size = len(data)
        buffer[:size] = data
        return size

    return read_into


def write_hashed(source: Any, fd: int, *, durable: bool) -> tuple[str, int]:
    """Copy a binary file object into ``fd``; return ``(md5 hex, size)``.

    MD5 runs on a second thread while the next chunk is written, and with ``durable`` the
    data is flushed to disk while later chunks are still written, so the caller's final
    ``fsync`` has little left to do.
    """
    read_into = _reader(source)
    digest = hashlib.md5(usedforsecurity=False)
    buffers = (bytearray(CHUNK), bytearray(CHUNK))
    size = 0
    unsynced = 0
    which = 0
    hashing: Future[None] | None = None
    syncing: Future[None] | None = None
    with ThreadPoolExecutor(2, thread_name_prefix="cloud-common-local-io") as pool:
        while True:
            buffer = buffers[which]
            count = read_into(buffer)
            if hashing is not None:
                hashing.result()
            if not count:
                break
            view = memoryview(buffer)[:count]
            hashing = pool.submit(digest.update, view)
            write_all(fd, view)
            size += count
            unsynced += count
            if durable and unsynced >= _SYNC_EVERY and (syncing is None or syncing.done()):
                if syncing is not None:
                    syncing.result()
                syncing = pool.submit(_datasync, fd)
                unsynced = 0
            which ^= 1
        if syncing is not None:
            syncing.result()
    return digest.hexdigest(), size


def copy_file_durable(src: int, dst: int, size: int, *, durable: bool) -> int:
    """Copy the first ``size`` bytes of ``src`` into ``dst`` with kernel copies; with
    ``durable``, flush written slices to disk while later ones are copied (the caller's
    final ``fsync`` then has little left to do)."""
    done = 0
    syncing: Future[None] | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="cloud-common-local-sync") as pool:
        while done < size:
            copied = copy_fd_range(src, dst, done, min(_SYNC_EVERY, size - done))
            if copied == 0:
                break
            done += copied
            if durable and (syncing is None or syncing.done()):
                if syncing is not None:
                    syncing.result()
                syncing = pool.submit(_datasync, dst)
        if syncing is not None:
            syncing.result()
    return done


def _datasync(fd: int) -> None:
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)


def copy_fd_range(src: int, dst: int, offset: int, count: int) -> int:
    """Copy ``count`` bytes of ``src`` from ``offset`` to ``dst``'s current position.

    Uses ``sendfile`` on Linux, else (or when it refuses the pair) ``pread`` and ``write``.
    Returns the bytes copied (fewer only when ``src`` is shorter).
    """
    done = 0
    kernel = sys.platform.startswith("linux")
    while done < count:
        want = min(count - done, 1 << 30)
        copied = -1
        if kernel:
            try:
                copied = os.sendfile(dst, src, offset + done, want)
            except OSError:
                kernel = False
        if copied < 0:
            data = os.pread(src, min(want, CHUNK), offset + done)
            write_all(dst, data)
            copied = len(data)
        if copied == 0:
            break
        done += copied
    return done


def copy_to_stream(src: int, dest: SupportsWrite, offset: int, count: int) -> int:
    """Copy ``count`` bytes of ``src`` from ``offset`` to a binary stream; the bytes copied.

    A writable file on disk (``FileIO``, or a ``BufferedWriter`` over one: what ``open(path,
    "wb")`` returns) is flushed and then written by the kernel (``sendfile``) at its current
    position; any other stream gets ``write()`` calls of at most ``CHUNK`` bytes.
    """
    if isinstance(dest, (io.FileIO, io.BufferedWriter)):
        raw = dest.raw if isinstance(dest, io.BufferedWriter) else dest
        if isinstance(raw, io.FileIO) and not raw.closed and raw.writable():
            dest.flush()
            return copy_fd_range(src, raw.fileno(), offset, count)
    done = 0
    while done < count:
        chunk = os.pread(src, min(CHUNK, count - done), offset + done)
        if not chunk:
            break
        dest.write(chunk)
        done += len(chunk)
    return done


class _Bounded(io.RawIOBase):
    """The first ``size`` bytes of a descriptor, as a raw stream (owns the descriptor)."""

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._size - self._pos)
        if want <= 0:
            return 0
        data = os.pread(self._fd, want, self._pos)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def open_bounded(fd: int, size: int) -> BinaryIO:
    """A binary file reading the first ``size`` bytes of ``fd`` (the whole file when that
    is its size); closing it closes ``fd``."""
    if os.fstat(fd).st_size == size:
        return os.fdopen(fd, "rb")
    return cast(BinaryIO, io.BufferedReader(_Bounded(fd, size)))

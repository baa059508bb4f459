"""``Pipe``: a bounded in-memory pipe between a download (writer) and an upload (reader).

Provider-to-provider copies stream through it without a temporary file. A failure on
either side reaches the other: the reader raises the writer's error instead of seeing an
end of file (so the upload fails and no truncated object is committed), and a reader that
stops makes the writer's next ``write`` raise ``BrokenPipeError``.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from typing import Final

__all__ = ["Pipe"]

_POLL: Final = 0.1
_EOF: Final = b""


class Pipe:
    """A pipe of at most ``max_chunks`` pending writes (each any size)."""

    def __init__(self, max_chunks: int = 8) -> None:
        self._chunks: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=max_chunks)
        self._buffer = memoryview(b"")
        self._done = False
        self._reader_closed = threading.Event()

    # -- writer side --------------------------------------------------------------------

    def _put(self, item: bytes | BaseException) -> None:
        while True:
            if self._reader_closed.is_set():
                raise BrokenPipeError("the upload side of the copy stopped")
            try:
                self._chunks.put(item, timeout=_POLL)
            except queue.Full:
                continue
            return

    def write(self, data: bytes | bytearray | memoryview) -> int:
        size = len(data)
        if size:
            self._put(bytes(data))
        return size

    def finish(self) -> None:
        """Signal the end of the data (the reader then sees end of file)."""
        self._put(_EOF)

    def fail(self, error: BaseException) -> None:
        """Make the reader raise ``error`` instead of seeing end of file."""
        with contextlib.suppress(BrokenPipeError):
            self._put(error)

    # -- reader side --------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def _next(self) -> bool:
        if self._done:
            return False
        item = self._chunks.get()
        if isinstance(item, BaseException):
            self._done = True
            raise OSError(f"the download side of the copy failed: {item}") from item
        if not item:
            self._done = True
            return False
        self._buffer = memoryview(item)
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            parts = [bytes(self._buffer)]
            self._buffer = memoryview(b"")
            while self._next():
                parts.append(bytes(self._buffer))
                self._buffer = memoryview(b"")
            return b"".join(parts)
        out = bytearray()
        while len(out) < size:
            if not self._buffer and not self._next():
                break
            take = self._buffer[: size - len(out)]
            out += take
            self._buffer = self._buffer[len(take) :]
        return bytes(out)

    def close(self) -> None:
        """Reader side: stop; a writer still writing gets ``BrokenPipeError``."""
        self._reader_closed.set()

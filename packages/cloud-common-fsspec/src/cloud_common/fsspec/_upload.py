"""Streamed writes: fsspec pushes chunks, ``upload_stream`` pulls them.

``StreamedUpload`` runs ``upload_stream`` in a thread, reading from a ``ChunkPipe`` that
holds at most ``depth`` chunks: a writer blocks while the provider is behind, so memory
stays bounded by ``depth`` blocks plus the provider's own part buffer. ``abort()`` makes
the next ``read()`` fail, so the provider abandons the upload and no object appears.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

__all__ = ["ChunkPipe", "StreamedUpload", "UploadAborted"]

_EOF = b""
_POLL = 0.05


class UploadAborted(OSError):
    """Raised inside the provider's read when the writer gave up: the upload must fail."""


class ChunkPipe:
    """A binary stream read by the provider, fed chunk by chunk by the writer."""

    def __init__(self, depth: int = 2) -> None:
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._current = memoryview(b"")
        self._done = False

    # -- the writer's side ---------------------------------------------------------------

    def put(self, data: bytes | None, alive: Callable[[], bool]) -> bool:
        """Queue ``data`` (None: abort; ``b""``: end of stream). False when the reader
        stopped (``alive()`` turned False) before taking it."""
        while True:
            try:
                self._chunks.put(data, timeout=_POLL)
            except queue.Full:
                if not alive():
                    return False
            else:
                return True

    # -- the provider's side -------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """``size`` bytes, fewer only at the end of the stream (all that remain for
        ``size < 0``); ``b""`` at the end. Like a buffered file, never a short read before
        the end: some uploaders take a short read for the end of the stream."""
        parts: list[bytes] = []
        wanted = -1 if size is None or size < 0 else size
        while wanted != 0:
            if not self._current:
                if self._done:
                    break
                item = self._chunks.get()
                if item is None:
                    self._done = True
                    raise UploadAborted("the writer aborted the upload")
                if item == _EOF:
                    self._done = True
                self._current = memoryview(item)
                continue
            take = len(self._current) if wanted < 0 else min(wanted, len(self._current))
            parts.append(bytes(self._current[:take]))
            self._current = self._current[take:]
            if wanted > 0:
                wanted -= take
        return b"".join(parts)


class StreamedUpload:
    """One upload in progress: ``send(pipe)`` (which calls ``upload_stream``) in a thread."""

    def __init__(self, send: Callable[[ChunkPipe], object], depth: int = 2) -> None:
        self._pipe = ChunkPipe(depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(send,), name="cloud-common-fsspec-upload", daemon=True
        )
        self._thread.start()

    def _run(self, send: Callable[[ChunkPipe], object]) -> None:
        try:
            send(self._pipe)
        except BaseException as exc:  # noqa: BLE001 - handed to the writer's thread
            self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error
        raise OSError("the upload stopped reading before the end of the stream")

    def write(self, data: bytes) -> None:
        """Hand one chunk to the provider; blocks while ``depth`` chunks are waiting.

        Raises:
            the provider's error, when the upload failed.
        """
        if data and not self._pipe.put(data, self._thread.is_alive):
            self._thread.join()
            self._raise()

    def finish(self) -> None:
        """End the stream and wait for the provider to complete the object.

        Raises:
            the provider's error, when the upload failed.
        """
        self._pipe.put(_EOF, self._thread.is_alive)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Make the provider abandon the upload; waits for it. Never raises."""
        self._pipe.put(None, self._thread.is_alive)
        self._thread.join()

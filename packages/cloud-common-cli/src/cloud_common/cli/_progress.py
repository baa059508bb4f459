"""Byte counting for transfers: a progress bar on a terminal, and cancellation.

Every transfer reads or writes through ``Counting*`` wrappers that add to one ``Meter``;
the meter raises ``Cancelled`` in them once ``cancel()`` was called (Ctrl-C), so the
transfers still running in worker threads stop at their next read or write and clean up.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from cloud_common.core import SupportsRead, SupportsWrite

__all__ = ["Cancelled", "CountingReader", "CountingWriter", "Meter"]


class Cancelled(Exception):
    """The command was interrupted; raised inside transfers still running."""


class Meter:
    """Bytes and files done; draws a bar (bytes, rate, ETA) when ``show`` is true."""

    def __init__(self, total_bytes: int | None, total_files: int, *, show: bool) -> None:
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self.bytes_done = 0
        self.files_done = 0
        self.total_files = total_files
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if show:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._progress.add_task(self._label(), total=total_bytes)

    @property
    def visible(self) -> bool:
        """True when a progress bar is drawn."""
        return self._progress is not None

    def _label(self) -> str:
        return f"{self.files_done}/{self.total_files} files"

    def __enter__(self) -> Meter:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def check(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled("interrupted")

    def cancel(self) -> None:
        self._cancelled.set()

    def advance(self, size: int) -> None:
        self.check()
        with self._lock:
            self.bytes_done += size
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=size)

    def file_done(self) -> None:
        with self._lock:
            self.files_done += 1
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=self._label())


class CountingReader:
    """A readable stream that reports what is read to a ``Meter``."""

    def __init__(self, stream: SupportsRead, meter: Meter) -> None:
        self._stream = stream
        self._meter = meter

    def read(self, size: int = -1) -> bytes:
        self._meter.check()
        data = self._stream.read(size)
        self._meter.advance(len(data))
        return data

    def readable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        # seek, tell, seekable, close...: as the stream has them; never a way around read()
        if name in ("fileno", "readinto", "readinto1", "read1", "readline", "readlines"):
            raise AttributeError(name)
        return getattr(self._stream, name)


class CountingWriter:
    """A writable stream that reports what is written to a ``Meter``."""

    def __init__(self, stream: SupportsWrite, meter: Meter) -> None:
        self._stream = stream
        self._meter = meter
        self.written = 0

    def write(self, data: bytes) -> int:
        self._meter.check()
        self._stream.write(data)
        size = len(data)
        self.written += size
        self._meter.advance(size)
        return size

    def writable(self) -> bool:
        return True

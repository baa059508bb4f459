"""How ``upload_stream`` sends a source in bounded memory.

A seekable source over 8 MiB goes up as one resumable session whose body is streamed
from the file in a single request: its CRC32C is computed first and declared when the
session opens (Cloud Storage rejects a corrupted object), and after a failure the upload
resumes from the offset the session committed. Anything else goes through the SDK: one
request, or ``chunk_size`` pieces for a non-seekable source.

Replays: a single-request upload carries no precondition, so it is not replayed once it
may have reached Cloud Storage (the object's generation would change behind a caller who
saw a failure); resumable sessions are replayed, since they resume at the offset the
session committed and finalise the object once.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, BinaryIO

from cloud_common.core import SupportsRead, TransientError, ValidationError

__all__ = ["send_stream"]

_SINGLE_REQUEST_LIMIT = 8 * 1024 * 1024
_READ_BLOCK = 1024 * 1024


def send_stream(
    blob: Any,
    handle: SupportsRead,
    content_type: str,
    *,
    retry: Any,
    timeout: tuple[float, float],
    scope: Callable[[bool], AbstractContextManager[Any]],
) -> None:
    """Upload what is left to read from ``handle`` into ``blob`` (built with a
    ``chunk_size``) with ``retry``; ``scope(replay_safe)`` bounds the transfer."""
    span = _seekable_span(handle)
    if span is not None and span[1] > _SINGLE_REQUEST_LIMIT:
        with scope(True):
            _stream_resumable(blob, handle, span[0], span[1], content_type, retry, timeout)
        return
    with scope(span is None):  # a seekable source here is one multipart request
        blob.upload_from_file(
            handle if span is not None else _ForwardReader(handle),
            size=span[1] if span is not None else None,
            content_type=content_type,
            checksum="crc32c",
            retry=retry,
            timeout=timeout,
        )


def _stream_resumable(
    blob: Any,
    handle: Any,
    start: int,
    size: int,
    content_type: str,
    retry: Any,
    timeout: tuple[float, float],
) -> None:
    from google.api_core import exceptions as gexc  # noqa: PLC0415

    checksum = _crc32c(handle, start, size)
    blob.crc32c = checksum
    client = blob.client
    session = blob.create_resumable_upload_session(
        content_type=content_type,
        size=size,
        client=client,
        timeout=timeout,
        checksum=None,
        retry=retry,
    )
    http = client._http
    first = [True]

    def finished(response: Any) -> dict[str, Any] | None:
        if response.status_code in (200, 201):
            body: dict[str, Any] = response.json()
            return body
        if response.status_code == 308:
            return None
        raise gexc.from_http_response(response)  # type: ignore[no-untyped-call]

    def attempt() -> dict[str, Any]:
        offset = 0
        if not first[0]:
            probe = http.put(
                session,
                data=b"",
                headers={"Content-Range": f"bytes */{size}", "Content-Length": "0"},
                timeout=timeout,
            )
            done = finished(probe)
            if done is not None:
                return done
            committed = probe.headers.get("Range", "")
            offset = int(committed.rsplit("-", 1)[1]) + 1 if committed else 0
        first[0] = False
        handle.seek(start + offset)
        response = http.put(
            session,
            data=_LimitedReader(handle, size - offset),
            headers={
                "Content-Range": f"bytes {offset}-{size - 1}/{size}",
                "Content-Length": str(size - offset),
                "Content-Type": content_type,
            },
            timeout=timeout,
        )
        done = finished(response)
        if done is None:
            raise gexc.ServiceUnavailable("the upload session is not complete yet")  # type: ignore[no-untyped-call]
        return done

    resource = retry(attempt)()
    stored = resource.get("crc32c")
    if stored and stored != checksum:
        raise TransientError(
            f"checksum mismatch after upload: sent crc32c {checksum}, stored {stored}"
        )


class _LimitedReader:
    """A file view of the next ``remaining`` bytes, streamed by requests (no buffering)."""

    def __init__(self, inner: BinaryIO, remaining: int) -> None:
        self._inner = inner
        self._left = remaining

    def __len__(self) -> int:
        return self._left

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size is None or size < 0 else min(size, self._left)
        data = self._inner.read(want)
        self._left -= len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while True:
            block = self.read(_READ_BLOCK)
            if not block:
                return
            yield block


class _ForwardReader:
    """A non-seekable source with the ``tell()`` the SDK's chunked upload asks for.

    Each chunk is read into memory and retried from there; only a seek to the current
    position is possible.
    """

    def __init__(self, inner: SupportsRead) -> None:
        self._inner = inner
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if (whence, offset) in ((os.SEEK_SET, self._pos), (os.SEEK_CUR, 0)):
            return self._pos
        raise ValidationError("the source is not seekable: the upload cannot be resumed")


def _seekable_span(handle: Any) -> tuple[int, int] | None:
    """``(start, size)`` of what is left in a seekable file, else None."""
    try:
        if not handle.seekable():
            return None
        start: int = handle.tell()
        end: int = handle.seek(0, os.SEEK_END)
        handle.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    return start, end - start


def _crc32c(handle: BinaryIO, start: int, size: int) -> str:
    """Base64 CRC32C of ``size`` bytes from ``start`` (as Cloud Storage reports it)."""
    import google_crc32c  # noqa: PLC0415

    checksum = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
    handle.seek(start)
    left = size
    while left > 0:
        block = handle.read(min(_READ_BLOCK, left))
        if not block:
            raise ValidationError("the source ended before its size was read")
        checksum.update(block)  # type: ignore[no-untyped-call]
        left -= len(block)
    handle.seek(start)
    return base64.b64encode(checksum.digest()).decode()  # type: ignore[no-untyped-call]

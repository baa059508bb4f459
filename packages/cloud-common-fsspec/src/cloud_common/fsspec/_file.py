"""``CloudFile``: random-access reads by ranged downloads, streamed writes in bounded memory."""

from __future__ import annotations

import io
import tempfile
from typing import TYPE_CHECKING, Any

from cloud_common.fsspec._errors import translated
from cloud_common.fsspec._paths import split_path
from cloud_common.fsspec._upload import StreamedUpload
from fsspec.spec import AbstractBufferedFile

if TYPE_CHECKING:
    from types import TracebackType

    from cloud_common.core import SupportsRead
    from cloud_common.fsspec._filesystem import CloudFileSystem

__all__ = ["READ_BLOCK_SIZE", "WRITE_BLOCK_SIZE", "CloudFile"]

READ_BLOCK_SIZE = 32 * 2**20
"""Default bytes per ranged read (32 MiB): few requests for sequential reads."""

WRITE_BLOCK_SIZE = 8 * 2**20
"""Default bytes per chunk handed to ``upload_stream`` (8 MiB): memory of a write."""

_SPOOL_IN_MEMORY = 16 * 2**20


class CloudFile(AbstractBufferedFile):  # type: ignore[misc]
    """A file of a ``CloudFileSystem`` (get one from ``fs.open``).

    Reading (``"rb"``): each block (``READ_BLOCK_SIZE`` by default) missing from fsspec's
    cache (``cache_type``, default ``"readahead"``) is one ``download_stream`` with a
    ``byte_range``.

    Writing (``"wb"``, ``"xb"``): a file smaller than one block (``WRITE_BLOCK_SIZE`` by
    default) is one ``upload_file`` at close; a larger one streams through ``upload_stream`` while it is written, holding at
    most two blocks. An exception inside ``with fs.open(...)`` abandons the write: no object
    appears and an existing one is left as it was. In a transaction (``autocommit=False``)
    the bytes are spooled to a temporary file and uploaded by ``commit()``.
    """

    DEFAULT_BLOCK_SIZE = WRITE_BLOCK_SIZE
    fs: CloudFileSystem

    def __init__(
        self,
        fs: CloudFileSystem,
        path: str,
        mode: str = "rb",
        block_size: int | str | None = "default",
        autocommit: bool = True,
        cache_type: str = "readahead",
        cache_options: dict[str, Any] | None = None,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        if block_size in ("default", None):
            block_size = READ_BLOCK_SIZE if mode == "rb" else WRITE_BLOCK_SIZE
        self.bucket, self.key = split_path(path)
        if not self.key:
            raise IsADirectoryError(f"{path!r} is a bucket, not an object")
        self.content_type = content_type
        self.metadata = metadata
        self._upload: StreamedUpload | None = None
        self._spool: tempfile.SpooledTemporaryFile[bytes] | None = None
        super().__init__(
            fs,
            path,
            mode,
            block_size,
            autocommit,
            cache_type=cache_type,
            cache_options=cache_options,
            **kwargs,
        )

    # -- reading -------------------------------------------------------------------------

    def _fetch_range(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        if start >= end:
            return b""
        return self.fs.read_range(self.bucket, self.key, start, end)

    # -- writing -------------------------------------------------------------------------

    def _initiate_upload(self) -> None:
        """Nothing yet: a file that ends within one block is sent in one request."""

    def _send(self, source: SupportsRead) -> object:
        with translated(self.path):
            return self.fs.client.upload_stream(
                self.bucket,
                self.key,
                source,
                content_type=self.content_type,
                metadata=self.metadata,
            )

    def _upload_chunk(self, final: bool = False) -> bool:
        data = self.buffer.getvalue()
        if not self.autocommit:
            if self._spool is None:
                self._spool = tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY)  # noqa: SIM115
            self._spool.write(data)
            return True
        if self._upload is None and final:
            self.fs.write_object(
                self.path, data, content_type=self.content_type, metadata=self.metadata
            )
            return True
        if self._upload is None:
            self._upload = StreamedUpload(self._send)
        try:
            self._upload.write(data)
            if final:
                upload, self._upload = self._upload, None
                upload.finish()
        except BaseException:
            self._abandon()
            raise
        return True

    def commit(self) -> None:
        """Upload what a transaction spooled (``autocommit=False``)."""
        spool, self._spool = self._spool, None
        if spool is None:  # discarded
            return
        with spool:
            spool.seek(0)
            self._send(spool)
        self.fs.invalidate_cache(self.path)

    def discard(self) -> None:
        """Drop what a transaction spooled."""
        spool, self._spool = self._spool, None
        if spool is not None:
            spool.close()

    def _abandon(self) -> None:
        upload, self._upload = self._upload, None
        if upload is not None:
            upload.abort()
        self.discard()
        self.buffer = io.BytesIO()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None and self.writable():
            self._abandon()
            self.closed = True
            return
        self.close()

"""The small HTTP server that honours presigned URLs: GET, HEAD and PUT on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import parse_qs, unquote, urlsplit

from cloud_common.core import (
    BucketNotFoundError,
    CloudError,
    ConflictError,
    NotFoundError,
    ObjectNotFoundError,
    ValidationError,
)
from cloud_common.core.validation import validate_bucket_name, validate_key
from cloud_common.local._info import PROVIDER
from cloud_common.local._presign import DEFAULT_PORT, check_signature, load_secret
from cloud_common.local._storage import LocalStorageClient

__all__ = ["HOST", "PresignServer", "RunningServer", "serve", "serve_in_thread"]

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
_COPY_CHUNK = 1 << 20


class _LimitedReader:
    """Reads exactly ``length`` bytes of a request body; a short body is an error."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size < 0 else min(size, self._left)
        data: bytes = self._stream.read(want)
        if not data:
            raise ConnectionError(f"the request body ended {self._left} bytes early")
        self._left -= len(data)
        return data


class PresignServer(ThreadingHTTPServer):
    """A threading HTTP server bound to 127.0.0.1 that serves one local root."""

    daemon_threads = True

    def __init__(
        self, root: str | os.PathLike[str] | None = None, port: int = DEFAULT_PORT
    ) -> None:
        self.storage = LocalStorageClient(root=root)
        self.secret = load_secret(self.storage.root)
        super().__init__((HOST, port), _Handler)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: the storage client's ``endpoint_url``."""
        return f"http://{HOST}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: PresignServer
    server_version = "cloud-common-local"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Log at DEBUG, without the query string (it holds the signature)."""
        logger.debug("%s %s -> %s", self.command, urlsplit(self.path).path, args[1:2])

    def _reply(
        self, status: HTTPStatus, text: str = "", headers: dict[str, str] | None = None
    ) -> None:
        body = (text or status.phrase).encode("utf-8") + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _target(self, method: str) -> tuple[str, str, str | None] | None:
        """Bucket, key and signed content type of a valid request; else reply and None."""
        parts = urlsplit(self.path)
        bucket, _, key = unquote(parts.path, errors="strict").lstrip("/").partition("/")
        try:
            validate_bucket_name(bucket, PROVIDER.bucket_rules)
            validate_key(key, filesystem=PROVIDER.filesystem_keys)
        except (ValidationError, UnicodeDecodeError):
            self._reply(HTTPStatus.BAD_REQUEST, "the path is not /<bucket>/<key>")
            return None
        query = parse_qs(parts.query, keep_blank_values=True)
        check = check_signature(self.server.secret, method, bucket, key, query)
        if not check.ok:
            logger.info("refused %s %s/%s: %s", self.command, bucket, key, check.reason)
            self._reply(HTTPStatus.FORBIDDEN, f"403 Forbidden: {check.reason}")
            return None
        return bucket, key, check.content_type

    def do_GET(self) -> None:
        self._get(head=False)

    def do_HEAD(self) -> None:
        self._get(head=True)

    def _get(self, *, head: bool) -> None:
        target = self._target("GET")
        if target is None:
            return
        bucket, key, _ = target
        try:
            handle, info = self.server.storage.open_object(bucket, key)
        except NotFoundError:
            self._reply(HTTPStatus.NOT_FOUND, f"404 Not Found: no object {key!r} in {bucket!r}")
            return
        except CloudError as exc:
            self._reply(HTTPStatus.INTERNAL_SERVER_ERROR, f"500: {exc.message}")
            return
        with handle:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", info.content_type or "application/octet-stream")
            self.send_header("Content-Length", str(info.size))
            self.send_header("ETag", f'"{info.etag}"')
            if info.last_modified is not None:
                self.send_header(
                    "Last-Modified", self.date_time_string(info.last_modified.timestamp())
                )
            self.end_headers()
            if not head:
                shutil.copyfileobj(handle, self.wfile, _COPY_CHUNK)

    def do_PUT(self) -> None:
        target = self._target("PUT")
        if target is None:
            return
        bucket, key, signed_type = target
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self._reply(HTTPStatus.LENGTH_REQUIRED, "411: send the body with a Content-Length")
            self.close_connection = True
            return
        sent_type = self.headers.get("Content-Type")
        if signed_type and sent_type != signed_type:
            self._reply(
                HTTPStatus.FORBIDDEN,
                f"403 Forbidden: the URL is signed for Content-Type {signed_type}",
            )
            self.close_connection = True
            return
        body = _LimitedReader(self.rfile, int(length_text))
        try:
            self.server.storage.upload_stream(
                bucket, key, cast(BinaryIO, body), content_type=signed_type or sent_type
            )
        except (BucketNotFoundError, ObjectNotFoundError):
            self.close_connection = True
            self._reply(HTTPStatus.NOT_FOUND, f"404 Not Found: no bucket {bucket!r}")
            return
        except ConflictError as exc:
            self.close_connection = True
            self._reply(HTTPStatus.CONFLICT, f"409 Conflict: {exc.message}")
            return
        except CloudError as exc:
            self.close_connection = True
            self._reply(HTTPStatus.INTERNAL_SERVER_ERROR, f"500: {exc.message}")
            return
        info = self.server.storage.stat_object(bucket, key)
        self._reply(HTTPStatus.OK, "", {"ETag": f'"{info.etag}"'})

    def _refuse(self) -> None:
        self._reply(
            HTTPStatus.METHOD_NOT_ALLOWED,
            "405: only GET, HEAD and PUT",
            {"Allow": "GET, HEAD, PUT"},
        )

    do_POST = do_DELETE = do_PATCH = do_OPTIONS = _refuse


class RunningServer:
    """A presign server running on a background thread; ``stop()`` it (or use ``with``)."""

    def __init__(self, server: PresignServer) -> None:
        self._server = server
        self.root: Path = server.storage.root
        self.base_url = server.base_url
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name="cloud-common-local-presign",
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket. Safe to call twice."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningServer(base_url={self.base_url!r}, root={str(self.root)!r})"


def serve_in_thread(root: str | os.PathLike[str] | None = None, *, port: int = 0) -> RunningServer:
    """Start the presign server in this process and return at once.

    ``port=0`` picks a free port; pass ``running.base_url`` as the storage client's
    ``endpoint_url`` (or ``metadata["endpoint_url"]``). The root defaults as for the
    clients (``$CLOUD_COMMON_LOCAL_ROOT``, then the per-user data folder).
    """
    return RunningServer(PresignServer(root, port))


def serve(root: str | os.PathLike[str] | None = None, *, port: int = DEFAULT_PORT) -> None:
    """Serve presigned URLs of ``root`` on 127.0.0.1 until interrupted."""
    server = PresignServer(root, port)
    logger.info("serving presigned URLs of %s on %s", server.storage.root, server.base_url)
    try:
        server.serve_forever()
    finally:
        server.server_close()

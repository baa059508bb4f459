"""The small HTTP server that honours presigned URLs: GET, HEAD and PUT on 127.0.0.1.

A threaded server with a real listen backlog. Every request gets an answer: a malformed
request line, header, path byte, signature or ``Content-Length`` is a 4xx, logged once in
one line (never with a traceback, never with the query string, which holds the
signature). A PUT may carry at most ``max_put_size`` bytes (default 5 GiB, S3's single
PUT); a connection silent for ``request_timeout`` seconds (default 60) gets 408 and is
closed.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import parse_qs, unquote, urlsplit

from cloud_common.core import (
    BucketNotFoundError,
    CloudCredentials,
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

__all__ = [
    "BACKLOG",
    "DEFAULT_MAX_PUT_SIZE",
    "HOST",
    "REQUEST_TIMEOUT",
    "PresignServer",
    "RunningServer",
    "serve",
    "serve_in_thread",
]

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
BACKLOG = 1024
"""Connections the kernel queues before the server accepts them (capped by the OS)."""
DEFAULT_MAX_PUT_SIZE = 5 * 1024**3
"""The largest PUT body by default: 5 GiB, S3's limit for a single PUT."""
REQUEST_TIMEOUT = 60.0
"""Seconds a connection may stay silent (request line, headers or body) before it gets 408
and is closed (the default of ``request_timeout``)."""

_COPY_CHUNK = 1 << 20
_DISCARD_LIMIT = 1 << 20
_LENGTH = re.compile(r"[0-9]{1,20}")
_QUERY = re.compile(r"\?\S*")
_ALLOW = {"Allow": "GET, HEAD, PUT"}
_TARGET = re.compile(r"[!-~]+")  # RFC 9112: other bytes of a URL are percent-encoded


def _without_query(text: str) -> str:
    """``text`` with every query string cut (signatures never reach a log)."""
    return _QUERY.sub("?...", text)


class _LimitedReader:
    """Reads exactly ``length`` bytes of a request body; a short body is an error.

    ``failure`` keeps what went wrong with the connection (storage translates it into a
    ``CloudError``; the server answers from the original)."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self._left = length
        self.failure: OSError | None = None

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size < 0 else min(size, self._left)
        try:
            data: bytes = self._stream.read(want)
        except OSError as exc:
            self.failure = exc
            raise
        if not data:
            self.failure = ConnectionError(f"the request body ended {self._left} bytes early")
            raise self.failure
        self._left -= len(data)
        return data


class PresignServer(ThreadingHTTPServer):
    """A threading HTTP server bound to 127.0.0.1 that serves one local root.

    Args:
        root: The local root (None: as the clients choose it).
        port: The port (0 picks a free one).
        credentials: What the server's storage client is built with (None: the
            environment); a root with accounts needs an account's keys here.
        max_put_size: The largest PUT body in bytes; larger ones get 413.
        request_timeout: Seconds a connection may stay silent before it gets 408 and is
            closed.

    Raises:
        ValidationError: ``max_put_size`` is not a positive int, ``request_timeout`` not a
            positive number.
    """

    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        port: int = DEFAULT_PORT,
        *,
        max_put_size: int = DEFAULT_MAX_PUT_SIZE,
        request_timeout: float = REQUEST_TIMEOUT,
        credentials: CloudCredentials | None = None,
    ) -> None:
        if isinstance(max_put_size, bool) or not isinstance(max_put_size, int) or max_put_size < 1:
            raise ValidationError(
                f"max_put_size {max_put_size!r} is invalid: a positive int of bytes"
            )
        if (
            isinstance(request_timeout, bool)
            or not isinstance(request_timeout, (int, float))
            or not 0 < request_timeout < float("inf")
        ):
            raise ValidationError(
                f"request_timeout {request_timeout!r} is invalid: a positive number of seconds"
            )
        self.max_put_size = max_put_size
        self.request_timeout = float(request_timeout)
        self.storage = LocalStorageClient(credentials, root=root)
        self.secret = load_secret(self.storage.root)
        super().__init__((HOST, port), _Handler)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: the storage client's ``endpoint_url``."""
        return f"http://{HOST}:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One DEBUG line for a connection that failed outside a request (the client
        went away, a timeout): no traceback on stderr."""
        exc = sys.exc_info()[1]
        logger.debug("connection from %s ended: %s: %s", client_address, type(exc).__name__, exc)


def _answering(method: Callable[[_Handler], None]) -> Callable[[_Handler], None]:
    """Whatever goes wrong while serving a request, the client gets one answer."""

    @functools.wraps(method)
    def serve(self: _Handler) -> None:
        try:
            method(self)
        except TimeoutError:
            self.close_connection = True
            self._why = "Request timed out: the body was not sent in time"
        except ConnectionError as exc:
            self.close_connection = True
            self._why = f"the connection failed: {exc}"
        except Exception as exc:  # noqa: BLE001 - answered and logged, never a traceback
            self.close_connection = True
            if self._responded:
                self._why = f"failed after the answer: {type(exc).__name__}: {exc}"
                return
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            if isinstance(exc, (ValidationError, ValueError, UnicodeError)):
                status = HTTPStatus.BAD_REQUEST
            message = exc.message if isinstance(exc, CloudError) else str(exc)
            self._reply(status, f"{int(status)}: {type(exc).__name__}: {message}")

    return serve


class _Handler(BaseHTTPRequestHandler):
    server: PresignServer
    server_version = "cloud-common-local"
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # a malformed request line still gets a status line
    _why: str = ""
    _responded: bool = False

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.request_timeout)

    # -- one answer and one log line per request ----------------------------------------

    def handle_one_request(self) -> None:
        self._why = ""
        self._responded = False
        self.command = ""
        self.path = ""
        super().handle_one_request()
        if not self._why or self._responded:
            return
        if not self._why.startswith("Request timed out"):  # the connection broke
            logger.info("%s: %s", self._what(), self._why)
        elif self.command:  # a request was started: it gets its answer
            with contextlib.suppress(OSError):
                self._reply(HTTPStatus.REQUEST_TIMEOUT, "408: the request was not sent in time")
        else:  # an idle connection
            logger.debug("closed a connection idle for %ss", self.server.request_timeout)

    def parse_request(self) -> bool:
        raw_line: bytes = getattr(self, "raw_requestline", b"")
        words = str(raw_line, "iso-8859-1").split()
        if len(words) != 3:
            self.requestline = ""
            self.request_version = self.default_request_version
            self.close_connection = True
            self._reply(
                HTTPStatus.BAD_REQUEST,
                "400: the request line is not 'METHOD /bucket/key?query HTTP/1.1'",
            )
            return False
        return super().parse_request()

    def send_response(self, code: int, message: str | None = None) -> None:
        self._responded = True
        super().send_response(code, message)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if isinstance(code, HTTPStatus):
            code = code.value
        status = int(code) if str(code).isdigit() else 0
        level = logging.INFO if status >= 400 else logging.DEBUG
        why = f": {self._why}" if self._why else ""
        logger.log(level, "%s -> %s%s", self._what(), code, why)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Keep the reason for the one line ``log_request`` writes."""
        self._why = _without_query(format % args)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        logger.debug("%s: %s", self._what(), _without_query(format % args))

    def _what(self) -> str:
        path = self.path.split("?", 1)[0] if self.path else "-"
        return f"{self.command or '-'} {path[:200]!r}"

    def _reply(
        self, status: HTTPStatus, text: str = "", headers: dict[str, str] | None = None
    ) -> None:
        if int(status) >= 400:
            self._why = text
        body = (text or status.phrase).encode("utf-8") + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # -- requests -------------------------------------------------------------------------

    def _target(self, method: str) -> tuple[str, str, str | None] | None:
        """Bucket, key and signed content type of a valid request; else reply and None."""
        try:
            if not _TARGET.fullmatch(self.path):
                raise ValueError("raw bytes outside printable ASCII in the request target")
            parts = urlsplit(self.path)
            path = unquote(parts.path, errors="strict")
            bucket, _, key = path.lstrip("/").partition("/")
            validate_bucket_name(bucket, PROVIDER.bucket_rules)
            validate_key(key, filesystem=PROVIDER.filesystem_keys)
        except (ValidationError, ValueError):
            self._refuse(HTTPStatus.BAD_REQUEST, "400: the path is not /<bucket>/<key>")
            return None
        try:
            query = parse_qs(parts.query, keep_blank_values=True, errors="strict")
            check = check_signature(self.server.secret, method, bucket, key, query)
        except (TypeError, ValueError):  # non-ASCII signature, undecodable query bytes
            self._refuse(HTTPStatus.FORBIDDEN, "403 Forbidden: the signature is malformed")
            return None
        if not check.ok:
            self._refuse(HTTPStatus.FORBIDDEN, f"403 Forbidden: {check.reason}")
            return None
        return bucket, key, check.content_type

    def _body_length(self) -> int | None:
        """The declared body length; None when there is no valid one."""
        values = [value.strip() for value in self.headers.get_all("Content-Length") or []]
        if len(set(values)) != 1 or not _LENGTH.fullmatch(values[0]):
            return None
        return int(values[0])

    def _refuse(self, status: HTTPStatus, text: str, headers: dict[str, str] | None = None) -> None:
        """Answer a request refused before its body was read (reading a small body keeps
        the connection usable; a large or unknown one closes it)."""
        length = self._body_length()
        if length is None and self.headers.get("Transfer-Encoding"):
            self.close_connection = True
        elif length:
            if length <= _DISCARD_LIMIT:
                self.rfile.read(length)
            else:
                self.close_connection = True
        self._reply(status, text, headers)

    @_answering
    def do_GET(self) -> None:
        self._get(head=False)

    @_answering
    def do_HEAD(self) -> None:
        self._get(head=True)

    def _get(self, *, head: bool) -> None:
        target = self._target("GET")
        if target is None:
            return
        bucket, key, _ = target
        if self.headers.get("Content-Length") or self.headers.get("Transfer-Encoding"):
            self._refuse(HTTPStatus.BAD_REQUEST, "400: a GET carries no body")
            return
        try:
            handle, info = self.server.storage.open_object(bucket, key)
        except NotFoundError:
            self._reply(HTTPStatus.NOT_FOUND, f"404 Not Found: no object {key!r} in {bucket!r}")
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

    @_answering
    def do_PUT(self) -> None:
        target = self._target("PUT")
        if target is None:
            return
        bucket, key, signed_type = target
        declared = self.headers.get_all("Content-Length")
        if self.headers.get("Transfer-Encoding") or not declared:
            self.close_connection = True
            self._reply(HTTPStatus.LENGTH_REQUIRED, "411: send the body with a Content-Length")
            return
        length = self._body_length()
        if length is None:
            self.close_connection = True
            self._reply(HTTPStatus.BAD_REQUEST, "400: Content-Length is not a number of bytes")
            return
        if length > self.server.max_put_size:
            self.close_connection = True
            self._reply(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"413: the body ({length} bytes) is larger than this server's "
                f"{self.server.max_put_size} bytes",
            )
            return
        sent_type = self.headers.get("Content-Type")
        if signed_type and sent_type != signed_type:
            self._refuse(
                HTTPStatus.FORBIDDEN,
                f"403 Forbidden: the URL is signed for Content-Type {signed_type}",
            )
            return
        body = _LimitedReader(self.rfile, length)
        try:
            try:
                self.server.storage.upload_stream(
                    bucket, key, cast(BinaryIO, body), content_type=signed_type or sent_type
                )
            except CloudError as exc:
                if body.failure is not None:  # the client's connection, not the storage
                    raise body.failure from exc
                raise
        except (BucketNotFoundError, ObjectNotFoundError):
            self.close_connection = True
            self._reply(HTTPStatus.NOT_FOUND, f"404 Not Found: no bucket {bucket!r}")
            return
        except ConflictError as exc:
            self.close_connection = True
            self._reply(HTTPStatus.CONFLICT, f"409 Conflict: {exc.message}")
            return
        except ValidationError as exc:
            self.close_connection = True
            self._reply(HTTPStatus.BAD_REQUEST, f"400: {exc.message}")
            return
        info = self.server.storage.stat_object(bucket, key)
        self._reply(HTTPStatus.OK, "", {"ETag": f'"{info.etag}"'})

    @_answering
    def _not_allowed(self) -> None:
        self._refuse(HTTPStatus.METHOD_NOT_ALLOWED, "405: only GET, HEAD and PUT", _ALLOW)

    do_POST = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's errors (unknown method, bad version, headers too long), as plain
        text, without echoing the request line."""
        self.close_connection = True
        status = HTTPStatus(code)
        text = f"{code}: {message or status.phrase}"
        if code == HTTPStatus.NOT_IMPLEMENTED:  # an unknown method
            self._reply(HTTPStatus.METHOD_NOT_ALLOWED, "405: only GET, HEAD and PUT", _ALLOW)
            return
        self._reply(status, _without_query(text))


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


def serve_in_thread(
    root: str | os.PathLike[str] | None = None,
    *,
    port: int = 0,
    max_put_size: int = DEFAULT_MAX_PUT_SIZE,
    request_timeout: float = REQUEST_TIMEOUT,
    credentials: CloudCredentials | None = None,
) -> RunningServer:
    """Start the presign server in this process and return at once.

    ``port=0`` picks a free port; pass ``running.base_url`` as the storage client's
    ``endpoint_url`` (or ``metadata["endpoint_url"]``). The root defaults as for the
    clients (``$CLOUD_COMMON_LOCAL_ROOT``, then the per-user data folder); a root with
    accounts needs ``credentials`` of one (or its keys in the environment).
    """
    return RunningServer(
        PresignServer(
            root,
            port,
            max_put_size=max_put_size,
            request_timeout=request_timeout,
            credentials=credentials,
        )
    )


def serve(
    root: str | os.PathLike[str] | None = None,
    *,
    port: int = DEFAULT_PORT,
    max_put_size: int = DEFAULT_MAX_PUT_SIZE,
) -> None:
    """Serve presigned URLs of ``root`` on 127.0.0.1 until interrupted."""
    server = PresignServer(root, port, max_put_size=max_put_size)
    logger.info("serving presigned URLs of %s on %s", server.storage.root, server.base_url)
    try:
        server.serve_forever()
    finally:
        server.server_close()

"""What the fakes share: an HTTP server on 127.0.0.1 (pytest-httpserver, one handler for
every path), Google's JSON error bodies, and a connection reset."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
from datetime import datetime, timezone
from typing import Any

__all__ = ["HttpError", "LocalServer", "google_error", "json_response", "now", "reset_connection"]

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def now() -> str:
    """The current time as Google APIs write it (RFC 3339, UTC, ``Z``)."""
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class HttpError(Exception):
    """Raised by a faked API: answered as ``status`` with the JSON ``payload``."""

    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload


def google_error(status: int, message: str, reason: str = "") -> HttpError:
    """An error in Google's JSON format (``{"error": {"code", "message", "status",
    "errors": [{"reason"}]}}``), to raise."""
    return HttpError(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "status": _STATUS_NAMES.get(status, "UNKNOWN"),
                "errors": [{"message": message, "domain": "global", "reason": reason or "invalid"}],
            }
        },
    )


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Any:
    """A werkzeug ``Response`` with a JSON body."""
    from werkzeug.wrappers import Response  # noqa: PLC0415

    data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return Response(data, status=status, content_type="application/json", headers=headers)


def reset_connection(request: Any) -> None:
    """Reset the TCP connection of ``request`` (RST, not FIN): the client sees a reset."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class LocalServer:
    """An HTTP server on a free port of 127.0.0.1 that answers every request with
    :meth:`handle`. ``start()``, use ``url``, ``stop()``."""

    def __init__(self) -> None:
        self._server: Any = None

    def start(self) -> Any:
        """Start serving; returns self."""
        import logging  # noqa: PLC0415

        from pytest_httpserver import HTTPServer  # noqa: PLC0415

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = HTTPServer(host="127.0.0.1", port=0)
        self._server.expect_request(re.compile(".*")).respond_with_handler(self.handle)
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving (safe to call twice)."""
        if self._server is not None and self._server.is_running():
            self._server.clear()
            self._server.stop()
        self._server = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return str(self._server.url_for("/")).rstrip("/")

    def handle(self, request: Any) -> Any:
        """Answer one request (a werkzeug ``Request``) with a werkzeug ``Response``."""
        raise NotImplementedError

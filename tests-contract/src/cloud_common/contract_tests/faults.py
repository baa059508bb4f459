"""Network faults the suite runs on 127.0.0.1 (usable in a provider's own tests too).

- ``Blackhole``: a server that accepts connections and never answers.
- ``ActedThenResetProxy``: an HTTP/1.1 proxy in front of a real fake. While armed it
  forwards a request, lets the fake act on it and answer, then resets the client's
  connection instead of relaying the answer: "the server acted, the reply was lost". It
  records every request it forwarded, so a test can see a replay.

A harness points a client at either with ``Harness.fault_client_options(service, url)``.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ActedThenResetProxy", "Blackhole", "Forwarded"]

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}
)


def _reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset (SO_LINGER 0), not an orderly FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Blackhole:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte."""

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self._held: list[socket.socket] = []
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.connections = 0
        self.url = ""

    def start(self) -> Blackhole:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        self._sock = sock
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, name="blackhole", daemon=True)
        self._thread.start()
        return self

    def _accept(self) -> None:
        sock = self._sock
        if sock is None:
            return
        sock.settimeout(0.1)  # so stop() is seen promptly
        while not self._stopping.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._held.append(conn)
                self.connections += 1

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        with self._lock:
            held, self._held = self._held, []
        for conn in held:
            _reset(conn)

    def __enter__(self) -> Blackhole:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class Forwarded:
    """One request the proxy forwarded to the fake."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    reset: bool
    """True when the proxy reset the client's connection instead of relaying the answer."""

    def same_request(self, other: Forwarded) -> bool:
        """True when ``other`` is a replay of this request (same method, path and body)."""
        return (self.method, self.path, self.body) == (other.method, other.path, other.body)


@dataclass
class _State:
    upstream: tuple[str, int]
    armed: int = 0
    methods: frozenset[str] = frozenset()
    forwarded: list[Forwarded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        """Quiet: requests carry signatures."""

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _proxy(self) -> None:
        state = self.server.state
        body = self._body()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        host, port = state.upstream
        upstream = http.client.HTTPConnection(host, port, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
        except OSError:
            self.close_connection = True
            _reset(self.connection)
            return
        finally:
            upstream.close()
        with state.lock:
            reset = state.armed > 0 and (not state.methods or self.command in state.methods)
            if reset:
                state.armed -= 1
            state.forwarded.append(Forwarded(self.command, self.path, headers, body, reset))
        if reset:
            self.close_connection = True
            _reset(self.connection)
            return
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(payload)))
        elif response.getheader("Content-Length") is not None:
            self.send_header("Content-Length", str(response.getheader("Content-Length")))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = _proxy


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


class ActedThenResetProxy:
    """An HTTP proxy on 127.0.0.1 in front of ``upstream`` (``http://host:port``).

    ``arm(n, methods)``: the next ``n`` requests (of ``methods``, default any) reach the
    fake, which acts and answers; the proxy then resets the client's connection. Requests
    after that are relayed normally. ``forwarded`` lists every request that reached the
    fake.
    """

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http://host:port URL, got {upstream!r}")
        self._state = _State((parts.hostname, parts.port or 80))
        self._server: _ProxyServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> ActedThenResetProxy:
        server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        server.state = self._state
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, name="fault-proxy")
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def arm(self, count: int = 1, methods: frozenset[str] = frozenset()) -> None:
        """Reset the connection after the next ``count`` forwarded requests (of ``methods``)."""
        with self._state.lock:
            self._state.armed = count
            self._state.methods = methods

    def disarm(self) -> None:
        with self._state.lock:
            self._state.armed = 0

    @property
    def forwarded(self) -> list[Forwarded]:
        with self._state.lock:
            return list(self._state.forwarded)

    def clear(self) -> None:
        with self._state.lock:
            self._state.forwarded.clear()

    def __enter__(self) -> ActedThenResetProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

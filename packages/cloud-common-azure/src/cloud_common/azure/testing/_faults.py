"""``FaultProxy``: a TCP proxy on 127.0.0.1 that breaks chosen connections to a real server.

Each new connection takes the next fault from the queue (then passes through once the
queue is empty): ``"503"`` answers ``503 Server Busy`` with ``Retry-After``, ``"reset"``
reads the request and resets the connection, ``"slow"`` waits ``delay`` seconds before
passing the exchange through, ``"hang"`` reads the request and never answers. Shared Key and SAS signatures do not cover the host, so
clients pointed at the proxy are served by the real server behind it.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections import deque

__all__ = ["FaultProxy"]

_BUSY = (
    b"HTTP/1.1 503 Server Busy\r\nRetry-After: %d\r\nx-ms-error-code: ServerBusy\r\n"
    b"Content-Type: application/xml\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
)
_BUSY_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code>'
    b"<Message>The server is busy.</Message></Error>"
)


class FaultProxy:
    """Forward ``127.0.0.1:<port>`` to ``target_port``, injecting queued faults.

    Attributes:
        connections: Connections accepted so far.
        retry_after: Seconds sent in ``Retry-After`` with a ``"503"``.
        delay: Seconds a ``"slow"`` connection waits.
    """

    def __init__(self, target_port: int, *, retry_after: int = 1, delay: float = 3.0) -> None:
        self.target_port = target_port
        self.retry_after = retry_after
        self.delay = delay
        self.faults: deque[str] = deque()
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, path: str = "") -> str:
        """``http://127.0.0.1:<proxy port><path>``."""
        return f"http://127.0.0.1:{self.port}{path}"

    def inject(self, *faults: str) -> None:
        """Queue faults for the next connections (``"503"``, ``"reset"``, ``"slow"``,
        ``"hang"``)."""
        self.faults.extend(faults)

    def close(self) -> None:
        """Stop accepting connections."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            fault = self.faults.popleft() if self.faults else None
            threading.Thread(target=self._serve, args=(client, fault), daemon=True).start()

    def _serve(self, client: socket.socket, fault: str | None) -> None:
        with client:
            if fault == "503":
                client.recv(65536)
                client.sendall(_BUSY % (self.retry_after, len(_BUSY_BODY), _BUSY_BODY))
                return
            if fault == "reset":
                client.recv(65536)
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if fault == "hang":
                client.recv(65536)
                while not self._closed:
                    time.sleep(0.05)
                return
            if fault == "slow":
                time.sleep(self.delay)
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                return
            with upstream:
                pump = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
                pump.start()
                _pipe(client, upstream)
                pump.join(timeout=5)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

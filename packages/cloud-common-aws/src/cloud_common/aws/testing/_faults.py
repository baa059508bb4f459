"""Planned failures in front of moto: an error status, a connection reset (before or after
moto acted on the request) or a late reply for chosen requests, to test retries against
real state; and a log of every request."""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cloud_common.aws.testing._wsgi import App, read_form, respond, xml_error

__all__ = ["Fault", "FaultInjector", "FaultPlan"]


@dataclass
class Fault:
    """One planned failure: which requests it hits and what they get.

    Attributes:
        method: HTTP method to match (None: any).
        path: Regular expression searched in the path (None: any).
        status: HTTP status to answer (ignored for ``reset`` and ``delay``).
        code: AWS error code in the XML body (``SlowDown``, ``InternalError``).
        reset: Close the connection without any response (the client sees the connection
            reset or closed, never a status).
        after: With ``reset``: pass the request on to moto first, then reset: the service
            acted but the client never hears (what makes a replay unsafe).
        delay: Seconds to wait before passing the request on to moto.
        times: How many matching requests it hits.
        action: Query-protocol ``Action`` to match (EC2, IAM: ``"TerminateInstances"``).
        body: The whole response body (default: an S3-style XML error with ``code``).
    """

    method: str | None = None
    path: str | None = None
    status: int = 503
    code: str = "SlowDown"
    reset: bool = False
    after: bool = False
    delay: float = 0.0
    times: int = 1
    action: str | None = None
    body: bytes | None = None

    def matches(self, method: str, path: str, action: str | None = None) -> bool:
        """True when a request with this method, path and action is one this fault hits."""
        return (
            (self.method is None or self.method == method)
            and (self.path is None or re.search(self.path, path) is not None)
            and (self.action is None or self.action == action)
        )


@dataclass
class FaultPlan:
    """The faults ahead, and a log of every request that reached the server."""

    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)
    hits: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Plan a fault (a ``Fault`` or its fields as keywords); returns it."""
        planned = fault or Fault(**kwargs)
        with self.lock:
            self.faults.append(planned)
        return planned

    def clear(self) -> None:
        """Forget the planned faults and the request log."""
        with self.lock:
            self.faults.clear()
            self.requests.clear()
            self.forms.clear()
            self.hits.clear()

    def take(
        self,
        method: str,
        path: str,
        action: str | None = None,
        form: dict[str, str] | None = None,
    ) -> Fault | None:
        """Log a request (and its form fields, for query-protocol calls); the fault it gets
        (one of its ``times`` used up), or None."""
        with self.lock:
            self.requests.append((method, path))
            if form:
                self.forms.append(form)
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path, action):
                    fault.times -= 1
                    self.hits.append(fault)
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def form_values(self, action: str, name: str) -> list[str]:
        """The value of field ``name`` in every logged ``action`` request (EC2, IAM...),
        ``""`` where it was absent."""
        with self.lock:
            return [f.get(name, "") for f in self.forms if f.get("Action") == action]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched ``method`` / ``path`` (a regex) so far."""
        probe = Fault(method=method, path=path)
        with self.lock:
            return sum(1 for m, p in self.requests if probe.matches(m, p))


def _consume(result: Iterable[bytes]) -> None:
    """Run a WSGI app's answer to the end (moto acts while it is produced) and drop it."""
    try:
        for _chunk in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def _reset(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Reset the request's connection: nothing of an answer ever reaches the client.

    ``close()`` alone would not do: werkzeug's reader and writer still hold the socket,
    which stays open and would carry the reply. ``shutdown`` ends it for every holder; with
    ``SO_LINGER`` 0 the final close is a TCP reset.
    """
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("reset faults need werkzeug's development server")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):  # the client went away first
        sock.shutdown(socket.SHUT_RDWR)
    # werkzeug's attempt to send this fails on the shut socket, and it drops the connection
    return respond(start_response, ("500 Internal Server Error", [], b""))


class FaultInjector:
    """WSGI middleware: applies a ``FaultPlan`` to the requests passing to ``app``."""

    def __init__(self, app: App, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        form = read_form(environ)
        fault = self.plan.take(
            environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), form.get("Action"), form
        )
        if fault is not None and fault.reset:
            if fault.after:
                _consume(self.app(environ, lambda *args, **kwargs: None))
            return _reset(environ, start_response)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        elif fault is not None:
            headers = [("Content-Type", "application/xml"), ("x-amzn-ErrorType", fault.code)]
            body = fault.body or xml_error(fault.code, "injected fault")
            return respond(start_response, (f"{fault.status} Injected", headers, body))
        result: Iterable[bytes] = self.app(environ, start_response)
        return result

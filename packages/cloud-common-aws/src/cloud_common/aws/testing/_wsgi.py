"""What the fakes in front of moto share: a WSGI reply and AWS's XML error body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["App", "Reply", "respond", "xml_error"]

App = Callable[[dict[str, Any], Callable[..., Any]], Any]
"""A WSGI application."""

Reply = tuple[str, list[tuple[str, str]], bytes]
"""A whole WSGI reply: status line, headers (without Content-Length), body."""


def respond(start_response: Callable[..., Any], reply: Reply) -> list[bytes]:
    """Send ``reply`` with its Content-Length."""
    status, headers, body = reply
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def xml_error(code: str, message: str) -> bytes:
    """An S3-style XML error document."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message><RequestId>cc-fake</RequestId></Error>"
    ).encode()

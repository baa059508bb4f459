"""What the fakes in front of moto share: a WSGI reply and AWS's XML error body."""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Callable
from typing import Any

__all__ = ["App", "Reply", "read_form", "respond", "xml_error"]

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


def read_form(environ: dict[str, Any]) -> dict[str, str]:
    """The fields of a query-protocol request (EC2, IAM, STS: a form POST), first value of
    each; ``{}`` for other requests. The body stays readable for the next app."""
    if environ.get("REQUEST_METHOD") != "POST" or "x-www-form-urlencoded" not in str(
        environ.get("CONTENT_TYPE", "")
    ):
        return {}
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    parsed = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return {name: values[0] for name, values in parsed.items()}

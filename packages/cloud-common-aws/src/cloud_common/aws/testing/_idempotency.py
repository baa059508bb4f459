"""EC2's idempotent launches, which moto does not keep: a RunInstances repeated with a
``ClientToken`` already used gets the first launch's answer, and no second instance."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from cloud_common.aws.testing._wsgi import App, Reply, read_form, respond

__all__ = ["ClientTokens"]


class ClientTokens:
    """WSGI middleware: remembers the reply to each ``RunInstances`` with a ``ClientToken``
    and answers a repeat of the token with it (as EC2 does, without launching again)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._replies: dict[str, Reply] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget the tokens (the server was reset)."""
        with self._lock:
            self._replies.clear()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        form = read_form(environ)
        token = form.get("ClientToken") if form.get("Action") == "RunInstances" else None
        if not token:
            result: Iterable[bytes] = self.app(environ, start_response)
            return result
        with self._lock:
            known = self._replies.get(token)
            if known is None:
                seen: list[Any] = []

                def keep(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
                    seen.extend([status, headers])

                body = b"".join(self.app(environ, keep))
                headers = [(k, v) for k, v in seen[1] if k.lower() != "content-length"]
                known = (seen[0], headers, body)
                if seen[0].startswith("200"):
                    self._replies[token] = known
        return respond(start_response, known)

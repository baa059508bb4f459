"""``ProjectScopes``: a proxy in front of a Cloud Storage emulator that keeps projects
apart, as Cloud Storage does, where the emulators do not.

Bucket names stay global (a name another project holds answers 409, from the emulator),
but each bucket belongs to the project that created it (``POST /storage/v1/b?project=P``)
and ``GET /storage/v1/b?project=P`` lists only that project's buckets. Buckets created on
the emulator directly belong to ``default_project``. Every other request is forwarded
as it is (bodies, ranges, checksums and status untouched).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from cloud_common.gcp.testing._server import LocalServer

__all__ = ["ProjectScopes"]

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
        "host",
    }
)


class ProjectScopes(LocalServer):
    """Start with ``start()``, point storage clients at ``url``, ``stop()``.

    Args:
        upstream: The emulator's base URL.
        default_project: Owner of buckets this proxy did not see created.
    """

    def __init__(self, upstream: str, default_project: str) -> None:
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.default_project = default_project
        self.owners: dict[str, str] = {}
        self._lock = threading.Lock()
        self._session: Any = None

    def start(self) -> ProjectScopes:
        """Start serving (a free port)."""
        import requests  # noqa: PLC0415

        self._session = requests.Session()
        super().start()
        return self

    def stop(self) -> None:
        """Stop serving (safe to call twice)."""
        super().stop()
        if self._session is not None:
            self._session.close()
            self._session = None

    def reset(self) -> None:
        """Forget who owns which bucket."""
        with self._lock:
            self.owners.clear()

    def owner(self, bucket: str) -> str:
        with self._lock:
            return self.owners.get(bucket, self.default_project)

    def handle(self, request: Any) -> Any:
        from werkzeug.wrappers import Response  # noqa: PLC0415

        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        answer = self._session.request(
            request.method,
            f"{self.upstream}{raw}",
            data=request.get_data(),
            headers=headers,
            allow_redirects=False,
            stream=True,
            timeout=(10, 120),
        )
        body = answer.raw.read(decode_content=False)
        project = request.args.get("project", self.default_project)
        if request.path == "/storage/v1/b" and answer.status_code == 200:
            if request.method == "POST":
                name = json.loads(request.get_data() or b"{}").get("name")
                if isinstance(name, str):
                    with self._lock:
                        self.owners[name] = project
            elif request.method == "GET" and not answer.headers.get("Content-Encoding"):
                listing = json.loads(body or b"{}")
                listing["items"] = [
                    b for b in listing.get("items", []) if self.owner(b.get("name", "")) == project
                ]
                body = json.dumps(listing).encode()
        kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP]
        return Response(body, status=answer.status_code, headers=kept)

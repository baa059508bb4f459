"""``GcpFake``: the Compute Engine and Cloud Functions v2 REST APIs, the function
endpoints and Google's OAuth token endpoint, faked behind one server on 127.0.0.1.

Each faked API is a class of its own (:class:`ComputeEngineApi`,
:class:`CloudFunctionsApi`, :class:`FunctionEndpoints`, :class:`OAuthTokens`); this one
routes requests to them, logs them, and serves queued faults first.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from cloud_common.gcp.testing._compute_api import ComputeEngineApi
from cloud_common.gcp.testing._faults import Fault, FaultQueue
from cloud_common.gcp.testing._function_runner import FunctionEndpoints
from cloud_common.gcp.testing._functions_api import CloudFunctionsApi
from cloud_common.gcp.testing._oauth import OAuthTokens
from cloud_common.gcp.testing._operations import Operations
from cloud_common.gcp.testing._server import (
    HttpError,
    LocalServer,
    google_error,
    json_response,
    reset_connection,
)

__all__ = ["GcpFake"]


class GcpFake(LocalServer):
    """Compute Engine + Cloud Functions v2 fake. ``start()``, use ``url``, ``stop()``.

    Attributes:
        compute: The Compute Engine API (its ``instances`` by ``(zone, name)``).
        functions: The Cloud Functions API (its ``functions`` by full name).
        oauth: The token endpoint (``POST /token``) and the keys it trusts.
        require_auth: Refuse (401 UNAUTHENTICATED) every call without a token the
            token endpoint issued or a JWT self-signed by a trusted key.
        requests: ``(method, path)`` of every request served, in order.
        headers: The headers of every request served, in the same order.
    """

    def __init__(self, project: str = "cc-test") -> None:
        super().__init__()
        self.project = project
        self.require_auth = False
        self.requests: list[tuple[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self._faults = FaultQueue()
        self._operations = Operations()
        self._lock = threading.RLock()
        self.compute = ComputeEngineApi(project, self._operations)
        self.functions = CloudFunctionsApi(project, self._operations, lambda: self.url)
        self.endpoints = FunctionEndpoints(self.functions)
        self.oauth = OAuthTokens()

    def start(self) -> GcpFake:
        """Start serving on 127.0.0.1 (a free port)."""
        super().start()
        return self

    def stop(self) -> None:
        """Stop serving and remove the unpacked function code (safe to call twice)."""
        super().stop()
        self.endpoints.close()

    @property
    def op_polls(self) -> int:
        """How many polls an operation stays running before it is done (default 1)."""
        return self._operations.polls

    @op_polls.setter
    def op_polls(self, value: int) -> None:
        self._operations.polls = value

    def reset(self) -> None:
        """Forget every instance, function, operation, fault and logged request."""
        with self._lock:
            self.compute.reset()
            self.functions.reset()
            self.endpoints.reset()
            self._operations.clear()
            self._faults.clear()
            self.requests.clear()
            self.headers.clear()
            self.require_auth = False

    # -- test hooks -----------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int = 503,
        *,
        body: Any = None,
        reset: bool = False,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path_regex`` with
        ``status`` (a Google JSON error unless ``body`` is given), or reset the connection."""
        self._faults.add(
            Fault(method.upper(), re.compile(path_regex), status, body, reset, times, headers or {})
        )

    def trust(self, email: str, public_key: Any) -> None:
        """Accept this service account at ``/token`` and its self-signed JWTs."""
        self.oauth.trust(email, public_key)

    def add_instance(
        self, zone: str, name: str, status: str = "RUNNING", **labels: str
    ) -> dict[str, Any]:
        """Create an instance directly (no operation)."""
        with self._lock:
            body = {"machineType": f"zones/{zone}/machineTypes/e2-micro", "labels": labels}
            inst = self.compute.new_instance(zone, name, body)
            inst["status"] = status
            self.compute.instances[(zone, name)] = inst
            return inst

    def set_instance_status(self, zone: str, name: str, status: str) -> None:
        """Force the raw GCE status of an instance (any string)."""
        with self._lock:
            self.compute.instances[(zone, name)]["status"] = status

    def instance(self, zone: str, name: str) -> dict[str, Any] | None:
        """The stored JSON of an instance, or None."""
        with self._lock:
            return self.compute.instances.get((zone, name))

    def add_function(self, location: str, name: str, state: str = "ACTIVE") -> dict[str, Any]:
        """Create a function directly (no code: invoking it answers 500)."""
        with self._lock:
            full = f"projects/{self.project}/locations/{location}/functions/{name}"
            body = {"buildConfig": {"runtime": "python312", "entryPoint": "main"}}
            fn = self.functions.new_function(full, body)
            fn["state"] = state
            self.functions.functions[full] = fn
            return fn

    def function(self, full_name: str) -> dict[str, Any] | None:
        """The stored JSON of a function, or None."""
        with self._lock:
            return self.functions.functions.get(full_name)

    def uploaded_source(self, full_name: str) -> bytes | None:
        """The zip ``create_function`` uploaded for a function, or None."""
        with self._lock:
            fn = self.functions.functions.get(full_name)
            return self.functions.source(fn) if fn is not None else None

    # -- dispatch -------------------------------------------------------------------------

    def _as_seen_from(self, request: Any, answer: dict[str, Any]) -> dict[str, Any]:
        """``answer`` with this fake's URLs (function and upload URLs) on the host the
        client called: through a proxy in front of the fake, they lead through it too."""
        here = f"http://{request.host}"
        if here == self.url:
            return answer
        rewritten: dict[str, Any] = json.loads(json.dumps(answer).replace(self.url, here))
        return rewritten

    def handle(self, request: Any) -> Any:
        from werkzeug.wrappers import Response  # noqa: PLC0415

        method, path = request.method, request.path
        with self._lock:
            self.requests.append((method, path))
            self.headers.append(dict(request.headers))
        fault = self._faults.take(method, path)
        if fault is not None:
            if fault.reset:
                reset_connection(request)
                return Response(b"", status=500)
            body = fault.body
            if body is None:
                body = google_error(
                    fault.status, f"injected fault {fault.status}", "backendError"
                ).payload
            return json_response(fault.status, body, fault.headers)
        if path == "/token" and method == "POST":
            return json_response(*self.oauth.grant(request.form))
        if (
            self.require_auth
            and not path.startswith("/upload/")
            and not self.oauth.authorized(request.headers)
        ):
            error = google_error(
                401, "Request had invalid authentication credentials.", "authError"
            )
            return json_response(error.status, error.payload)
        try:
            with self._lock:
                if path.startswith("/run/"):
                    entry = self.endpoints.entry_point(self.project, path[len("/run/") :])
                elif path.startswith("/compute/v1/"):
                    return json_response(
                        200, self.compute.handle(method, path[len("/compute/v1/") :], request)
                    )
                elif path.startswith("/v2/"):
                    answer = self.functions.handle(method, path[len("/v2/") :], request)
                    return json_response(200, self._as_seen_from(request, answer))
                elif path.startswith("/upload/"):
                    return json_response(
                        200, self.functions.receive_upload(method, path[len("/upload/") :], request)
                    )
                else:
                    raise google_error(404, f"no route for {method} {path}", "notFound")
        except HttpError as exc:
            return json_response(exc.status, exc.payload)
        if entry is None:
            return Response(
                "<html><body>Error: Page not found</body></html>",
                status=404,
                content_type="text/html",
            )
        return self.endpoints.run(entry, method, request)

"""``ResourceManagerServer``: a fake of Azure Resource Manager's REST API on 127.0.0.1 (TLS).

It speaks ARM's wire format: bearer tokens (401 ``InvalidAuthenticationToken``), the
subscription and resource group in the path (404 ``SubscriptionNotFound`` /
``ResourceGroupNotFound``), ``{"error": {"code", "message"}}`` bodies, ``value`` /
``nextLink`` paging, and long-running operations polled through ``Azure-AsyncOperation``
(``InProgress`` -> ``Succeeded`` / ``Failed``) and ``Location`` (202 until done). Resource
providers (``VirtualMachinesFake``, ``FunctionAppsFake``) plug in by namespace.
"""

from __future__ import annotations

import json
import re
import ssl
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cloud_common.azure.testing._tls import self_signed_certificate

__all__ = ["ArmError", "Operation", "ResourceManagerServer", "ResourceProvider", "arm_error"]

_RESOURCE_PATH = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"(?P<namespace>[^/]+)/(?P<type>[^/]+)(?:/(?P<name>[^/]+)(?P<rest>/.*)?)?$",
    re.IGNORECASE,
)
_OPERATION_PATH = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/providers/(?P<namespace>[^/]+)/locations/[^/]+/"
    r"operations/(?P<id>[^/]+)$",
    re.IGNORECASE,
)


class ArmError(Exception):
    """Raised by a fake resource provider: becomes an ARM error response."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def arm_error(status: int, code: str, message: str) -> Any:
    """An ARM error response: ``{"error": {"code": ..., "message": ...}}``."""
    from werkzeug import Response  # noqa: PLC0415

    body = {"error": {"code": code, "message": message}}
    return Response(
        json.dumps(body),
        status=status,
        content_type="application/json",
        headers={"x-ms-failure-cause": "gateway" if status == 401 else "service"},
    )


@dataclass
class Operation:
    """One long-running operation: ``polls`` answers of ``InProgress``, then ``finish()``
    runs and the operation reports ``Succeeded`` (or ``Failed`` with ``error``)."""

    id: str
    finish: Callable[[], object]
    polls: int = 1
    status: str = "InProgress"
    error: dict[str, str] | None = None
    held: bool = False

    def poll(self) -> str:
        if self.status == "InProgress" and not self.held:
            if self.polls > 0:
                self.polls -= 1
            else:
                try:
                    self.finish()
                    self.status = "Succeeded"
                except ArmError as exc:
                    self.status = "Failed"
                    self.error = {"code": exc.code, "message": exc.message}
        return self.status


class ResourceProvider(Protocol):
    """A fake resource provider (``Microsoft.Compute/virtualMachines``...)."""

    namespace: str
    resource_type: str

    def handle(self, server: ResourceManagerServer, request: Any, match: ResourceMatch) -> Any:
        """Answer one request for this resource type."""


@dataclass
class ResourceMatch:
    """What the path of a resource request names."""

    resource_group: str
    name: str | None
    rest: str
    base: str  # /subscriptions/.../resourceGroups/<rg>/providers/<ns>/<type>


@dataclass
class ResourceManagerServer:
    """The fake's HTTPS server: authentication, routing, operations, paging.

    Attributes:
        subscription_id: The one subscription it knows.
        resource_groups: The resource groups that exist.
        tokens: Bearer tokens it accepts.
        page_size: Items per page of every list (``nextLink`` beyond).
        operation_polls: ``InProgress`` answers before an operation succeeds.
        retry_after: ``Retry-After`` seconds sent with each operation (None: not sent).
    """

    subscription_id: str = "00000000-0000-0000-0000-00000000cc01"
    resource_groups: set[str] = field(default_factory=lambda: {"cloud-common-rg"})
    tokens: set[str] = field(default_factory=set)
    page_size: int = 2
    operation_polls: int = 1
    retry_after: int | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.token = f"arm-{uuid.uuid4().hex}"
        self.tokens.add(self.token)
        self.operations: dict[str, Operation] = {}
        self.providers: dict[tuple[str, str], ResourceProvider] = {}
        self.extra_routes: list[tuple[re.Pattern[str], Callable[[Any, re.Match[str]], Any]]] = []
        self.lock = threading.RLock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server: Any = None
        self.ca_file = ""
        self.faults: list[tuple[int, str, int | None, str | None]] = []

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Listen on a free port of 127.0.0.1 with a fresh self-signed certificate."""
        from pytest_httpserver import HTTPServer  # noqa: PLC0415

        self._tmp = tempfile.TemporaryDirectory(prefix="cc-arm-")
        cert, key = self_signed_certificate(Path(self._tmp.name))
        self.ca_file = str(cert)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
        self._server.expect_request(re.compile(".*")).respond_with_handler(self._dispatch)
        self._server.start()

    def stop(self) -> None:
        """Stop listening; safe to call twice."""
        server, self._server = self._server, None
        if server is not None:
            server.clear()
            if server.is_running():
                server.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return f"https://127.0.0.1:{self._server.port}"

    def inject(
        self, status: int, code: str, retry_after: int | None = None, method: str | None = None
    ) -> None:
        """Answer the next authenticated request (of ``method``, if given) with this ARM
        error (throttling, 5xx, a refused PUT)."""
        self.faults.append((status, code, retry_after, method))

    def add(self, provider: ResourceProvider) -> None:
        """Serve ``provider``'s resource type."""
        self.providers[(provider.namespace.lower(), provider.resource_type.lower())] = provider

    def route(self, pattern: str, handler: Callable[[Any, re.Match[str]], Any]) -> None:
        """Serve unauthenticated paths matching ``pattern`` (function invocations)."""
        self.extra_routes.append((re.compile(pattern), handler))

    # -- helpers for resource providers -------------------------------------------------

    def json(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
        from werkzeug import Response  # noqa: PLC0415

        text = "" if body is None else json.dumps(body)
        return Response(text, status=status, content_type="application/json", headers=headers)

    def page(self, request: Any, items: list[dict[str, Any]]) -> Any:
        """One page of ``items`` with ``nextLink`` to the next (``$skiptoken`` offsets)."""
        start = int(request.args.get("$skiptoken", "0"))
        chunk = items[start : start + self.page_size]
        body: dict[str, Any] = {"value": chunk}
        if start + self.page_size < len(items):
            args = {**request.args.to_dict(), "$skiptoken": str(start + self.page_size)}
            query = "&".join(f"{k}={v}" for k, v in args.items())
            body["nextLink"] = f"{self.url}{request.path}?{query}"
        return self.json(body)

    def start_operation(
        self, namespace: str, finish: Callable[[], object], *, status: int, body: Any = None
    ) -> Any:
        """Answer an LRO's first request: ``status`` with ``Azure-AsyncOperation`` and
        ``Location`` headers; ``finish`` runs when a poll finds the operation done."""
        op = Operation(uuid.uuid4().hex, finish, polls=self.operation_polls)
        with self.lock:
            self.operations[op.id] = op
        base = (
            f"{self.url}/subscriptions/{self.subscription_id}/providers/{namespace}/"
            f"locations/eastus/operations/{op.id}"
        )
        headers = {
            "Azure-AsyncOperation": f"{base}?api-version=2024-01-01",
            "Location": f"{base}?monitor=true&api-version=2024-01-01",
        }
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return self.json(body, status=status, headers=headers)

    # -- dispatch -----------------------------------------------------------------------

    def _dispatch(self, request: Any) -> Any:
        with self.lock:
            self.requests.append((request.method, request.path))
            for pattern, handler in self.extra_routes:
                found = pattern.match(request.path)
                if found:
                    return handler(request, found)
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
                return arm_error(
                    401,
                    "InvalidAuthenticationToken",
                    "The access token is invalid.",
                )
            fault = next((f for f in self.faults if f[3] is None or f[3] == request.method), None)
            if fault is not None:
                self.faults.remove(fault)
                status, code, retry_after, _ = fault
                response = arm_error(status, code, f"injected {code}")
                if retry_after is not None:
                    response.headers["Retry-After"] = str(retry_after)
                return response
            try:
                return self._route(request)
            except ArmError as exc:
                return arm_error(exc.status, exc.code, exc.message)

    def _route(self, request: Any) -> Any:
        op_match = _OPERATION_PATH.match(request.path)
        if op_match:
            return self._operation(request, op_match.group("id"))
        found = _RESOURCE_PATH.match(request.path)
        if found is None:
            raise ArmError(404, "InvalidResourceType", f"no route for {request.path}")
        if found.group("sub") != self.subscription_id:
            raise ArmError(
                404,
                "SubscriptionNotFound",
                f"The subscription '{found.group('sub')}' could not be found.",
            )
        group = found.group("rg")
        if group.lower() not in {g.lower() for g in self.resource_groups}:
            raise ArmError(
                404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found."
            )
        key = (found.group("namespace").lower(), found.group("type").lower())
        provider = self.providers.get(key)
        if provider is None:
            raise ArmError(
                400,
                "InvalidResourceType",
                f"The resource type '{found.group('type')}' could not be found in the "
                f"namespace '{found.group('namespace')}'.",
            )
        prefix_end = found.start("name") - 1 if found.group("name") else len(request.path)
        match = ResourceMatch(
            resource_group=group,
            name=found.group("name"),
            rest=found.group("rest") or "",
            base=request.path[:prefix_end],
        )
        return provider.handle(self, request, match)

    def _operation(self, request: Any, op_id: str) -> Any:
        op = self.operations.get(op_id)
        if op is None:
            raise ArmError(404, "NotFound", f"operation {op_id} not found")
        status = op.poll()
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        if request.args.get("monitor") == "true":
            if status == "InProgress":
                return self.json(None, status=202, headers=headers)
            if status == "Failed" and op.error is not None:
                return arm_error(400, op.error["code"], op.error["message"])
            return self.json(None, status=200)
        body: dict[str, Any] = {"name": op.id, "status": status}
        if op.error is not None:
            body["error"] = op.error
        return self.json(body, headers=headers)

"""A stateful fake of the Compute Engine and Cloud Functions v2 REST APIs.

Served by pytest-httpserver on 127.0.0.1, shaped like the real APIs: zone operations that
stay RUNNING for ``op_polls`` polls, ``aggregatedList`` and ``functions.list`` pagination,
error bodies in Google's JSON format, ``generateUploadUrl`` + upload, long-running function
operations, and a function URL that really runs the uploaded Python handler. One-shot faults
(any status, or a connection reset) are queued with :meth:`GcpFake.fail_next`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import json
import re
import socket
import struct
import sys
import tempfile
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

__all__ = ["Fault", "GcpFake"]

_GCE = "https://www.googleapis.com/compute/v1"
_RUNTIME = re.compile(r"^(python3\d+|nodejs\d+|go1\d+|java\d+|ruby\d+|php\d+|dotnet\d+)$")
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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _error(status: int, message: str, reason: str = "") -> tuple[int, dict[str, Any]]:
    body = {
        "error": {
            "code": status,
            "message": message,
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
            "errors": [{"message": message, "domain": "global", "reason": reason or "invalid"}],
        }
    }
    return status, body


@dataclass
class Fault:
    """A queued one-shot fault: the next ``times`` matching requests get it."""

    method: str
    pattern: re.Pattern[str]
    status: int = 503
    body: Any = None
    reset: bool = False
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Operation:
    name: str
    kind: str  # "compute" or "functions"
    doc: dict[str, Any]
    polls_left: int
    finish: Callable[[], dict[str, Any] | None]
    done: bool = False


class GcpFake:
    """Compute Engine + Cloud Functions v2 fake. ``start()``, use ``url``, ``stop()``.

    Attributes:
        op_polls: How many polls an operation stays RUNNING before it is DONE.
        requests: ``(method, path)`` of every request served, in order.
        headers: The headers of every request served, in the same order.
    """

    def __init__(self, project: str = "cc-test") -> None:
        self.project = project
        self.op_polls = 1
        self.requests: list[tuple[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self.faults: list[Fault] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(5_000_000_000_000_000)
        self._instances: dict[tuple[str, str], dict[str, Any]] = {}
        self._functions: dict[str, dict[str, Any]] = {}
        self._uploads: dict[str, bytes | None] = {}
        self._ops: dict[str, _Operation] = {}
        self._loaded: dict[str, Callable[[Any], Any]] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="cc-gcp-fake-")
        self.require_auth = False
        self._signers: dict[str, Any] = {}
        self._tokens: set[str] = set()
        self._server: Any = None

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> GcpFake:
        """Start serving on 127.0.0.1 (a free port)."""
        import logging  # noqa: PLC0415

        from pytest_httpserver import HTTPServer  # noqa: PLC0415

        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        self._server = HTTPServer(host="127.0.0.1", port=0)
        self._server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving (safe to call twice)."""
        if self._server is not None and self._server.is_running():
            self._server.clear()
            self._server.stop()
        self._server = None
        self._tmp.cleanup()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return str(self._server.url_for("/")).rstrip("/")

    def reset(self) -> None:
        """Forget every instance, function, operation, fault and logged request."""
        with self._lock:
            self._instances.clear()
            self._functions.clear()
            self._uploads.clear()
            self._ops.clear()
            self._loaded.clear()
            self.faults.clear()
            self.requests.clear()
            self.headers.clear()
            self.op_polls = 1
            self.require_auth = False

    # -- test hooks -------------------------------------------------------------------

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
        with self._lock:
            self.faults.append(
                Fault(
                    method.upper(),
                    re.compile(path_regex),
                    status,
                    body,
                    reset,
                    times,
                    headers or {},
                )
            )

    def set_instance_status(self, zone: str, name: str, status: str) -> None:
        """Force the raw GCE status of an instance (any string)."""
        with self._lock:
            self._instances[(zone, name)]["status"] = status

    def add_instance(
        self, zone: str, name: str, status: str = "RUNNING", **labels: str
    ) -> dict[str, Any]:
        """Create an instance directly (no operation)."""
        with self._lock:
            inst = self._new_instance(
                zone, name, {"machineType": f"zones/{zone}/machineTypes/e2-micro", "labels": labels}
            )
            inst["status"] = status
            self._instances[(zone, name)] = inst
            return inst

    def add_function(self, location: str, name: str, state: str = "ACTIVE") -> dict[str, Any]:
        """Create a function directly (no code: invoking it answers 500)."""
        with self._lock:
            full = f"projects/{self.project}/locations/{location}/functions/{name}"
            fn = self._new_function(
                full, {"buildConfig": {"runtime": "python312", "entryPoint": "main"}}
            )
            fn["state"] = state
            self._functions[full] = fn
            return fn

    def trust(self, email: str, public_key: Any) -> None:
        """Accept this service account at ``/token`` and its self-signed JWTs; with
        ``require_auth`` every other caller gets 401 UNAUTHENTICATED."""
        with self._lock:
            self._signers[email] = public_key

    def _token(self, request: Any) -> tuple[int, dict[str, Any]]:
        """The OAuth token endpoint (``token_uri``): a JWT-bearer grant → access or ID token."""
        claims = self._verified_claims(str(request.form.get("assertion", "")))
        if claims is None:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        now = int(datetime.now(timezone.utc).timestamp())
        if "target_audience" in claims:
            token = _unsigned_jwt(
                {
                    "aud": claims["target_audience"],
                    "azp": claims["iss"],
                    "email": claims["iss"],
                    "iss": "https://accounts.google.com",
                    "iat": now,
                    "exp": now + 3600,
                }
            )
            with self._lock:
                self._tokens.add(token)
            return 200, {"id_token": token}
        token = "ya29.fake-" + uuid.uuid4().hex
        with self._lock:
            self._tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _verified_claims(self, jwt: str) -> dict[str, Any] | None:
        from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
        from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import padding  # noqa: PLC0415

        try:
            head, body, sig = jwt.split(".")
            claims: dict[str, Any] = json.loads(_b64url(body))
            key = self._signers.get(str(claims.get("iss")))
            if key is None:
                return None
            key.verify(_b64url(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature):
            return None
        return claims

    def _authorized(self, request: Any) -> bool:
        scheme, _, token = str(request.headers.get("Authorization", "")).partition(" ")
        if scheme != "Bearer" or not token:
            return False
        with self._lock:
            if token in self._tokens:
                return True
        return self._verified_claims(token) is not None  # a self-signed service-account JWT

    def function(self, full_name: str) -> dict[str, Any] | None:
        """The stored JSON of a function, or None."""
        with self._lock:
            return self._functions.get(full_name)

    def instance(self, zone: str, name: str) -> dict[str, Any] | None:
        """The stored JSON of an instance, or None."""
        with self._lock:
            return self._instances.get((zone, name))

    # -- dispatch ---------------------------------------------------------------------

    def _handle(self, request: Any) -> Any:
        from werkzeug.wrappers import Response  # noqa: PLC0415

        method, path = request.method, request.path
        with self._lock:
            self.requests.append((method, path))
            self.headers.append(dict(request.headers))
            fault = self._take_fault(method, path)
        if fault is not None:
            if fault.reset:
                _reset_connection(request)
                return Response(b"", status=500)
            body = fault.body
            if body is None:
                body = _error(fault.status, f"injected fault {fault.status}", "backendError")[1]
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            return Response(
                data, status=fault.status, content_type="application/json", headers=fault.headers
            )
        if path == "/token" and method == "POST":
            status, payload = self._token(request)
            return Response(json.dumps(payload), status=status, content_type="application/json")
        if self.require_auth and not path.startswith("/upload/") and not self._authorized(request):
            status, payload = _error(
                401, "Request had invalid authentication credentials.", "authError"
            )
            payload["error"]["status"] = "UNAUTHENTICATED"
            return Response(json.dumps(payload), status=401, content_type="application/json")
        try:
            if path.startswith("/compute/v1/"):
                status, payload = self._compute(method, path[len("/compute/v1/") :], request)
            elif path.startswith("/v2/"):
                status, payload = self._functions_api(method, path[len("/v2/") :], request)
            elif path.startswith("/upload/"):
                status, payload = self._upload(method, path[len("/upload/") :], request)
            elif path.startswith("/run/"):
                return self._run(method, path[len("/run/") :], request)
            else:
                status, payload = _error(404, f"no route for {method} {path}", "notFound")
        except _HttpError as exc:
            status, payload = exc.status, exc.payload
        return Response(json.dumps(payload), status=status, content_type="application/json")

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (method, "*") and fault.pattern.search(path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # -- operations -------------------------------------------------------------------

    def _operation(
        self, kind: str, doc: dict[str, Any], finish: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any]:
        op = _Operation(doc["name"], kind, doc, self.op_polls, finish)
        self._ops[op.name] = op
        if op.polls_left <= 0:
            self._complete(op)
        return self._op_doc(op)

    def _complete(self, op: _Operation) -> None:
        result = op.finish()
        op.done = True
        if op.kind == "compute":
            op.doc.update(status="DONE", progress=100, endTime=_now())
            if result:
                op.doc.update(result)
        else:
            op.doc["done"] = True
            if result and "error" in result:
                op.doc["error"] = result["error"]
            else:
                op.doc["response"] = result or {
                    "@type": "type.googleapis.com/google.protobuf.Empty"
                }

    def _poll(self, name: str) -> dict[str, Any]:
        op = self._ops.get(name)
        if op is None:
            raise _HttpError(
                *_error(404, f"The resource 'operations/{name}' was not found", "notFound")
            )
        if not op.done:
            op.polls_left -= 1
            if op.polls_left <= 0:
                self._complete(op)
        return self._op_doc(op)

    @staticmethod
    def _op_doc(op: _Operation) -> dict[str, Any]:
        return json.loads(json.dumps(op.doc))  # type: ignore[no-any-return]

    # -- compute ----------------------------------------------------------------------

    def _compute(self, method: str, rest: str, request: Any) -> tuple[int, dict[str, Any]]:
        parts = rest.split("/")
        if len(parts) < 3 or parts[0] != "projects":
            raise _HttpError(*_error(404, "unknown compute path", "notFound"))
        project = parts[1]
        tail = parts[2:]
        with self._lock:
            if tail == ["aggregated", "instances"] and method == "GET":
                return 200, self._aggregated(project, request)
            if len(tail) >= 3 and tail[0] == "zones":
                zone = tail[1]
                if tail[2] == "operations" and len(tail) >= 4:
                    return 200, self._poll(tail[3])
                if tail[2] == "instances":
                    if len(tail) == 3 and method == "POST":
                        return 200, self._insert(project, zone, request.get_json(force=True))
                    if len(tail) == 3 and method == "GET":
                        items = [i for (z, _), i in sorted(self._instances.items()) if z == zone]
                        return 200, {"kind": "compute#instanceList", "items": items}
                    if len(tail) == 4 and method == "GET":
                        return 200, self._get_instance(zone, tail[3])
                    if len(tail) == 4 and method == "DELETE":
                        return 200, self._instance_op(project, zone, tail[3], "delete")
                    if len(tail) == 5 and method == "POST":
                        return 200, self._instance_op(project, zone, tail[3], tail[4])
        raise _HttpError(*_error(404, f"unknown compute call {method} {rest}", "notFound"))

    def _get_instance(self, zone: str, name: str) -> dict[str, Any]:
        inst = self._instances.get((zone, name))
        if inst is None:
            raise _HttpError(
                *_error(
                    404,
                    f"The resource 'projects/{self.project}/zones/{zone}/instances/{name}' was not found",
                    "notFound",
                )
            )
        return inst

    def _new_instance(self, zone: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        numeric = str(next(self._ids))
        link = f"{_GCE}/projects/{self.project}/zones/{zone}/instances/{name}"
        machine = body.get("machineType", "")
        if not machine.startswith("https://"):
            machine = f"{_GCE}/projects/{self.project}/{machine}"
        n = len(self._instances) + 2
        return {
            "kind": "compute#instance",
            "id": numeric,
            "creationTimestamp": datetime.now(timezone.utc)
            .astimezone()
            .isoformat(timespec="milliseconds"),
            "name": name,
            "machineType": machine,
            "status": "PROVISIONING",
            "zone": f"{_GCE}/projects/{self.project}/zones/{zone}",
            "networkInterfaces": [
                {
                    "kind": "compute#networkInterface",
                    "network": f"{_GCE}/projects/{self.project}/global/networks/default",
                    "networkIP": f"10.128.0.{n}",
                    "name": "nic0",
                    "accessConfigs": [
                        {
                            "kind": "compute#accessConfig",
                            "type": "ONE_TO_ONE_NAT",
                            "name": "External NAT",
                            "natIP": f"34.66.0.{n}",
                        }
                    ],
                }
            ],
            "disks": [
                {
                    "kind": "compute#attachedDisk",
                    "type": "PERSISTENT",
                    "mode": "READ_WRITE",
                    "source": f"{_GCE}/projects/{self.project}/zones/{zone}/disks/{name}",
                    "deviceName": "persistent-disk-0",
                    "index": 0,
                    "boot": True,
                    "autoDelete": True,
                }
            ],
            "metadata": {
                "kind": "compute#metadata",
                "fingerprint": "abc=",
                **(
                    {"items": body["metadata"]["items"]}
                    if body.get("metadata", {}).get("items")
                    else {}
                ),
            },
            "labels": dict(body.get("labels") or {}),
            "selfLink": link,
            "cpuPlatform": "Unknown CPU Platform",
        }

    def _op(self, project: str, zone: str, name: str, kind: str, inst_id: str) -> dict[str, Any]:
        op_name = f"operation-{uuid.uuid4().hex[:20]}"
        return {
            "kind": "compute#operation",
            "id": str(next(self._ids)),
            "name": op_name,
            "zone": f"{_GCE}/projects/{project}/zones/{zone}",
            "operationType": kind,
            "targetLink": f"{_GCE}/projects/{project}/zones/{zone}/instances/{name}",
            "targetId": inst_id,
            "status": "RUNNING",
            "user": "cloud-common@example.iam.gserviceaccount.com",
            "progress": 0,
            "insertTime": _now(),
            "startTime": _now(),
            "selfLink": f"{_GCE}/projects/{project}/zones/{zone}/operations/{op_name}",
        }

    def _insert(self, project: str, zone: str, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name", "")
        if not re.match(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", name):
            raise _HttpError(
                *_error(400, f"Invalid value for field 'resource.name': '{name}'.", "invalid")
            )
        if not body.get("machineType"):
            raise _HttpError(
                *_error(400, "Invalid value for field 'resource.machineType': ''.", "invalid")
            )
        disks = body.get("disks") or []
        image = (disks[0].get("initializeParams") or {}).get("sourceImage") if disks else None
        if not image:
            raise _HttpError(*_error(400, "Missing source image for the boot disk.", "invalid"))
        if (zone, name) in self._instances:
            raise _HttpError(
                *_error(
                    409,
                    f"The resource 'projects/{project}/zones/{zone}/instances/{name}' already exists",
                    "alreadyExists",
                )
            )
        if "does-not-exist" in image:
            raise _HttpError(*_error(404, f"The resource '{image}' was not found", "notFound"))
        inst = self._new_instance(zone, name, body)
        self._instances[(zone, name)] = inst
        quota = "quota-exceeded" in body.get("machineType", "")

        def finish() -> dict[str, Any] | None:
            if quota:
                self._instances.pop((zone, name), None)
                return {
                    "httpErrorStatusCode": 403,
                    "httpErrorMessage": "FORBIDDEN",
                    "error": {
                        "errors": [
                            {
                                "code": "QUOTA_EXCEEDED",
                                "message": "Quota 'CPUS' exceeded. Limit: 8.0 in region.",
                            }
                        ]
                    },
                }
            if (zone, name) in self._instances:
                self._instances[(zone, name)]["status"] = "RUNNING"
            return None

        inst["status"] = "PROVISIONING" if self.op_polls else "RUNNING"
        return self._operation(
            "compute", self._op(project, zone, name, "insert", inst["id"]), finish
        )

    def _instance_op(self, project: str, zone: str, name: str, verb: str) -> dict[str, Any]:
        inst = self._get_instance(zone, name)
        status = inst["status"]
        transitions = {
            "start": ({"TERMINATED", "STOPPED"}, "STAGING", "RUNNING", {"RUNNING"}),
            "stop": (
                {"RUNNING", "PROVISIONING", "STAGING", "REPAIRING", "SUSPENDED"},
                "STOPPING",
                "TERMINATED",
                {"TERMINATED", "STOPPED"},
            ),
            "resume": ({"SUSPENDED"}, "STAGING", "RUNNING", set()),
            "suspend": ({"RUNNING"}, "SUSPENDING", "SUSPENDED", set()),
            "delete": (None, "STOPPING", None, set()),
        }
        if verb not in transitions:
            raise _HttpError(*_error(400, f"unknown instance method {verb}", "invalid"))
        allowed, during, final, noop = transitions[verb]
        if status in noop:
            return self._operation(
                "compute", self._op(project, zone, name, verb, inst["id"]), lambda: None
            )
        if allowed is not None and status not in allowed:
            raise _HttpError(
                *_error(
                    400,
                    f"The resource '{name}' is not ready: instance is {status}",
                    "resourceNotReady",
                )
            )
        if verb == "delete" and inst.get("deletionProtection"):
            raise _HttpError(
                *_error(
                    400,
                    "Invalid resource usage: 'Resource cannot be deleted if it's protected against deletion.'",
                    "resourceInUseByAnotherResource",
                )
            )
        inst["status"] = during

        def finish() -> dict[str, Any] | None:
            if final is None:
                self._instances.pop((zone, name), None)
            elif (zone, name) in self._instances:
                self._instances[(zone, name)]["status"] = final
            return None

        return self._operation("compute", self._op(project, zone, name, verb, inst["id"]), finish)

    def _aggregated(self, project: str, request: Any) -> dict[str, Any]:
        size = int(request.args.get("maxResults") or 500)
        start = int(request.args.get("pageToken") or 0)
        flt = request.args.get("filter") or ""
        rows = sorted(self._instances.items())
        match = re.match(r"^id\s*=\s*(\d+)$", flt.strip())
        if match:
            rows = [r for r in rows if r[1]["id"] == match.group(1)]
        page = rows[start : start + size]
        items: dict[str, Any] = {}
        for (zone, _), inst in page:
            items.setdefault(f"zones/{zone}", {"instances": []})["instances"].append(inst)
        if start == 0:
            items.setdefault(
                "zones/asia-east1-a",
                {
                    "warning": {
                        "code": "NO_RESULTS_ON_PAGE",
                        "message": "There are no results for scope 'zones/asia-east1-a' on this page.",
                        "data": [{"key": "scope", "value": "zones/asia-east1-a"}],
                    }
                },
            )
        body: dict[str, Any] = {
            "kind": "compute#instanceAggregatedList",
            "id": f"projects/{project}/aggregated/instances",
            "items": items,
            "selfLink": f"{_GCE}/projects/{project}/aggregated/instances",
        }
        if start + size < len(rows):
            body["nextPageToken"] = str(start + size)
        return body

    # -- functions --------------------------------------------------------------------

    def _functions_api(self, method: str, rest: str, request: Any) -> tuple[int, dict[str, Any]]:
        m = re.match(r"^projects/([^/]+)/locations/([^/:]+)(.*)$", rest)
        if not m:
            raise _HttpError(*_error(404, "unknown functions path", "notFound"))
        project, location, tail = m.groups()
        parent = f"projects/{project}/locations/{location}"
        with self._lock:
            if tail in (":generateUploadUrl", "/functions:generateUploadUrl") and method == "POST":
                upload_id = uuid.uuid4().hex
                self._uploads[upload_id] = None
                return 200, {
                    "uploadUrl": f"{self.url}/upload/{upload_id}?GoogleAccessId=fake&Expires=1&Signature=fake",
                    "storageSource": {
                        "bucket": f"gcf-v2-uploads-123456789-{location}",
                        "object": f"{upload_id}.zip",
                    },
                }
            if tail == "/functions" and method == "POST":
                return 200, self._create_function(
                    parent, request.args.get("functionId", ""), request.get_json(force=True)
                )
            if tail == "/functions" and method == "GET":
                return 200, self._list_functions(parent, location, request)
            fm = re.match(r"^/functions/([^/:]+)$", tail)
            if fm:
                full = f"{parent}/functions/{fm.group(1)}"
                fn = self._functions.get(full)
                if fn is None:
                    raise _HttpError(*_error(404, f"Resource '{full}' was not found", "notFound"))
                if method == "GET":
                    return 200, fn
                if method == "DELETE":
                    return 200, self._delete_function(parent, full)
            om = re.match(r"^/operations/([^/]+)$", tail)
            if om and method == "GET":
                return 200, self._poll(f"{parent}/operations/{om.group(1)}")
        raise _HttpError(*_error(404, f"unknown functions call {method} {rest}", "notFound"))

    def _fn_op(self, parent: str, target: str, verb: str) -> dict[str, Any]:
        return {
            "name": f"{parent}/operations/operation-{uuid.uuid4().hex[:16]}",
            "metadata": {
                "@type": "type.googleapis.com/google.cloud.functions.v2.OperationMetadata",
                "createTime": _now(),
                "target": target,
                "verb": verb,
                "apiVersion": "v2",
            },
            "done": False,
        }

    def _new_function(self, full: str, body: dict[str, Any]) -> dict[str, Any]:
        location = full.split("/")[3]
        short = full.rsplit("/", 1)[-1]
        fn: dict[str, Any] = json.loads(json.dumps(body))
        fn.update(
            name=full,
            state="DEPLOYING",
            environment="GEN_2",
            updateTime=_now(),
            url=f"{self.url}/run/{location}/{short}",
        )
        service = fn.setdefault("serviceConfig", {})
        service.setdefault("availableMemory", "256M")
        service.setdefault("timeoutSeconds", 60)
        service["uri"] = f"{self.url}/run/{location}/{short}"
        service["service"] = f"projects/{self.project}/locations/{location}/services/{short}"
        return fn

    def _create_function(
        self, parent: str, function_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        if not re.match(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", function_id):
            raise _HttpError(*_error(400, f"Invalid function_id '{function_id}'", "invalid"))
        full = f"{parent}/functions/{function_id}"
        if full in self._functions:
            raise _HttpError(
                *_error(
                    409,
                    f"Function {function_id} in region {parent.split('/')[3]} in project {self.project} already exists",
                    "alreadyExists",
                )
            )
        build = body.get("buildConfig") or {}
        source = (build.get("source") or {}).get("storageSource") or {}
        upload_id = str(source.get("object", "")).removesuffix(".zip")
        if self._uploads.get(upload_id) is None:
            raise _HttpError(
                *_error(400, "Invalid source: the upload URL was not used or expired", "invalid")
            )
        fn = self._new_function(full, body)
        self._functions[full] = fn
        runtime = build.get("runtime", "")

        def finish() -> dict[str, Any] | None:
            if not _RUNTIME.match(runtime):
                self._functions.pop(full, None)
                return {"error": {"code": 3, "message": f"Invalid runtime '{runtime}'"}}
            stored = self._functions.get(full)
            if stored is None:
                return {"error": {"code": 5, "message": f"{full} was deleted"}}
            stored["state"] = "ACTIVE"
            stored["updateTime"] = _now()
            response = dict(stored)
            response["@type"] = "type.googleapis.com/google.cloud.functions.v2.Function"
            return response

        return self._operation("functions", self._fn_op(parent, full, "create"), finish)

    def _delete_function(self, parent: str, full: str) -> dict[str, Any]:
        self._functions[full]["state"] = "DELETING"

        def finish() -> dict[str, Any] | None:
            self._functions.pop(full, None)
            self._loaded.pop(full, None)
            return None

        return self._operation("functions", self._fn_op(parent, full, "delete"), finish)

    def _list_functions(self, parent: str, location: str, request: Any) -> dict[str, Any]:
        size = int(request.args.get("pageSize") or 0) or 1000
        start = int(request.args.get("pageToken") or 0)
        prefix = f"projects/{self.project}/locations/"
        rows = [
            fn for full, fn in sorted(self._functions.items())
            if full.startswith(prefix if location == "-" else parent + "/")
        ]  # fmt: skip
        body: dict[str, Any] = {"functions": rows[start : start + size]}
        if start + size < len(rows):
            body["nextPageToken"] = str(start + size)
        return body

    def _upload(self, method: str, upload_id: str, request: Any) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if method != "PUT" or upload_id not in self._uploads:
                raise _HttpError(*_error(404, "No such upload", "notFound"))
            if request.headers.get("Content-Type") != "application/zip":
                raise _HttpError(
                    *_error(400, "The upload must have Content-Type application/zip", "invalid")
                )
            self._uploads[upload_id] = request.get_data()
        return 200, {}

    # -- running functions ------------------------------------------------------------

    def _run(self, method: str, rest: str, request: Any) -> Any:
        from werkzeug.wrappers import Response  # noqa: PLC0415

        location, _, short = rest.partition("/")
        full = f"projects/{self.project}/locations/{location}/functions/{short}"
        with self._lock:
            fn = self._functions.get(full)
            if fn is None or fn.get("state") != "ACTIVE":
                return Response(
                    "<html><body>Error: Page not found</body></html>",
                    status=404,
                    content_type="text/html",
                )
            entry = self._loaded.get(full) or self._load(full, fn)
        if method != "POST":
            return Response("Method Not Allowed", status=405)
        try:
            result = entry(request)
        except Exception:  # noqa: BLE001 - what functions-framework does
            return Response("Internal Server Error", status=500, content_type="text/plain")
        return _to_response(result)

    def _load(self, full: str, fn: dict[str, Any]) -> Callable[[Any], Any]:
        build = fn.get("buildConfig") or {}
        upload_id = str(
            ((build.get("source") or {}).get("storageSource") or {}).get("object", "")
        ).removesuffix(".zip")
        data = self._uploads.get(upload_id)
        entry_name = build.get("entryPoint") or ""
        if not data:
            raise _HttpError(500, {"error": "function has no code"})
        folder = Path(self._tmp.name) / uuid.uuid4().hex
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            bundle.extractall(folder)
        before = set(sys.modules)
        sys.path.insert(0, str(folder))
        try:
            spec = importlib.util.spec_from_file_location(
                f"_cc_fn_{uuid.uuid4().hex}", folder / "main.py"
            )
            if spec is None or spec.loader is None:
                raise _HttpError(500, {"error": "main.py missing"})
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(folder))
            for name in set(sys.modules) - before:
                sys.modules.pop(name, None)
        entry: Callable[[Any], Any] = getattr(module, entry_name)
        self._loaded[full] = entry
        return entry


def _b64url(text: str) -> bytes:
    import base64  # noqa: PLC0415

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    import base64  # noqa: PLC0415

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


class _HttpError(Exception):
    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload


def _to_response(result: Any) -> Any:
    from werkzeug.wrappers import Response  # noqa: PLC0415

    if isinstance(result, Response):
        return result
    status, headers = 200, {}
    if isinstance(result, tuple):
        body = result[0]
        if len(result) > 1:
            status = int(result[1])
        if len(result) > 2:
            headers = dict(result[2])
    else:
        body = result
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    return Response(body, status=status, headers=headers)


def _reset_connection(request: Any) -> None:
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()

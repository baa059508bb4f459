"""The Compute Engine REST API (``/compute/v1/...``), faked: instances and their zone
operations, ``aggregatedList`` with pagination, status transitions as GCE makes them."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from cloud_common.gcp.testing._operations import Operations
from cloud_common.gcp.testing._server import google_error, now

__all__ = ["ComputeEngineApi"]

_GCE = "https://www.googleapis.com/compute/v1"
_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
# verb: (statuses it starts from, status while running, final status (None: deleted),
#        statuses in which it does nothing)
_TRANSITIONS: dict[str, tuple[set[str] | None, str, str | None, set[str]]] = {
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


class ComputeEngineApi:
    """Instances of one project, by ``(zone, name)``. Called by :class:`GcpFake` with the
    path after ``/compute/v1/``; the caller holds the fake's lock."""

    def __init__(self, project: str, operations: Operations) -> None:
        self.project = project
        self.operations = operations
        self.instances: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: dict[str, str] = {}
        """Operation name of each ``requestId`` seen (Compute Engine's idempotency)."""
        self._ids = itertools.count(5_000_000_000_000_000)

    def reset(self) -> None:
        self.instances.clear()
        self.requests.clear()

    def handle(self, method: str, rest: str, request: Any) -> dict[str, Any]:
        """The JSON answer of one call; raises ``HttpError`` for an error answer.

        A mutating call repeated with the same ``requestId`` answers the first call's
        operation and does nothing, as Compute Engine does."""
        request_id = request.args.get("requestId") if method in ("POST", "DELETE") else None
        if request_id and request_id in self.requests:
            return self.operations.poll(self.requests[request_id])
        answer = self._route(method, rest, request)
        if request_id and answer.get("kind") == "compute#operation":
            self.requests[request_id] = str(answer["name"])
        return answer

    def _route(self, method: str, rest: str, request: Any) -> dict[str, Any]:
        parts = rest.split("/")
        if len(parts) < 3 or parts[0] != "projects":
            raise google_error(404, "unknown compute path", "notFound")
        project, tail = parts[1], parts[2:]
        if tail == ["aggregated", "instances"] and method == "GET":
            return self._aggregated(project, request.args)
        if len(tail) >= 4 and tail[0] == "zones" and tail[2] == "operations":
            return self.operations.poll(tail[3])
        if len(tail) >= 3 and tail[0] == "zones" and tail[2] == "instances":
            zone = tail[1]
            if len(tail) == 3 and method == "POST":
                return self._insert(project, zone, request.get_json(force=True))
            if len(tail) == 3 and method == "GET":
                items = [i for (z, _), i in sorted(self.instances.items()) if z == zone]
                return {"kind": "compute#instanceList", "items": items}
            if len(tail) == 4 and method == "GET":
                return self.get(zone, tail[3])
            if len(tail) == 4 and method == "DELETE":
                return self._act(project, zone, tail[3], "delete")
            if len(tail) == 5 and method == "POST":
                return self._act(project, zone, tail[3], tail[4])
        raise google_error(404, f"unknown compute call {method} {rest}", "notFound")

    def get(self, zone: str, name: str) -> dict[str, Any]:
        inst = self.instances.get((zone, name))
        if inst is None:
            raise google_error(
                404,
                f"The resource 'projects/{self.project}/zones/{zone}/instances/{name}' was not found",
                "notFound",
            )
        return inst

    def new_instance(self, zone: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """The JSON of a new instance (PROVISIONING), not yet stored."""
        machine = body.get("machineType", "")
        if not machine.startswith("https://"):
            machine = f"{_GCE}/projects/{self.project}/{machine}"
        n = len(self.instances) + 2
        items = (body.get("metadata") or {}).get("items")
        return {
            "kind": "compute#instance",
            "id": str(next(self._ids)),
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
                **({"items": items} if items else {}),
            },
            "labels": dict(body.get("labels") or {}),
            "selfLink": f"{_GCE}/projects/{self.project}/zones/{zone}/instances/{name}",
            "cpuPlatform": "Unknown CPU Platform",
        }

    def _operation(
        self, project: str, zone: str, name: str, verb: str, inst_id: str
    ) -> dict[str, Any]:
        op_name = f"operation-{uuid.uuid4().hex[:20]}"
        return {
            "kind": "compute#operation",
            "id": str(next(self._ids)),
            "name": op_name,
            "zone": f"{_GCE}/projects/{project}/zones/{zone}",
            "operationType": verb,
            "targetLink": f"{_GCE}/projects/{project}/zones/{zone}/instances/{name}",
            "targetId": inst_id,
            "status": "RUNNING",
            "user": "cloud-common@example.iam.gserviceaccount.com",
            "progress": 0,
            "insertTime": now(),
            "startTime": now(),
            "selfLink": f"{_GCE}/projects/{project}/zones/{zone}/operations/{op_name}",
        }

    def _insert(self, project: str, zone: str, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name", "")
        if not _NAME.match(name):
            raise google_error(400, f"Invalid value for field 'resource.name': '{name}'.")
        if not body.get("machineType"):
            raise google_error(400, "Invalid value for field 'resource.machineType': ''.")
        disks = body.get("disks") or []
        image = (disks[0].get("initializeParams") or {}).get("sourceImage") if disks else None
        if not image:
            raise google_error(400, "Missing source image for the boot disk.")
        if (zone, name) in self.instances:
            raise google_error(
                409,
                f"The resource 'projects/{project}/zones/{zone}/instances/{name}' already exists",
                "alreadyExists",
            )
        if "does-not-exist" in image:
            raise google_error(404, f"The resource '{image}' was not found", "notFound")
        inst = self.new_instance(zone, name, body)
        self.instances[(zone, name)] = inst
        quota = "quota-exceeded" in body.get("machineType", "")

        def finish() -> dict[str, Any] | None:
            if quota:
                self.instances.pop((zone, name), None)
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
            if (zone, name) in self.instances:
                self.instances[(zone, name)]["status"] = "RUNNING"
            return None

        inst["status"] = "PROVISIONING" if self.operations.polls else "RUNNING"
        doc = self._operation(project, zone, name, "insert", inst["id"])
        return self.operations.start("compute", doc, finish)

    def _act(self, project: str, zone: str, name: str, verb: str) -> dict[str, Any]:
        inst = self.get(zone, name)
        if verb not in _TRANSITIONS:
            raise google_error(400, f"unknown instance method {verb}")
        allowed, during, final, noop = _TRANSITIONS[verb]
        doc = self._operation(project, zone, name, verb, inst["id"])
        if inst["status"] in noop:
            return self.operations.start("compute", doc, lambda: None)
        if allowed is not None and inst["status"] not in allowed:
            raise google_error(
                400,
                f"The resource '{name}' is not ready: instance is {inst['status']}",
                "resourceNotReady",
            )
        if verb == "delete" and inst.get("deletionProtection"):
            raise google_error(
                400,
                "Invalid resource usage: 'Resource cannot be deleted if it's protected "
                "against deletion.'",
                "resourceInUseByAnotherResource",
            )
        inst["status"] = during

        def finish() -> dict[str, Any] | None:
            if final is None:
                self.instances.pop((zone, name), None)
            elif (zone, name) in self.instances:
                self.instances[(zone, name)]["status"] = final
            return None

        return self.operations.start("compute", doc, finish)

    def _aggregated(self, project: str, args: Any) -> dict[str, Any]:
        size = int(args.get("maxResults") or 500)
        start = int(args.get("pageToken") or 0)
        rows = sorted(self.instances.items())
        match = re.match(r"^id\s*=\s*(\d+)$", (args.get("filter") or "").strip())
        if match:
            rows = [r for r in rows if r[1]["id"] == match.group(1)]
        items: dict[str, Any] = {}
        for (zone, _), inst in rows[start : start + size]:
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

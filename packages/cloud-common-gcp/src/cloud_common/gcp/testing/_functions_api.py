"""The Cloud Functions v2 REST API (``/v2/...``), faked: functions and their operations,
``generateUploadUrl`` and the signed upload it returns (``/upload/<id>``), pagination."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from cloud_common.gcp.testing._operations import Operations
from cloud_common.gcp.testing._server import google_error, now

__all__ = ["CloudFunctionsApi"]

_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_RUNTIME = re.compile(r"^(python3\d+|nodejs\d+|go1\d+|java\d+|ruby\d+|php\d+|dotnet\d+)$")


class CloudFunctionsApi:
    """Functions of one project, by full name, and the source zips uploaded for them.
    Called by :class:`GcpFake` with the path after ``/v2/`` (or ``/upload/``); the caller
    holds the fake's lock.

    Args:
        project: The project.
        operations: Where deploys and deletes run.
        base_url: The fake's URL (upload URLs and function URLs point at it).
    """

    def __init__(self, project: str, operations: Operations, base_url: Callable[[], str]) -> None:
        self.project = project
        self.operations = operations
        self.functions: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes | None] = {}
        self._base_url = base_url

    def reset(self) -> None:
        self.functions.clear()
        self.uploads.clear()

    @staticmethod
    def upload_id(function: dict[str, Any]) -> str:
        """The id of the upload a function's build reads its source from."""
        storage = ((function.get("buildConfig") or {}).get("source") or {}).get("storageSource")
        return str((storage or {}).get("object", "")).removesuffix(".zip")

    def source(self, function: dict[str, Any]) -> bytes | None:
        """The zip uploaded for a function, or None."""
        return self.uploads.get(self.upload_id(function))

    def handle(self, method: str, rest: str, request: Any) -> dict[str, Any]:
        """The JSON answer of one call; raises ``HttpError`` for an error answer."""
        m = re.match(r"^projects/([^/]+)/locations/([^/:]+)(.*)$", rest)
        if not m:
            raise google_error(404, "unknown functions path", "notFound")
        project, location, tail = m.groups()
        parent = f"projects/{project}/locations/{location}"
        if tail in (":generateUploadUrl", "/functions:generateUploadUrl") and method == "POST":
            return self._upload_url(location)
        if tail == "/functions" and method == "POST":
            body = request.get_json(force=True)
            return self._create(parent, request.args.get("functionId", ""), body)
        if tail == "/functions" and method == "GET":
            return self._list(parent, location, request.args)
        fm = re.match(r"^/functions/([^/:]+)$", tail)
        if fm and method in ("GET", "DELETE"):
            full = f"{parent}/functions/{fm.group(1)}"
            fn = self.functions.get(full)
            if fn is None:
                raise google_error(404, f"Resource '{full}' was not found", "notFound")
            return fn if method == "GET" else self._delete(parent, full)
        om = re.match(r"^/operations/([^/]+)$", tail)
        if om and method == "GET":
            return self.operations.poll(f"{parent}/operations/{om.group(1)}")
        raise google_error(404, f"unknown functions call {method} {rest}", "notFound")

    def receive_upload(self, method: str, upload_id: str, request: Any) -> dict[str, Any]:
        """``PUT /upload/<id>``: the signed upload URL of ``generateUploadUrl``."""
        if method != "PUT" or upload_id not in self.uploads:
            raise google_error(404, "No such upload", "notFound")
        if request.headers.get("Content-Type") != "application/zip":
            raise google_error(400, "The upload must have Content-Type application/zip")
        self.uploads[upload_id] = request.get_data()
        return {}

    def new_function(self, full: str, body: dict[str, Any]) -> dict[str, Any]:
        """The JSON of a new function (DEPLOYING), not yet stored."""
        location = full.split("/")[3]
        short = full.rsplit("/", 1)[-1]
        fn: dict[str, Any] = json.loads(json.dumps(body))
        url = f"{self._base_url()}/run/{location}/{short}"
        fn.update(name=full, state="DEPLOYING", environment="GEN_2", updateTime=now(), url=url)
        service = fn.setdefault("serviceConfig", {})
        service.setdefault("availableMemory", "256M")
        service.setdefault("timeoutSeconds", 60)
        service["uri"] = url
        service["service"] = f"projects/{self.project}/locations/{location}/services/{short}"
        return fn

    def _upload_url(self, location: str) -> dict[str, Any]:
        upload_id = uuid.uuid4().hex
        self.uploads[upload_id] = None
        return {
            "uploadUrl": f"{self._base_url()}/upload/{upload_id}"
            "?GoogleAccessId=fake&Expires=1&Signature=fake",
            "storageSource": {
                "bucket": f"gcf-v2-uploads-123456789-{location}",
                "object": f"{upload_id}.zip",
            },
        }

    def _operation(self, parent: str, target: str, verb: str) -> dict[str, Any]:
        return {
            "name": f"{parent}/operations/operation-{uuid.uuid4().hex[:16]}",
            "metadata": {
                "@type": "type.googleapis.com/google.cloud.functions.v2.OperationMetadata",
                "createTime": now(),
                "target": target,
                "verb": verb,
                "apiVersion": "v2",
            },
            "done": False,
        }

    def _create(self, parent: str, function_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if not _NAME.match(function_id):
            raise google_error(400, f"Invalid function_id '{function_id}'")
        full = f"{parent}/functions/{function_id}"
        if full in self.functions:
            raise google_error(
                409,
                f"Function {function_id} in region {parent.split('/')[3]} in project "
                f"{self.project} already exists",
                "alreadyExists",
            )
        if self.source(body) is None:
            raise google_error(400, "Invalid source: the upload URL was not used or expired")
        self.functions[full] = self.new_function(full, body)
        runtime = (body.get("buildConfig") or {}).get("runtime", "")

        def finish() -> dict[str, Any] | None:
            if not _RUNTIME.match(runtime):
                self.functions.pop(full, None)
                return {"error": {"code": 3, "message": f"Invalid runtime '{runtime}'"}}
            stored = self.functions.get(full)
            if stored is None:
                return {"error": {"code": 5, "message": f"{full} was deleted"}}
            stored.update(state="ACTIVE", updateTime=now())
            return {**stored, "@type": "type.googleapis.com/google.cloud.functions.v2.Function"}

        return self.operations.start("functions", self._operation(parent, full, "create"), finish)

    def _delete(self, parent: str, full: str) -> dict[str, Any]:
        self.functions[full]["state"] = "DELETING"

        def finish() -> dict[str, Any] | None:
            self.functions.pop(full, None)
            return None

        return self.operations.start("functions", self._operation(parent, full, "delete"), finish)

    def _list(self, parent: str, location: str, args: Any) -> dict[str, Any]:
        size = int(args.get("pageSize") or 0) or 1000
        start = int(args.get("pageToken") or 0)
        prefix = f"projects/{self.project}/locations/" if location == "-" else parent + "/"
        rows = [fn for full, fn in sorted(self.functions.items()) if full.startswith(prefix)]
        body: dict[str, Any] = {"functions": rows[start : start + size]}
        if start + size < len(rows):
            body["nextPageToken"] = str(start + size)
        return body

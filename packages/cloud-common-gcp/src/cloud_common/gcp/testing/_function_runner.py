"""The HTTPS endpoints of deployed functions (``/run/<location>/<name>``), faked: the
uploaded zip is unpacked once, and each request runs its ``main.py`` entry point in a
fresh process (``_function_process``) with the function's environment variables and the
variables Cloud Run sets (``K_SERVICE``, ``K_REVISION``, ``FUNCTION_TARGET``, ``PORT``),
killed with its process group at ``timeoutSeconds``."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloud_common.gcp.testing._functions_api import CloudFunctionsApi
from cloud_common.gcp.testing._server import HttpError

__all__ = ["DeployedFunction", "FunctionEndpoints"]


@dataclass(frozen=True)
class DeployedFunction:
    """What runs behind one function URL."""

    name: str
    folder: str
    entry_point: str
    timeout: float
    environment: dict[str, str] = field(default_factory=dict)


class FunctionEndpoints:
    """Runs the functions of a :class:`CloudFunctionsApi`; each deployed source is
    unpacked once. Call :meth:`close` to remove the unpacked code."""

    def __init__(self, api: CloudFunctionsApi) -> None:
        self.api = api
        self._unpacked: dict[str, str] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="cc-gcp-fake-")

    def reset(self) -> None:
        self._unpacked.clear()

    def close(self) -> None:
        self._tmp.cleanup()

    def entry_point(self, project: str, rest: str) -> DeployedFunction | None:
        """The function behind ``/run/<rest>``, or None when no ACTIVE function is there.

        The caller holds the fake's lock.
        """
        location, _, short = rest.partition("/")
        fn = self.api.functions.get(f"projects/{project}/locations/{location}/functions/{short}")
        if fn is None or fn.get("state") != "ACTIVE":
            return None
        source = self.api.source(fn)
        if not source:
            raise HttpError(500, {"error": "function has no code"})
        key = self.api.upload_id(fn)
        folder = self._unpacked.get(key)
        if folder is None:
            folder = self._unpacked[key] = self._unpack(source)
        service = fn.get("serviceConfig") or {}
        return DeployedFunction(
            name=short,
            folder=folder,
            entry_point=(fn.get("buildConfig") or {}).get("entryPoint", ""),
            timeout=float(service.get("timeoutSeconds") or 60),
            environment=dict(service.get("environmentVariables") or {}),
        )

    def run(self, deployed: DeployedFunction, method: str, request: Any) -> Any:
        """Answer one request (outside the fake's lock: handlers may be slow), as Cloud
        Run does: the handler's answer; 500 when the process failed without one; 504
        ``upstream request timeout`` when it ran past its timeout."""
        from werkzeug.wrappers import Response  # noqa: PLC0415

        if method != "POST":
            return Response("Method Not Allowed", status=405)
        result = Path(self._tmp.name) / f"result-{uuid.uuid4().hex}.json"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": deployed.folder,
            "LANG": "C.UTF-8",
            "PORT": "8080",
            "K_SERVICE": deployed.name,
            "K_REVISION": f"{deployed.name}-00001-abc",
            "K_CONFIGURATION": deployed.name,
            "FUNCTION_TARGET": deployed.entry_point,
            **deployed.environment,
        }
        request_json = json.dumps(
            {
                "method": method,
                "headers": {k: v for k, v in request.headers.items() if k.lower() != "host"},
                "body": base64.b64encode(request.get_data()).decode(),
            }
        ).encode()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cloud_common.gcp.testing._function_process",
                deployed.folder,
                deployed.entry_point,
                str(result),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=deployed.folder,
            start_new_session=True,
        )
        try:
            process.communicate(request_json, timeout=deployed.timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            result.unlink(missing_ok=True)
            return Response("upstream request timeout", status=504, content_type="text/plain")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # what the handler left running
        try:
            answer = json.loads(result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return Response("Internal Server Error", status=500, content_type="text/plain")
        finally:
            result.unlink(missing_ok=True)
        return Response(
            base64.b64decode(answer["body"]), status=answer["status"], headers=answer["headers"]
        )

    def _unpack(self, source: bytes) -> str:
        folder = Path(self._tmp.name) / uuid.uuid4().hex
        with zipfile.ZipFile(io.BytesIO(source)) as archive:
            archive.extractall(folder)
        if not (folder / "main.py").is_file():
            raise HttpError(500, {"error": "main.py missing"})
        return str(folder)

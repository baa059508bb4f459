"""Lambda's Invoke API for python functions: the handler runs from the deployed zip in a
subprocess, so errors come back as ``X-Amz-Function-Error`` like on AWS (moto's simple
backend only echoes the payload and never fails). Other runtimes go on to moto."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

from cloud_common.aws.testing._wsgi import App, Reply, respond

__all__ = ["ACCOUNT_ID", "LambdaRunner"]

ACCOUNT_ID = "123456789012"
"""moto's default account."""

_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_RUNNER = r"""
import importlib, json, sys, traceback
module_name, _, func_name = sys.argv[1].rpartition(".")
sys.path.insert(0, ".")
try:
    event = json.loads(sys.stdin.buffer.read() or b"null")
    result = getattr(importlib.import_module(module_name), func_name)(event, None)
    out, code = json.dumps(result), 0
except Exception as exc:
    out = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__,
                      "stackTrace": traceback.format_tb(exc.__traceback__)})
    code = 1
sys.stdout.write(out)
sys.exit(code)
"""


class LambdaRunner:
    """WSGI middleware answering Invoke of python functions; everything else goes to ``app``.

    Code is unpacked once per code hash into a temporary folder (``close()`` removes it).
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self._dirs: dict[str, str] = {}
        self._lock = threading.Lock()
        self._root = tempfile.mkdtemp(prefix="cc-aws-lambda-")

    def close(self) -> None:
        """Remove the unpacked code."""
        shutil.rmtree(self._root, ignore_errors=True)

    def _code_dir(self, function: Any) -> str:
        sha = str(getattr(function, "code_sha_256", "") or id(function))
        with self._lock:
            if sha not in self._dirs:
                target = os.path.join(self._root, re.sub(r"[^A-Za-z0-9]", "_", sha))
                with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
                    archive.extractall(target)
                self._dirs[sha] = target
            return self._dirs[sha]

    def invoke(self, name: str, environ: dict[str, Any]) -> Reply | None:
        """Run function ``name`` on the request's body; None to let moto answer."""
        from moto.awslambda.utils import get_backend  # noqa: PLC0415

        found = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = found.group(1) if found else "us-east-1"
        if name.startswith("arn:"):
            name = name.split(":")[6]
        try:
            function = get_backend(ACCOUNT_ID, region).get_function(name)
        except Exception:  # noqa: BLE001 - moto's UnknownFunctionException and friends
            body = json.dumps({"Type": "User", "Message": f"Function not found: {name}"}).encode()
            headers = [
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", "ResourceNotFoundException"),
            ]
            return "404 Not Found", headers, body
        runtime = str(getattr(function, "run_time", "") or "")
        code = getattr(function, "code_bytes", b"")
        if not runtime.startswith("python") or not code:
            return None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        event = environ["wsgi.input"].read(length) if length else b""
        done = subprocess.run(
            [sys.executable, "-c", _RUNNER, str(function.handler)],
            input=event,
            capture_output=True,
            cwd=self._code_dir(function),
            timeout=float(getattr(function, "timeout", 3) or 3) + 10,
            check=False,
        )
        headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
        if done.returncode == 0:
            return "200 OK", headers, done.stdout
        headers.append(("X-Amz-Function-Error", "Unhandled"))
        if done.stdout:
            return "200 OK", headers, done.stdout
        message = done.stderr.decode("utf-8", "replace")[-2000:]
        error = {"errorMessage": message, "errorType": "Runtime.ExitError"}
        return "200 OK", headers, json.dumps(error).encode()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        match = _INVOKE.match(environ.get("PATH_INFO", ""))
        if match is not None and environ["REQUEST_METHOD"] == "POST":
            reply = self.invoke(urllib.parse.unquote(match.group(1)), environ)
            if reply is not None:
                return respond(start_response, reply)
        result: Iterable[bytes] = self.app(environ, start_response)
        return result

"""Lambda's Invoke API for python functions: the handler runs from the deployed zip in a
subprocess, so errors come back as ``X-Amz-Function-Error`` like on AWS (moto's simple
backend only echoes the payload and never fails). Other runtimes go on to moto.

As on Lambda, the handler gets the function's ``Environment`` (and Lambda's own
``AWS_LAMBDA_FUNCTION_NAME``..., never the test process's AWS settings), a context object
(``function_name``, ``function_version``, ``invoked_function_arn``, ``memory_limit_in_mb``,
``aws_request_id``, ``get_remaining_time_in_millis()``) and ``Timeout`` seconds: then it
is killed and the invocation fails with ``Sandbox.Timedout``. A handler that raises fails
with its exception's type name, one that exits before returning with
``Runtime.ExitError``; what it prints goes to the log, not into the result.
"""

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
import uuid
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

from cloud_common.aws.testing._wsgi import App, Reply, respond
from cloud_common.core import FunctionInvocationError

EXITED = FunctionInvocationError.EXITED
TIMED_OUT = FunctionInvocationError.TIMED_OUT

__all__ = ["ACCOUNT_ID", "LambdaRunner"]

ACCOUNT_ID = "123456789012"
"""moto's default account."""

_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_RUNNER = r"""
import importlib, json, os, sys, time, traceback
spec = json.loads(sys.argv[2])
result_out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # the handler's prints go to the log (stderr), as on Lambda
sys.stdout = sys.stderr


class LambdaContext:
    def __init__(self):
        self.function_name = spec["function_name"]
        self.function_version = spec["function_version"]
        self.invoked_function_arn = spec["invoked_function_arn"]
        self.memory_limit_in_mb = int(spec["memory_limit_in_mb"])
        self.aws_request_id = spec["aws_request_id"]
        self.log_group_name = "/aws/lambda/" + spec["function_name"]
        self.log_stream_name = spec["aws_request_id"]
        self._deadline = time.monotonic() + float(spec["timeout"])

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def failure(kind, message, trace=()):
    return {"errorType": kind, "errorMessage": message, "stackTrace": list(trace)}


module_name, _, func_name = sys.argv[1].rpartition(".")
sys.path.insert(0, ".")
try:
    event = json.loads(sys.stdin.buffer.read() or b"null")
    handler = getattr(importlib.import_module(module_name), func_name)
    outcome = {"result": handler(event, LambdaContext())}
except Exception as exc:
    trace = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    outcome = {"error": failure(type(exc).__name__, str(exc), trace)}
try:
    text = json.dumps(outcome)
except (TypeError, ValueError) as exc:
    text = json.dumps({"error": failure("Runtime.MarshalError", "Unable to marshal response: %s" % exc)})
result_out.write(text)
result_out.flush()
"""
_BASE_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")
# What the handler's process inherits from the test process (never its AWS settings).


def _environment(function: Any, region: str) -> dict[str, str]:
    """The handler's environment: the function's ``Environment`` and Lambda's own variables."""
    env = {name: os.environ[name] for name in _BASE_ENVIRONMENT if name in os.environ}
    env.update(
        {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": str(function.function_name),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "_HANDLER": str(function.handler),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update({str(k): str(v) for k, v in (function.environment_vars or {}).items()})
    return env


def _function_error(error: dict[str, Any]) -> Reply:
    """Lambda's answer when the function failed: 200 and ``X-Amz-Function-Error``."""
    headers = [
        ("Content-Type", "application/json"),
        ("X-Amz-Executed-Version", "$LATEST"),
        ("X-Amz-Function-Error", "Unhandled"),
    ]
    return "200 OK", headers, json.dumps(error).encode()


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
        request_id = str(uuid.uuid4())
        timeout = float(getattr(function, "timeout", 3) or 3)
        spec = {
            "function_name": str(function.function_name),
            "function_version": "$LATEST",
            "invoked_function_arn": str(function.function_arn),
            "memory_limit_in_mb": int(function.memory_size),
            "aws_request_id": request_id,
            "timeout": timeout,
        }
        try:
            done = subprocess.run(
                [sys.executable, "-c", _RUNNER, str(function.handler), json.dumps(spec)],
                input=event,
                capture_output=True,
                cwd=self._code_dir(function),
                env=_environment(function, region),
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:  # run() has killed the process
            message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
            return _function_error({"errorType": TIMED_OUT, "errorMessage": message})
        try:
            outcome = json.loads(done.stdout)
        except ValueError:
            outcome = None
        if isinstance(outcome, dict) and "result" in outcome:
            headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
            return "200 OK", headers, json.dumps(outcome["result"]).encode()
        if isinstance(outcome, dict) and "error" in outcome:
            return _function_error(outcome["error"])
        status = (
            f"signal {-done.returncode}"
            if done.returncode < 0
            else f"exit status {done.returncode}"
        )
        message = f"RequestId: {request_id} Error: Runtime exited with error: {status}"
        return _function_error({"errorType": EXITED, "errorMessage": message})

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

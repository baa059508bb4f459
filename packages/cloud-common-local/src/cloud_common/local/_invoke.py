"""One invocation of a local function: the supervised subprocess, its environment and
what its outcome means in core's vocabulary (``FunctionInvocationError``)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloud_common.core import FunctionInvocationError, ValidationError

__all__ = [
    "BASE_ENVIRONMENT",
    "GRACE_SECONDS",
    "MAX_OUTPUT",
    "MAX_PAYLOAD",
    "Invocation",
    "function_environment",
    "invoke",
]

logger = logging.getLogger(__name__)

MAX_OUTPUT = 6 * 1024 * 1024
"""Bytes of a function's output (stdout and stderr) kept; the rest is dropped with a note."""
MAX_PAYLOAD = 6 * 1024 * 1024
"""Largest event and largest result, as JSON (Lambda's synchronous limit)."""
GRACE_SECONDS = 5.0
"""How long past the timeout the caller waits for the supervisor before killing it."""
BASE_ENVIRONMENT: Mapping[str, str] = {
    "PATH": os.pathsep.join(
        dict.fromkeys([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"])
    ),
    "LANG": "C.UTF-8",
}
"""What every function's environment holds besides ``HOME``/``TMPDIR`` (a scratch folder of
the invocation), its declared variables and ``CLOUD_COMMON_LOCAL_FUNCTION``."""

_RUNNER = Path(__file__).with_name("_runner.py")
_LOGGED_LINES = 200


@dataclass(frozen=True)
class Invocation:
    """What one run needs."""

    name: str
    code: Path
    handler: str
    timeout: float
    memory_mb: int
    environment: Mapping[str, str]


def function_environment(declared: Mapping[str, str], *, name: str, home: str) -> dict[str, str]:
    """The whole environment of a function: ``BASE_ENVIRONMENT``, ``HOME`` and ``TMPDIR``
    (the invocation's scratch folder), the declared variables, and
    ``CLOUD_COMMON_LOCAL_FUNCTION``. Nothing of the caller's environment."""
    env = {**BASE_ENVIRONMENT, "HOME": home, "TMPDIR": home}
    env.update(declared)
    env["CLOUD_COMMON_LOCAL_FUNCTION"] = name
    return env


def invoke(job: Invocation, event: dict[str, Any], scratch_parent: Path) -> dict[str, Any]:
    """Run the handler once under the supervisor (``_runner.py``); the result as the
    contract returns it.

    Raises:
        ValidationError: the event is larger than ``MAX_PAYLOAD``.
        FunctionInvocationError: the handler raised, its process exited early, or it ran
            past ``job.timeout`` (see core's table of ``error_type`` and ``status``).
    """
    size = len(json.dumps(event).encode("utf-8"))
    if size > MAX_PAYLOAD:
        raise ValidationError(f"payload is too large: {size} bytes of JSON, at most {MAX_PAYLOAD}")
    request_id = str(uuid.uuid4())
    with tempfile.TemporaryDirectory(
        dir=scratch_parent, prefix="invoke-", ignore_cleanup_errors=True
    ) as scratch:
        home = os.path.join(scratch, "tmp")
        os.mkdir(home, 0o700)
        spec = {
            "code": str(job.code),
            "handler": job.handler,
            "function_name": job.name,
            "request_id": request_id,
            "timeout": job.timeout,
            "memory_mb": job.memory_mb,
            "max_output": MAX_OUTPUT,
            "event": event,
        }
        with open(os.path.join(scratch, "invocation.json"), "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        started = time.monotonic()
        killed = _supervise(job, scratch, home)
        logger.debug(
            "function %s request %s ran in %.3fs", job.name, request_id, time.monotonic() - started
        )
        _log_output(job.name, os.path.join(scratch, "output.log"))
        verdict = _read_json(os.path.join(scratch, "verdict.json"), 4096)
        if killed or (isinstance(verdict, dict) and verdict.get("timed_out")):
            raise _timed_out(job.name, job.timeout)
        if not isinstance(verdict, dict):  # the supervisor itself failed
            _log_output(job.name, os.path.join(scratch, "runner.log"))
            raise _exited(job.name, None, None)
        outcome = _read_json(os.path.join(scratch, "result.json"), MAX_PAYLOAD + 64)
    if outcome is _TOO_LARGE:
        raise _error(
            job.name,
            "Function.ResponseSizeTooLarge",
            f"the response is larger than {MAX_PAYLOAD} bytes",
            FunctionInvocationError.RAISED_STATUS,
        )
    if not isinstance(outcome, dict):
        raise _exited(job.name, verdict.get("exit_code"), verdict.get("signal"))
    if not outcome.get("ok"):
        error_type = str(outcome.get("errorType"))
        message = str(outcome.get("errorMessage"))
        raise FunctionInvocationError(
            f"function {job.name!r} raised {error_type}: {message}",
            error_type=error_type,
            status=FunctionInvocationError.RAISED_STATUS,
            payload={
                "errorType": error_type,
                "errorMessage": message,
                "stackTrace": list(outcome.get("stackTrace") or []),
            },
        )
    value = outcome.get("result")
    return value if isinstance(value, dict) else {"result": value}


def _supervise(job: Invocation, scratch: str, home: str) -> bool:
    """Run the supervisor to its end; True when it overran the grace period and was
    killed (the supervisor enforces the timeout itself: this is the backstop)."""
    argv = [sys.executable, "-I", "-c", _RUNNER.read_text(encoding="utf-8"), scratch]
    env = function_environment(job.environment, name=job.name, home=home)
    with open(os.path.join(scratch, "runner.log"), "wb") as log:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=job.code,
            env=env,
            start_new_session=True,
        )
        try:
            process.wait(job.timeout + GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _kill_all(process, scratch)
            return True
        except BaseException:  # KeyboardInterrupt: leave nothing running
            _kill_all(process, scratch)
            raise
    return False


def _kill_all(process: subprocess.Popen[bytes], scratch: str) -> None:
    """The backstop: kill the handler's process group, then the supervisor's."""
    with (
        contextlib.suppress(OSError, ValueError),
        open(os.path.join(scratch, "handler.pid"), encoding="ascii") as handle,
    ):
        os.killpg(int(handle.read()), signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


_TOO_LARGE = object()


def _read_json(path: str, limit: int) -> Any:
    """The JSON in ``path``; None when absent or unreadable; ``_TOO_LARGE`` past ``limit``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        return _TOO_LARGE
    try:
        return json.loads(data)
    except ValueError:
        return None


def _error(name: str, error_type: str, message: str, status: int) -> FunctionInvocationError:
    return FunctionInvocationError(
        f"function {name!r}: {message}",
        error_type=error_type,
        status=status,
        payload={"errorType": error_type, "errorMessage": message, "stackTrace": []},
    )


def _timed_out(name: str, timeout: float) -> FunctionInvocationError:
    return _error(
        name,
        FunctionInvocationError.TIMED_OUT,
        f"Task timed out after {timeout:.2f} seconds",
        FunctionInvocationError.TIMED_OUT_STATUS,
    )


def _exited(name: str, exit_code: Any, signal_number: Any) -> FunctionInvocationError:
    if isinstance(signal_number, int):
        try:
            how = f"signal: {signal.Signals(signal_number).name}"
        except ValueError:
            how = f"signal: {signal_number}"
    elif isinstance(exit_code, int):
        how = f"exit status {exit_code}"
    else:
        how = "the runtime failed"
    return _error(
        name,
        FunctionInvocationError.EXITED,
        f"Runtime exited with error: {how}",
        FunctionInvocationError.EXITED_STATUS,
    )


def _log_output(name: str, path: str) -> None:
    """Log the last lines of what the function printed, at DEBUG."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - 64 * 1024))
            lines = handle.read().decode("utf-8", "replace").splitlines()[-_LOGGED_LINES:]
    except OSError:
        return
    for line in lines:
        logger.debug("[function %s] %s", name, line)

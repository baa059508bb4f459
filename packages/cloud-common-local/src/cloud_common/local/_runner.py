"""The bootstrap run in the function's subprocess (``python -c <this source>``).

Standard library only, and no import of cloud_common: it must start fast and must not
shadow the function's own modules. argv: code folder, handler (``module.func``), function
name, timeout seconds, result file. The event is JSON on stdin; the outcome is written as
JSON to the result file: ``{"ok": true, "result": ...}`` or ``{"ok": false, "errorType": ...,
"errorMessage": ..., "stackTrace": [...]}``.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
import uuid
from typing import Any

__all__ = ["main"]


class Context:
    """What the handler gets as ``context`` (the fields AWS Lambda's context has)."""

    def __init__(self, function_name: str, timeout: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"local:function:{function_name}"
        self.memory_limit_in_mb = 128
        self.aws_request_id = self.request_id = str(uuid.uuid4())
        self.log_group_name = f"/local/functions/{function_name}"
        self.log_stream_name = self.request_id
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation is killed."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _write(path: str, outcome: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(outcome, handle)


def _failure(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {
        "ok": False,
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": [line.rstrip("\n") for line in frames],
    }


def main(argv: list[str]) -> int:
    """Run one invocation; the exit code is 0 whenever the outcome file was written."""
    code_dir, handler, function_name, timeout, result_path = argv[:5]
    sys.path.insert(0, code_dir)
    try:
        event = json.loads(sys.stdin.read() or "null")
        module_name, _, func_name = handler.rpartition(".")
        func = getattr(importlib.import_module(module_name), func_name)
    except Exception as exc:  # noqa: BLE001 - reported to the caller
        _write(result_path, _failure(exc, f"Runtime.ImportModuleError.{type(exc).__name__}"))
        return 0
    try:
        result = func(event, Context(function_name, float(timeout)))
    except Exception as exc:  # noqa: BLE001 - reported to the caller
        _write(result_path, _failure(exc))
        return 0
    try:
        _write(result_path, {"ok": True, "result": result})
    except (TypeError, ValueError) as exc:
        _write(result_path, _failure(exc, "Runtime.MarshalError"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

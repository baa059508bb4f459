"""Runs one Acme function invocation in its own process (the cloud's side of ``invoke``).

``python _runner.py CODE_DIR MODULE.FUNCTION NAME MEMORY_MB TIMEOUT_S``: reads the event
(JSON) on stdin, writes ``{"result": ...}`` or ``{"error": {"errorType", "errorMessage",
"stackTrace"}}`` on stdout. It imports nothing from acme_cloud or cloud_common.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from typing import Any

__all__ = ["Context", "main"]


class Context:
    """What the handler's second argument offers, as on AWS Lambda."""

    def __init__(self, name: str, memory_mb: int, timeout: float) -> None:
        self.function_name = name
        self.memory_limit_in_mb = memory_mb
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main(argv: list[str]) -> int:
    code, handler, name, memory, timeout = argv
    sys.path.insert(0, code)
    module_name, _, func = handler.rpartition(".")
    event = json.loads(sys.stdin.read())
    context = Context(name, int(memory), float(timeout))
    out: dict[str, Any]
    try:
        fn = getattr(importlib.import_module(module_name), func)
        out = {"result": fn(event, context)}
        text = json.dumps(out)
    except Exception as exc:  # noqa: BLE001 - the function's failure is the caller's data
        out = {
            "error": {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_exception_only(type(exc), exc),
            }
        }
        text = json.dumps(out)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""One request through a deployed function's entry point, in a process of its own (as
functions-framework serves it in Cloud Run). :class:`FunctionEndpoints` starts it as
``python -m cloud_common.gcp.testing._function_process FOLDER ENTRY RESULT`` with the
request as JSON on stdin; the answer is written to the file RESULT as JSON
(``status``, ``headers``, base64 ``body``). A handler that raises ends the process with
status 1 and its traceback on stderr, as functions-framework logs it."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import sys
from typing import Any

__all__ = ["main"]


def _answer(result: Any) -> dict[str, Any]:
    """A Flask-style return value (body, ``(body, status[, headers])`` or a Response)."""
    from werkzeug.wrappers import Response  # noqa: PLC0415

    if isinstance(result, Response):
        return {
            "status": result.status_code,
            "headers": dict(result.headers),
            "body": base64.b64encode(result.get_data()).decode(),
        }
    status, headers, body = 200, {}, result
    if isinstance(result, tuple):
        body = result[0]
        if len(result) > 1:
            status = int(result[1])
        if len(result) > 2:
            headers = dict(result[2])
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    data = body.encode() if isinstance(body, str) else bytes(body or b"")
    return {"status": status, "headers": headers, "body": base64.b64encode(data).decode()}


def main(argv: list[str]) -> int:
    folder, entry_name, result_path = argv
    spec_in = json.loads(sys.stdin.buffer.read() or b"{}")
    from werkzeug.test import EnvironBuilder  # noqa: PLC0415

    os.chdir(folder)
    sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location("main", os.path.join(folder, "main.py"))
    if spec is None or spec.loader is None:
        print("main.py is missing", file=sys.stderr)
        return 1
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
    request = EnvironBuilder(
        method=spec_in.get("method", "POST"),
        data=base64.b64decode(spec_in.get("body", "")),
        headers=spec_in.get("headers") or {},
    ).get_request()
    answer = _answer(getattr(module, entry_name)(request))
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump(answer, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

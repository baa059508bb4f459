"""The HTTPS endpoints of deployed functions (``/run/<location>/<name>``), faked: the
uploaded zip is unpacked and its ``main.py`` entry point runs in-process, as
functions-framework would run it."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cloud_common.gcp.testing._functions_api import CloudFunctionsApi
from cloud_common.gcp.testing._server import HttpError

__all__ = ["FunctionEndpoints"]


class FunctionEndpoints:
    """Runs the functions of a :class:`CloudFunctionsApi`; each deployed source is loaded
    once. Call :meth:`close` to remove the unpacked code."""

    def __init__(self, api: CloudFunctionsApi) -> None:
        self.api = api
        self._loaded: dict[str, Callable[[Any], Any]] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="cc-gcp-fake-")

    def reset(self) -> None:
        self._loaded.clear()

    def close(self) -> None:
        self._tmp.cleanup()

    def entry_point(self, project: str, rest: str) -> Callable[[Any], Any] | None:
        """The entry point behind ``/run/<rest>``, or None when no ACTIVE function is there.

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
        entry = self._loaded.get(key)
        if entry is None:
            entry_name = (fn.get("buildConfig") or {}).get("entryPoint", "")
            entry = self._loaded[key] = self._load(source, entry_name)
        return entry

    def run(self, entry: Callable[[Any], Any], method: str, request: Any) -> Any:
        """Answer one request (outside the fake's lock: handlers may be slow)."""
        from werkzeug.wrappers import Response  # noqa: PLC0415

        if method != "POST":
            return Response("Method Not Allowed", status=405)
        try:
            result = entry(request)
        except Exception:  # noqa: BLE001 - what functions-framework does
            return Response("Internal Server Error", status=500, content_type="text/plain")
        return _to_response(result)

    def _load(self, source: bytes, entry_name: str) -> Callable[[Any], Any]:
        folder = Path(self._tmp.name) / uuid.uuid4().hex
        with zipfile.ZipFile(io.BytesIO(source)) as archive:
            archive.extractall(folder)
        before = set(sys.modules)
        sys.path.insert(0, str(folder))
        try:
            spec = importlib.util.spec_from_file_location(
                f"_cc_fn_{uuid.uuid4().hex}", folder / "main.py"
            )
            if spec is None or spec.loader is None:
                raise HttpError(500, {"error": "main.py missing"})
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(folder))
            for name in set(sys.modules) - before:
                sys.modules.pop(name, None)
        entry: Callable[[Any], Any] = getattr(module, entry_name)
        return entry


def _to_response(result: Any) -> Any:
    """A Flask-style return value (body, ``(body, status[, headers])`` or a Response) as
    a werkzeug ``Response``."""
    from werkzeug.wrappers import Response  # noqa: PLC0415

    if isinstance(result, Response):
        return result
    status, headers = 200, {}
    body = result
    if isinstance(result, tuple):
        body = result[0]
        if len(result) > 1:
            status = int(result[1])
        if len(result) > 2:
            headers = dict(result[2])
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    return Response(body, status=status, headers=headers)

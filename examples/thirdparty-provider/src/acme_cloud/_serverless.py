"""The Acme serverless driver: Python functions run in-process from the account store."""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from acme_cloud._connection import AcmeDriver
from acme_cloud._store import AcmeCloud, AcmeNotFound
from cloud_common.core import (
    CloudResource,
    FunctionInvocationError,
    ResourceType,
    ServerlessClient,
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs

__all__ = ["AcmeServerlessDriver"]


def _load_handler(code: Path, handler: str) -> Callable[[Any, Any], Any]:
    module_name, _, func = handler.rpartition(".")
    source = code / (module_name.replace(".", "/") + ".py")
    spec = importlib.util.spec_from_file_location(f"_acme_fn_{uuid.uuid4().hex}", source)
    if spec is None or spec.loader is None or not source.is_file():
        raise ValidationError(f"handler {handler!r}: no module {source.name} in the bundle")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(code))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(code))
    fn: Callable[[Any, Any], Any] = getattr(module, func)
    return fn


class AcmeServerlessDriver(AcmeDriver, ServerlessClient):
    """Acme functions: a code bundle and a ``module.function`` handler (runtime python3.x)."""

    def _resource(self, meta: dict[str, Any]) -> dict[str, Any]:
        return CloudResource(
            id=f"acme:function:{meta['name']}",
            name=meta["name"],
            resource_type=ResourceType.SERVERLESS,
            provider=self._credentials.provider,
            region=self._credentials.region,
            created_at=datetime.fromtimestamp(meta["created"], tz=timezone.utc),
            tags=dict(meta.get("tags", {})),
            metadata={"runtime": meta["runtime"], "handler": meta["handler"]},
        ).to_dict()

    def _mine(self, name: str) -> tuple[AcmeCloud, dict[str, Any]]:
        cloud, account = self._login()  # first: an unknown name must not hide bad credentials
        path = cloud.function_dir(name)
        meta: dict[str, Any] = json.loads((path / "function.json").read_text(encoding="utf-8"))
        if meta["account"] != account:
            raise AcmeNotFound(f"function {name}")
        return cloud, meta

    def list_functions(self) -> list[dict[str, Any]]:
        cloud, account = self._login()
        return [self._resource(m) for m in cloud.functions() if m["account"] == account]

    def create_function(
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs: Any
    ) -> dict[str, Any]:
        validate_kwargs(kwargs, ("tags",), operation="create_function")
        if not runtime.startswith("python3."):
            raise ValidationError(f"runtime {runtime!r} is not supported: use python3.x")
        if "." not in handler:
            raise ValidationError(f"handler {handler!r} must be 'module.function'")
        cloud, account = self._login()
        meta = {
            "name": name,
            "runtime": runtime,
            "handler": handler,
            "account": account,
            "tags": dict(kwargs.get("tags") or {}),
            "created": datetime.now(timezone.utc).timestamp(),
        }
        cloud.put_function(meta, Path(code_path))  # a taken name: AcmeNameTaken
        return self._resource(meta)

    def invoke_function(self, function_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        cloud, meta = self._mine(function_name)
        fn = _load_handler(cloud.function_dir(function_name) / "code", meta["handler"])
        event = json.loads(json.dumps(payload))  # what crosses the wire is JSON
        try:
            result = json.loads(json.dumps(fn(event, None)))
        except Exception as exc:  # noqa: BLE001 - the function's failure is the caller's data
            raise FunctionInvocationError(
                f"function raised {type(exc).__name__}: {exc}",
                error_type=type(exc).__name__,
                payload={
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_exception_only(type(exc), exc),
                },
            ) from None
        return result if isinstance(result, dict) else {"result": result}

    def delete_function(self, function_name: str) -> bool:
        cloud, _ = self._mine(function_name)  # absent: AcmeNotFound, core answers True
        cloud.delete_function(function_name)
        return True

    def get_function(self, function_name: str) -> dict[str, Any]:
        _, meta = self._mine(function_name)
        return self._resource(meta)

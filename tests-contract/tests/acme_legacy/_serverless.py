"""Acme serverless: Python functions run in-process from the account store."""

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

from acme_cloud._store import AcmeNotFound

from acme_legacy._client import AcmeClient
from cloud_common.core import (
    CloudResource,
    FunctionInvocationError,
    FunctionNotFoundError,
    ResourceType,
    ServerlessClient,
    ValidationError,
)

__all__ = ["AcmeServerlessClient"]


def _load_handler(code: Path, handler: str) -> Callable[[Any, Any], Any]:
    module_name, _, func = handler.rpartition(".")
    source = code / (module_name.replace(".", "/") + ".py")
    unique = f"_acme_fn_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(unique, source)
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


class AcmeServerlessClient(AcmeClient, ServerlessClient):
    """Acme functions: a code bundle and a ``module.function`` handler (runtime python3.x)."""

    def _resource(self, meta: dict[str, Any]) -> dict[str, Any]:
        return CloudResource(
            id=f"acme:function:{meta['name']}",
            name=meta["name"],
            resource_type=ResourceType.SERVERLESS,
            provider=self._credentials.provider,
            region=self._credentials.region,
            status="active",
            created_at=datetime.fromtimestamp(meta["created"], tz=timezone.utc),
            metadata={"runtime": meta["runtime"], "handler": meta["handler"]},
        ).to_dict()

    def list_functions(self) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            account = self._account()
            return [self._resource(m) for m in self._cloud.functions() if m["account"] == account]

        return self._policy.call("list_functions", run)

    def create_function(
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs: Any
    ) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            if not runtime.startswith("python3."):
                raise ValidationError(f"runtime {runtime!r} is not supported: use python3.x")
            if "." not in handler:
                raise ValidationError(f"handler {handler!r} must be 'module.function'")
            meta = {
                "name": name,
                "runtime": runtime,
                "handler": handler,
                "account": self._account(),
                "created": datetime.now(timezone.utc).timestamp(),
            }
            self._cloud.put_function(meta, Path(code_path))
            return self._resource(meta)

        return self._policy.call("create_function", run, resource=name)

    def _meta(self, name: str) -> dict[str, Any]:
        account = self._account()  # first: an unknown name must not hide bad credentials
        try:
            path = self._cloud.function_dir(name)
        except AcmeNotFound:
            raise FunctionNotFoundError(f"no function {name}") from None
        meta: dict[str, Any] = json.loads((path / "function.json").read_text(encoding="utf-8"))
        if meta["account"] != account:
            raise FunctionNotFoundError(f"no function {name}")
        return meta

    def invoke_function(self, function_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            meta = self._meta(function_name)
            fn = _load_handler(self._cloud.function_dir(function_name) / "code", meta["handler"])
            event = json.loads(json.dumps(payload))  # what crosses the wire is JSON
            try:
                result = json.loads(json.dumps(fn(event, None)))
            except Exception as exc:
                remote = {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_exception_only(type(exc), exc),
                }
                raise FunctionInvocationError(
                    f"function raised {type(exc).__name__}: {exc}",
                    error_type=type(exc).__name__,
                    payload=remote,
                ) from None
            return result if isinstance(result, dict) else {"result": result}

        return self._policy.call("invoke_function", run, resource=function_name)

    def delete_function(self, function_name: str) -> bool:
        def run() -> bool:
            try:
                self._meta(function_name)
            except FunctionNotFoundError:
                return True
            self._cloud.delete_function(function_name)
            return True

        return self._policy.call("delete_function", run, resource=function_name)

    def get_function(self, function_name: str) -> dict[str, Any]:
        return self._policy.call(
            "get_function",
            lambda: self._resource(self._meta(function_name)),
            resource=function_name,
        )

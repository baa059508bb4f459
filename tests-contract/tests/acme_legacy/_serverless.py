"""Acme serverless: Python functions deployed to the account store, run in a process."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from acme_cloud._store import AcmeFunctionFailed, AcmeNotFound

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
                "environment": dict(kwargs.get("environment") or {}),
                "timeout": kwargs.get("timeout"),
                "memory_size": kwargs.get("memory_size"),
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
            self._meta(function_name)
            try:
                result = self._cloud.invoke(function_name, payload)  # runs it in a process
            except AcmeFunctionFailed as exc:
                raise FunctionInvocationError(
                    str(exc), error_type=exc.error_type, payload=exc.payload, status=exc.status
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

"""The Acme serverless driver: functions deployed to the account store, run in a process."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from acme_cloud._connection import AcmeDriver
from acme_cloud._store import AcmeCloud, AcmeNotFound
from cloud_common.core import (
    CloudResource,
    ResourceType,
    ServerlessClient,
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs

__all__ = ["AcmeServerlessDriver"]


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
        meta = cloud.function(name)
        if meta["account"] != account:
            raise AcmeNotFound(f"function {name}")
        return cloud, meta

    def list_functions(self) -> list[dict[str, Any]]:
        cloud, account = self._login()
        return [self._resource(m) for m in cloud.functions() if m["account"] == account]

    def create_function(
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs: Any
    ) -> dict[str, Any]:
        validate_kwargs(
            kwargs, ("tags", "environment", "timeout", "memory_size"), operation="create_function"
        )
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
            "environment": dict(kwargs.get("environment") or {}),
            "timeout": kwargs.get("timeout"),
            "memory_size": kwargs.get("memory_size"),
            "created": datetime.now(timezone.utc).timestamp(),
        }
        cloud.put_function(meta, Path(code_path))  # a taken name: AcmeNameTaken
        return self._resource(meta)

    def invoke_function(self, function_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        cloud, _ = self._mine(function_name)
        result = cloud.invoke(function_name, payload)  # a failure: AcmeFunctionFailed
        return result if isinstance(result, dict) else {"result": result}

    def delete_function(self, function_name: str) -> bool:
        cloud, _ = self._mine(function_name)  # absent: AcmeNotFound, core answers True
        cloud.delete_function(function_name)
        return True

    def get_function(self, function_name: str) -> dict[str, Any]:
        _, meta = self._mine(function_name)
        return self._resource(meta)

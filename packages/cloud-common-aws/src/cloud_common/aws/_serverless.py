"""AWS Lambda behind ``ServerlessClient``."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import datetime
from typing import Any

from cloud_common.aws._bundle import build_bundle
from cloud_common.aws._client import AwsClient
from cloud_common.core import (
    CloudCredentials,
    CloudError,
    CloudProvider,
    CloudResource,
    ConflictError,
    FunctionInvocationError,
    FunctionNotFoundError,
    ResourceType,
    ServerlessClient,
    TimeoutError,  # noqa: A004 - the core error
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs, validate_name

__all__ = ["RUNTIMES", "LambdaServerlessClient", "lambda_runtime", "portable_runtime"]

logger = logging.getLogger(__name__)

RUNTIMES: dict[str, str] = {
    "nodejs18": "nodejs18.x",
    "nodejs20": "nodejs20.x",
    "nodejs22": "nodejs22.x",
    "java11": "java11",
    "java17": "java17",
    "java21": "java21",
    "dotnet8": "dotnet8",
    "ruby3.2": "ruby3.2",
    "ruby3.3": "ruby3.3",
    "go": "provided.al2023",
    "provided": "provided.al2023",
}
"""Portable runtime ids that differ on Lambda (``python3.X`` is the same on both sides)."""

_NATIVE_RUNTIME = re.compile(
    r"^(python3\.\d+|nodejs\d+\.x|java\d+|dotnet\d+|ruby\d\.\d+|provided(\.al2(023)?)?)$"
)
_PORTABLE_OF = {native: portable for portable, native in RUNTIMES.items() if portable != "go"}
_CREATE_KWARGS = frozenset(
    {
        "role",
        "memory_size",
        "timeout",
        "environment",
        "description",
        "tags",
        "architecture",
        "publish",
    }
)
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def lambda_runtime(runtime: str) -> str:
    """Lambda's id for a portable runtime id (``nodejs20`` -> ``nodejs20.x``); Lambda's own
    ids pass through.

    Raises:
        ValidationError: neither a portable nor a Lambda runtime id.
    """
    native = RUNTIMES.get(runtime, runtime)
    if not _NATIVE_RUNTIME.match(native):
        raise ValidationError(
            f"runtime {runtime!r} is invalid: use a portable id such as 'python3.12', "
            f"'nodejs20', 'java21' (or a Lambda runtime id)",
            operation="create_function",
        )
    return native


def portable_runtime(native: str | None) -> str | None:
    """The portable id of a Lambda runtime id (``nodejs20.x`` -> ``nodejs20``)."""
    if native is None:
        return None
    return _PORTABLE_OF.get(native, native)


class LambdaServerlessClient(AwsClient, ServerlessClient):
    """AWS Lambda functions of one region.

    Args:
        credentials: See ``AwsConnection``. ``metadata["lambda_role_arn"]`` is the execution
            role used when ``create_function`` gets no ``role=``.
        poll_interval: Seconds between checks while a function becomes Active.
        **options: ``endpoint_url``, ``retry_policy`` (its ``deadline`` bounds the wait for
            Active), ``timeouts``, ``max_pool_connections``, ``boto3_session``.
    """

    service = "lambda"

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        *,
        poll_interval: float = 1.0,
        **options: Any,
    ) -> None:
        if (
            isinstance(poll_interval, bool)
            or not isinstance(poll_interval, (int, float))
            or poll_interval <= 0
        ):
            raise ValidationError(f"poll_interval {poll_interval!r} must be > 0 seconds")
        super().__init__(credentials, **options)
        self.poll_interval = float(poll_interval)

    # -- helpers ----------------------------------------------------------------------

    def _resource(
        self, config: dict[str, Any], tags: dict[str, str] | None = None
    ) -> dict[str, Any]:
        native_runtime = config.get("Runtime")
        metadata: dict[str, Any] = {
            "arn": config.get("FunctionArn"),
            "runtime": portable_runtime(native_runtime),
            "native_runtime": native_runtime,
            "handler": config.get("Handler"),
            "role": config.get("Role"),
            "memory_size": config.get("MemorySize"),
            "timeout": config.get("Timeout"),
            "code_size": config.get("CodeSize"),
            "code_sha256": config.get("CodeSha256"),
            "version": config.get("Version"),
            "description": config.get("Description") or None,
            "architectures": config.get("Architectures"),
            "last_update_status": config.get("LastUpdateStatus"),
            "native_state": config.get("State"),
        }
        return CloudResource(
            id=str(config.get("FunctionArn") or config["FunctionName"]),
            name=config["FunctionName"],
            resource_type=ResourceType.SERVERLESS,
            provider=CloudProvider.AWS,
            region=self.region,
            status=str(config.get("State") or "Active").lower(),
            created_at=_parse_time(config.get("LastModified")),
            tags=dict(tags or {}),
            metadata={k: v for k, v in metadata.items() if v is not None},
        ).to_dict()

    def _role(self, kwargs: dict[str, Any]) -> str:
        role = kwargs.get("role") or self._connection.credentials.metadata.get("lambda_role_arn")
        if not role:
            raise ValidationError(
                "create_function needs an execution role: pass role='arn:aws:iam::...:role/...' "
                "or set credentials.metadata['lambda_role_arn']",
                operation="create_function",
            )
        if not isinstance(role, str) or not role.startswith("arn:"):
            raise ValidationError(
                f"role {role!r} is invalid: must be an IAM role ARN (arn:aws:iam::...)",
                operation="create_function",
            )
        return role

    def _wait_active(self, name: str) -> dict[str, Any]:
        deadline = time.monotonic() + self._connection.retry_policy.deadline
        while True:
            config = dict(self._sdk.get_function_configuration(FunctionName=name))
            state = config.get("State") or "Active"
            if state == "Active" and config.get("LastUpdateStatus", "Successful") != "InProgress":
                return config
            if state == "Failed":
                raise CloudError(
                    f"function failed to deploy: {config.get('StateReasonCode')}: "
                    f"{config.get('StateReason')}"
                )
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"function still {state} after {self._connection.retry_policy.deadline:g}s"
                )
            time.sleep(self.poll_interval)

    # -- the contract -----------------------------------------------------------------

    def list_functions(self) -> list[dict[str, Any]]:
        """Every function of the region."""

        def run() -> list[dict[str, Any]]:
            pages = self._sdk.get_paginator("list_functions").paginate()
            return [self._resource(f) for page in pages for f in page.get("Functions", [])]

        return self._call("list_functions", run)

    def create_function(  # type: ignore[no-untyped-def]
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs
    ) -> dict[str, Any]:
        """Deploy a function from a directory, a ``.zip`` or one source file; wait until it
        is Active; return it.

        Keyword arguments: ``role`` (else ``metadata["lambda_role_arn"]``), ``memory_size``
        (MB), ``timeout`` (s), ``environment`` (dict), ``description``, ``tags`` (dict),
        ``architecture`` (``"x86_64"`` / ``"arm64"``), ``publish`` (bool).

        Raises:
            ValidationError: bad arguments, no role, a bundle over Lambda's size limits.
            AlreadyExistsError: a function has this name.
        """
        op = "create_function"
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValidationError(
                f"name {name!r} is invalid: 1-64 letters, digits, '-' or '_'", operation=op
            )
        validate_name(handler, "handler", operation=op)
        validate_name(runtime, "runtime", operation=op)
        validate_kwargs(kwargs, _CREATE_KWARGS, operation=op)
        args: dict[str, Any] = {
            "FunctionName": name,
            "Runtime": lambda_runtime(runtime),
            "Role": self._role(kwargs),
            "Handler": handler,
            "PackageType": "Zip",
        }
        for kwarg, field, kind in (
            ("memory_size", "MemorySize", int),
            ("timeout", "Timeout", int),
            ("description", "Description", str),
            ("publish", "Publish", bool),
        ):
            value = kwargs.get(kwarg)
            if value is not None:
                if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                    raise ValidationError(f"{kwarg} must be {kind.__name__}", operation=op)
                args[field] = value
        for kwarg in ("environment", "tags"):
            value = kwargs.get(kwarg)
            if value is not None and (
                not isinstance(value, dict)
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
            ):
                raise ValidationError(f"{kwarg} must be a dict of str to str", operation=op)
        if kwargs.get("environment"):
            args["Environment"] = {"Variables": dict(kwargs["environment"])}
        if kwargs.get("tags"):
            args["Tags"] = dict(kwargs["tags"])
        if kwargs.get("architecture") is not None:
            if kwargs["architecture"] not in ("x86_64", "arm64"):
                raise ValidationError("architecture must be 'x86_64' or 'arm64'", operation=op)
            args["Architectures"] = [kwargs["architecture"]]
        args["Code"] = {"ZipFile": build_bundle(code_path)}

        def run() -> dict[str, Any]:
            self._sdk.create_function(**args)
            return self._resource(self._wait_active(name), kwargs.get("tags"))

        return self._call(op, run, resource=name)

    def invoke_function(self, function_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Invoke synchronously (RequestResponse) and return the result.

        A JSON object comes back as it is; any other JSON value (or text) as
        ``{"result": value}``.

        Raises:
            FunctionInvocationError: the function raised (``X-Amz-Function-Error``); carries
                ``error_type`` and the error ``payload``.
            FunctionNotFoundError: no such function.
        """
        op = "invoke_function"
        _check_name(function_name, op)
        if not isinstance(payload, dict):
            raise ValidationError(
                f"payload must be a dict, not {type(payload).__name__}", operation=op
            )
        try:
            body = json.dumps(payload).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"payload is not JSON-serialisable: {exc}", operation=op) from exc

        def run() -> dict[str, Any]:
            response = self._sdk.invoke(
                FunctionName=function_name, InvocationType="RequestResponse", Payload=body
            )
            stream = response.get("Payload")
            raw = stream.read() if stream is not None else b""
            result = _decode(raw)
            if response.get("FunctionError"):
                error = result if isinstance(result, dict) else {"errorMessage": result}
                raise FunctionInvocationError(
                    str(
                        error.get("errorMessage") or f"function error ({response['FunctionError']})"
                    ),
                    error_type=error.get("errorType") or response["FunctionError"],
                    payload=error,
                    status=response.get("StatusCode"),
                )
            return result if isinstance(result, dict) else {"result": result}

        return self._call(op, run, resource=function_name)

    def delete_function(self, function_name: str) -> bool:
        """Delete a function. True when it is gone (also when it was absent); False (and a
        WARNING) when Lambda refuses."""
        op = "delete_function"
        _check_name(function_name, op)

        def run() -> bool:
            try:
                self._sdk.delete_function(FunctionName=function_name)
            except Exception as exc:
                error = self._policy.error(exc, op, function_name)
                if isinstance(error, FunctionNotFoundError):
                    return True
                raise error from exc
            return True

        return self._call(op, run, resource=function_name, soft={ConflictError: False})

    # -- extensions -------------------------------------------------------------------

    def get_function(self, function_name: str) -> dict[str, Any]:
        """One function as ``CloudResource(...).to_dict()``.

        Raises:
            FunctionNotFoundError: no function has this name.
        """
        _check_name(function_name, "get_function")

        def run() -> dict[str, Any]:
            response = self._sdk.get_function(FunctionName=function_name)
            return self._resource(response["Configuration"], response.get("Tags"))

        return self._call("get_function", run, resource=function_name)


def _check_name(name: Any, operation: str) -> None:
    validate_name(name, "function_name", operation=operation)


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$")


def _parse_time(value: Any) -> datetime | None:
    """Lambda's ``LastModified`` (``2026-11-26T13:30:00.000+0000``; moto: nanoseconds, Z)."""
    match = _TIME.match(str(value or ""))
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    offset = "+0000" if zone in (None, "Z") else zone.replace(":", "")
    return datetime.strptime(f"{whole}.{micro}{offset}", "%Y-%m-%dT%H:%M:%S.%f%z")

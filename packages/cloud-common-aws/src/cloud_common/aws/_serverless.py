"""AWS Lambda: the driver (SDK calls only) and ``LambdaServerlessClient``, the portable client."""

from __future__ import annotations

import contextlib
import json
import re
import time
from datetime import datetime
from typing import Any

from cloud_common.aws._bundle import build_bundle
from cloud_common.aws._client import AwsClient
from cloud_common.aws._retries import one_deadline
from cloud_common.aws._session import AwsConnection, AwsDriver
from cloud_common.core import (
    CloudCredentials,
    CloudError,
    CloudProvider,
    CloudResource,
    CloudServerless,
    Deadline,
    FunctionInvocationError,
    ResourceType,
    ServerlessClient,
    TimeoutError,  # noqa: A004 - the core error
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs

__all__ = ["RUNTIMES", "LambdaServerlessClient", "lambda_runtime", "portable_runtime"]

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
# keyword -> (CreateFunction field, type) for the keywords passed on as they are
_SCALAR_KWARGS: dict[str, tuple[str, type]] = {
    "memory_size": ("MemorySize", int),
    "timeout": ("Timeout", int),
    "description": ("Description", str),
    "publish": ("Publish", bool),
}
_CREATE_KWARGS = frozenset({"role", "environment", "tags", "architecture", *_SCALAR_KWARGS})
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


def _role(kwargs: dict[str, Any], credentials: CloudCredentials) -> str:
    role = kwargs.get("role") or credentials.metadata.get("lambda_role_arn")
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


def _create_args(
    name: str, runtime: str, handler: str, kwargs: dict[str, Any], credentials: CloudCredentials
) -> dict[str, Any]:
    """CreateFunction arguments (without the code) from Lambda's own rules and keywords."""
    op = "create_function"
    if not _NAME.match(name):
        raise ValidationError(
            f"name {name!r} is invalid: 1-64 letters, digits, '-' or '_'", operation=op
        )
    validate_kwargs(kwargs, _CREATE_KWARGS, operation=op)
    args: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": lambda_runtime(runtime),
        "Role": _role(kwargs, credentials),
        "Handler": handler,
        "PackageType": "Zip",
    }
    for kwarg, (field, kind) in _SCALAR_KWARGS.items():
        value = kwargs.get(kwarg)
        if value is not None:
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ValidationError(f"{kwarg} must be {kind.__name__}", operation=op)
            args[field] = value
    if kwargs.get("environment"):
        args["Environment"] = {"Variables": kwargs["environment"]}
    if kwargs.get("tags"):
        args["Tags"] = kwargs["tags"]
    architecture = kwargs.get("architecture")
    if architecture is not None:
        if architecture not in ("x86_64", "arm64"):
            raise ValidationError("architecture must be 'x86_64' or 'arm64'", operation=op)
        args["Architectures"] = [architecture]
    return args


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


def _invocation_error(result: Any, failure: str) -> FunctionInvocationError:
    """The ``FunctionInvocationError`` of a payload Lambda marked ``X-Amz-Function-Error``."""
    error = result if isinstance(result, dict) else {"errorMessage": result}
    error_type = str(error.get("errorType") or failure)
    timed_out = error_type == FunctionInvocationError.TIMED_OUT
    return FunctionInvocationError(
        str(error.get("errorMessage") or f"function error ({failure})"),
        error_type=error_type,
        payload=error,
        status=(
            FunctionInvocationError.TIMED_OUT_STATUS
            if timed_out
            else FunctionInvocationError.RAISED_STATUS
        ),
    )


class _LambdaDriver(AwsDriver, ServerlessClient):
    """Lambda functions of one region through one boto3 client."""

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
            region=self._connection.region,
            status=str(config.get("State") or "Active").lower(),
            created_at=_parse_time(config.get("LastModified")),
            tags=dict(tags or {}),
            metadata={k: v for k, v in metadata.items() if v is not None},
        ).to_dict()

    def _wait_active(self, name: str) -> dict[str, Any]:
        """Poll every ``poll_interval`` until the function is Active, at most
        ``retry.operation_deadline`` seconds in all (each poll within that time)."""
        options = self._connection.options
        wait = Deadline(self._connection.retry.operation_deadline)
        while True:
            with one_deadline(min(self._connection.retry.deadline, wait.remaining())):
                config = dict(self._connection.client.get_function_configuration(FunctionName=name))
            state = config.get("State") or "Active"
            if state == "Active" and config.get("LastUpdateStatus", "Successful") != "InProgress":
                return config
            if state == "Failed":
                raise CloudError(
                    f"function failed to deploy: {config.get('StateReasonCode')}: "
                    f"{config.get('StateReason')}"
                )
            if wait.remaining() <= options.poll_interval:
                raise TimeoutError(
                    f"function still {state} after {wait.seconds:g} s "
                    "(RetryPolicy.operation_deadline)"
                )
            time.sleep(options.poll_interval)

    def list_functions(self) -> list[dict[str, Any]]:
        pages = self._connection.client.get_paginator("list_functions").paginate()
        return [self._resource(f) for page in pages for f in page.get("Functions", [])]

    def create_function(  # type: ignore[no-untyped-def]
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs
    ) -> dict[str, Any]:
        """Deploy from a directory, a ``.zip`` or one source file; wait until Active.

        Keyword arguments: ``role`` (else ``metadata["lambda_role_arn"]``), ``memory_size``
        (MB), ``timeout`` (s), ``environment``, ``description``, ``tags``, ``architecture``
        (``"x86_64"`` / ``"arm64"``), ``publish`` (bool).
        """
        args = _create_args(name, runtime, handler, kwargs, self._connection.credentials)
        args["Code"] = {"ZipFile": build_bundle(code_path)}
        self._connection.client.create_function(**args)
        return self._resource(self._wait_active(name), kwargs.get("tags"))

    def invoke_function(
        self, function_name: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Synchronous (RequestResponse), never replayed once sent; a JSON object comes back
        as it is, any other value as ``{"result": value}``.

        ``timeout`` (seconds) replaces ``RetryPolicy.deadline`` for this call: the wait for
        the function's answer, which Lambda holds until it returns (up to 900 s).
        ``X-Amz-Function-Error`` raises ``FunctionInvocationError`` in core's vocabulary
        (``Sandbox.Timedout`` -> status 504, anything else 500).
        """
        scope = one_deadline(timeout) if timeout is not None else contextlib.nullcontext()
        with scope:
            response = self._connection.client.invoke(
                FunctionName=function_name,
                InvocationType="RequestResponse",
                Payload=json.dumps(payload).encode("utf-8"),
            )
            stream = response.get("Payload")
            result = _decode(stream.read() if stream is not None else b"")
        failure = response.get("FunctionError")
        if failure:
            raise _invocation_error(result, str(failure))
        return result if isinstance(result, dict) else {"result": result}

    def delete_function(self, function_name: str) -> bool:
        self._connection.client.delete_function(FunctionName=function_name)
        return True

    def get_function(self, function_name: str) -> dict[str, Any]:
        response = self._connection.client.get_function(FunctionName=function_name)
        return self._resource(response["Configuration"], response.get("Tags"))


class LambdaServerlessClient(AwsClient[ServerlessClient], CloudServerless):
    """AWS Lambda functions of one region as a ``CloudServerless``.

    Args:
        credentials: ``CloudCredentials`` of provider ``aws``; None reads the environment.
            ``metadata["lambda_role_arn"]`` is the execution role used when
            ``create_function`` gets no ``role=``.
        options: ``AwsOptions`` (``poll_interval``, and ``retry.operation_deadline``
            bounding the wait for a new function to become Active); keyword arguments set
            its fields.

    Raises:
        ValidationError: bad options or credentials (before any network call).
    """

    _service = "lambda"

    def _driver_for(self, connection: AwsConnection) -> ServerlessClient:
        return _LambdaDriver(connection)

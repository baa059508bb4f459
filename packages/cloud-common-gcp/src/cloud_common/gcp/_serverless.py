"""Cloud Functions (2nd gen) through google-cloud-functions ``functions_v2`` over REST:
the driver and ``CloudFunctionsServerlessClient``."""

from __future__ import annotations

import concurrent.futures
import json
import re
import warnings
from collections.abc import Callable
from typing import Any

import requests
from google.api_core import exceptions as gexc
from google.cloud import functions_v2

from cloud_common.core import (
    AuthenticationError,
    CloudProvider,
    CloudResource,
    CloudServerless,
    FunctionInvocationError,
    FunctionNotFoundError,
    PermissionDeniedError,
    ResourceType,
    ServerlessClient,
    TimeoutError,  # noqa: A004
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs
from cloud_common.gcp._auth import call_credentials, id_token_provider
from cloud_common.gcp._bundle import (
    ENTRY_POINT,
    MEMORY_ENV,
    TIMEOUT_ENV,
    bundle,
    native_runtime,
    portable_runtime,
)
from cloud_common.gcp._client import GcpClient
from cloud_common.gcp._errors import absent_as
from cloud_common.gcp._keywords import keyword
from cloud_common.gcp._options import GcpOptions
from cloud_common.gcp._retry import bind_session, bounded, call_scope, make_retry, operation_scope
from cloud_common.gcp._settings import GcpSettings

__all__ = ["CloudFunctionsServerlessClient"]

_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
_FULL_NAME = re.compile(r"^projects/[^/]+/locations/[^/]+/functions/[^/]+$")
_CREATE_KWARGS = frozenset(
    {
        "memory_size",
        "memory",
        "timeout",
        "environment",
        "tags",
        "description",
        "service_account",
        "max_instances",
        "region",
    }
)


class _FunctionsDriver(ServerlessClient):
    """Cloud Functions v2 calls (``FunctionServiceClient``) and invocations over HTTPS."""

    def __init__(self, settings: GcpSettings, options: GcpOptions) -> None:
        self._settings = settings
        endpoint = settings.functions_endpoint
        self._id_token: Callable[[str], str | None] = options.id_token_provider or (
            id_token_provider(settings, endpoint)
        )
        self._page_size = options.page_size or 100
        self._client = functions_v2.FunctionServiceClient(
            credentials=call_credentials(settings, endpoint),
            client_options={"api_endpoint": endpoint} if endpoint else None,
            transport="rest",
        )
        transport: Any = self._client.transport
        bind_session(getattr(transport, "_session", None))
        bind_session(getattr(transport.operations_client.transport, "_session", None))
        self._session = bind_session(requests.Session())
        self._timeouts = (settings.timeouts.connect, settings.timeouts.read)
        self._retry = make_retry()
        self._uris: dict[str, str] = {}

    @property
    def native(self) -> functions_v2.FunctionServiceClient:
        """The ``functions_v2.FunctionServiceClient`` this driver calls."""
        return self._client

    def close(self) -> None:
        self._client.transport.close()  # type: ignore[no-untyped-call]
        self._session.close()

    def _kw(self) -> dict[str, Any]:
        """The retry and timeout of a call (made inside its ``call_scope``)."""
        return {"retry": self._retry, "timeout": self._settings.timeouts.read}

    def _finish(self, operation: Any) -> Any:
        """The result of a long-running operation, within
        ``RetryPolicy.operation_deadline``."""
        settings = self._settings
        with operation_scope(settings.retry, settings.timeouts) as deadline:
            try:
                return operation.result(timeout=deadline.remaining())
            except concurrent.futures.TimeoutError:
                raise TimeoutError(
                    f"operation not done within the {deadline.seconds:g} s deadline "
                    "(RetryPolicy.operation_deadline)"
                ) from None

    def _parent(self, region: str | None = None) -> str:
        return f"projects/{self._settings.project_id}/locations/{region or self._settings.region}"

    def _full_name(self, name: str) -> str:
        if _FULL_NAME.match(name) or _NAME.match(name):
            return name if "/" in name else f"{self._parent()}/functions/{name}"
        raise ValidationError(
            f"function name {name!r} is invalid: 1-63 lowercase letters, digits and '-', "
            "starting with a letter, or projects/<p>/locations/<r>/functions/<name>"
        )

    def _get(self, full: str) -> functions_v2.Function:
        with absent_as(FunctionNotFoundError):
            return self._client.get_function(name=full, **self._kw())

    # -- the spec's calls ---------------------------------------------------------------

    @bounded("list_functions")
    def list_functions(self) -> list[dict[str, Any]]:
        """Every region (``locations/-``), all pages."""
        pager = self._client.list_functions(
            request={
                "parent": f"projects/{self._settings.project_id}/locations/-",
                "page_size": self._page_size,
            },
            **self._kw(),
        )
        return [_resource(fn) for fn in pager]

    @bounded("create_function", replay_safe=False)
    def create_function(self, name: str, runtime: str, handler: str,
                        code_path: str, **kwargs: Any) -> dict[str, Any]:  # fmt: skip
        """Zip ``code_path``, upload it, create the function and wait until it is active;
        see the provider's docs for keywords.

        No request of it is replayed once it may have reached Google (a replayed create
        answers "already exists"); only the operation polls are retried.

        Raises:
            ValidationError: a name, runtime, handler or keyword Cloud Functions refuses.
            AlreadyExistsError: the name is taken.
        """
        if not _NAME.match(name):
            raise ValidationError(
                f"name {name!r} is invalid: 1-63 lowercase letters, digits and '-', "
                "starting with a letter"
            )
        validate_kwargs(kwargs, _CREATE_KWARGS)
        parent = self._parent(keyword(kwargs, "region", str))
        native = native_runtime(runtime)
        env = dict(kwargs.get("environment") or {})
        zipped, entry = bundle(code_path, handler, native)
        memory = _memory_size(kwargs)
        timeout = int(keyword(kwargs, "timeout", (int, float), 60))
        if entry == ENTRY_POINT:  # what the generated main.py reads
            env.update(
                {
                    "CLOUD_COMMON_HANDLER": handler,
                    MEMORY_ENV: str(memory),
                    TIMEOUT_ENV: str(timeout),
                }
            )
        service = functions_v2.ServiceConfig(
            available_memory=f"{memory}M",
            timeout_seconds=timeout,
            environment_variables=env,
        )
        max_instances = keyword(kwargs, "max_instances", int)
        if max_instances is not None:
            service.max_instance_count = max_instances
        account = keyword(kwargs, "service_account", str)
        if account:
            service.service_account_email = account
        upload = self._client.generate_upload_url(request={"parent": parent}, **self._kw())
        self._put_zip(upload.upload_url, zipped)
        function = functions_v2.Function(
            name=f"{parent}/functions/{name}",
            description=keyword(kwargs, "description", str, ""),
            environment=functions_v2.Environment.GEN_2,
            labels=dict(kwargs.get("tags") or {}),
            build_config=functions_v2.BuildConfig(
                runtime=native,
                entry_point=entry,
                source=functions_v2.Source(storage_source=upload.storage_source),
            ),
            service_config=service,
        )
        operation = self._client.create_function(
            parent=parent, function=function, function_id=name, **self._kw()
        )
        created: functions_v2.Function = self._finish(operation)
        self._uris.pop(created.name, None)
        return _resource(created)

    def _put_zip(self, url: str, zipped: bytes) -> None:
        def put() -> None:
            response = self._session.put(
                url,
                data=zipped,
                headers={"Content-Type": "application/zip"},
                timeout=self._timeouts,
            )
            if response.status_code >= 300:
                raise gexc.from_http_status(  # type: ignore[no-untyped-call]
                    response.status_code, f"source upload failed: {response.text[:500]}"
                )

        self._retry(put)()

    @bounded("delete_function")
    def delete_function(self, function_name: str) -> bool:
        """Delete and wait for the operation."""
        full = self._full_name(function_name)
        self._uris.pop(full, None)
        with absent_as(FunctionNotFoundError):
            operation = self._client.delete_function(name=full, **self._kw())
            self._finish(operation)
        return True

    def invoke_function(
        self, function_name: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        """POST the payload as JSON to the function's URL with an ID token for it.

        The whole call (looking the URL up included) ends within ``timeout`` when given,
        else ``RetryPolicy.deadline``; the answer may take all of it. Never replayed once
        the request may have reached the function: retried only after a refused
        connection or a 429.

        Raises:
            FunctionInvocationError: the function raised, exited or ran past its timeout
                (core's ``error_type``/``status`` vocabulary), or answered another HTTP
                error.
            AuthenticationError / PermissionDeniedError: the call was refused (401 / 403).
            TimeoutError: no answer in time.
        """
        settings = self._settings
        with call_scope(
            "invoke_function",
            settings.retry,
            settings.timeouts,
            replay_safe=False,
            long_read=True,
            seconds=timeout,
            budget="the invocation's timeout" if timeout is not None else "RetryPolicy.deadline",
        ):
            response = self._invoke(self._full_name(function_name), payload)
        return _result(response)

    def _invoke(self, full: str, payload: dict[str, Any]) -> requests.Response:
        uri = self._uris.get(full)
        if uri is None:
            fn = self._get(full)
            uri = fn.service_config.uri or fn.url
            if not uri:
                state = functions_v2.Function.State(fn.state).name
                raise FunctionInvocationError(f"the function has no URL (state {state})")
            self._uris[full] = uri
        headers = {"Content-Type": "application/json"}
        token = self._id_token(uri)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = json.dumps(payload).encode()
        target = uri

        def post() -> requests.Response:
            response = self._session.post(target, data=body, headers=headers)
            if response.status_code == 429:
                raise gexc.from_http_response(response)  # type: ignore[no-untyped-call]
            return response

        try:
            answer: requests.Response = self._retry(post)()
        except gexc.TooManyRequests as exc:
            answer = exc.response
        if answer.status_code == 404:
            self._uris.pop(full, None)
        return answer

    # -- extensions ---------------------------------------------------------------------

    @bounded("get_function")
    def get_function(self, function_name: str) -> dict[str, Any]:
        return _resource(self._get(self._full_name(function_name)))


class CloudFunctionsServerlessClient(GcpClient[ServerlessClient], CloudServerless):
    """Cloud Functions 2nd gen (HTTP functions), with every rule of the contract.

    ``create_function(name, "python3.12", "module.function", path)`` deploys a portable
    ``handler(event, context)`` behind a generated ``main.py``; a handler without a dot is
    a native HTTP entry point in your own ``main.py``.

    Args:
        credentials: ``CloudCredentials(provider="gcp", project_id=..., region=...)``; None
            reads ``CloudCredentials.from_env("gcp")``.
        options: ``GcpOptions``; keyword arguments set its fields (``endpoint_url=`` or
            ``functions_endpoint_url=``, ``id_token_provider=``, ``page_size=``...).

    Raises:
        ValidationError: a missing project, a non-GCP region, unknown or ill-typed options.
    """

    def _driver_for(self, settings: GcpSettings, options: GcpOptions) -> ServerlessClient:
        return _FunctionsDriver(settings, options)


def _memory_size(kwargs: dict[str, Any]) -> int:
    """MB of memory: ``memory_size`` (portable), else the former ``memory``."""
    if kwargs.get("memory") is not None:
        warnings.warn(
            "create_function(memory=) is now memory_size=", DeprecationWarning, stacklevel=4
        )
        return int(keyword(kwargs, "memory", int))
    return int(keyword(kwargs, "memory_size", int, 256))


def _result(response: requests.Response) -> dict[str, Any]:
    """The JSON object a function answered, ``{"result": value}`` for other JSON, or the
    error its HTTP status means, in core's ``FunctionInvocationError`` vocabulary."""
    text = response.text
    try:
        data: Any = response.json() if text else None
    except ValueError:
        data = text
    status = response.status_code
    if status < 400:
        return data if isinstance(data, dict) else {"result": data}
    snippet = " ".join(text.split())[:300] or "no body"
    if status == 401:
        raise AuthenticationError(f"invocation refused (HTTP 401): {snippet}")
    if status == 403:
        raise PermissionDeniedError(f"invocation refused (HTTP 403): {snippet}")
    error = data if isinstance(data, dict) else {}
    kind = error.get("errorType")
    if isinstance(kind, str) and kind:
        message = " ".join(str(error.get("errorMessage") or "").split())
        raise FunctionInvocationError(
            f"the function raised {kind}: {message}" if message else f"the function raised {kind}",
            error_type=kind,
            payload=data,
            status=FunctionInvocationError.RAISED_STATUS,
        )
    if status == 504:  # Cloud Run's "upstream request timeout"
        raise FunctionInvocationError(
            "the function ran past its timeout",
            error_type=FunctionInvocationError.TIMED_OUT,
            payload=_platform_error(FunctionInvocationError.TIMED_OUT, snippet),
            status=FunctionInvocationError.TIMED_OUT_STATUS,
        )
    if status == 500:  # no error report: the process ended before answering
        raise FunctionInvocationError(
            f"the function exited before returning: {snippet}",
            error_type=FunctionInvocationError.EXITED,
            payload=_platform_error(FunctionInvocationError.EXITED, snippet),
            status=FunctionInvocationError.EXITED_STATUS,
        )
    raise FunctionInvocationError(
        f"the function's endpoint answered HTTP {status}: {snippet}",
        payload=data,
        status=status,
        retryable=status in (429, 502, 503),
    )


def _platform_error(kind: str, message: str) -> dict[str, Any]:
    """The remote error as a Lambda-style payload, for errors the platform reported."""
    return {"errorType": kind, "errorMessage": message, "stackTrace": []}


def _resource(fn: functions_v2.Function) -> dict[str, Any]:
    parts = fn.name.split("/")
    state = functions_v2.Function.State(fn.state).name
    runtime = fn.build_config.runtime
    env = dict(fn.service_config.environment_variables)
    entry = fn.build_config.entry_point
    return CloudResource(
        id=fn.name,
        name=parts[-1],
        resource_type=ResourceType.SERVERLESS,
        provider=CloudProvider.GCP,
        region=parts[3] if len(parts) > 3 else "",
        status=state.lower(),
        created_at=fn.update_time or None,
        tags=dict(fn.labels),
        metadata={
            "native_state": state,
            "runtime": portable_runtime(runtime) if runtime else None,
            "native_runtime": runtime or None,
            "handler": (env.get("CLOUD_COMMON_HANDLER") if entry == ENTRY_POINT else entry) or None,
            "entry_point": entry or None,
            "url": fn.service_config.uri or fn.url or None,
            "memory": fn.service_config.available_memory or None,
            "timeout": fn.service_config.timeout_seconds or None,
            "environment": functions_v2.Environment(fn.environment).name,
        },
    ).to_dict()

"""Azure Function Apps: the driver (SDK calls only) and ``FunctionAppServerlessClient``.

One portable function is one Linux Function App of the client's resource group running
one HTTP-triggered function (``invoke``). ``create_function`` uploads the zip package to
the storage account (container ``package_container``) and creates the app with
``WEBSITE_RUN_FROM_PACKAGE`` pointing at it (a read SAS); ``invoke_function`` POSTs the
payload to the function's trigger URL with its key (``listsecrets``).
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from cloud_common.azure._arm import ArmDriver, rest
from cloud_common.azure._client import AzureClient
from cloud_common.azure._connection import AzureSettings
from cloud_common.azure._package import (
    FUNCTION_NAME,
    HANDLER_SETTING,
    MEMORY_SETTING,
    TIMEOUT_SETTING,
    build_package,
    linux_fx_version,
)
from cloud_common.core import (
    AlreadyExistsError,
    AuthenticationError,
    CloudProvider,
    CloudResource,
    CloudServerless,
    FunctionInvocationError,
    FunctionNotFoundError,
    PermissionDeniedError,
    ResourceType,
    ServerlessClient,
    ValidationError,
)

__all__ = ["FunctionAppServerlessClient"]

_RUNTIME_TAG = "cloud-common-runtime"
_HANDLER_TAG = "cloud-common-handler"
_PACKAGE_SAS_DAYS = 3650  # the app reads its package for as long as it lives
_CREATE_KWARGS = frozenset({"tags", "environment", "timeout", "memory_size", "plan_id"})


class _FunctionAppDriver(ArmDriver, ServerlessClient):
    """Function apps through ``WebSiteManagementClient``; every argument arrives checked."""

    def __init__(self, settings: AzureSettings) -> None:
        from azure.mgmt.web import WebSiteManagementClient  # noqa: PLC0415

        super().__init__(settings, WebSiteManagementClient)
        self._apps = self._client.web_apps
        self._blobs: Any = None

    def close(self) -> None:
        super().close()
        if self._blobs is not None:
            self._blobs.close()

    def _blob_service(self) -> Any:
        if self._blobs is None:
            self._blobs = self._settings.blob_service()
        return self._blobs

    def _resource(self, site: dict[str, Any]) -> dict[str, Any]:
        props = site.get("properties") or {}
        tags = dict(site.get("tags") or {})
        return CloudResource(
            id=str(site.get("name")),
            name=str(site.get("name")),
            resource_type=ResourceType.SERVERLESS,
            provider=CloudProvider.AZURE,
            region=str(site.get("location") or self._location),
            status=str(props.get("state") or "unknown").lower(),
            tags={k: v for k, v in tags.items() if k not in (_RUNTIME_TAG, _HANDLER_TAG)},
            metadata={
                "runtime": tags.get(_RUNTIME_TAG),
                "handler": tags.get(_HANDLER_TAG),
                "kind": site.get("kind"),
                "default_host_name": props.get("defaultHostName"),
                "resource_id": site.get("id"),
                "resource_group": self._group,
            },
        ).to_dict()

    def _site(self, name: str) -> dict[str, Any]:
        site = rest(self._apps.get(self._group, name))
        if "functionapp" not in str(site.get("kind") or ""):
            raise FunctionNotFoundError(f"{name} is a web app, not a function app")
        return site

    # -- the spec's calls ---------------------------------------------------------------

    def list_functions(self) -> list[dict[str, Any]]:
        return [
            self._resource(site)
            for site in map(rest, self._apps.list_by_resource_group(self._group))
            if "functionapp" in str(site.get("kind") or "")
        ]

    def create_function(  # type: ignore[no-untyped-def]
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs
    ) -> dict[str, Any]:
        """Upload the package, then create the app (Linux, Functions v4, Python).

        Keywords: ``tags``, ``environment`` (app settings), ``timeout`` (seconds: the
        runner answers 504 past it), ``memory_size`` (reported to the handler's context;
        the App Service plan sizes the real memory), ``plan_id`` (else the option).
        """
        unknown = sorted(set(kwargs) - _CREATE_KWARGS)
        if unknown:
            raise ValidationError(
                f"unknown keyword(s) {unknown} for create_function; accepted: "
                f"{sorted(_CREATE_KWARGS)}"
            )
        fx_version = linux_fx_version(runtime)
        timeout = kwargs.get("timeout")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 1
        ):
            raise ValidationError(f"timeout {timeout!r} is invalid: must be >= 1 second")
        memory = kwargs.get("memory_size")
        if memory is not None and (
            isinstance(memory, bool) or not isinstance(memory, int) or memory < 128
        ):
            raise ValidationError(f"memory_size {memory!r} is invalid: must be an int >= 128 (MB)")
        creds = self._settings.credentials
        if not (creds.access_key and creds.secret_key):
            raise ValidationError(
                "create_function stores the package in the storage account: the credentials "
                "need its name (access_key) and key (secret_key)"
            )
        if self._exists(name):
            raise AlreadyExistsError(f"a function app named {name!r} exists")
        package_url = self._upload_package(name, code_path, handler, timeout)
        settings = {
            "FUNCTIONS_EXTENSION_VERSION": "~4",
            "FUNCTIONS_WORKER_RUNTIME": "python",
            "AzureWebJobsStorage": self._storage_connection_string(),
            "WEBSITE_RUN_FROM_PACKAGE": package_url,
            HANDLER_SETTING: handler,
            **({TIMEOUT_SETTING: str(timeout)} if timeout is not None else {}),
            **({MEMORY_SETTING: str(memory)} if memory is not None else {}),
            **(kwargs.get("environment") or {}),
        }
        properties: dict[str, Any] = {
            "reserved": True,
            "httpsOnly": True,
            "siteConfig": {
                "linuxFxVersion": fx_version,
                "appSettings": [{"name": k, "value": v} for k, v in settings.items()],
            },
        }
        plan = kwargs.get("plan_id") or self._options.plan_id
        if plan:
            properties["serverFarmId"] = plan
        body = {
            "location": self._location,
            "kind": "functionapp,linux",
            "tags": {**(kwargs.get("tags") or {}), _RUNTIME_TAG: runtime, _HANDLER_TAG: handler},
            "properties": properties,
        }
        try:
            site = self._wait(
                self._apps.begin_create_or_update(self._group, name, body), f"creation of {name}"
            )
        except Exception:
            self._delete_package(name)  # nothing half-made stays behind
            raise
        return self._resource(rest(site))

    def _exists(self, name: str) -> bool:
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415

        try:
            self._apps.get(self._group, name)
        except ResourceNotFoundError:
            return False
        return True

    def _upload_package(
        self, name: str, code_path: str, handler: str, timeout: float | None
    ) -> str:
        from azure.core.exceptions import ResourceExistsError  # noqa: PLC0415
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas  # noqa: PLC0415

        service = self._blob_service()
        container = self._options.package_container
        with contextlib.suppress(ResourceExistsError):
            service.create_container(container)
        blob = service.get_blob_client(container, f"{name}.zip")
        with build_package(code_path, handler, timeout) as package:
            blob.upload_blob(package, overwrite=True)
        sas = generate_blob_sas(
            account_name=blob.account_name,
            container_name=container,
            blob_name=blob.blob_name,
            account_key=self._settings.credentials.secret_key,
            permission=BlobSasPermissions(read=True),
            expiry=datetime.now(timezone.utc) + timedelta(days=_PACKAGE_SAS_DAYS),
        )
        return f"{blob.url}?{sas}"

    def _storage_connection_string(self) -> str:
        creds = self._settings.credentials
        given = creds.metadata.get("connection_string")
        if given:
            return given
        endpoint = self._options.endpoint_url or creds.metadata.get("endpoint_url")
        text = f"DefaultEndpointsProtocol=https;AccountName={creds.access_key};AccountKey={creds.secret_key};"
        return text + (
            f"BlobEndpoint={endpoint};" if endpoint else "EndpointSuffix=core.windows.net;"
        )

    def invoke_function(
        self, function_name: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        """POST ``payload`` to the HTTP trigger (no retry: an invocation is not idempotent)."""
        secrets = rest(self._apps.list_function_secrets(self._group, function_name, FUNCTION_NAME))
        url = self._trigger_url(function_name, str(secrets.get("trigger_url") or ""))
        status, headers, body = self._post(url, str(secrets.get("key") or ""), payload, timeout)
        if status == 200:
            try:
                result = json.loads(body) if body else None
            except ValueError as exc:
                raise FunctionInvocationError(
                    f"the function answered non-JSON: {body[:200]!r}", status=status
                ) from exc
            return result if isinstance(result, dict) else {"result": result}
        error = _json_or_text(body)
        if status == 404:
            raise FunctionNotFoundError(f"the function's trigger answered 404: {body[:200]!r}")
        if status in (401, 403):
            cls = AuthenticationError if status == 401 else PermissionDeniedError
            raise cls(f"the function's trigger refused the key (HTTP {status})")
        if "x-cloud-common-error" in headers or (isinstance(error, dict) and "errorType" in error):
            error_type = error.get("errorType") if isinstance(error, dict) else None
            message = error.get("errorMessage") if isinstance(error, dict) else body[:200]
            raise FunctionInvocationError(
                f"the function failed: {error_type}: {message}",
                error_type=str(error_type) if error_type else None,
                payload=error,
                status=status,
            )
        raise FunctionInvocationError(
            f"the function answered HTTP {status}: {body[:200]!r}",
            error_type=FunctionInvocationError.TIMED_OUT if status == 504 else None,
            payload=error,
            status=status,
        )

    def _trigger_url(self, app: str, trigger_url: str) -> str:
        base = self._options.invoke_endpoint
        if not trigger_url:
            trigger_url = f"https://{app}.azurewebsites.net/api/{FUNCTION_NAME}"
        if base is None:
            return trigger_url
        from urllib.parse import urlsplit  # noqa: PLC0415

        parts = urlsplit(trigger_url)
        return (
            base.replace("{app}", app).rstrip("/")
            + parts.path
            + (f"?{parts.query}" if parts.query else "")
        )

    def _post(
        self, url: str, key: str, payload: dict[str, Any], timeout: float | None
    ) -> tuple[int, dict[str, str], str]:
        from azure.core import PipelineClient  # noqa: PLC0415
        from azure.core.pipeline.transport import RequestsTransport  # noqa: PLC0415
        from azure.core.rest import HttpRequest, HttpResponse  # noqa: PLC0415

        timeouts = self._options.timeouts_or_default
        transport = RequestsTransport(
            connection_verify=self._options.connection_verify,
            connection_timeout=timeouts.connect,
            read_timeout=timeout if timeout is not None else timeouts.read,
        )
        pipeline: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            url, transport=transport, policies=[]
        )
        with pipeline as client:
            request = HttpRequest("POST", url, json=payload, headers={"x-functions-key": key})
            response = client.send_request(request)
            body = response.text()
            return response.status_code, {k.lower(): v for k, v in response.headers.items()}, body

    def delete_function(self, function_name: str) -> bool:
        """Delete the app, then its package."""
        self._apps.delete(self._group, function_name)
        self._delete_package(function_name)
        return True

    def _delete_package(self, name: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError  # noqa: PLC0415

        with contextlib.suppress(ResourceNotFoundError):
            self._blob_service().get_blob_client(
                self._options.package_container, f"{name}.zip"
            ).delete_blob()

    # -- extensions ---------------------------------------------------------------------

    def get_function(self, function_name: str) -> dict[str, Any]:
        return self._resource(self._site(function_name))


def _json_or_text(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body


class FunctionAppServerlessClient(AzureClient[ServerlessClient], CloudServerless):
    """Azure Function Apps of one resource group as a ``CloudServerless``.

    Args:
        credentials: ``CloudCredentials`` of provider ``azure``: the subscription
            (``project_id``), location (``region``), ``metadata["resource_group"]``, and the
            storage account (``access_key`` / ``secret_key``) that holds packages.
        options: ``AzureOptions`` (``credential=``, ``plan_id=``, ``invoke_endpoint=``...).

    Raises:
        ValidationError: bad options or credentials, a region that is not an Azure
            location (before any network call).
    """

    _needs_location = True

    def _driver_for(self, settings: AzureSettings) -> ServerlessClient:
        return _FunctionAppDriver(settings)

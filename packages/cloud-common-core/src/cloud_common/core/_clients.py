"""The factories users call: ``get_storage_client``, ``get_compute_client``,
``get_serverless_client`` and ``open_storage``. Each returns a portable client."""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar, cast

from cloud_common.core._compute import CloudCompute
from cloud_common.core._enums import CloudProvider
from cloud_common.core._models import CloudCredentials
from cloud_common.core._options import ClientOptions
from cloud_common.core._policy import ErrorPolicy
from cloud_common.core._portable import PortableClient
from cloud_common.core._provider import ProviderInfo
from cloud_common.core._registry import available_providers, get_provider
from cloud_common.core._serverless import CloudServerless
from cloud_common.core._storage import CloudStorage
from cloud_common.core._urls import parse_object_url
from cloud_common.core.errors import CloudError, ProviderNotFoundError, ValidationError

__all__ = [
    "StorageLocation",
    "get_compute_client",
    "get_serverless_client",
    "get_storage_client",
    "open_storage",
    "portable_client",
]

_P = TypeVar("_P", bound=PortableClient[Any])
_PORTABLE: dict[str, type[PortableClient[Any]]] = {
    "storage": CloudStorage,
    "compute": CloudCompute,
    "serverless": CloudServerless,
}


class StorageLocation(NamedTuple):
    """What ``open_storage(url)`` returns: a client and the URL's bucket and key."""

    client: CloudStorage
    bucket: str
    key: str


def portable_client(
    service: str, client: Any, info: ProviderInfo, credentials: CloudCredentials | None = None
) -> Any:
    """``client`` if it is already the portable client of ``service``, else a portable
    client around it (the driver)."""
    portable = _PORTABLE[service]
    if isinstance(client, portable):
        return client
    return portable(client, info, credentials)


def _build(
    service: str,
    portable: type[_P],
    credentials: CloudCredentials | CloudProvider | str,
    options: ClientOptions | None,
    kwargs: dict[str, Any],
) -> _P:
    if isinstance(credentials, CloudCredentials):
        creds = credentials
    else:
        creds = CloudCredentials.from_env(credentials)
    info = get_provider(creds.provider)
    cls = info.client_class(service)
    options_class = info.options_class()
    args: tuple[Any, ...] = (creds,)
    if options_class is not None:
        args, kwargs = (creds, options_class.resolve(options, kwargs)), {}
    elif options is not None:
        raise ValidationError(
            f"provider {info.id!r} (contract {info.contract_version}) takes keyword "
            "options, not an options object",
            provider=info.id,
        )
    policy = ErrorPolicy(info.id, info.error_translator(), secrets=creds.secrets())
    try:
        client = policy.call(f"get_{service}_client", lambda: cls(*args, **kwargs))
    except CloudError as exc:
        if isinstance(exc.__cause__, TypeError) and not isinstance(exc, ValidationError):
            raise ValidationError(
                f"cannot build the {info.id} {service} client: {exc.__cause__}",
                provider=info.id,
            ) from exc.__cause__
        raise
    return cast(_P, portable_client(service, client, info, creds))


def get_storage_client(
    credentials: CloudCredentials | CloudProvider | str,
    options: ClientOptions | None = None,
    **kwargs: Any,
) -> CloudStorage:
    """A ``CloudStorage`` of the provider named by ``credentials`` (or by a provider id).

    With only an id, credentials come from ``CloudCredentials.from_env``. ``options`` is
    the provider's ``ClientOptions`` subclass (``AwsOptions``...); keyword arguments set
    its fields (``endpoint_url=``, ``timeouts=``, ``retry=`` on every provider).

    Raises:
        ProviderNotFoundError: no such provider is installed.
        ValidationError: unknown or ill-typed options, bad credentials for the provider.
    """
    return _build("storage", CloudStorage, credentials, options, kwargs)


def get_compute_client(
    credentials: CloudCredentials | CloudProvider | str,
    options: ClientOptions | None = None,
    **kwargs: Any,
) -> CloudCompute:
    """A ``CloudCompute`` of the provider named by ``credentials`` (see get_storage_client)."""
    return _build("compute", CloudCompute, credentials, options, kwargs)


def get_serverless_client(
    credentials: CloudCredentials | CloudProvider | str,
    options: ClientOptions | None = None,
    **kwargs: Any,
) -> CloudServerless:
    """A ``CloudServerless`` of the provider named by ``credentials`` (see get_storage_client)."""
    return _build("serverless", CloudServerless, credentials, options, kwargs)


def open_storage(
    url: str,
    credentials: CloudCredentials | None = None,
    options: ClientOptions | None = None,
    **kwargs: Any,
) -> StorageLocation:
    """Open the storage a URL points at: ``client, bucket, key = open_storage("s3://b/k")``.

    The provider is the one declaring the URL's scheme; without ``credentials`` they come
    from its environment variables.

    Raises:
        ValidationError: the URL is malformed.
        ProviderNotFoundError: no installed provider handles the scheme.
    """
    parsed = parse_object_url(url)
    for info in available_providers():
        if parsed.scheme in info.url_schemes:
            creds = credentials if credentials is not None else info.id
            client = get_storage_client(creds, options, **kwargs)
            return StorageLocation(client, parsed.bucket, parsed.key)
    raise ProviderNotFoundError(f"no installed provider handles {parsed.scheme}:// URLs")

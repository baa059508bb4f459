"""The provider registry: discovery through entry points, lookup, and client factories."""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from cloud_common.core._capabilities import SERVICES, Capability
from cloud_common.core._contracts import ComputeClient, ServerlessClient, StorageClient
from cloud_common.core._models import CloudCredentials, CloudProvider
from cloud_common.core._urls import parse_object_url
from cloud_common.core.errors import (
    CloudError,
    IncompatibleProviderError,
    NotSupportedError,
    PluginError,
    ProviderNotFoundError,
    ValidationError,
)
from cloud_common.core.validation import BucketRules

__all__ = [
    "CONTRACT_VERSION",
    "ENTRY_POINT_GROUP",
    "BrokenProvider",
    "ProviderInfo",
    "StorageLocation",
    "available_providers",
    "broken_providers",
    "get_compute_client",
    "get_provider",
    "get_serverless_client",
    "get_storage_client",
    "open_storage",
    "register",
    "reload_providers",
    "unregister",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "cloud_common.providers"
CONTRACT_VERSION = "0.2"
"""The contract version this core implements; providers declare the one they target."""

_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_CLIENT_BASES: dict[str, type[Any]] = {
    "storage": StorageClient,
    "compute": ComputeClient,
    "serverless": ServerlessClient,
}


@dataclass(frozen=True)
class ProviderInfo:
    """What a provider plugin declares; the target of its entry point.

    Reading it imports no SDK: services are ``"module:Class"`` strings, imported when a
    client is first built. A client class is constructed as ``Class(credentials, **options)``.

    Attributes:
        id: Provider id, equal to the entry point's name (``"aws"``, ``"acme"``).
        display_name: Human name (``"Amazon Web Services"``).
        contract_version: The core contract version targeted (``"0.2"``).
        services: ``{"storage" | "compute" | "serverless": "module:Class"}``.
        url_schemes: Schemes of canonical object URLs (``("s3",)``).
        capabilities: Declared optional calls (``Capability`` values); services are added.
        harness: ``"module:Class"`` of the contract-test harness, if any.
        bucket_rules: Naming rules checked before calls (``"s3"`` or ``"gcs"``).
        filesystem_keys: Keys map to paths: refuse ``..``, absolute and empty segments.
        distribution: Set by discovery: the distribution that declared the entry point.
        version: Set by discovery: that distribution's version.
    """

    id: str
    display_name: str
    contract_version: str
    services: Mapping[str, str]
    url_schemes: tuple[str, ...] = ()
    capabilities: frozenset[str] = frozenset()
    harness: str | None = None
    bucket_rules: BucketRules = "s3"
    filesystem_keys: bool = False
    distribution: str | None = field(default=None, compare=False)
    version: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        CloudProvider(self.id)  # validates the id's shape
        unknown = set(self.services) - set(SERVICES)
        if unknown:
            raise ValidationError(f"services has unknown names {sorted(unknown)}: use {SERVICES}")
        for service, target in self.services.items():
            if not isinstance(target, str) or not _TARGET.match(target):
                raise ValidationError(
                    f"services[{service!r}] must be 'module:Class', got {target!r}"
                )
        if self.harness is not None and not _TARGET.match(self.harness):
            raise ValidationError(f"harness must be 'module:Class', got {self.harness!r}")
        caps = {str(c.value if isinstance(c, Capability) else c) for c in self.capabilities}
        object.__setattr__(self, "capabilities", frozenset(caps | set(self.services)))
        object.__setattr__(self, "services", dict(self.services))
        object.__setattr__(self, "url_schemes", tuple(self.url_schemes))

    def supports(self, capability: Capability | str) -> bool:
        """True when the provider declares ``capability``."""
        return str(capability) in self.capabilities

    def client_class(self, service: str) -> type[Any]:
        """Import and return the client class of ``service``.

        Raises:
            NotSupportedError: the provider has no such service.
            PluginError: the class cannot be imported or is not a client of that service.
        """
        target = self.services.get(service)
        if target is None:
            raise NotSupportedError(
                f"provider {self.id!r} offers no {service} service "
                f"(it offers: {', '.join(sorted(self.services)) or 'nothing'})",
                provider=self.id,
            )
        cls = _load_target(target, self.id)
        base = _CLIENT_BASES[service]
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise IncompatibleProviderError(
                f"{target} is not a {base.__name__} subclass", provider=self.id
            )
        return cls


class BrokenProvider(NamedTuple):
    """An installed provider plugin that was skipped, and why."""

    name: str
    distribution: str | None
    reason: str


class StorageLocation(NamedTuple):
    """What ``open_storage(url)`` returns: a client and the URL's bucket and key."""

    client: StorageClient
    bucket: str
    key: str


def _load_target(target: str, provider: str) -> Any:
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception as exc:
        raise PluginError(
            f"cannot import {target}: {type(exc).__name__}: {exc}", provider=provider
        ) from exc
    return obj


class _EntryPoint(NamedTuple):
    name: str
    value: str
    dist: str | None
    version: str | None

    def load(self) -> Any:
        return _load_target(self.value, self.name)


def _entry_points(group: str) -> Iterator[_EntryPoint]:
    """Entry points of ``group`` from the ``*.dist-info`` / ``*.egg-info`` folders on sys.path.

    The same lookup as ``importlib.metadata.entry_points(group=...)`` (the first copy of a
    distribution on sys.path wins), without importing ``importlib.metadata`` and the email
    parser it pulls in: discovery is on the import path of every program using core.
    """
    seen: set[str] = set()
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for folder in names:
            stem, dot, suffix = folder.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            dist, _, version = stem.partition("-")
            key = re.sub(r"[-_.]+", "-", dist).lower()
            if key in seen:
                continue
            seen.add(key)
            try:
                with open(
                    os.path.join(entry or ".", folder, "entry_points.txt"), encoding="utf-8"
                ) as f:
                    text = f.read()
            except OSError:
                continue
            section = None
            for raw in text.splitlines():
                line = raw.strip()
                if not line or line.startswith(("#", ";")):
                    continue
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1].strip()
                elif section == group and "=" in line:
                    name, _, value = line.partition("=")
                    target = value.split("[", 1)[0].strip()  # drop "[extras]"
                    yield _EntryPoint(name.strip(), target, key, version or None)


def _compatible(version: str) -> bool:
    return version.split(".")[:2] == CONTRACT_VERSION.split(".")[:2]


class _Registry:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._discovered: dict[str, ProviderInfo] | None = None
        self._broken: dict[str, BrokenProvider] = {}
        self._registered: dict[str, ProviderInfo] = {}

    def reload(self) -> None:
        with self._lock:
            self._discovered = None
            self._broken = {}

    def _discover(self) -> dict[str, ProviderInfo]:
        with self._lock:
            if self._discovered is None:
                self._discovered, self._broken = self._scan()
            return self._discovered

    def _scan(self) -> tuple[dict[str, ProviderInfo], dict[str, BrokenProvider]]:
        found: dict[str, list[tuple[_EntryPoint, ProviderInfo]]] = {}
        broken: dict[str, BrokenProvider] = {}
        seen: set[tuple[str, str, str | None]] = set()
        for ep in sorted(_entry_points(ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist, version = ep.dist, ep.version
            if (ep.name, ep.value, dist) in seen:
                continue
            seen.add((ep.name, ep.value, dist))
            try:
                info = self._load(ep)
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break discovery
                reason = f"{type(exc).__name__}: {exc}"
                logger.warning("skipping provider plugin %r from %s: %s", ep.name, dist, reason)
                broken[ep.name] = BrokenProvider(ep.name, dist, reason)
                continue
            info = replace(info, distribution=dist, version=version)
            found.setdefault(info.id, []).append((ep, info))
        good: dict[str, ProviderInfo] = {}
        for pid, claims in found.items():
            if len(claims) == 1:
                good[pid] = claims[0][1]
                continue
            names = " and ".join(sorted(f"{i.distribution} ({e.value})" for e, i in claims))
            reason = (
                f"provider id {pid!r} is claimed by {names}; uninstall one, or choose with "
                "cloud_common.core.register(info, replace=True)"
            )
            logger.warning("skipping provider %r: %s", pid, reason)
            broken[pid] = BrokenProvider(pid, claims[0][1].distribution, reason)
        return good, broken

    @staticmethod
    def _load(ep: _EntryPoint) -> ProviderInfo:
        obj = ep.load()
        if callable(obj) and not isinstance(obj, ProviderInfo):
            obj = obj()
        if not isinstance(obj, ProviderInfo):
            raise PluginError(
                f"entry point {ep.value} is a {type(obj).__name__}, not a ProviderInfo"
            )
        if obj.id != ep.name:
            raise PluginError(
                f"entry point name {ep.name!r} differs from ProviderInfo.id {obj.id!r}"
            )
        if not _compatible(obj.contract_version):
            raise IncompatibleProviderError(
                f"targets contract {obj.contract_version}, this core implements {CONTRACT_VERSION}",
                provider=obj.id,
            )
        return obj

    def providers(self) -> dict[str, ProviderInfo]:
        with self._lock:
            merged = dict(self._discover())
            for pid in self._registered:
                self._broken.pop(pid, None)
            merged.update(self._registered)
            return merged

    def broken(self) -> list[BrokenProvider]:
        with self._lock:
            self._discover()
            return [b for n, b in sorted(self._broken.items()) if n not in self._registered]

    def get(self, provider_id: str) -> ProviderInfo:
        providers = self.providers()
        info = providers.get(provider_id)
        if info is not None:
            return info
        with self._lock:
            problem = self._broken.get(provider_id)
        if problem is not None:
            raise PluginError(f"provider {provider_id!r} is unusable: {problem.reason}")
        known = ", ".join(sorted(providers)) or "none"
        raise ProviderNotFoundError(
            f"no provider {provider_id!r} is installed (installed: {known}); "
            f"try pip install 'cloud-common-{provider_id}'"
        )

    def register(self, info: ProviderInfo, replace_existing: bool) -> None:
        if not isinstance(info, ProviderInfo):
            raise ValidationError(f"register() needs a ProviderInfo, got {type(info).__name__}")
        if not _compatible(info.contract_version):
            raise IncompatibleProviderError(
                f"targets contract {info.contract_version}, this core implements {CONTRACT_VERSION}",
                provider=info.id,
            )
        with self._lock:
            existing = self._registered.get(info.id) or self._discover().get(info.id)
            if (
                existing is None
                and info.id in self._broken
                and "claimed by" in self._broken[info.id].reason
            ):
                existing = info  # a conflict: registering is how the user resolves it
            if existing is not None and not replace_existing:
                raise PluginError(
                    f"provider {info.id!r} is already registered (from "
                    f"{existing.distribution or 'register()'}); pass replace=True to override"
                )
            self._registered[info.id] = info

    def unregister(self, provider_id: str) -> None:
        with self._lock:
            self._registered.pop(provider_id, None)


_registry = _Registry()


def available_providers() -> list[ProviderInfo]:
    """The usable providers (installed plugins and ``register()``-ed ones), sorted by id.

    Discovery reads entry-point metadata and each plugin's ``ProviderInfo`` only: no SDK is
    imported. Broken plugins are left out with one WARNING each (see ``broken_providers``).
    """
    return [info for _, info in sorted(_registry.providers().items())]


def broken_providers() -> list[BrokenProvider]:
    """Installed plugins that were skipped, each with the reason."""
    return _registry.broken()


def get_provider(provider: CloudProvider | str) -> ProviderInfo:
    """The ``ProviderInfo`` of one provider.

    Raises:
        ProviderNotFoundError: nothing installed has this id.
        PluginError: the plugin is installed but broken or claimed twice (the reason says).
    """
    return _registry.get(CloudProvider(provider).value)


def register(info: ProviderInfo, *, replace: bool = False) -> None:
    """Add a provider without an entry point, or (``replace=True``) override one.

    Raises:
        PluginError: the id is taken and ``replace`` is False.
    """
    _registry.register(info, replace)


def unregister(provider_id: str) -> None:
    """Undo ``register()`` for this id (installed plugins stay)."""
    _registry.unregister(provider_id)


def reload_providers() -> None:
    """Forget discovery results, so the next call rescans installed distributions."""
    _registry.reload()


def _build(
    service: str, credentials: CloudCredentials | CloudProvider | str, options: dict[str, Any]
) -> Any:
    from cloud_common.core._guard import guard  # noqa: PLC0415 - the guard imports this module

    if isinstance(credentials, CloudCredentials):
        creds = credentials
    else:
        creds = CloudCredentials.from_env(CloudProvider(credentials))
    info = get_provider(creds.provider)
    cls = info.client_class(service)
    try:
        client = cls(creds, **options)
    except CloudError as exc:
        exc.provider = exc.provider or info.id
        raise
    except TypeError as exc:
        raise ValidationError(
            f"cannot build {info.id} {service} client: {exc}", provider=info.id
        ) from exc
    return guard(client, info, creds)


def get_storage_client(
    credentials: CloudCredentials | CloudProvider | str, **options: Any
) -> StorageClient:
    """A ``StorageClient`` of the provider named by ``credentials`` (or by a provider id).

    With only an id, credentials come from ``CloudCredentials.from_env``. ``options`` go to
    the provider's client (see its docs). The client is wrapped in core's guard: arguments
    are validated before any network call and every failure is a ``CloudError``.
    """
    client: StorageClient = _build("storage", credentials, options)
    return client


def get_compute_client(
    credentials: CloudCredentials | CloudProvider | str, **options: Any
) -> ComputeClient:
    """A ``ComputeClient`` of the provider named by ``credentials`` (see get_storage_client)."""
    client: ComputeClient = _build("compute", credentials, options)
    return client


def get_serverless_client(
    credentials: CloudCredentials | CloudProvider | str, **options: Any
) -> ServerlessClient:
    """A ``ServerlessClient`` of the provider named by ``credentials`` (see get_storage_client)."""
    client: ServerlessClient = _build("serverless", credentials, options)
    return client


def open_storage(
    url: str, credentials: CloudCredentials | None = None, **options: Any
) -> StorageLocation:
    """Open the storage a URL points at: ``client, bucket, key = open_storage("s3://b/k")``.

    The provider is the one declaring the URL's scheme.

    Raises:
        ValidationError: the URL is malformed.
        ProviderNotFoundError: no installed provider handles the scheme.
    """
    parsed = parse_object_url(url)
    for info in available_providers():
        if parsed.scheme in info.url_schemes:
            creds = credentials if credentials is not None else info.id
            return StorageLocation(get_storage_client(creds, **options), parsed.bucket, parsed.key)
    raise ProviderNotFoundError(f"no installed provider handles {parsed.scheme}:// URLs")

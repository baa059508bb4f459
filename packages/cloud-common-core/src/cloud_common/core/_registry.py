"""The provider registry: discovery through entry points, lookup and registration.

Building clients from what it finds is ``_clients.py``'s job.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING, Any, NamedTuple

from cloud_common.core._provider import (
    CONTRACT_VERSION,
    SUPPORTED_CONTRACTS,
    ProviderInfo,
    load_target,
)
from cloud_common.core.errors import (
    IncompatibleProviderError,
    PluginError,
    ProviderNotFoundError,
    ValidationError,
)

if TYPE_CHECKING:
    from cloud_common.core._enums import CloudProvider

__all__ = [
    "ENTRY_POINT_GROUP",
    "BrokenProvider",
    "available_providers",
    "broken_providers",
    "get_provider",
    "installed_provider",
    "register",
    "reload_providers",
    "unregister",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "cloud_common.providers"


class BrokenProvider(NamedTuple):
    """An installed provider plugin that was skipped, and why."""

    name: str
    distribution: str | None
    reason: str


class _EntryPoint(NamedTuple):
    name: str
    value: str
    dist: str | None
    version: str | None

    def load(self) -> Any:
        return load_target(self.value, self.name)


def _entry_points(group: str) -> Iterator[_EntryPoint]:
    """Entry points of ``group`` from the ``*.dist-info`` / ``*.egg-info`` folders on sys.path.

    The same lookup as ``importlib.metadata.entry_points(group=...)`` (the first copy of a
    distribution on sys.path wins), without importing ``importlib.metadata`` and the email
    parser it pulls in: discovery is on the import path of every program using core.
    """
    seen: set[str] = set()
    marker = group.encode()
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
            key = "-".join(filter(None, dist.replace("_", "-").replace(".", "-").split("-")))
            key = key.lower()
            if key in seen:
                continue
            seen.add(key)
            try:
                with open(os.path.join(entry or ".", folder, "entry_points.txt"), "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if marker not in data:  # most distributions declare no provider: skip parsing
                continue
            text = data.decode("utf-8", "replace")
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
    return ".".join(str(version).split(".")[:2]) in SUPPORTED_CONTRACTS


def _incompatible(info: ProviderInfo) -> IncompatibleProviderError:
    return IncompatibleProviderError(
        f"targets contract {info.contract_version}, this core implements {CONTRACT_VERSION} "
        f"and loads providers of {', '.join(SUPPORTED_CONTRACTS)}: install a release of the "
        f"provider written for contract {CONTRACT_VERSION}, or a cloud-common-core that "
        f"implements {info.contract_version}",
        provider=info.id,
    )


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
            raise _incompatible(obj)
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
            raise _incompatible(info)
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
    return _registry.get(_provider_id(provider))


def installed_provider(provider: CloudProvider | str) -> ProviderInfo | None:
    """The ``ProviderInfo`` of a usable provider, or None (never raises, never warns twice)."""
    return _registry.providers().get(_provider_id(provider))


def _provider_id(provider: CloudProvider | str) -> str:
    if isinstance(provider, Enum):
        return str(provider.value)
    if not isinstance(provider, str):
        raise ValidationError(
            f"provider must be a CloudProvider or str, not {type(provider).__name__}"
        )
    return provider.lower()


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

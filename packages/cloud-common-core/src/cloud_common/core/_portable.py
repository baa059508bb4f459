"""What the three portable clients share: the driver, the error policy, the bool table.

A portable client (``CloudStorage``, ``CloudCompute``, ``CloudServerless``) is what users
hold. It wraps a provider's *driver* (a ``StorageClient`` / ``ComputeClient`` /
``ServerlessClient`` that only talks to its cloud) and applies every rule of the contract:
argument checks before any call, capability checks, one error tree, the bool table with
exactly one WARNING for each ``False``, and type checks of what the driver returns.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from cloud_common.core._capabilities import Capability
from cloud_common.core._policy import ErrorPolicy
from cloud_common.core._registry import installed_provider
from cloud_common.core.errors import CloudError, NotSupportedError, ValidationError

if TYPE_CHECKING:
    from cloud_common.core._contracts import _Client
    from cloud_common.core._models import CloudCredentials
    from cloud_common.core._provider import ProviderInfo

P = ParamSpec("P")

__all__ = ["PortableClient", "naming_the_provider"]

R = TypeVar("R")
D = TypeVar("D", bound="_Client")
_REFUSED = "the provider refused the call"


def naming_the_provider(method: Callable[P, R]) -> Callable[P, R]:
    """Decorate a portable client's public method: every ``CloudError`` it raises (its own
    argument checks included) names the client's provider."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except CloudError as exc:
            if exc.provider is None:
                exc.provider = args[0].provider_id  # type: ignore[attr-defined]
            raise

    return wrapper


class PortableClient(Generic[D]):
    """Base of the portable clients: a driver plus the provider's declaration.

    Args:
        driver: The provider's implementation of the service's ABC.
        info: The provider's ``ProviderInfo`` (rules, capabilities, URL scheme).
        credentials: The credentials the driver was built with (their secrets are
            scrubbed from every error and WARNING).
        policy: The provider's ``ErrorPolicy`` (default: one from ``info.errors``).
    """

    provider_id: str

    def __init__(
        self,
        driver: D,
        info: ProviderInfo,
        credentials: CloudCredentials | None = None,
        *,
        policy: ErrorPolicy | None = None,
    ) -> None:
        if credentials is not None and credentials.provider.value != info.id:
            raise ValidationError(
                f"credentials are for provider {credentials.provider.value!r}, not {info.id!r}",
                provider=info.id,
            )
        installed = installed_provider(info.id)
        if installed == info:  # the registry's copy knows its distribution and version
            info = installed
        self._driver = driver
        self._info = info
        self.provider_id = info.id
        self._policy = policy or ErrorPolicy(
            info.id,
            info.error_translator(),
            logger=logging.getLogger(f"cloud_common.{info.id}"),
            secrets=credentials.secrets() if credentials is not None else (),
        )

    @property
    def provider_info(self) -> ProviderInfo:
        """The ``ProviderInfo`` of the provider behind this client."""
        return self._info

    @property
    def capabilities(self) -> frozenset[str]:
        """The ``Capability`` values this client offers (declared, and derived by core)."""
        return self._info.capabilities

    @property
    def driver(self) -> D:
        """The provider's driver behind this client: for the contract suite and a
        provider's own tests. Calling it directly skips every rule of the contract."""
        return self._driver

    def __repr__(self) -> str:
        return f"<{type(self).__name__} provider={self._info.id!r} driver={type(self._driver).__name__}>"

    @property
    def native(self) -> Any:
        """The provider's underlying SDK client: the escape hatch for what the contract
        does not cover.

        Raises:
            NotSupportedError: the provider has no single SDK client to hand out.
        """
        self._require(Capability.NATIVE, "native")
        return self._policy.call("native", lambda: self._driver.native)

    def close(self) -> None:
        """Release connections and other resources. Safe to call twice."""
        self._policy.call("close", self._driver.close)

    # -- the rules ----------------------------------------------------------------------

    def _require(self, capability: Capability, operation: str) -> None:
        if not self._info.supports(capability):
            raise NotSupportedError(
                f"{self._info.id} does not declare capability {capability.value!r}",
                provider=self._info.id,
                operation=operation,
            )

    def _overrides(self, name: str, base: type[Any]) -> bool:
        """True when the driver's class implements ``name`` itself."""
        return getattr(type(self._driver), name, None) is not getattr(base, name, None)

    def _call(
        self,
        operation: str,
        resource: str | None,
        fn: Callable[[], Any],
        expect: type | tuple[type, ...],
    ) -> Any:
        """Run a driver call that returns data: errors translated, the result type-checked."""
        result = self._policy.call(operation, fn, resource=resource)
        if not isinstance(result, expect) or (
            expect not in (bool, object) and isinstance(result, bool)
        ):
            names = (
                expect.__name__
                if isinstance(expect, type)
                else "/".join(t.__name__ for t in expect)
            )
            raise CloudError(
                f"the provider returned {type(result).__name__}, the contract promises {names}",
                provider=self._info.id,
                operation=operation,
                resource=resource,
            )
        return result

    def _state(
        self,
        operation: str,
        resource: str,
        fn: Callable[[], Any],
        table: Mapping[type[CloudError], bool],
    ) -> bool:
        """Run a driver call whose bool answers "does the requested state now hold?".

        The driver returns a bool or raises; ``table`` maps the core errors that describe
        the resource's state to the answer. Every ``False`` is logged as exactly one
        WARNING (a 0.2 driver that returns False has logged its own).
        """
        try:
            result = fn()
        except Exception as exc:
            err = self._policy.error(exc, operation, resource)
            for cls, answer in table.items():
                if isinstance(err, cls):
                    if answer:
                        self._policy.logger.debug(
                            "[%s] %s %s: %s, so the state holds",
                            self._info.id,
                            operation,
                            resource,
                            type(err).__name__,
                        )
                        return True
                    return self._policy.soft_fail(operation, resource, False, err.message)
            if err is exc:
                raise
            raise err from exc
        if not isinstance(result, bool):
            raise CloudError(
                f"the provider returned {type(result).__name__}, the contract promises bool",
                provider=self._info.id,
                operation=operation,
                resource=resource,
            )
        if result is False and not self._info.legacy:
            return self._policy.soft_fail(operation, resource, False, _REFUSED)
        return result

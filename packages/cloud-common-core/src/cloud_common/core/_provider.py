"""``ProviderInfo``: everything a provider declares about itself, as data.

Reading a ``ProviderInfo`` imports no SDK: classes and functions are named as
``"module:attribute"`` strings and imported when first needed.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from cloud_common.core._capabilities import SERVICES, Capability
from cloud_common.core._enums import PROVIDER_ID
from cloud_common.core.errors import (
    CloudError,
    IncompatibleProviderError,
    NotSupportedError,
    PluginError,
    ValidationError,
)
from cloud_common.core.validation import DEFAULT_BUCKET_RULES, BucketRules, bucket_rules

if TYPE_CHECKING:
    from collections.abc import Callable

    from cloud_common.core._options import ClientOptions

__all__ = ["CONTRACT_VERSION", "CREDENTIAL_FIELDS", "SUPPORTED_CONTRACTS", "ProviderInfo"]

CONTRACT_VERSION = "0.3"
"""The contract version this core implements; new providers declare it."""

SUPPORTED_CONTRACTS = ("0.2", "0.3")
"""Contract versions whose providers this core loads. A 0.2 provider implements the spec's
ABCs only; core's portable clients apply every rule of the contract around it."""

CREDENTIAL_FIELDS = ("access_key", "secret_key", "region", "project_id", "profile")
"""The ``CloudCredentials`` fields an environment variable may fill (or ``metadata.<name>``)."""

_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_DERIVED = {
    # a capability the portable client serves from another one
    Capability.OBJECT_EXISTS.value: Capability.STAT_OBJECT.value,
    Capability.WAIT_FOR_STATE.value: Capability.GET_INSTANCE.value,
}


def load_target(target: str, provider: str | None = None) -> Any:
    """Import ``"module:attribute"`` and return the attribute.

    Raises:
        PluginError: the module or the attribute cannot be imported (the reason says why).
    """
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


def _check_target(name: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not _TARGET.match(value)):
        raise ValidationError(f"{name} must be 'module:attribute', got {value!r}")


@dataclass(frozen=True)
class ProviderInfo:
    """What a provider plugin declares; the target of its entry point.

    Attributes:
        id: Provider id, equal to the entry point's name (``"aws"``, ``"acme"``).
        display_name: Human name (``"Amazon Web Services"``).
        contract_version: The contract targeted (``CONTRACT_VERSION``; ``"0.2"`` still loads).
        services: ``{"storage" | "compute" | "serverless": "module:Class"}``. The class is
            built as ``Class(credentials, options)`` when ``options`` is declared, else as
            ``Class(credentials, **keyword_options)`` (the 0.2 convention).
        url_schemes: Schemes of canonical object URLs; the first is what uploads return.
        capabilities: Declared optional calls (``Capability`` values). The services are
            added, and ``storage.object_exists`` / ``compute.wait_for_state`` whenever
            ``storage.stat_object`` / ``compute.get_instance`` are declared (core serves
            them from those).
        harness: ``"module:Class"`` of the contract-test harness, if any.
        bucket_rules: The provider's bucket naming rules, checked before every call.
        filesystem_keys: Keys map to paths: refuse ``..``, absolute and empty segments.
        environment: ``{"ENV_VAR": "field"}`` read by ``CloudCredentials.from_env``; a field
            is one of ``CREDENTIAL_FIELDS`` or ``"metadata.<name>"``; for one field the
            first variable that is set wins.
        options: ``"module:Class"`` of the provider's ``ClientOptions`` subclass.
        errors: ``"module:function"`` mapping an SDK exception to a ``CloudError`` (or
            None when it does not recognise it); applied by core around every call.
        ascii_metadata: User metadata values must be ASCII (they travel as HTTP headers).
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
    bucket_rules: BucketRules | Literal["s3", "gcs"] = DEFAULT_BUCKET_RULES
    filesystem_keys: bool = False
    environment: Mapping[str, str] = field(default_factory=dict)
    options: str | None = None
    errors: str | None = None
    ascii_metadata: bool = False
    distribution: str | None = field(default=None, compare=False)
    version: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not PROVIDER_ID.match(self.id):
            raise ValidationError(
                f"provider id {self.id!r} is not valid: use 1-40 characters of lowercase "
                "letters, digits, '-' or '_', starting with a letter"
            )
        unknown = set(self.services) - set(SERVICES)
        if unknown:
            raise ValidationError(f"services has unknown names {sorted(unknown)}: use {SERVICES}")
        for service, target in self.services.items():
            _check_target(f"services[{service!r}]", target)
        _check_target("harness", self.harness)
        _check_target("options", self.options)
        _check_target("errors", self.errors)
        for var, target in self.environment.items():
            name = target.removeprefix("metadata.")
            if target not in CREDENTIAL_FIELDS and not (target.startswith("metadata.") and name):
                raise ValidationError(
                    f"environment[{var!r}] = {target!r} is invalid: use one of "
                    f"{CREDENTIAL_FIELDS} or 'metadata.<name>'"
                )
        if not isinstance(self.bucket_rules, BucketRules):
            warnings.warn(
                f"provider {self.id!r}: bucket_rules={self.bucket_rules!r} is the 0.2 form; "
                "declare a cloud_common.core.BucketRules",
                DeprecationWarning,
                stacklevel=3,
            )
        caps = {str(c.value if isinstance(c, Capability) else c) for c in self.capabilities}
        caps |= set(self.services)
        caps |= {derived for derived, base in _DERIVED.items() if base in caps}
        object.__setattr__(self, "bucket_rules", bucket_rules(self.bucket_rules))
        object.__setattr__(self, "capabilities", frozenset(caps))
        object.__setattr__(self, "services", dict(self.services))
        object.__setattr__(self, "environment", dict(self.environment))
        object.__setattr__(self, "url_schemes", tuple(self.url_schemes))

    @property
    def url_scheme(self) -> str:
        """The scheme of the URLs uploads return (the first of ``url_schemes``, else the id)."""
        return self.url_schemes[0] if self.url_schemes else self.id

    @property
    def legacy(self) -> bool:
        """True for a provider written against the 0.2 contract."""
        return self.contract_version.split(".")[:2] == ["0", "2"]

    def supports(self, capability: Capability | str) -> bool:
        """True when the provider declares ``capability``."""
        return str(capability) in self.capabilities

    def client_class(self, service: str) -> type[Any]:
        """Import and return the client class of ``service``.

        Raises:
            NotSupportedError: the provider has no such service.
            PluginError: the class cannot be imported or is not a client of that service.
        """
        from cloud_common.core._contracts import CLIENT_BASES  # noqa: PLC0415 - not for discovery

        target = self.services.get(service)
        if target is None:
            raise NotSupportedError(
                f"provider {self.id!r} offers no {service} service "
                f"(it offers: {', '.join(sorted(self.services)) or 'nothing'})",
                provider=self.id,
            )
        cls = load_target(target, self.id)
        base = CLIENT_BASES[service]
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise IncompatibleProviderError(
                f"{target} is not a {base.__name__} subclass", provider=self.id
            )
        return cls

    def options_class(self) -> type[ClientOptions] | None:
        """The provider's ``ClientOptions`` subclass, or None (0.2: keyword options)."""
        from cloud_common.core._options import ClientOptions  # noqa: PLC0415 - not for discovery

        if self.options is None:
            return None
        cls = load_target(self.options, self.id)
        if not (isinstance(cls, type) and issubclass(cls, ClientOptions)):
            raise IncompatibleProviderError(
                f"{self.options} is not a ClientOptions subclass", provider=self.id
            )
        return cls

    def error_translator(self) -> Callable[[BaseException], CloudError | None] | None:
        """The provider's SDK-exception translator, or None when it translates by itself."""
        if self.errors is None:
            return None
        fn = load_target(self.errors, self.id)
        if not callable(fn):
            raise IncompatibleProviderError(f"{self.errors} is not callable", provider=self.id)
        translate: Callable[[BaseException], CloudError | None] = fn
        return translate

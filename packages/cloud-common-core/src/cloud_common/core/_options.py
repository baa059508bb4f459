"""``ClientOptions``: the typed options every provider's clients take, one shape for all.

A provider declares a subclass (``ProviderInfo.options``) that adds its own fields. The
same object is accepted by ``get_storage_client(credentials, options)`` and by the
provider's own client classes; keyword arguments are a shorthand for its fields.
"""

from __future__ import annotations

import os
import sys
import types
import typing
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, TypeVar

from cloud_common.core._retry import RetryPolicy, Timeouts, default_retry, default_timeouts
from cloud_common.core.errors import ValidationError

__all__ = ["ClientOptions"]

_O = TypeVar("_O", bound="ClientOptions")
_HINTS: dict[type[Any], dict[str, Any]] = {}


def _describe(hint: Any) -> str:
    if isinstance(hint, type):
        return hint.__name__
    return str(hint).replace("typing.", "")


def _matches(value: Any, hint: Any) -> bool:
    """A shallow runtime check of ``value`` against a field's annotation."""
    if hint is Any or hint is object:
        return True
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is not None:
        if origin in (Callable, typing.Callable):
            return callable(value)
        return isinstance(value, origin)
    if hint is os.PathLike:
        return isinstance(value, os.PathLike)
    return isinstance(value, hint) if isinstance(hint, type) else True


def _caller_outside_cloud_common() -> int:
    """The ``stacklevel`` of the first frame outside cloud-common (the user's call)."""
    level, frame = 1, sys._getframe(1)
    while frame.f_back is not None and str(frame.f_globals.get("__name__", "")).startswith(
        "cloud_common."
    ):
        frame, level = frame.f_back, level + 1
    return level


@dataclass(frozen=True, kw_only=True)
class ClientOptions:
    """Options of a provider's clients; every provider names these three the same way.

    Attributes:
        endpoint_url: Where the provider's API (or an emulator) answers, instead of the
            cloud's own endpoint.
        timeouts: Connect and read timeouts of each exchange (when None: the process-wide
            default, see ``set_defaults``).
        retry: Attempts, backoff and deadline of each call (when None: the process-wide
            default).

    Every field is type-checked when the object is built; ``ValidationError`` names the
    field. Providers add checks of their own values in ``__post_init__`` (call super()).
    """

    ALIASES: ClassVar[Mapping[str, str]] = {
        "retry_policy": "retry",
        "endpoint": "endpoint_url",
        "api_endpoint": "endpoint_url",
    }
    """Former option names still accepted (with a ``DeprecationWarning``)."""

    endpoint_url: str | None = None
    timeouts: Timeouts | None = None
    retry: RetryPolicy | None = None

    def __post_init__(self) -> None:
        hints = _HINTS.get(type(self))
        if hints is None:
            hints = _HINTS[type(self)] = typing.get_type_hints(type(self))
        for f in fields(self):
            value = getattr(self, f.name)
            hint = hints.get(f.name, Any)
            if not _matches(value, hint):
                raise ValidationError(
                    f"option {f.name}={value!r} is invalid: must be {_describe(hint)}, "
                    f"not {type(value).__name__}"
                )
        if self.endpoint_url is not None and "://" not in self.endpoint_url:
            raise ValidationError(
                f"option endpoint_url={self.endpoint_url!r} is invalid: must be a URL "
                "such as http://127.0.0.1:9000"
            )

    @property
    def timeouts_or_default(self) -> Timeouts:
        """``timeouts``, or the process-wide default when None."""
        return self.timeouts if self.timeouts is not None else default_timeouts()

    @property
    def retry_or_default(self) -> RetryPolicy:
        """``retry``, or the process-wide default when None."""
        return self.retry if self.retry is not None else default_retry()

    @classmethod
    def resolve(
        cls: type[_O],
        options: ClientOptions | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> _O:
        """Merge an options object and keyword overrides into an instance of ``cls``.

        Raises:
            ValidationError: ``options`` is not a ``cls``, a keyword names no field of
                ``cls`` (the message lists the accepted ones), or a value has the wrong type.
        """
        if options is not None and not isinstance(options, cls):
            raise ValidationError(f"options must be a {cls.__name__}, not {type(options).__name__}")
        names = {f.name for f in fields(cls)}
        changes: dict[str, Any] = {}
        for name, value in (overrides or {}).items():
            field_name = cls.ALIASES.get(name, name) if name not in names else name
            if field_name not in names:
                raise ValidationError(
                    f"unknown option {name!r} for {cls.__name__}; accepted: {sorted(names)}"
                )
            if field_name != name:
                warnings.warn(
                    f"option {name!r} is now called {field_name!r}",
                    DeprecationWarning,
                    stacklevel=_caller_outside_cloud_common(),
                )
            changes[field_name] = value
        if options is None:
            return cls(**changes)
        return replace(options, **changes) if changes else options

"""The spec's error policy, applied in one place per provider.

SDK exception → core error (the provider's ``translate`` function decides which);
non-critical failure → ``False`` / ``[]`` with exactly one WARNING; critical → raise.
Secrets are scrubbed from every message (``_redact.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TypeVar

from cloud_common.core._redact import RedactingFilter, redact
from cloud_common.core.errors import CloudError

__all__ = ["ErrorPolicy", "RedactingFilter", "Translate", "redact"]

T = TypeVar("T")
F = TypeVar("F")

Translate = Callable[[BaseException], "CloudError | None"]
"""A provider's map from an SDK exception to a core error (None: not recognised)."""


class ErrorPolicy:
    """How one provider turns SDK exceptions into core errors and applies the spec.

    Args:
        provider: The provider id put on every error.
        translate: Maps an SDK exception to a core error, or None when unknown
            (then it becomes a plain ``CloudError``).
        logger: Where the one WARNING of a soft failure goes.
        secrets: Values scrubbed from every message (``CloudCredentials.secrets()``).
    """

    def __init__(
        self,
        provider: str,
        translate: Translate | None = None,
        *,
        logger: logging.Logger | None = None,
        secrets: Sequence[str] = (),
    ) -> None:
        self.provider = provider
        self._translate = translate
        self.logger = logger or logging.getLogger("cloud_common")
        self.secrets = tuple(secrets)

    def error(self, exc: BaseException, operation: str, resource: str | None = None) -> CloudError:
        """The core error for ``exc``, with provider, operation and resource filled in.

        A ``CloudError`` is returned as it is (context filled where missing); anything else
        is translated and chained (``error.__cause__ is exc``).
        """
        if isinstance(exc, CloudError):
            err = exc
        else:
            err = (self._translate(exc) if self._translate else None) or CloudError(
                f"unexpected {type(exc).__name__}: {exc}"
            )
            err.__cause__ = exc
        err.provider = err.provider or self.provider
        err.operation = err.operation or operation
        err.resource = err.resource or resource
        err.message = redact(err.message, self.secrets)
        err.args = (err.message,)
        return err

    def call(
        self,
        operation: str,
        fn: Callable[[], T],
        *,
        resource: str | None = None,
        soft: Mapping[type[CloudError], F] | None = None,
    ) -> T | F:
        """Run ``fn``; translate what it raises.

        If the core error is an instance of a class in ``soft``, log one WARNING and return
        the value mapped to it (the spec's non-critical ``False`` / ``[]``); else raise it.
        """
        try:
            return fn()
        except Exception as exc:
            err = self.error(exc, operation, resource)
            for cls, fallback in (soft or {}).items():
                if isinstance(err, cls):
                    return self.soft_fail(operation, resource, fallback, err.message)
            if err is exc:
                raise
            raise err from exc

    @contextmanager
    def translating(self, operation: str, resource: str | None = None) -> Iterator[None]:
        """Context manager form of :meth:`call` without soft failures: always raises."""
        try:
            yield
        except Exception as exc:
            err = self.error(exc, operation, resource)
            if err is exc:
                raise
            raise err from exc

    def soft_fail(self, operation: str, resource: str | None, fallback: F, reason: str) -> F:
        """Log the one WARNING of a non-critical failure and return ``fallback``."""
        self.logger.warning(
            "[%s] %s %s -> %r: %s",
            self.provider,
            operation,
            resource or "",
            fallback,
            redact(reason, self.secrets),
        )
        return fallback

"""The one error tree of cloud-common.

Every error a provider client raises is one of these; no SDK exception escapes.

    CloudError
    ├── ValidationError (ValueError)          bad argument, raised before any network call
    ├── AuthenticationError                   credentials missing, wrong or expired
    ├── PermissionDeniedError (PermissionError) authenticated, but not allowed
    ├── NotFoundError (LookupError)
    │   ├── BucketNotFoundError
    │   ├── ObjectNotFoundError
    │   ├── InstanceNotFoundError
    │   └── FunctionNotFoundError
    ├── AlreadyExistsError                    a name is taken
    ├── ConflictError                         the resource is in the wrong state for the call
    ├── TransientError                        worth retrying (retryable=True)
    │   ├── RateLimitedError                  throttled (429, SlowDown)
    │   ├── ProviderUnavailableError          5xx, connection refused or reset
    │   └── TimeoutError (builtins.TimeoutError) a call or a wait ran out of time
    ├── NotSupportedError (NotImplementedError) the provider does not offer the call
    ├── FunctionInvocationError               the function ran and failed
    └── PluginError                           a provider plugin is missing or broken
        ├── ProviderNotFoundError
        └── IncompatibleProviderError

Each error carries ``provider``, ``operation``, ``resource`` and ``retryable``, and chains
the SDK exception it was translated from (``raise ... from exc``, also ``error.cause``).
Messages name the operation, the provider and the resource, never a secret.

``str(error)`` is one line of at most ``MAX_ERROR_TEXT`` characters on every provider:
``[provider] operation resource: message``, with line breaks folded, query strings cut from URLs, and long resources and messages shortened in the
middle. The full message stays in ``error.message`` and the SDK's exception in ``cause``.
"""

from __future__ import annotations

import builtins
import re
from typing import Any, ClassVar

__all__ = [
    "AlreadyExistsError",
    "AuthenticationError",
    "BucketNotFoundError",
    "CloudError",
    "ConflictError",
    "FunctionInvocationError",
    "FunctionNotFoundError",
    "IncompatibleProviderError",
    "InstanceNotFoundError",
    "NotFoundError",
    "NotSupportedError",
    "ObjectNotFoundError",
    "PermissionDeniedError",
    "PluginError",
    "ProviderNotFoundError",
    "ProviderUnavailableError",
    "RateLimitedError",
    "TimeoutError",
    "TransientError",
    "ValidationError",
]


MAX_ERROR_TEXT = 300
"""The longest ``str()`` of a ``CloudError``."""

_LINE_BREAKS = re.compile(r"\s*[\r\n\t\f\v]+\s*")
_QUERY = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s?#'\"<>]*)[?#][^\s'\"<>]*", re.I)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]}...{text[len(text) - (limit - 3 - half) :]}"


def one_line(text: str, limit: int = MAX_ERROR_TEXT) -> str:
    """``text`` as one line: line breaks folded, URL query strings cut, at most ``limit``."""
    return _shorten(_QUERY.sub(r"\1", _LINE_BREAKS.sub(" ", text)).strip(), limit)


class CloudError(Exception):
    """Base of every cloud-common error.

    Attributes:
        message: The human text, without the ``[provider] operation`` prefix.
        provider: Provider id (``"aws"``, ``"local"``...) or None when not known.
        operation: The client method that failed (``"download_file"``), or None.
        resource: What the call was about (``"s3://bucket/key"``, an instance id), or None.
        retryable: True when the same call may succeed if repeated later.
    """

    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        operation: str | None = None,
        resource: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.operation = operation
        self.resource = resource
        self.retryable = self.default_retryable if retryable is None else retryable
        super().__init__(message)

    @property
    def cause(self) -> BaseException | None:
        """The exception this error was translated from, if any."""
        return self.__cause__

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (
                f"[{self.provider}]" if self.provider else "",
                self.operation or "",
                one_line(self.resource, 120) if self.resource else "",
            )
            if part
        )
        if not where:
            return one_line(self.message)
        return f"{where}: {one_line(self.message, MAX_ERROR_TEXT - len(where) - 2)}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (
                type(self),
                self.message,
                self.provider,
                self.operation,
                self.resource,
                self.retryable,
            ),
            self.__dict__,
        )


def _rebuild(
    cls: type[CloudError],
    message: str,
    provider: str | None,
    operation: str | None,
    resource: str | None,
    retryable: bool,
) -> CloudError:
    err = cls.__new__(cls)
    CloudError.__init__(
        err,
        message,
        provider=provider,
        operation=operation,
        resource=resource,
        retryable=retryable,
    )
    return err


class ValidationError(CloudError, ValueError):
    """An argument breaks a rule; raised before any network call. The message names both."""


class AuthenticationError(CloudError):
    """Credentials are missing, wrong or expired."""


class PermissionDeniedError(CloudError, PermissionError):
    """The caller is authenticated but not allowed to do this."""


class NotFoundError(CloudError, LookupError):
    """The named resource does not exist."""


class BucketNotFoundError(NotFoundError):
    """The bucket does not exist."""


class ObjectNotFoundError(NotFoundError):
    """The object does not exist (the bucket may)."""


class InstanceNotFoundError(NotFoundError):
    """No compute instance has this id."""


class FunctionNotFoundError(NotFoundError):
    """No serverless function has this name."""


class AlreadyExistsError(CloudError):
    """The name is already taken."""


class ConflictError(CloudError):
    """The resource is in a state that does not allow the call (e.g. a non-empty bucket)."""


class TransientError(CloudError):
    """A failure that may go away: the same call may succeed later."""

    default_retryable = True


class RateLimitedError(TransientError):
    """The provider throttled the caller (HTTP 429, S3 SlowDown)."""


class ProviderUnavailableError(TransientError):
    """The provider could not be reached or answered 5xx."""


class TimeoutError(TransientError, builtins.TimeoutError):  # noqa: A001
    """A call or a wait ran out of time."""


class NotSupportedError(CloudError, NotImplementedError):
    """The provider does not offer this optional call (see its capabilities)."""


class FunctionInvocationError(CloudError):
    """The function ran and failed. Every provider speaks the same vocabulary:

    ====================================  ====================  ========
    what happened                         ``error_type``        ``status``
    ====================================  ====================  ========
    the handler raised                    the exception's type  500
                                          name (``ValueError``)
    the process exited before returning   ``Runtime.ExitError`` 500
    it ran past its timeout               ``Sandbox.Timedout``  504
    ====================================  ====================  ========

    ``status`` is what a caller of the function's HTTP endpoint would see, whatever the
    provider's own invoke API answered. ``payload`` carries the remote error as the
    platform reported it: ``{"errorType": ..., "errorMessage": ..., "stackTrace": [...]}``
    when it was JSON.

    Attributes:
        error_type: See the table.
        payload: The remote error payload (a dict when it was JSON), when known.
        status: See the table.
    """

    RAISED_STATUS: ClassVar[int] = 500
    EXITED: ClassVar[str] = "Runtime.ExitError"
    EXITED_STATUS: ClassVar[int] = 500
    TIMED_OUT: ClassVar[str] = "Sandbox.Timedout"
    TIMED_OUT_STATUS: ClassVar[int] = 504

    def __init__(
        self,
        message: str,
        *,
        error_type: str | None = None,
        payload: Any = None,
        status: int | None = None,
        provider: str | None = None,
        operation: str | None = None,
        resource: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            operation=operation,
            resource=resource,
            retryable=retryable,
        )
        self.error_type = error_type
        self.payload = payload
        self.status = status


class PluginError(CloudError):
    """A provider plugin is missing, broken or conflicting."""


class ProviderNotFoundError(PluginError):
    """No installed provider has this id or URL scheme."""


class IncompatibleProviderError(PluginError):
    """The provider was written for another contract version."""

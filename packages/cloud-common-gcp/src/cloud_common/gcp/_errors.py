"""The one map from Google SDK errors (google-api-core, google-auth, requests,
google-resumable-media) to cloud-common's error tree."""

from __future__ import annotations

import concurrent.futures
from typing import Any

from cloud_common.core import (
    AlreadyExistsError,
    AuthenticationError,
    BucketNotFoundError,
    CloudError,
    ConflictError,
    NotFoundError,
    NotSupportedError,
    ObjectNotFoundError,
    PermissionDeniedError,
    ProviderUnavailableError,
    RateLimitedError,
    TimeoutError,  # noqa: A004
    TransientError,
    ValidationError,
)

__all__ = ["storage_not_found", "translate"]

_RATE_REASONS = ("ratelimitexceeded", "userratelimitexceeded", "quotaexceeded")


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None)
    if not isinstance(text, str) or not text:
        text = str(exc)
    return text.strip() or type(exc).__name__


def _reasons(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None) or []
    parts = [str(getattr(exc, "reason", "") or "")]
    for item in errors:
        if isinstance(item, dict):
            parts.append(str(item.get("reason", "")))
    return " ".join(parts).lower()


def _by_status(
    status: int, message: str, not_found: type[NotFoundError], conflict: type[CloudError]
) -> CloudError | None:
    if status in (400, 416):
        return ValidationError(message)
    if status == 401:
        return AuthenticationError(message)
    if status == 403:
        return PermissionDeniedError(message)
    if status == 404:
        return not_found(message)
    if status == 409:
        if "already exist" in message.lower():
            return AlreadyExistsError(message)
        return conflict(message)
    if status == 412:
        return ConflictError(message)
    if status == 429:
        return RateLimitedError(message)
    if status in (405, 501):
        return NotSupportedError(message)
    if status == 504:
        return TimeoutError(message)
    if status >= 500:
        return ProviderUnavailableError(message)
    return None


def translate(
    exc: BaseException,
    not_found: type[NotFoundError] = NotFoundError,
    conflict: type[CloudError] = ConflictError,
) -> CloudError | None:
    """The core error for an SDK exception, or None when it is not recognised.

    Args:
        exc: What the SDK raised.
        not_found: The ``NotFoundError`` subclass of the resource the call was about.
        conflict: What a 409 means for the call: ``AlreadyExistsError`` for creates,
            ``ConflictError`` (wrong state, e.g. a non-empty bucket) otherwise.
    """
    import requests  # noqa: PLC0415
    from google.api_core import exceptions as gexc  # noqa: PLC0415
    from google.auth import exceptions as auth_exc  # noqa: PLC0415

    message = _message(exc)
    if isinstance(exc, gexc.RetryError):
        cause = exc.cause
        if cause is not None and cause is not exc:
            inner = translate(cause, not_found, conflict)
            if inner is not None:
                inner.message = f"gave up after retrying until the deadline: {inner.message}"
                return inner
        return TimeoutError(f"gave up after retrying until the deadline: {message}")
    if isinstance(exc, gexc.DeadlineExceeded):
        return TimeoutError(message)
    if isinstance(exc, gexc.AlreadyExists):
        return AlreadyExistsError(message)
    if isinstance(exc, gexc.Aborted):
        return ConflictError(message, retryable=True)
    if isinstance(exc, gexc.FailedPrecondition):
        return ConflictError(message)
    if isinstance(exc, (gexc.Unauthenticated, gexc.Unauthorized)):
        return AuthenticationError(message)
    if isinstance(exc, (gexc.PermissionDenied, gexc.Forbidden)):
        if any(reason in _reasons(exc) for reason in _RATE_REASONS):
            return RateLimitedError(message)
        return PermissionDeniedError(message)
    if isinstance(exc, gexc.ResourceExhausted):
        return RateLimitedError(message)
    if isinstance(exc, (gexc.OutOfRange, gexc.InvalidArgument)):
        return ValidationError(message)
    if isinstance(exc, gexc.Cancelled):
        return CloudError(message)
    resumable = getattr(gexc, "ResumableTransferError", None)
    if resumable is not None and isinstance(exc, resumable):
        name = type(exc).__name__
        if name == "TransferStalledError":
            return TimeoutError(f"the transfer stalled: {message}")
        if name == "UnseekableStreamError":
            return ValidationError(f"the stream cannot be rewound to retry: {message}")
        if name == "UploadCancelledError":
            return CloudError(f"the upload was cancelled: {message}")
        return ProviderUnavailableError(f"the resumable transfer failed: {message}")
    if isinstance(exc, gexc.ServerError) and not isinstance(exc.code, int):
        return ProviderUnavailableError(message)
    if isinstance(exc, gexc.GoogleAPICallError):
        code = exc.code
        if not isinstance(code, int):
            return CloudError(message)
        return _by_status(code, message, not_found, conflict) or CloudError(message)
    if isinstance(exc, auth_exc.RefreshError):
        return AuthenticationError(f"could not refresh the access token: {message}")
    if isinstance(exc, auth_exc.DefaultCredentialsError):
        return AuthenticationError(f"no usable Google credentials: {message}")
    if isinstance(exc, auth_exc.TransportError):
        return ProviderUnavailableError(f"cannot reach the Google auth endpoint: {message}")
    if isinstance(exc, auth_exc.MalformedError):
        return AuthenticationError(f"the credentials are malformed: {message}")
    if isinstance(exc, auth_exc.GoogleAuthError):
        return AuthenticationError(message)
    if isinstance(exc, requests.exceptions.Timeout):
        return TimeoutError(message)
    if isinstance(
        exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
    ):
        return ProviderUnavailableError(message)
    if isinstance(exc, (concurrent.futures.TimeoutError,)):
        return TimeoutError(f"the operation did not finish in time: {message}")
    if isinstance(exc, ConnectionError):
        return ProviderUnavailableError(message)
    name = type(exc).__name__
    if name == "DataCorruption":
        return TransientError(f"checksum mismatch, the data was corrupted in transit: {message}")
    if name == "InvalidResponse":
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if isinstance(status, int):
            return _by_status(status, message, not_found, conflict)
    return None


def storage_not_found(exc: Any) -> type[NotFoundError]:
    """Which NotFoundError a Cloud Storage 404 is: the bucket's or the object's."""
    text = _message(exc).lower()
    if "bucket" in text and ("not exist" in text or "not found" in text):
        return BucketNotFoundError
    return ObjectNotFoundError

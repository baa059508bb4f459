"""The one map from Google SDK errors (google-api-core, google-auth, requests,
google-resumable-media) to cloud-common's error tree; ``ProviderInfo.errors`` names
:func:`translate`, which core applies around every driver call.

A 404 does not say which resource is missing: a driver wraps the calls about one
resource in :func:`absent_as` to name it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from cloud_common.core import (
    AlreadyExistsError,
    AuthenticationError,
    CloudError,
    ConflictError,
    ErrorPolicy,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    ProviderUnavailableError,
    RateLimitedError,
    TimeoutError,  # noqa: A004
    TransientError,
    ValidationError,
)

__all__ = ["absent_as", "error_policy", "message_of", "translate"]

_RATE_REASONS = ("ratelimitexceeded", "userratelimitexceeded", "quotaexceeded")
# Refusals that describe the resource's state (a retention lock, a deletion protection,
# an instance not ready for the call): ConflictError, which the bool table answers False.
_STATE_REASONS = ("retentionpolicynotmet", "resourceinusebyanotherresource", "resourcenotready")


_REQUEST_PREFIX = re.compile(r"^(?:GET|POST|PUT|PATCH|DELETE|HEAD) \S+:?\s*")
_STATUS_DUMP = re.compile(r"\s*:?\s*\('Request failed with status code'.*$", re.DOTALL)


def message_of(exc: BaseException) -> str:
    """The human text of an SDK exception, in one line: without the request line the SDK
    puts first, its tuple dumps, or the JSON envelope of Google's error body."""
    text = getattr(exc, "message", None)
    if not isinstance(text, str) or not text:
        text = str(exc)
        first = exc.args[0] if exc.args else None
        if text.startswith("(") and isinstance(first, str):
            text = first  # google-auth: ('invalid_grant: ...', {response body})
    text = _REQUEST_PREFIX.sub("", _STATUS_DUMP.sub("", text.strip()))
    if text.startswith("{"):
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            detail = json.loads(text)["error"]
            text = str(detail["message"] if isinstance(detail, dict) else detail)
    return " ".join(text.split()) or type(exc).__name__


def _reasons(exc: BaseException) -> str:
    parts = [str(getattr(exc, "reason", "") or "")]
    for item in getattr(exc, "errors", None) or []:
        if isinstance(item, dict):
            parts.append(str(item.get("reason", "")))
    return " ".join(parts).lower()


def _by_status(status: int, message: str) -> CloudError | None:
    if status in (400, 416):
        return ValidationError(message)
    if status == 401:
        return AuthenticationError(message)
    if status == 403:
        return PermissionDeniedError(message)
    if status == 404:
        return NotFoundError(message)
    if status == 409:
        if "already exist" in message.lower():
            return AlreadyExistsError(message)
        return ConflictError(message)
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


def _api_call_error(exc: BaseException, message: str) -> CloudError | None:
    from google.api_core import exceptions as gexc  # noqa: PLC0415

    if isinstance(exc, gexc.RetryError):
        cause = exc.cause
        inner = translate(cause) if cause is not None and cause is not exc else None
        if inner is not None:
            inner.message = f"gave up after retrying until the deadline: {inner.message}"
            return inner
        return TimeoutError(f"gave up after retrying until the deadline: {message}")
    if not isinstance(exc, gexc.GoogleAPICallError):
        return None
    reasons = _reasons(exc)
    if any(reason in reasons for reason in _STATE_REASONS):
        return ConflictError(message)
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
        if any(reason in reasons for reason in _RATE_REASONS):
            return RateLimitedError(message)
        return PermissionDeniedError(message)
    if isinstance(exc, gexc.ResourceExhausted):
        return RateLimitedError(message)
    if isinstance(exc, (gexc.OutOfRange, gexc.InvalidArgument)):
        return ValidationError(message)
    if isinstance(exc, gexc.Cancelled):
        return CloudError(message)
    if isinstance(exc.code, int):
        return _by_status(exc.code, message) or CloudError(message)
    if isinstance(exc, gexc.ServerError):
        return ProviderUnavailableError(message)
    return CloudError(message)


def _transfer_error(exc: BaseException, message: str) -> CloudError | None:
    from google.api_core import exceptions as gexc  # noqa: PLC0415

    if not isinstance(exc, gexc.ResumableTransferError):
        return None
    name = type(exc).__name__
    if name == "TransferStalledError":
        return TimeoutError(f"the transfer stalled: {message}")
    if name == "UnseekableStreamError":
        return ValidationError(f"the stream cannot be rewound to retry: {message}")
    if name == "UploadCancelledError":
        return CloudError(f"the upload was cancelled: {message}")
    return ProviderUnavailableError(f"the resumable transfer failed: {message}")


def _auth_error(exc: BaseException, message: str) -> CloudError | None:
    from google.auth import exceptions as auth_exc  # noqa: PLC0415

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
    return None


def _endpoint(exc: BaseException) -> str:
    """``scheme://host:port`` a requests exception was about, or "the endpoint"."""
    url = getattr(getattr(exc, "request", None), "url", None)
    if not isinstance(url, str):
        return "the endpoint"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _transport_error(exc: BaseException, message: str) -> CloudError | None:
    """Network failures in one line: what could not be reached, and how it failed."""
    import requests  # noqa: PLC0415

    where = _endpoint(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TimeoutError(f"could not connect to {where} in time (Timeouts.connect)")
    if isinstance(exc, requests.exceptions.Timeout):
        return TimeoutError(f"no answer from {where} in time (Timeouts.read)")
    if isinstance(exc, concurrent.futures.TimeoutError):
        return TimeoutError("the operation did not finish in time")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return ProviderUnavailableError(f"the connection to {where} broke mid-answer")
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = str(exc).lower()
        if "refused" in reason:
            how = "connection refused"
        elif "reset" in reason or "aborted" in reason or "remotedisconnected" in reason:
            how = "the connection was reset"
        elif "name or service" in reason or "resolve" in reason or "getaddrinfo" in reason:
            how = "the host name does not resolve"
        else:
            how = "the connection failed"
        return ProviderUnavailableError(f"could not reach {where}: {how}")
    if isinstance(exc, ConnectionError):
        return ProviderUnavailableError(f"the connection failed: {type(exc).__name__}")
    name = type(exc).__name__
    if name == "DataCorruption":
        return TransientError(f"checksum mismatch, the data was corrupted in transit: {message}")
    if name == "InvalidResponse":
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if isinstance(status, int):
            return _by_status(status, message)
    return None


def translate(exc: BaseException) -> CloudError | None:
    """The core error for an SDK exception, or None when it is not recognised.

    A 404 becomes a plain ``NotFoundError``: the driver names the resource with
    :func:`absent_as`.
    """
    message = message_of(exc)
    for mapper in (_transfer_error, _api_call_error, _auth_error, _transport_error):
        err = mapper(exc, message)
        if err is not None:
            return err
    return None


@contextlib.contextmanager
def absent_as(error: type[NotFoundError], message: str | None = None) -> Iterator[None]:
    """Inside the block, an SDK 404 is ``error`` (the resource the calls are about), with
    ``message`` (default: Google's)."""
    from google.api_core import exceptions as gexc  # noqa: PLC0415

    try:
        yield
    except gexc.NotFound as exc:
        raise error(message or message_of(exc)) from exc


def error_policy(secrets: Sequence[str]) -> ErrorPolicy:
    """The provider's error policy: :func:`translate`, and ``secrets`` (the
    service-account key's private key among them) scrubbed from every message."""
    return ErrorPolicy(
        "gcp", translate, logger=logging.getLogger("cloud_common.gcp"), secrets=secrets
    )

"""Our ``RetryPolicy`` and ``Timeouts`` as the Azure SDKs' own pipeline policies (never a
second loop around them).

- Resource Manager clients get azure-core's ``RetryPolicy`` (exponential backoff, honours
  ``Retry-After``; like HTTP, it replays after a lost reply only idempotent methods).
- Blob clients need Blob Storage's own retry policy (it rewinds upload bodies);
  ``blob_retry_kwargs`` gives it our backoff with full jitter, ``Retry-After``, the deadline,
  and no replay of a write whose reply was lost (the service may have acted).
- ``AttemptPolicy`` runs before every attempt of both: each attempt's connect and read
  timeouts are cut to what is left of ``RetryPolicy.deadline``, so a server that never
  answers ends the call with ``TimeoutError`` at the deadline.
"""

from __future__ import annotations

import random
import time
from typing import Any
from urllib.parse import urlsplit

from cloud_common.core import RetryPolicy, Timeouts

__all__ = ["AttemptPolicy", "arm_retry_kwargs", "blob_retry_kwargs"]

_DEADLINE_KEY = "cloud_common_deadline"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_WRITES = frozenset({"PUT", "POST", "PATCH", "DELETE"})


class AttemptPolicy:
    """Per attempt: timeouts cut to the time left of the call's deadline.

    With ``loopback_http``, bearer tokens may also travel over plain HTTP to 127.0.0.1 /
    localhost (emulators, test proxies); any other host still needs HTTPS.
    """

    def __init__(self, retry: RetryPolicy, timeouts: Timeouts, *, loopback_http: bool) -> None:
        self._deadline = retry.deadline
        self._timeouts = timeouts
        self._loopback_http = loopback_http

    def on_request(self, request: Any) -> None:
        """Set this attempt's timeouts (a ``SansIOHTTPPolicy`` hook and a raw request hook).

        Raises:
            ServiceResponseTimeoutError: the call's deadline has passed.
        """
        from azure.core.exceptions import ServiceResponseTimeoutError  # noqa: PLC0415

        context = request.context
        deadline = context.get(_DEADLINE_KEY)
        if deadline is None:
            deadline = time.monotonic() + self._deadline
            context[_DEADLINE_KEY] = deadline
        left = deadline - time.monotonic()
        if left <= 0:
            raise ServiceResponseTimeoutError(
                f"the call ran past its {self._deadline:g}s deadline (RetryPolicy.deadline)"
            )
        context.options["connection_timeout"] = min(self._timeouts.connect, left)
        context.options["read_timeout"] = min(self._timeouts.read, left)
        if self._loopback_http:
            url = urlsplit(request.http_request.url)
            if url.scheme == "http" and url.hostname in _LOOPBACK:
                context["enforce_https"] = False

    def on_response(self, request: Any, response: Any) -> None:
        """Nothing to do with responses."""

    def on_exception(self, request: Any) -> None:
        """Nothing to do with exceptions."""


def _timeouts(timeouts: Timeouts) -> dict[str, Any]:
    return {"connection_timeout": timeouts.connect, "read_timeout": timeouts.read}


def arm_retry_kwargs(retry: RetryPolicy, timeouts: Timeouts) -> dict[str, Any]:
    """Keyword arguments of a Resource Manager client: azure-core's ``RetryPolicy`` and
    the per-attempt deadline."""
    from azure.core.pipeline.policies import RetryPolicy as CoreRetryPolicy  # noqa: PLC0415
    from azure.core.pipeline.policies import SansIOHTTPPolicy  # noqa: PLC0415

    class _Attempt(AttemptPolicy, SansIOHTTPPolicy):  # type: ignore[type-arg]
        pass

    retries = retry.max_attempts - 1
    policy = CoreRetryPolicy(
        retry_total=retries,
        retry_connect=retries,
        retry_read=retries,
        retry_status=retries,
        retry_backoff_factor=retry.backoff_base,
        retry_backoff_max=retry.backoff_cap,
        timeout=retry.deadline,
    )
    return {
        "retry_policy": policy,
        "per_retry_policies": [_Attempt(retry, timeouts, loopback_http=True)],
        **_timeouts(timeouts),
    }


def _retry_after(settings: dict[str, Any]) -> float | None:
    history = settings.get("history") or []
    response = getattr(history[-1], "http_response", None) if history else None
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP date: rare from Blob Storage; keep our own backoff


def blob_retry_kwargs(retry: RetryPolicy, timeouts: Timeouts) -> dict[str, Any]:
    """Keyword arguments of a ``BlobServiceClient``: Blob Storage's retry policy, and the
    per-attempt deadline as its raw request hook (it runs before every attempt)."""
    from azure.core.exceptions import ServiceResponseError  # noqa: PLC0415
    from azure.storage.blob import ExponentialRetry  # noqa: PLC0415

    class BlobRetry(ExponentialRetry):
        """Blob Storage's retry policy with our backoff, full jitter, ``Retry-After``, the
        deadline, and no replay of a write whose reply was lost."""

        def increment(
            self,
            settings: dict[str, Any],
            request: Any,
            response: Any = None,
            error: Any = None,
        ) -> bool:
            if isinstance(error, ServiceResponseError) and request.method.upper() in _WRITES:
                return False  # sent, then the reply was lost: the service may have acted
            return bool(super().increment(settings, request, response, error))

        def get_backoff_time(self, settings: dict[str, Any]) -> float:
            waited = _retry_after(settings)
            if waited is not None:
                return min(waited, retry.deadline)
            backoff = retry.backoff(int(settings["count"]))
            return random.uniform(0, backoff) if retry.jitter else backoff

    retries = retry.max_attempts - 1
    policy = BlobRetry(
        retry_total=retries, retry_connect=retries, retry_read=retries, retry_status=retries
    )
    attempt = AttemptPolicy(retry, timeouts, loopback_http=False)
    return {"retry_policy": policy, "raw_request_hook": attempt.on_request, **_timeouts(timeouts)}

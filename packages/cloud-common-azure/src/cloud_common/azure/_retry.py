"""Our ``RetryPolicy`` as the Azure SDKs' own retry policies (never a second loop around them).

Resource Manager clients get azure-core's ``RetryPolicy`` (exponential backoff, honours
``Retry-After``, an overall ``timeout``). Blob clients need Blob Storage's own
``StorageRetryPolicy`` (it also rewinds upload bodies and switches hosts); ``BlobRetry``
gives it our backoff, full jitter and ``Retry-After``.
"""

from __future__ import annotations

import random
from typing import Any

from cloud_common.core import RetryPolicy, Timeouts

__all__ = ["arm_retry_kwargs", "blob_retry_kwargs"]


def _timeouts(timeouts: Timeouts) -> dict[str, Any]:
    return {"connection_timeout": timeouts.connect, "read_timeout": timeouts.read}


def arm_retry_kwargs(retry: RetryPolicy, timeouts: Timeouts) -> dict[str, Any]:
    """Keyword arguments of a Resource Manager client: azure-core's ``RetryPolicy``."""
    from azure.core.pipeline.policies import RetryPolicy as CoreRetryPolicy  # noqa: PLC0415

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
    return {"retry_policy": policy, **_timeouts(timeouts)}


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
    """Keyword arguments of a ``BlobServiceClient``: Blob Storage's retry policy."""
    from azure.storage.blob import ExponentialRetry  # noqa: PLC0415

    class BlobRetry(ExponentialRetry):
        """Blob Storage's retry policy with our backoff, full jitter and ``Retry-After``."""

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
    return {"retry_policy": policy, **_timeouts(timeouts)}

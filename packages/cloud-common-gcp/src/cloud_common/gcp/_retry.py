"""A ``RetryPolicy`` as google-api-core's ``Retry``, and which failures are worth retrying."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cloud_common.core import RetryPolicy

__all__ = ["is_transient", "make_retry"]

logger = logging.getLogger(__name__)


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying: 429, 5xx, connection resets and refusals."""
    import requests  # noqa: PLC0415
    from google.api_core import exceptions as gexc  # noqa: PLC0415
    from google.auth import exceptions as auth_exc  # noqa: PLC0415

    if isinstance(
        exc,
        (
            gexc.TooManyRequests,
            gexc.ResourceExhausted,
            gexc.InternalServerError,
            gexc.BadGateway,
            gexc.ServiceUnavailable,
            gexc.GatewayTimeout,
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            auth_exc.TransportError,
            ConnectionError,
        ),
    ):
        return True
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if type(exc).__name__ == "InvalidResponse" and isinstance(status, int):
        return status == 429 or status >= 500
    return False


def make_retry(
    policy: RetryPolicy,
    predicate: Callable[[BaseException], bool] = is_transient,
    *,
    operation: str = "",
) -> Any:
    """A ``google.api_core.retry.Retry`` for one call, built from ``policy``.

    ``max_attempts`` counts every attempt (the first included); ``deadline`` bounds the
    call with its retries; backoff starts at ``backoff_base`` and doubles up to
    ``backoff_cap`` (google-api-core always jitters). Build one per call: it counts.
    """
    from google.api_core.retry import Retry  # noqa: PLC0415

    attempts = [1]

    def should_retry(exc: Exception) -> bool:
        if attempts[0] >= policy.max_attempts or not predicate(exc):
            return False
        attempts[0] += 1
        logger.debug(
            "[gcp] %s: retrying after %s (attempt %d of %d)",
            operation,
            type(exc).__name__,
            attempts[0],
            policy.max_attempts,
        )
        return True

    return Retry(
        predicate=should_retry,
        initial=policy.backoff_base,
        maximum=max(policy.backoff_cap, policy.backoff_base),
        multiplier=2.0,
        timeout=policy.deadline,
    )

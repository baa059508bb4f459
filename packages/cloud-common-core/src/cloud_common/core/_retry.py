"""Retry and timeout settings that providers translate into their SDK's own machinery."""

from __future__ import annotations

from dataclasses import dataclass

from cloud_common.core.errors import ValidationError

__all__ = ["RetryPolicy", "Timeouts"]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry transient failures (throttling, 5xx, resets, timeouts).

    Providers turn this into botocore's ``standard`` retry mode or a
    ``google.api_core.retry.Retry``; cloud-common never wraps a second loop around them.

    Attributes:
        max_attempts: Total attempts per call, the first one included (1 = no retry).
        backoff_base: First backoff in seconds; doubles each retry.
        backoff_cap: Largest single backoff in seconds.
        jitter: Randomise each backoff (full jitter).
        deadline: Upper bound in seconds for one call with its retries, and for waits on
            long-running operations (instance start/stop, function deploys).
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 20.0
    jitter: bool = True
    deadline: float = 600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValidationError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.backoff_base < 0 or self.backoff_cap < self.backoff_base:
            raise ValidationError(
                "backoff_base must be >= 0 and backoff_cap >= backoff_base, "
                f"got {self.backoff_base} and {self.backoff_cap}"
            )
        if self.deadline <= 0:
            raise ValidationError(f"deadline must be > 0 seconds, got {self.deadline}")

    def backoff(self, retry: int) -> float:
        """The backoff before retry number ``retry`` (1-based), before jitter."""
        return float(min(self.backoff_cap, self.backoff_base * (2 ** max(retry - 1, 0))))


@dataclass(frozen=True)
class Timeouts:
    """Network timeouts in seconds for one HTTP exchange.

    Attributes:
        connect: Time to open a connection.
        read: Time to wait for the next bytes of a response.
    """

    connect: float = 10.0
    read: float = 60.0

    def __post_init__(self) -> None:
        if self.connect <= 0 or self.read <= 0:
            raise ValidationError(
                f"timeouts must be > 0 seconds, got connect={self.connect} read={self.read}"
            )

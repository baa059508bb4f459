"""Retry and timeout settings that providers translate into their SDK's own machinery, and
the process-wide defaults every client starts from.

With the defaults, no call waits longer than ``RetryPolicy.deadline`` (60 s), retries and
backoff included; waiting for a long-running cloud operation (an instance starting, a
function deploying) is bounded by ``RetryPolicy.operation_deadline`` (600 s); a streaming
transfer is bounded per part by ``deadline`` and has no total limit (its size decides).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from cloud_common.core.errors import TimeoutError, ValidationError  # noqa: A004

__all__ = [
    "ENV_CONNECT_TIMEOUT",
    "ENV_DEADLINE",
    "ENV_MAX_ATTEMPTS",
    "ENV_READ_TIMEOUT",
    "Deadline",
    "RetryPolicy",
    "Timeouts",
    "default_retry",
    "default_timeouts",
    "set_defaults",
]

ENV_DEADLINE = "CLOUD_COMMON_DEADLINE"
ENV_MAX_ATTEMPTS = "CLOUD_COMMON_MAX_ATTEMPTS"
ENV_CONNECT_TIMEOUT = "CLOUD_COMMON_CONNECT_TIMEOUT"
ENV_READ_TIMEOUT = "CLOUD_COMMON_READ_TIMEOUT"


def _positive(name: str, value: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value < float("inf")
    ):
        raise ValidationError(f"{name} must be a number of seconds > 0, got {value!r}")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry transient failures (throttling, 5xx, resets, timeouts).

    Providers turn this into their SDK's own retry machinery (botocore's ``standard`` mode,
    ``google.api_core.retry.Retry``, azure-core's retry policy); cloud-common never wraps a
    second loop around them.

    Attributes:
        max_attempts: Total attempts per call, the first one included (1 = no retry).
        backoff_base: First backoff in seconds; doubles each retry.
        backoff_cap: Largest single backoff in seconds.
        jitter: Randomise each backoff (full jitter).
        deadline: Upper bound in seconds for one call with its retries and backoff: one
            monotonic clock from the call's start. When it runs out the call raises
            ``TimeoutError``; no retry starts after it.
        operation_deadline: Upper bound in seconds for waiting on a long-running cloud
            operation (an instance starting or stopping, a function deploying).
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    jitter: bool = True
    deadline: float = 60.0
    operation_deadline: float = 600.0

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise ValidationError(f"max_attempts must be an int, got {self.max_attempts!r}")
        if self.max_attempts < 1:
            raise ValidationError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.backoff_base < 0 or self.backoff_cap < self.backoff_base:
            raise ValidationError(
                "backoff_base must be >= 0 and backoff_cap >= backoff_base, "
                f"got {self.backoff_base} and {self.backoff_cap}"
            )
        _positive("deadline", self.deadline)
        _positive("operation_deadline", self.operation_deadline)

    def backoff(self, retry: int) -> float:
        """The backoff before retry number ``retry`` (1-based), before jitter."""
        return float(min(self.backoff_cap, self.backoff_base * (2 ** max(retry - 1, 0))))

    def start(self) -> Deadline:
        """The deadline of a call starting now."""
        return Deadline(self.deadline)

    def start_operation(self) -> Deadline:
        """The deadline of waiting on a long-running operation starting now."""
        return Deadline(self.operation_deadline, "RetryPolicy.operation_deadline")


@dataclass(frozen=True)
class Timeouts:
    """Network timeouts in seconds for one HTTP exchange.

    Attributes:
        connect: Time to open a connection.
        read: Time to wait for the next bytes of a response.
    """

    connect: float = 10.0
    read: float = 30.0

    def __post_init__(self) -> None:
        _positive("connect timeout", self.connect)
        _positive("read timeout", self.read)


class Deadline:
    """One monotonic clock for a call and its retries.

    Providers use it to stop retrying, and to shorten the last attempt's timeouts, so the
    whole call ends within ``seconds``. ``source`` names the setting that chose the time
    (``"RetryPolicy.deadline"``, ``"invoke_function(timeout=)"``...) in the error.
    """

    __slots__ = ("_end", "seconds", "source")

    def __init__(self, seconds: float, source: str = "RetryPolicy.deadline") -> None:
        self.seconds = seconds
        self.source = source
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left (0 when it has run out)."""
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        """True once the time is up."""
        return time.monotonic() >= self._end

    def error(self, operation: str | None = None, resource: str | None = None) -> TimeoutError:
        """The ``TimeoutError`` to raise when the time ran out."""
        return TimeoutError(
            f"no answer within the {self.seconds:g} s deadline ({self.source})",
            operation=operation,
            resource=resource,
        )


_DEFAULT_RETRY: RetryPolicy | None = None
_DEFAULT_TIMEOUTS: Timeouts | None = None


def set_defaults(*, retry: RetryPolicy | None = None, timeouts: Timeouts | None = None) -> None:
    """Set the process-wide defaults used by clients built without ``retry=`` / ``timeouts=``.

    The environment variables ``CLOUD_COMMON_DEADLINE``, ``CLOUD_COMMON_MAX_ATTEMPTS``,
    ``CLOUD_COMMON_CONNECT_TIMEOUT`` and ``CLOUD_COMMON_READ_TIMEOUT`` set them too; what is
    set here wins. Clients already built keep theirs. Pass nothing to go back to the
    environment and the built-in defaults.
    """
    global _DEFAULT_RETRY, _DEFAULT_TIMEOUTS
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise ValidationError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
    if timeouts is not None and not isinstance(timeouts, Timeouts):
        raise ValidationError(f"timeouts must be Timeouts, not {type(timeouts).__name__}")
    _DEFAULT_RETRY, _DEFAULT_TIMEOUTS = retry, timeouts


def _env_number(name: str) -> float | None:
    raw = os.environ.get(name)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValidationError(f"environment variable {name}={raw!r} is not a number") from None


def default_retry() -> RetryPolicy:
    """The ``RetryPolicy`` of clients built without ``retry=``."""
    if _DEFAULT_RETRY is not None:
        return _DEFAULT_RETRY
    deadline, attempts = _env_number(ENV_DEADLINE), _env_number(ENV_MAX_ATTEMPTS)
    if deadline is None and attempts is None:
        return RetryPolicy()
    base = RetryPolicy()
    return RetryPolicy(
        max_attempts=int(attempts) if attempts is not None else base.max_attempts,
        deadline=deadline if deadline is not None else base.deadline,
    )


def default_timeouts() -> Timeouts:
    """The ``Timeouts`` of clients built without ``timeouts=``."""
    if _DEFAULT_TIMEOUTS is not None:
        return _DEFAULT_TIMEOUTS
    connect, read = _env_number(ENV_CONNECT_TIMEOUT), _env_number(ENV_READ_TIMEOUT)
    base = Timeouts()
    if connect is None and read is None:
        return base
    return Timeouts(connect=connect or base.connect, read=read or base.read)

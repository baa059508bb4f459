"""Every Google call bounded by one deadline, and never replayed once Google may have
acted on it.

- A driver runs each call inside :func:`call_scope`: one ``Deadline``
  (``RetryPolicy.deadline``; waits on long-running operations use
  ``RetryPolicy.operation_deadline``) for all its attempts, backoff included. A scope
  opened inside another never outlives it.
- Every HTTP exchange goes through a deadline-aware adapter (:func:`bind_session`), mounted on each requests
  session the clients use (google-auth's token refresh included): its connect and read
  timeouts are cut to the time the call has left, so the last attempt ends with the
  deadline. Out of time, the call raises core ``TimeoutError``.
- google-api-core's ``Retry`` runs the attempts; :func:`make_retry`'s predicate decides:
  a transient failure (:func:`is_transient`) is retried up to ``max_attempts``, after the
  policy's backoff, unless the deadline cannot cover that backoff. A call opened with
  ``replay_safe=False`` is retried only when the failure proves Google never got the
  request (the connection was refused or never opened, or a 429 answer).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from cloud_common.core import CloudError, Deadline, RetryPolicy, Timeouts
from cloud_common.core import TimeoutError as CoreTimeoutError

__all__ = [
    "bind_session",
    "bounded",
    "call_scope",
    "is_transient",
    "make_retry",
    "never_reached",
    "operation_scope",
]

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S")
_current = threading.local()


@dataclass
class _Call:
    """The call this thread is making: its deadline and retry bookkeeping."""

    operation: str
    deadline: Deadline
    policy: RetryPolicy
    timeouts: Timeouts
    replay_safe: bool
    long_read: bool
    budget: str
    per_part: bool = False
    attempts: int = 1
    gave_up: bool = False


def _scope() -> _Call | None:
    call: _Call | None = getattr(_current, "call", None)
    return call


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying: 429, 5xx, timeouts, connection resets and
    refusals."""
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
            requests.exceptions.Timeout,
            auth_exc.TransportError,
            ConnectionError,
        ),
    ):
        return True
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if type(exc).__name__ == "InvalidResponse" and isinstance(status, int):
        return status == 429 or status >= 500
    return False


def never_reached(exc: BaseException) -> bool:
    """True when the failure proves the request never reached Google: the connection was
    refused or not opened in time, the token could not be fetched, or a 429 answer
    (Google did nothing)."""
    import requests  # noqa: PLC0415
    from google.api_core import exceptions as gexc  # noqa: PLC0415
    from google.auth import exceptions as auth_exc  # noqa: PLC0415
    from urllib3.exceptions import ConnectTimeoutError  # noqa: PLC0415

    if isinstance(exc, (requests.exceptions.ConnectTimeout, auth_exc.TransportError)):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0] if exc.args else None, "reason", None)
        return isinstance(reason, ConnectTimeoutError)  # NewConnectionError included
    if isinstance(exc, gexc.TooManyRequests):
        return True
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return status == 429


@contextlib.contextmanager
def call_scope(
    operation: str,
    policy: RetryPolicy,
    timeouts: Timeouts,
    *,
    replay_safe: bool = True,
    seconds: float | None = None,
    long_read: bool = False,
    per_part: bool = False,
    budget: str = "RetryPolicy.deadline",
) -> Iterator[Deadline]:
    """Run one call (and its retries) within ``seconds`` (default ``policy.deadline``).

    ``long_read``: the answer may take until the deadline (an invocation), not just
    ``timeouts.read``. ``per_part``: a streaming transfer, bounded per HTTP exchange
    (each restarts the deadline), not in total. ``budget`` names the setting in the
    ``TimeoutError``.

    Raises:
        TimeoutError: the time ran out (the last attempt's failure is named).
    """
    outer = _scope()
    deadline = Deadline(policy.deadline if seconds is None else seconds)
    if outer is not None and outer.deadline.remaining() < deadline.remaining():
        deadline, budget = outer.deadline, outer.budget
    call = _Call(operation, deadline, policy, timeouts, replay_safe, long_read, budget, per_part)
    _current.call = call
    try:
        yield deadline
    except CloudError:
        raise
    except Exception as exc:
        from google.api_core import exceptions as gexc  # noqa: PLC0415

        if isinstance(exc, gexc.RetryError) or (
            (call.gave_up or deadline.expired) and is_transient(exc)
        ):
            raise out_of_time(call, exc) from exc
        raise
    finally:
        _current.call = outer


def operation_scope(
    policy: RetryPolicy, timeouts: Timeouts
) -> contextlib.AbstractContextManager[Deadline]:
    """``call_scope`` for waiting on a long-running operation: within
    ``policy.operation_deadline`` (each poll within ``policy.deadline``)."""
    return call_scope(
        "wait for operation",
        policy,
        timeouts,
        seconds=policy.operation_deadline,
        budget="RetryPolicy.operation_deadline",
    )


def out_of_time(call: _Call, exc: BaseException | None = None) -> CoreTimeoutError:
    """The ``TimeoutError`` of a call whose time ran out, naming how it last failed."""
    message = f"no answer within the {call.deadline.seconds:g} s deadline ({call.budget})"
    if exc is not None:
        cause = getattr(exc, "cause", None) or exc
        message += f"; the last attempt failed with {_failure(cause)}"
    return CoreTimeoutError(message, operation=call.operation)


def _failure(exc: BaseException) -> str:
    import requests  # noqa: PLC0415

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "a connect timeout"
    if isinstance(exc, requests.exceptions.Timeout):
        return "a read timeout"
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return f"HTTP {code}"
    return type(exc).__name__


def make_retry() -> Any:
    """A ``google.api_core.retry.Retry`` whose decisions follow the current
    :func:`call_scope`: its policy's attempts and backoff (jittered when the policy says
    so), its deadline, and whether the call may be replayed. Stateless: one per client."""
    from google.api_core.retry import Retry  # noqa: PLC0415

    def should_retry(exc: Exception) -> bool:
        call = _scope()
        if call is None or isinstance(exc, CloudError) or not is_transient(exc):
            return False
        if not call.replay_safe and not never_reached(exc):
            return False
        if call.attempts >= call.policy.max_attempts:
            return False
        pause = call.policy.backoff(call.attempts)
        if call.policy.jitter:
            pause = random.uniform(0, pause)
        if call.deadline.remaining() <= pause:
            call.gave_up = True
            return False
        call.attempts += 1
        logger.debug(
            "[gcp] %s: retrying after %s in %.2f s (attempt %d of %d)",
            call.operation,
            type(exc).__name__,
            pause,
            call.attempts,
            call.policy.max_attempts,
        )
        time.sleep(pause)  # the policy's backoff; Retry's own sleeps are 0
        return True

    # initial=0: Retry sleeps nothing itself; timeout=None: the scope bounds the call.
    return Retry(predicate=should_retry, initial=0.0, maximum=0.0, multiplier=1.0, timeout=None)


def _adapter_class() -> type[Any]:
    from requests.adapters import HTTPAdapter  # noqa: PLC0415

    class _DeadlineAdapter(HTTPAdapter):
        """Cuts each exchange's timeouts to the time the current call has left."""

        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            call = _scope()
            if call is not None:
                kwargs["timeout"] = _clamped(call, kwargs.get("timeout"))
            return super().send(request, *args, **kwargs)

    return _DeadlineAdapter


def _clamped(call: _Call, timeout: Any) -> tuple[float, float]:
    if isinstance(timeout, tuple) and len(timeout) == 2:
        connect, read = timeout
    elif isinstance(timeout, (int, float)):
        connect = read = timeout
    else:
        connect, read = call.timeouts.connect, call.timeouts.read
    connect = call.timeouts.connect if connect is None else connect
    read = call.timeouts.read if read is None else read
    if call.per_part:
        call.deadline = Deadline(call.policy.deadline)
    left = call.deadline.remaining()
    if left <= 0:
        raise out_of_time(call)
    return (min(connect, left), left if call.long_read else min(read, left))


def bounded(
    operation: str, *, replay_safe: bool = True, per_part: bool = False
) -> Callable[[F], F]:
    """Run a driver method (of a driver with ``_settings``) inside a :func:`call_scope`."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            settings = self._settings
            with call_scope(
                operation,
                settings.retry,
                settings.timeouts,
                replay_safe=replay_safe,
                per_part=per_part,
            ):
                return method(self, *args, **kwargs)

        return cast(F, run)

    return wrap


def bind_session(session: S) -> S:
    """Mount a deadline-aware adapter on a requests session and on the session google-auth
    refreshes its tokens with; returns ``session``. A session of an unexpected kind is left
    as it is (its exchanges then keep their full timeouts; retries still stop in time)."""
    for target in (session, getattr(session, "_auth_request_session", None)):
        if target is not None and hasattr(target, "mount"):
            adapter = _adapter_class()()
            target.mount("https://", adapter)
            target.mount("http://", adapter)
    return session

"""Every AWS call bounded, and never replayed once AWS may have acted on it.

botocore keeps its own retry loop (standard mode, with the ``RetryPolicy``'s attempts and
backoff); this module plugs into it through botocore's events:

- ``before-call``: the call's ``Deadline`` starts (``RetryPolicy.deadline``, or what is
  left of the enclosing ``one_deadline``);
- each attempt's connect and read timeouts are cut to the time the call has left (the
  connection pool's ``Timeout`` reads the current call's deadline), so the last attempt
  ends when the deadline does;
- ``needs-retry``: botocore's standard handler decides whether a failure is worth
  retrying; no retry starts once the deadline cannot cover its backoff (the call then
  raises core ``TimeoutError``), and a call in ``REPLAY_UNSAFE`` is retried only when the
  failure proves AWS did not act on it (the connection was never opened, or AWS
  throttled it).

With the defaults (deadline 60 s) no AWS call lasts longer than 60 s, retries and backoff
included.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cloud_common.core import Deadline, RetryPolicy, Timeouts

__all__ = ["REPLAY_UNSAFE", "THROTTLING_CODES", "install", "one_deadline"]

logger = logging.getLogger(__name__)

REPLAY_UNSAFE: frozenset[tuple[str, str]] = frozenset(
    {
        ("lambda", "Invoke"),  # runs the function again
        ("lambda", "CreateFunction"),  # a replay fails with "already exists"
        ("s3", "PutObject"),  # a replay can overwrite what another writer stored since
    }
)
"""(service, operation) pairs never replayed once the request may have reached AWS.

Every other call the clients make is safe to replay: reads, deletes, CopyObject and the
parts of a multipart upload (nothing is visible until the upload completes), CreateBucket
(a replay answers
"already owned by you", which ``create_bucket`` treats as done), start/stop/terminate, and
RunInstances, which always carries an idempotency ``ClientToken`` (one is added when the
caller gives none) so EC2 answers a replay with the first launch.
"""

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
    }
)
"""Error codes AWS answers instead of acting on a request (it did nothing)."""

_LONG_READS = frozenset({("lambda", "Invoke")})
# Invoke holds the response until the function returns: its read waits for the whole
# deadline, not ``Timeouts.read``.
_KEY = "cloud_common_deadline"
_current = threading.local()


@contextmanager
def one_deadline(seconds: float) -> Iterator[Deadline]:
    """Bound every AWS call this thread makes inside by one deadline of ``seconds``, which
    replaces ``RetryPolicy.deadline`` for them (longer for an invocation given a timeout,
    shared by the calls of one compound operation)."""
    outer = getattr(_current, "scope", None)
    deadline = _current.scope = Deadline(seconds)
    try:
        yield deadline
    finally:
        _current.scope = outer


class _PolicyBackoff:
    """botocore's backoff strategy, driven by a ``RetryPolicy`` (base, cap, jitter)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def delay_amount(self, context: Any) -> float:
        delay = self._policy.backoff(int(getattr(context, "attempt_number", 1)))
        return random.uniform(0, delay) if self._policy.jitter else delay


@functools.cache
def _timeout_class() -> type[Any]:
    from urllib3.util.timeout import Timeout  # noqa: PLC0415 - with botocore, on first use

    class DeadlineTimeout(Timeout):
        """The pool's timeout: each request's copy is cut to its call's time left, from
        the connect to the last byte read."""

        def clone(self) -> Any:
            call = getattr(_current, "call", None)
            if call is None:
                return super().clone()
            deadline, long_read = call
            left = max(deadline.remaining(), 0.001)
            read = left if long_read else min(self.read_timeout, left)
            # total: urllib3 takes the time spent connecting and sending (S3's 1 s wait for
            # "100 Continue" included) off the read timeout
            return Timeout(connect=min(self.connect_timeout, left), read=read, total=left)

    return DeadlineTimeout


def _install_timeout(client: Any, timeouts: Timeouts) -> bool:
    """Give the client's connection pools a deadline-aware ``Timeout`` (botocore builds
    them from ``Config``; there is no public knob to hand it one). False when botocore's
    internals moved: timeouts then stay per attempt (the deadline still stops retries)."""
    try:
        session = client._endpoint.http_session
        timeout = _timeout_class()(connect=timeouts.connect, read=timeouts.read)
        managers = [session._manager, *session._proxy_managers.values()]
        for manager in managers:
            manager.connection_pool_kw["timeout"] = timeout
        session._timeout = timeout
    except (AttributeError, TypeError):
        logger.debug("botocore connection internals not found; attempts keep full timeouts")
        return False
    return True


def _never_reached(caught: BaseException | None, response: Any) -> bool:
    """True when the failure proves AWS did not act on the request."""
    if caught is not None:
        names = {cls.__name__ for cls in type(caught).__mro__}
        return bool(names & {"EndpointConnectionError", "ConnectTimeoutError"})
    if not response:
        return False
    http, parsed = response
    code = str(((parsed or {}).get("Error") or {}).get("Code") or "")
    return code in THROTTLING_CODES or getattr(http, "status_code", None) == 429


def _out_of_time(deadline: Deadline, caught: BaseException | None, response: Any) -> Exception:
    """The call's ``TimeoutError``, naming how its last attempt failed."""
    if caught is not None:
        last = type(caught).__name__
    else:
        http, parsed = response or (None, None)
        code = ((parsed or {}).get("Error") or {}).get("Code") or "error"
        last = f"{code} (HTTP {getattr(http, 'status_code', '?')})"
    error = deadline.error()
    error.message = f"{error.message}; the last attempt failed with {last}"
    return error


class _CallRules:
    """The handlers of one client: deadline at ``before-call``, retry rules at
    ``needs-retry`` (around botocore's own standard handler)."""

    def __init__(self, service: str, retry: Any, policy: RetryPolicy) -> None:
        self._service = service
        self._retry = retry
        self._policy = policy

    def before_call(self, model: Any, context: dict[str, Any], **kwargs: Any) -> None:
        scope: Deadline | None = getattr(_current, "scope", None)
        if scope is not None and scope.expired:
            raise scope.error()
        deadline = scope if scope is not None else Deadline(self._policy.deadline)
        context[_KEY] = deadline
        _current.call = (deadline, (self._service, model.name) in _LONG_READS)

    def after_call(self, **kwargs: Any) -> None:
        _current.call = None

    def needs_retry(
        self,
        *,
        operation: Any,
        request_dict: dict[str, Any],
        caught_exception: BaseException | None = None,
        response: Any = None,
        **kwargs: Any,
    ) -> float | None:
        deadline: Deadline | None = request_dict.get("context", {}).get(_KEY)
        timed_out = caught_exception is not None and "Timeout" in type(caught_exception).__name__
        if deadline is not None and deadline.expired and timed_out:
            # the attempt's timeouts were cut to the deadline: say which ran out
            raise _out_of_time(deadline, caught_exception, response) from caught_exception
        if (self._service, operation.name) in REPLAY_UNSAFE and not _never_reached(
            caught_exception, response
        ):
            return None
        if deadline is not None and deadline.expired:
            raise _out_of_time(deadline, caught_exception, response) from caught_exception
        delay: float | None = self._retry.needs_retry(
            operation=operation,
            request_dict=request_dict,
            caught_exception=caught_exception,
            response=response,
            **kwargs,
        )
        if delay and deadline is not None and deadline.remaining() <= delay:
            raise _out_of_time(deadline, caught_exception, response) from caught_exception
        return delay


def _client_token(params: dict[str, Any], **kwargs: Any) -> None:
    """RunInstances: an idempotency token when the caller gave none, so a replay after a
    lost answer returns the first launch instead of starting a second instance."""
    if not params.get("ClientToken"):
        params["ClientToken"] = uuid.uuid4().hex


def _use_policy_backoff(handler: Any, policy: RetryPolicy) -> bool:
    """Make botocore's standard retry handler back off as ``policy`` says (botocore has no
    public knob for it). False when its internals moved: botocore's backoff stays."""
    retry_policy = getattr(handler, "_retry_policy", None)
    if retry_policy is None or not hasattr(retry_policy, "_retry_backoff"):
        logger.debug("botocore retry internals not found; keeping botocore's backoff")
        return False
    retry_policy._retry_backoff = _PolicyBackoff(policy)
    return True


def install(client: Any, service: str, retry: RetryPolicy, timeouts: Timeouts) -> None:
    """Bound the calls of a boto3 client built with standard-mode retries (see the module)."""
    from botocore.retries import standard  # noqa: PLC0415

    events = client.meta.events
    name = client.meta.service_model.service_id.hyphenize()
    unique_id = f"retry-config-{name}"
    # botocore's own standard handler, built afresh so that it can be wrapped
    events.unregister(f"needs-retry.{name}", unique_id=unique_id)
    handler = standard.register_retry_handler(client, max_attempts=retry.max_attempts)
    events.unregister(f"needs-retry.{name}", unique_id=unique_id)
    _use_policy_backoff(handler, retry)
    rules = _CallRules(service, handler, retry)
    events.register(f"needs-retry.{name}", rules.needs_retry, unique_id=unique_id)
    events.register(f"before-call.{name}", rules.before_call)
    events.register(f"after-call.{name}", rules.after_call)
    events.register(f"after-call-error.{name}", rules.after_call)
    if name == "ec2":
        events.register("before-parameter-build.ec2.RunInstances", _client_token)
    _install_timeout(client, timeouts)

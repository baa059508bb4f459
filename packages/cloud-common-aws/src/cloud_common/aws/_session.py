"""One boto3 session and one SDK client per service, built lazily and shared across threads.

Also where cloud-common's ``RetryPolicy`` and ``Timeouts`` become a botocore ``Config``
(standard retry mode, total attempts, the policy's backoff) and where the SDK's loggers get
core's ``RedactingFilter``, so botocore's DEBUG output never shows a key, a token or a
signature.
"""

from __future__ import annotations

import logging
import random
import threading
from typing import Any

from cloud_common.aws._errors import translate
from cloud_common.core import (
    CloudCredentials,
    CloudProvider,
    ErrorPolicy,
    RedactingFilter,
    RetryPolicy,
    Timeouts,
    ValidationError,
)

__all__ = ["AwsConnection", "protect_sdk_logs"]

logger = logging.getLogger(__name__)

_SDK_LOGGER_PREFIXES = ("botocore", "boto3", "s3transfer", "urllib3")
_ADDRESSING_STYLES = ("auto", "path", "virtual")


class _SdkLogFilter(RedactingFilter):
    """The one filter shared by every SDK logger; its secret set only grows."""

    def __init__(self) -> None:
        super().__init__(())
        self._lock = threading.Lock()
        self._loggers: set[str] = set()

    def add_secrets(self, secrets: list[str]) -> None:
        with self._lock:
            fresh = [s for s in secrets if s and len(s) >= 4 and s not in self.secrets]
            if fresh:
                # longest first, so a secret containing another is masked whole
                self.secrets = tuple(sorted({*self.secrets, *fresh}, key=len, reverse=True))

    def attach(self) -> None:
        with self._lock:
            names = [
                name
                for name in list(logging.root.manager.loggerDict)
                if name.split(".", 1)[0] in _SDK_LOGGER_PREFIXES and name not in self._loggers
            ]
            for name in (*_SDK_LOGGER_PREFIXES, *names):
                if name not in self._loggers:
                    logging.getLogger(name).addFilter(self)
                    self._loggers.add(name)


_SDK_FILTER = _SdkLogFilter()


def protect_sdk_logs(secrets: list[str] | tuple[str, ...] = ()) -> None:
    """Scrub ``secrets``, signatures and Authorization headers from every SDK log record.

    Attaches one ``RedactingFilter`` to each botocore / boto3 / s3transfer / urllib3 logger
    that exists now (call again after importing more of the SDK). Idempotent.
    """
    _SDK_FILTER.add_secrets(list(secrets))
    _SDK_FILTER.attach()


class _PolicyBackoff:
    """botocore's backoff strategy, driven by a ``RetryPolicy`` (base, cap, jitter)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def delay_amount(self, context: Any) -> float:
        delay = self._policy.backoff(int(getattr(context, "attempt_number", 1)))
        return random.uniform(0, delay) if self._policy.jitter else delay


def _use_policy_backoff(client: Any, policy: RetryPolicy) -> bool:
    """Make the client's own standard-mode retry handler back off as ``policy`` says.

    botocore has no public knob for the backoff, so this swaps the strategy inside the
    handler it registered. If botocore's internals ever change, botocore's default backoff
    stays (the number of attempts is still the policy's) and this returns False.
    """
    try:
        service = client.meta.service_model.service_id.hyphenize()
        events = client.meta.events
        emitter = getattr(events, "_emitter", events)
        entry = emitter._unique_id_handlers[f"retry-config-{service}"]
        handler = entry["handler"].__self__
        retry_policy = handler._retry_policy
        if not hasattr(retry_policy, "_retry_backoff"):
            return False
        retry_policy._retry_backoff = _PolicyBackoff(policy)
    except (AttributeError, KeyError, TypeError):
        logger.debug("botocore retry internals not found; keeping botocore's backoff")
        return False
    return True


_LOADER: Any = None
_LOADER_LOCK = threading.Lock()


def _shared_loader() -> Any:
    """One botocore data loader for the process: service models are parsed once, not once
    per client (saves ~0.1 s of JSON parsing per client built)."""
    global _LOADER  # noqa: PLW0603 - a process-wide cache
    with _LOADER_LOCK:
        if _LOADER is None:
            from botocore.loaders import create_loader  # noqa: PLC0415

            _LOADER = create_loader()
        return _LOADER


def _dedupe_search_paths() -> None:
    # boto3 appends its data directory to the loader's search path for every session.
    with _LOADER_LOCK:
        paths = _LOADER.search_paths
        unique = list(dict.fromkeys(paths))
        if len(unique) != len(paths):
            paths[:] = unique


class AwsConnection:
    """The boto3 session and SDK clients behind one cloud-common client.

    Args:
        credentials: Keys, session token (``metadata["session_token"]``), profile, region
            and endpoints (``metadata["endpoint_url"]``, ``metadata["<service>_endpoint_url"]``).
            None, or fields left None, fall back to boto3's default chain.
        endpoint_url: Endpoint for every service of this connection (wins over metadata).
        retry_policy: Attempts and backoff, applied by botocore's standard retry mode.
        timeouts: Connect and read timeouts of each HTTP exchange.
        addressing_style: S3 ``"path"``, ``"virtual"`` or ``"auto"``; default ``"path"``
            with a custom endpoint (emulators, S3-compatible stores), else ``"auto"``.
        max_pool_connections: Size of each client's connection pool.
        boto3_session: Use this ``boto3.Session`` instead of building one from credentials.
    """

    def __init__(
        self,
        credentials: CloudCredentials | None,
        *,
        endpoint_url: str | None = None,
        retry_policy: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        addressing_style: str | None = None,
        max_pool_connections: int = 10,
        boto3_session: Any = None,
    ) -> None:
        creds = credentials if credentials is not None else CloudCredentials(CloudProvider.AWS)
        if not isinstance(creds, CloudCredentials):
            raise ValidationError(
                f"credentials must be CloudCredentials or None, not {type(creds).__name__}"
            )
        if creds.provider is not CloudProvider.AWS:
            raise ValidationError(f"credentials are for {creds.provider.value!r}, not 'aws'")
        if bool(creds.access_key) != bool(creds.secret_key):
            raise ValidationError(
                "credentials need both access_key and secret_key, or neither "
                "(then boto3's default chain is used)"
            )
        if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
            raise ValidationError("retry_policy must be a cloud_common.core.RetryPolicy")
        if timeouts is not None and not isinstance(timeouts, Timeouts):
            raise ValidationError("timeouts must be a cloud_common.core.Timeouts")
        if addressing_style is not None and addressing_style not in _ADDRESSING_STYLES:
            raise ValidationError(
                f"addressing_style {addressing_style!r} is invalid: use one of {_ADDRESSING_STYLES}"
            )
        if not isinstance(max_pool_connections, int) or max_pool_connections < 1:
            raise ValidationError("max_pool_connections must be an int >= 1")
        self.credentials = creds
        self.region = creds.region or "us-east-1"
        self.retry_policy = retry_policy or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self._endpoint_url = endpoint_url
        self._addressing_style = addressing_style
        self._max_pool_connections = max_pool_connections
        self._session: Any = boto3_session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.policy = ErrorPolicy(
            CloudProvider.AWS.value,
            translate,
            logger=logging.getLogger("cloud_common.aws"),
            secrets=creds.secrets(),
        )

    def __repr__(self) -> str:
        return f"<AwsConnection region={self.region!r} services={sorted(self._clients)}>"

    def endpoint_url(self, service: str) -> str | None:
        """The endpoint for ``service``: the option, then metadata, else None (AWS's own)."""
        meta = self.credentials.metadata
        return (
            self._endpoint_url
            or meta.get(f"{service}_endpoint_url")
            or meta.get("endpoint_url")
            or None
        )

    def _build_session(self) -> Any:
        import boto3  # noqa: PLC0415 - the SDK is imported when a client is first built
        import botocore.session  # noqa: PLC0415

        creds = self.credentials
        core = botocore.session.Session()
        core.register_component("data_loader", _shared_loader())
        session = boto3.session.Session(
            aws_access_key_id=creds.access_key or None,
            aws_secret_access_key=creds.secret_key or None,
            aws_session_token=creds.metadata.get("session_token") or None,
            region_name=self.region,
            profile_name=creds.profile or None,
            botocore_session=core,
        )
        _dedupe_search_paths()
        return session

    def _config(self, service: str) -> Any:
        from botocore.config import Config  # noqa: PLC0415

        options: dict[str, Any] = {
            "region_name": self.region,
            "retries": {"mode": "standard", "total_max_attempts": self.retry_policy.max_attempts},
            "connect_timeout": self.timeouts.connect,
            "read_timeout": self.timeouts.read,
            "max_pool_connections": self._max_pool_connections,
        }
        if service == "s3":
            style = self._addressing_style or ("path" if self.endpoint_url("s3") else "auto")
            options["signature_version"] = "s3v4"
            options["s3"] = {"addressing_style": style}
        return Config(**options)

    def _resolve_secrets(self, session: Any) -> None:
        """Add the keys boto3 found (also from its default chain) to what is scrubbed."""
        try:
            found = session.get_credentials()
            frozen = found.get_frozen_credentials() if found is not None else None
        except Exception:  # noqa: BLE001 - resolving is best effort; the call will say why
            frozen = None
        values = list(self.credentials.secrets())
        if frozen is not None:
            values += [frozen.access_key or "", frozen.secret_key or "", frozen.token or ""]
        values = [v for v in values if v and len(v) >= 4]
        protect_sdk_logs(values)
        self.policy.secrets = tuple(sorted(set(values), key=len, reverse=True))

    def client(self, service: str) -> Any:
        """The boto3 client of ``service`` (``"s3"``, ``"ec2"``, ``"lambda"``), built once."""
        existing = self._clients.get(service)
        if existing is not None:
            return existing
        with self._lock:
            existing = self._clients.get(service)
            if existing is not None:
                return existing
            # no operation name here: the caller's ErrorPolicy.call names it
            with self.policy.translating(""):
                if self._session is None:
                    protect_sdk_logs(self.credentials.secrets())
                    self._session = self._build_session()
                client = self._session.client(
                    service,
                    endpoint_url=self.endpoint_url(service),
                    config=self._config(service),
                )
                _use_policy_backoff(client, self.retry_policy)
                self._resolve_secrets(self._session)
            self._clients[service] = client
            return client

    def protect_new_loggers(self) -> None:
        """Attach the log filter to SDK loggers created since (lazily imported modules)."""
        protect_sdk_logs(self.policy.secrets)

    def close(self) -> None:
        """Close every SDK client built so far (a later call builds new ones). Safe twice."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            close = getattr(client, "close", None)
            if callable(close):
                close()

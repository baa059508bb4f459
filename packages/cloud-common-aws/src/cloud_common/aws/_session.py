"""The boto3 session and the one SDK client behind each AWS client, built on first use and
shared by every thread.

Also where ``AwsOptions`` become a botocore ``Config`` (standard retry mode with the
``RetryPolicy``'s attempts, timeouts, pool size, S3 addressing) and the client's calls get
their deadline and retry rules (``_retries``), and where the error policy learns the
secrets boto3 resolved from its default chain.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from cloud_common.aws._errors import translate
from cloud_common.aws._options import AwsOptions
from cloud_common.aws._regions import aws_region_problem
from cloud_common.aws._retries import install
from cloud_common.aws._sdk_logs import protect_sdk_logs
from cloud_common.core import (
    CloudCredentials,
    CloudProvider,
    ErrorPolicy,
    ValidationError,
)

__all__ = ["AwsConnection", "AwsDriver"]

logger = logging.getLogger(__name__)


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


def _checked(credentials: CloudCredentials | None) -> CloudCredentials:
    if credentials is None:
        return CloudCredentials.from_env(CloudProvider.AWS)
    if not isinstance(credentials, CloudCredentials):
        raise ValidationError(
            f"credentials must be CloudCredentials or None, not {type(credentials).__name__}"
        )
    if credentials.provider is not CloudProvider.AWS:
        raise ValidationError(f"credentials are for {credentials.provider.value!r}, not 'aws'")
    if bool(credentials.access_key) != bool(credentials.secret_key):
        raise ValidationError(
            "credentials need both access_key and secret_key, or neither "
            "(then boto3's default chain is used)"
        )
    return credentials


class AwsConnection:
    """The boto3 session and the SDK client of one service, for one cloud-common client.

    Args:
        service: The boto3 service (``"s3"``, ``"ec2"``, ``"lambda"``).
        credentials: Keys, session token (``metadata["session_token"]``), profile, region
            and endpoints (``metadata["<service>_endpoint_url"]``, then
            ``metadata["endpoint_url"]``). None: ``CloudCredentials.from_env("aws")``;
            fields left None fall back to boto3's default chain.
        options: The client's ``AwsOptions``.

    Raises:
        ValidationError: credentials of another provider, or half a key pair.
    """

    def __init__(
        self, service: str, credentials: CloudCredentials | None, options: AwsOptions
    ) -> None:
        self.service = service
        self.credentials = _checked(credentials)
        self.options = options
        self.region = self.credentials.region or "us-east-1"
        self._check_region()
        #: Resolved once: process-wide defaults changed later do not reach a built client.
        self.retry = options.retry_or_default
        self.timeouts = options.timeouts_or_default
        self._client: Any = None
        self._session: Any = options.boto3_session
        self._lock = threading.Lock()
        #: The client's error policy; its secrets grow with what boto3 resolves.
        self.policy = ErrorPolicy(
            CloudProvider.AWS.value,
            translate,
            logger=logging.getLogger("cloud_common.aws"),
            secrets=self.credentials.secrets(),
        )

    def __repr__(self) -> str:
        return f"<AwsConnection {self.service} region={self.region!r}>"

    def _check_region(self) -> None:
        """Refuse a region AWS does not have, before any call (S3-compatible stores and
        emulators behind a custom endpoint take any region)."""
        if self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL"):
            return
        extra = self.credentials.metadata.get("extra_regions", "")
        problem = aws_region_problem(
            self.region, frozenset(r.strip() for r in extra.split(",") if r.strip())
        )
        if problem:
            raise ValidationError(problem, provider=CloudProvider.AWS.value)

    @property
    def endpoint_url(self) -> str | None:
        """The option, then ``metadata["<service>_endpoint_url"]``, then
        ``metadata["endpoint_url"]``; None: AWS's own endpoint."""
        meta = self.credentials.metadata
        return (
            self.options.endpoint_url
            or meta.get(f"{self.service}_endpoint_url")
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

    def _config(self) -> Any:
        from botocore.config import Config  # noqa: PLC0415

        opts = self.options
        settings: dict[str, Any] = {
            "region_name": self.region,
            "retries": {"mode": "standard", "total_max_attempts": self.retry.max_attempts},
            "connect_timeout": self.timeouts.connect,
            "read_timeout": self.timeouts.read,
            "max_pool_connections": opts.pool_size,
        }
        if self.service == "s3":
            style = opts.addressing_style or ("path" if self.endpoint_url else "auto")
            settings["signature_version"] = "s3v4"
            settings["s3"] = {"addressing_style": style}
        return Config(**settings)

    def _learn_secrets(self) -> None:
        """Scrub the keys boto3 found (also through its default chain) from errors and logs."""
        try:
            found = self._session.get_credentials()
            frozen = found.get_frozen_credentials() if found is not None else None
        except Exception:  # noqa: BLE001 - resolving is best effort; the call will say why
            frozen = None
        values = set(self.credentials.secrets())
        if frozen is not None:
            values |= {frozen.access_key or "", frozen.secret_key or "", frozen.token or ""}
        values = {v for v in values if len(v) >= 4}
        protect_sdk_logs(values)
        self.policy.secrets = tuple(sorted(values, key=len, reverse=True))

    @property
    def client(self) -> Any:
        """The boto3 client of the service, built once (thread-safe)."""
        client = self._client
        if client is not None:
            return client
        with self._lock:
            if self._client is None:
                if self._session is None:
                    protect_sdk_logs(self.credentials.secrets())
                    self._session = self._build_session()
                client = self._session.client(
                    self.service, endpoint_url=self.endpoint_url, config=self._config()
                )
                install(client, self.service, self.retry, self.timeouts)
                self._learn_secrets()
                self._client = client
            return self._client

    def protect_new_loggers(self) -> None:
        """Attach the log filter to SDK loggers created since (lazily imported modules)."""
        protect_sdk_logs(self.policy.secrets)

    def close(self) -> None:
        """Close the SDK client's connections (a later call builds a new one). Safe twice."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


class AwsDriver:
    """What the S3, EC2 and Lambda drivers share: their connection, ``native`` and ``close``
    (listed first among a driver's bases, so these win over the contract's defaults)."""

    provider_id = "aws"

    def __init__(self, connection: AwsConnection) -> None:
        self._connection = connection

    @property
    def native(self) -> Any:
        """The boto3 client."""
        return self._connection.client

    def close(self) -> None:
        """Close the boto3 client's connections."""
        self._connection.close()

"""Settings shared by the three clients: project, region, zone, credentials, retries."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloud_common.core import (
    AuthenticationError,
    CloudCredentials,
    CloudProvider,
    RetryPolicy,
    Timeouts,
    ValidationError,
)

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "GcpSettings",
    "default_zone",
    "is_transient",
    "load_service_account_info",
    "make_retry",
    "resolve_settings",
]

logger = logging.getLogger(__name__)

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
_REGION = re.compile(r"^[a-z]+(?:-[a-z]+)+[0-9]+$")
_ZONE = re.compile(r"^[a-z]+(?:-[a-z]+)+[0-9]+-[a-z]$")
# Regions without an "-a" zone: their first zone is "-b".
_FIRST_ZONE = {"us-east1": "b", "europe-west1": "b"}


def default_zone(region: str) -> str:
    """The zone used when ``metadata["zone"]`` is not set: ``<region>-a`` (``-b`` where
    the region has no ``a`` zone: us-east1, europe-west1)."""
    return f"{region}-{_FIRST_ZONE.get(region, 'a')}"


@dataclass(frozen=True)
class GcpSettings:
    """What a client needs to know, resolved once from ``CloudCredentials`` and options.

    Attributes:
        project_id: The project every call is made in.
        region: GCP region (``us-central1``) for buckets and functions.
        zone: Compute Engine zone for instances created or named without a zone.
        endpoint: Emulator/alternative endpoint (``http://127.0.0.1:4443``) or None.
        anonymous: True when the data plane uses ``AnonymousCredentials`` (emulators).
        service_account_info: Parsed service-account key, when one was given.
        retry_policy: Retries for every call and the deadline of long waits.
        timeouts: Connect/read timeouts per HTTP exchange.
        secrets: Values scrubbed from every message.
        google_credentials: An explicit google-auth credentials object, or None.
        signed_url_endpoint: Scheme and host signed URLs point at (storage only).
    """

    project_id: str
    region: str
    zone: str
    endpoint: str | None
    anonymous: bool
    service_account_info: Mapping[str, Any] | None = field(repr=False)
    retry_policy: RetryPolicy
    timeouts: Timeouts
    secrets: tuple[str, ...] = field(repr=False)
    google_credentials: Any = field(default=None, repr=False)
    signed_url_endpoint: str | None = None

    def load_credentials(self) -> Any:
        """The google-auth credentials of the control and data plane.

        ``AnonymousCredentials`` against an emulator; else the explicit
        ``google_credentials`` option, the service-account key, or Application Default
        Credentials. Building them never contacts a token endpoint.

        Raises:
            AuthenticationError: no credentials can be found.
        """
        from google.auth.credentials import AnonymousCredentials  # noqa: PLC0415

        if self.google_credentials is not None:
            return self.google_credentials
        if self.anonymous:
            return AnonymousCredentials()  # type: ignore[no-untyped-call]
        return self.signing_credentials()

    def signing_credentials(self) -> Any:
        """Credentials that can sign (a service-account key) or call IAM signBlob (ADC).

        Raises:
            AuthenticationError: nothing configured and no Application Default Credentials.
        """
        if self.google_credentials is not None:
            return self.google_credentials
        if self.service_account_info is not None:
            from google.oauth2 import service_account  # noqa: PLC0415

            try:
                return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                    dict(self.service_account_info), scopes=[CLOUD_PLATFORM_SCOPE]
                )
            except (ValueError, KeyError) as exc:
                raise AuthenticationError(
                    f"the service-account key is not usable ({type(exc).__name__}); "
                    "check metadata['service_account_info'] / ['service_account_file']",
                    provider="gcp",
                ) from None
        import google.auth  # noqa: PLC0415
        from google.auth.exceptions import DefaultCredentialsError  # noqa: PLC0415

        try:
            creds, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
        except DefaultCredentialsError as exc:
            raise AuthenticationError(
                "no Google credentials found: set metadata['service_account_file'] or "
                "['service_account_info'], GOOGLE_APPLICATION_CREDENTIALS, or run "
                "'gcloud auth application-default login'",
                provider="gcp",
            ) from exc
        return creds


def load_service_account_info(credentials: CloudCredentials) -> dict[str, Any] | None:
    """The service-account key from ``metadata`` or ``GOOGLE_APPLICATION_CREDENTIALS``.

    Returns None when none is configured or the file holds another kind of credential
    (for example ``authorized_user``: Application Default Credentials handle those).

    Raises:
        ValidationError: the JSON is malformed or the file is unreadable (no key material
            appears in the message).
    """
    meta = credentials.metadata
    raw = meta.get("service_account_info")
    source = "metadata['service_account_info']"
    if not raw:
        path = meta.get("service_account_file") or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
        if not path:
            return None
        source = f"service-account file {path!r}"
        try:
            with open(path, encoding="utf-8") as handle:
                raw = handle.read()
        except OSError as exc:
            raise ValidationError(f"cannot read {source}: {exc.strerror}", provider="gcp") from None
    try:
        info = json.loads(raw)
    except ValueError:
        raise ValidationError(f"{source} is not valid JSON", provider="gcp") from None
    if not isinstance(info, dict):
        raise ValidationError(f"{source} must be a JSON object", provider="gcp")
    if info.get("type", "service_account") != "service_account":
        return None
    return info


def _endpoint(credentials: CloudCredentials, options: Mapping[str, Any]) -> str | None:
    value = (
        options.get("endpoint")
        or credentials.metadata.get("endpoint")
        or os.environ.get("STORAGE_EMULATOR_HOST")
    )
    if not value:
        return None
    value = str(value).rstrip("/")
    return value if "://" in value else f"http://{value}"


def resolve_settings(
    credentials: CloudCredentials | None, options: dict[str, Any], *, endpoint_key: str
) -> GcpSettings:
    """Check and resolve everything a client needs before it builds any SDK object.

    Pops the common options (``retry_policy``, ``timeouts``, ``endpoint``,
    ``google_credentials``) from ``options``; ``endpoint_key`` names the metadata key of
    the service's own endpoint (``endpoint`` for storage, ``compute_endpoint`` ...).

    Raises:
        ValidationError: project missing, region not a GCP region, bad zone or options.
    """
    creds = credentials if credentials is not None else CloudCredentials.from_env("gcp")
    if not isinstance(creds, CloudCredentials):
        raise ValidationError(
            f"credentials must be CloudCredentials, not {type(creds).__name__}", provider="gcp"
        )
    if creds.provider is not CloudProvider.GCP:
        raise ValidationError(
            f"credentials are for provider {creds.provider.value!r}, not 'gcp'", provider="gcp"
        )
    if not creds.project_id:
        raise ValidationError(
            "project_id is required for Google Cloud: set CloudCredentials(project_id=...) "
            "or GOOGLE_CLOUD_PROJECT",
            provider="gcp",
        )
    region = creds.region
    if not isinstance(region, str) or not _REGION.match(region):
        hint = " (that is the spec's AWS default)" if region == "us-east-1" else ""
        raise ValidationError(
            f"region {region!r} is not a Google Cloud region{hint}: use one such as "
            "'us-central1' or 'europe-west1'",
            provider="gcp",
        )
    zone = creds.metadata.get("zone") or default_zone(region)
    if not _ZONE.match(zone):
        raise ValidationError(
            f"zone {zone!r} is not a Compute Engine zone: use one such as 'us-central1-a'",
            provider="gcp",
        )
    policy = options.pop("retry_policy", None) or RetryPolicy()
    if not isinstance(policy, RetryPolicy):
        raise ValidationError(
            "retry_policy must be a cloud_common.core.RetryPolicy", provider="gcp"
        )
    timeouts = options.pop("timeouts", None) or Timeouts()
    if not isinstance(timeouts, Timeouts):
        raise ValidationError("timeouts must be a cloud_common.core.Timeouts", provider="gcp")
    if endpoint_key == "endpoint":
        endpoint = _endpoint(creds, options)
    else:
        value = options.get("api_endpoint") or creds.metadata.get(endpoint_key)
        endpoint = str(value).rstrip("/") if value else None
    signed = options.pop("signed_url_endpoint", None) or creds.metadata.get("signed_url_endpoint")
    options.pop("endpoint", None)
    options.pop("api_endpoint", None)
    google_credentials = options.pop("google_credentials", None)
    forced = creds.metadata.get("anonymous", "").lower()
    if forced in ("1", "true", "yes", "0", "false", "no"):
        anonymous = forced in ("1", "true", "yes")
    else:
        anonymous = bool(endpoint and endpoint.startswith("http://"))
    info = load_service_account_info(creds)
    secrets = list(creds.secrets())
    if info and isinstance(info.get("private_key"), str):
        secrets.append(info["private_key"])
    return GcpSettings(
        project_id=creds.project_id,
        region=region,
        zone=zone,
        endpoint=endpoint,
        anonymous=anonymous,
        service_account_info=info,
        retry_policy=policy,
        timeouts=timeouts,
        secrets=tuple(secrets),
        google_credentials=google_credentials,
        signed_url_endpoint=str(signed).rstrip("/") if signed else None,
    )


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
        ),
    ):
        return True
    if isinstance(
        exc,
        (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            auth_exc.TransportError,
            ConnectionError,
        ),
    ):
        return True
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
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

"""What the three clients need, resolved once from ``CloudCredentials`` and ``GcpOptions``:
project, region, zone, endpoints, the service-account key, retries and timeouts."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloud_common.core import (
    CloudCredentials,
    CloudProvider,
    RetryPolicy,
    Timeouts,
    ValidationError,
)
from cloud_common.gcp._auth import load_service_account_info
from cloud_common.gcp._options import GcpOptions
from cloud_common.gcp._regions import region_problem

__all__ = ["GcpSettings", "default_zone", "resolve_settings"]

_ZONE = re.compile(r"^[a-z]+(?:-[a-z]+)+[0-9]+-[a-z]$")
# Regions without an "-a" zone: their first zone is "-b".
_FIRST_ZONE = {"us-east1": "b", "europe-west1": "b"}
_SWITCH = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
# Metadata keys renamed in 0.3 (new name -> former name, still read).
_FORMER_METADATA = {
    "endpoint_url": "endpoint",
    "compute_endpoint_url": "compute_endpoint",
    "functions_endpoint_url": "functions_endpoint",
}


def default_zone(region: str) -> str:
    """The zone used when none is configured: ``<region>-a`` (``-b`` where the region has
    no ``a`` zone: us-east1, europe-west1)."""
    return f"{region}-{_FIRST_ZONE.get(region, 'a')}"


@dataclass(frozen=True)
class GcpSettings:
    """Everything a client resolved before it built any SDK object.

    Attributes:
        project_id: The project every call is made in.
        region: GCP region (``us-central1``) of buckets and functions.
        zone: Compute Engine zone of instances named without a zone.
        storage_endpoint, compute_endpoint, functions_endpoint: Each service's endpoint,
            or None for Google's own.
        signed_url_endpoint: Scheme and host signed URLs point at, or None.
        anonymous: ``metadata["anonymous"]`` when set (True/False), else None: anonymous
            exactly for ``http://`` endpoints.
        service_account_info: The parsed service-account key, when one was given.
        google_credentials: An explicit google-auth credentials object, or None.
        retry: Retries and deadlines of every call (``operation_deadline``: waits on
            long-running operations).
        timeouts: Connect/read timeouts of each HTTP exchange.
        secrets: Values scrubbed from every message (the key's private key included).
    """

    project_id: str
    region: str
    zone: str
    storage_endpoint: str | None
    compute_endpoint: str | None
    functions_endpoint: str | None
    signed_url_endpoint: str | None
    anonymous: bool | None
    service_account_info: Mapping[str, Any] | None = field(repr=False)
    google_credentials: Any = field(repr=False)
    retry: RetryPolicy
    timeouts: Timeouts
    secrets: tuple[str, ...] = field(repr=False)

    def is_anonymous(self, endpoint: str | None) -> bool:
        """True when calls to ``endpoint`` go out with ``AnonymousCredentials``."""
        if self.google_credentials is not None:
            return False
        if self.anonymous is not None:
            return self.anonymous
        return bool(endpoint and endpoint.startswith("http://"))


def _metadata(credentials: CloudCredentials, name: str) -> str | None:
    value = credentials.metadata.get(name)
    former = _FORMER_METADATA.get(name)
    if not value and former and credentials.metadata.get(former):
        warnings.warn(
            f"credentials metadata[{former!r}] is now called {name!r}",
            DeprecationWarning,
            stacklevel=4,
        )
        value = credentials.metadata[former]
    return value or None


def _url(value: str | None) -> str | None:
    if not value:
        return None
    value = value.rstrip("/")
    return value if "://" in value else f"http://{value}"


def _checked_credentials(credentials: CloudCredentials | None) -> CloudCredentials:
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
    problem = region_problem(creds.region, _extra_regions(creds))
    if problem:
        raise ValidationError(problem, provider="gcp")
    return creds


def _extra_regions(credentials: CloudCredentials) -> frozenset[str]:
    """Regions newer than ``REGIONS``, from ``metadata["extra_regions"]``."""
    raw = credentials.metadata.get("extra_regions") or ""
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def resolve_settings(credentials: CloudCredentials | None, options: GcpOptions) -> GcpSettings:
    """Check and resolve what every client needs before it builds any SDK object.

    ``credentials=None`` reads ``CloudCredentials.from_env("gcp")``. Endpoints: the
    option, else the credentials' metadata (``endpoint_url``, ``compute_endpoint_url``,
    ``functions_endpoint_url``); for storage also ``STORAGE_EMULATOR_HOST``, which
    google-cloud-storage itself honours.

    Raises:
        ValidationError: project missing, region not a GCP region, a bad zone or key.
    """
    creds = _checked_credentials(credentials)
    zone = options.zone or creds.metadata.get("zone") or default_zone(creds.region)
    if not _ZONE.match(zone):
        raise ValidationError(
            f"zone {zone!r} is not a Compute Engine zone: use one such as 'us-central1-a'",
            provider="gcp",
        )
    problem = region_problem(zone.rsplit("-", 1)[0], _extra_regions(creds))
    if problem:
        raise ValidationError(f"zone {zone!r} is not in a Google Cloud {problem}", provider="gcp")
    storage = options.endpoint_url or _metadata(creds, "endpoint_url")
    info = load_service_account_info(creds)
    secrets = list(creds.secrets())
    if info and isinstance(info.get("private_key"), str):
        secrets.append(info["private_key"])
    return GcpSettings(
        project_id=creds.project_id or "",
        region=creds.region,
        zone=zone,
        storage_endpoint=_url(storage or os.environ.get("STORAGE_EMULATOR_HOST")),
        compute_endpoint=_url(
            options.compute_endpoint_url
            or options.endpoint_url
            or _metadata(creds, "compute_endpoint_url")
        ),
        functions_endpoint=_url(
            options.functions_endpoint_url
            or options.endpoint_url
            or _metadata(creds, "functions_endpoint_url")
        ),
        signed_url_endpoint=_url(
            options.signed_url_endpoint or creds.metadata.get("signed_url_endpoint")
        ),
        anonymous=_SWITCH.get(creds.metadata.get("anonymous", "").lower()),
        service_account_info=info,
        google_credentials=options.google_credentials,
        retry=options.retry_or_default,
        timeouts=options.timeouts_or_default,
        secrets=tuple(secrets),
    )

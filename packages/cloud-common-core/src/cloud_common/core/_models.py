"""The data models of the spec (CloudCredentials, CloudResource) and of the extensions."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from cloud_common.core._enums import CloudProvider, InstanceState, ResourceType
from cloud_common.core._objects import ObjectInfo, iso_datetime
from cloud_common.core._redact import MIN_SECRET_LENGTH, redact_userinfo, userinfo_secrets
from cloud_common.core._registry import installed_provider
from cloud_common.core.errors import ValidationError

__all__ = [
    "NOT_SECRET_NAMES",
    "SECRET_NAME_PARTS",
    "CloudCredentials",
    "CloudProvider",
    "CloudResource",
    "InstanceState",
    "ObjectInfo",
    "ResourceType",
    "is_secret_name",
]

_REDACTED = "<redacted>"

SECRET_NAME_PARTS = (
    "secret",
    "token",
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "private",
    "credential",
    "key",
    "sas",
    "signature",
    "account_info",  # service_account_info: a whole service-account key (JSON)
    "connection_string",
    "connectionstring",
    "conn_str",
    "connstr",
    "dsn",
    "bearer",
    "jwt",
    "auth",
    "cookie",
    "otp",
)
"""A metadata name containing one of these (case-insensitive) holds a secret: its value is
never shown in ``repr``, ``str`` or ``to_dict`` and is scrubbed from every error and log."""

NOT_SECRET_NAMES = frozenset(
    {"key_name", "service_account_file", "endpoint_url", "endpoint", "root", "author"}
)
"""Names that contain a secret-looking part but hold no secret."""


def is_secret_name(name: str) -> bool:
    """True when a metadata name holds a secret (see ``SECRET_NAME_PARTS``)."""
    lowered = name.lower()
    return lowered not in NOT_SECRET_NAMES and any(p in lowered for p in SECRET_NAME_PARTS)


def _redacted_metadata(metadata: dict[str, str]) -> dict[str, str]:
    return {
        k: (_REDACTED if is_secret_name(k) else redact_userinfo(v)) for k, v in metadata.items()
    }


@dataclass
class CloudCredentials:
    """Who to be and where, for one provider.

    Fields keep the spec's order, so positional construction works. ``secret_key``,
    ``access_key`` and secret-looking ``metadata`` values (``session_token``,
    ``service_account_info``...) never appear in ``repr``, ``str`` or ``to_dict``.
    Fields left None fall back to the provider SDK's own default chain.
    """

    provider: CloudProvider
    access_key: str | None = None
    secret_key: str | None = None
    region: str = "us-east-1"
    project_id: str | None = None
    profile: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.provider, CloudProvider):
            self.provider = CloudProvider(self.provider)
        if not isinstance(self.metadata, dict):
            raise ValidationError(
                f"metadata must be a dict of str to str, got {type(self.metadata).__name__}"
            )

    def __repr__(self) -> str:
        return (
            f"CloudCredentials(provider={self.provider.value!r}, "
            f"access_key={_REDACTED if self.access_key else None!r}, "
            f"secret_key={_REDACTED if self.secret_key else None!r}, "
            f"region={self.region!r}, project_id={self.project_id!r}, "
            f"profile={self.profile!r}, metadata={_redacted_metadata(self.metadata)!r})"
        )

    __str__ = __repr__

    def secrets(self) -> list[str]:
        """The secret values held here (for scrubbing text); never log the result.

        Values shorter than ``MIN_SECRET_LENGTH`` (4) characters are left out: scrubbing them
        would mangle ordinary words. Such values are still never shown by ``repr`` or
        ``to_dict``, but use real-length secrets.
        """
        values = [self.access_key, self.secret_key]
        values += [v for k, v in self.metadata.items() if is_secret_name(k)]
        values += [u for v in self.metadata.values() for u in userinfo_secrets(v)]
        return [v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict with every secret replaced by ``"<redacted>"``."""
        return {
            "provider": self.provider.value,
            "access_key": _REDACTED if self.access_key else None,
            "secret_key": _REDACTED if self.secret_key else None,
            "region": self.region,
            "project_id": self.project_id,
            "profile": self.profile,
            "metadata": _redacted_metadata(self.metadata),
        }

    @classmethod
    def from_env(
        cls, provider: CloudProvider | str, environ: Mapping[str, str] | None = None
    ) -> CloudCredentials:
        """Credentials from environment variables, as the provider declares them.

        The installed provider's ``ProviderInfo.environment`` maps its usual variables
        (``AWS_ACCESS_KEY_ID``, ``GOOGLE_CLOUD_PROJECT``...) to fields; see its docs page.
        Any provider, installed or not: ``CLOUD_COMMON_<ID>_REGION`` / ``_PROJECT`` /
        ``_PROFILE`` and ``CLOUD_COMMON_<ID>_META_<NAME>`` (→ ``metadata[name.lower()]``)
        win over the provider's own variables.
        """
        env = os.environ if environ is None else environ
        pid = provider if isinstance(provider, CloudProvider) else CloudProvider(provider)
        creds = cls(pid)
        info = installed_provider(pid.value)
        values: dict[str, str] = {}
        for var, target in (info.environment if info is not None else {}).items():
            value = env.get(var)
            if value and target not in values:
                values[target] = value
        prefix = f"CLOUD_COMMON_{pid.value.upper().replace('-', '_')}_"
        for suffix, target in (
            ("REGION", "region"),
            ("PROJECT", "project_id"),
            ("PROFILE", "profile"),
        ):
            if env.get(prefix + suffix):
                values[target] = env[prefix + suffix]
        for name, value in env.items():
            if name.startswith(prefix + "META_") and value:
                values["metadata." + name[len(prefix) + 5 :].lower()] = value
        for target, value in values.items():
            if target.startswith("metadata."):
                creds.metadata[target[len("metadata.") :]] = value
            else:
                setattr(creds, target, value)
        return creds


def _parse_iso(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@dataclass
class CloudResource:
    """One resource (an instance, a function, a bucket) in portable form.

    For instances ``status`` is an ``InstanceState`` value and the provider's raw state
    is ``metadata["native_state"]``.
    """

    id: str
    name: str
    resource_type: ResourceType
    provider: CloudProvider
    region: str
    status: str = "active"
    created_at: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.resource_type, ResourceType):
            self.resource_type = ResourceType(self.resource_type)
        if not isinstance(self.provider, CloudProvider):
            self.provider = CloudProvider(self.provider)
        if isinstance(self.status, Enum):
            self.status = str(self.status.value)

    def to_dict(self) -> dict[str, Any]:
        """Serialize to a JSON-safe dict: enums as values, datetimes as ISO 8601 with offset."""
        return {
            "id": self.id,
            "name": self.name,
            "resource_type": self.resource_type.value,
            "provider": self.provider.value,
            "region": self.region,
            "status": self.status,
            "created_at": iso_datetime(self.created_at),
            "tags": dict(self.tags),
            "metadata": _json_safe(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CloudResource:
        """Rebuild a resource from ``to_dict()`` output."""
        return cls(
            id=data["id"],
            name=data["name"],
            resource_type=ResourceType(data["resource_type"]),
            provider=CloudProvider(data["provider"]),
            region=data["region"],
            status=data.get("status", "active"),
            created_at=_parse_iso(data.get("created_at")),
            tags=dict(data.get("tags") or {}),
            metadata=dict(data.get("metadata") or {}),
        )


def _json_safe(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso_datetime(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_safe(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value

"""The data models of the spec (CloudCredentials, CloudResource) and of the extensions."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from cloud_common.core.errors import ValidationError

__all__ = [
    "CloudCredentials",
    "CloudProvider",
    "CloudResource",
    "InstanceState",
    "ObjectInfo",
    "ResourceType",
]

_PROVIDER_ID = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_REDACTED = "<redacted>"
# Metadata keys whose values are secrets: never shown in repr, str or to_dict.
_SECRET_WORDS = (
    "secret",
    "token",
    "password",
    "passwd",
    "private",
    "credential",
    "key",
    "sas",
    "account_info",  # service_account_info: a whole service-account key (JSON)
)
_NOT_SECRET = frozenset({"key_name", "service_account_file", "endpoint_url", "endpoint", "root"})


class CloudProvider(str, Enum):
    """Which platform a credential or resource belongs to.

    The known clouds are members. Any other valid id (``CloudProvider("acme")``) gives a
    member too, so third-party providers are usable wherever a ``CloudProvider`` is
    accepted, without editing core. Ids are lowercase: ``[a-z][a-z0-9_-]{0,39}``.
    """

    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"
    LOCAL = "local"

    @classmethod
    def _missing_(cls, value: object) -> CloudProvider:
        if isinstance(value, str) and value.lower() in cls._value2member_map_:
            return cls(value.lower())
        if not isinstance(value, str) or not _PROVIDER_ID.match(value):
            raise ValidationError(
                f"provider id {value!r} is not valid: use 1-40 characters of lowercase "
                "letters, digits, '-' or '_', starting with a letter"
            )
        member = str.__new__(cls, value)
        member._name_ = value.upper().replace("-", "_")
        member._value_ = value
        # Registered so that CloudProvider("acme") is CloudProvider("acme").
        return cls._value2member_map_.setdefault(value, member)  # type: ignore[return-value]

    def __str__(self) -> str:
        return self.value


class ResourceType(str, Enum):
    """Category of a CloudResource."""

    COMPUTE = "compute"
    STORAGE = "storage"
    SERVERLESS = "serverless"
    BUCKET = "bucket"
    OBJECT = "object"
    NETWORK = "network"
    DATABASE = "database"
    OTHER = "other"

    def __str__(self) -> str:
        return self.value


class InstanceState(str, Enum):
    """The normalised lifecycle of a compute instance (the raw state stays in metadata)."""

    PENDING = "pending"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    TERMINATING = "terminating"
    TERMINATED = "terminated"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


def _is_secret_key(name: str) -> bool:
    lowered = name.lower()
    return lowered not in _NOT_SECRET and any(word in lowered for word in _SECRET_WORDS)


def _redacted_metadata(metadata: dict[str, str]) -> dict[str, str]:
    return {k: (_REDACTED if _is_secret_key(k) else v) for k, v in metadata.items()}


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
        """The secret values held here (for scrubbing text); never log the result."""
        values = [self.access_key, self.secret_key]
        values += [v for k, v in self.metadata.items() if _is_secret_key(k)]
        return [v for v in values if isinstance(v, str) and len(v) >= 4]

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
        cls, provider: CloudProvider | str, environ: dict[str, str] | None = None
    ) -> CloudCredentials:
        """Read the usual environment variables of a provider.

        aws: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``
        (→ ``metadata["session_token"]``), ``AWS_REGION`` / ``AWS_DEFAULT_REGION``,
        ``AWS_PROFILE``, ``AWS_ENDPOINT_URL`` (→ ``metadata["endpoint_url"]``).
        gcp: ``GOOGLE_CLOUD_PROJECT`` / ``GCLOUD_PROJECT``, ``GOOGLE_APPLICATION_CREDENTIALS``
        (→ ``metadata["service_account_file"]``), ``GOOGLE_CLOUD_REGION``,
        ``STORAGE_EMULATOR_HOST`` (→ ``metadata["endpoint"]``).
        Any provider: ``CLOUD_COMMON_<ID>_REGION`` / ``_PROJECT`` / ``_PROFILE`` and
        ``CLOUD_COMMON_<ID>_META_<NAME>`` (→ ``metadata[name.lower()]``).
        """
        env = dict(os.environ if environ is None else environ)
        pid = provider if isinstance(provider, CloudProvider) else CloudProvider(provider)
        creds = cls(pid)
        meta: dict[str, str] = {}
        if pid is CloudProvider.AWS:
            creds.access_key = env.get("AWS_ACCESS_KEY_ID") or None
            creds.secret_key = env.get("AWS_SECRET_ACCESS_KEY") or None
            creds.region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or creds.region
            creds.profile = env.get("AWS_PROFILE") or None
            _copy(env, meta, "AWS_SESSION_TOKEN", "session_token")
            _copy(env, meta, "AWS_ENDPOINT_URL", "endpoint_url")
        elif pid is CloudProvider.GCP:
            creds.project_id = env.get("GOOGLE_CLOUD_PROJECT") or env.get("GCLOUD_PROJECT") or None
            creds.region = env.get("GOOGLE_CLOUD_REGION") or creds.region
            _copy(env, meta, "GOOGLE_APPLICATION_CREDENTIALS", "service_account_file")
            _copy(env, meta, "STORAGE_EMULATOR_HOST", "endpoint")
        prefix = f"CLOUD_COMMON_{pid.value.upper().replace('-', '_')}_"
        creds.region = env.get(prefix + "REGION") or creds.region
        creds.project_id = env.get(prefix + "PROJECT") or creds.project_id
        creds.profile = env.get(prefix + "PROFILE") or creds.profile
        for name, value in env.items():
            if name.startswith(prefix + "META_") and value:
                meta[name[len(prefix) + 5 :].lower()] = value
        creds.metadata = meta
        return creds


def _copy(env: dict[str, str], meta: dict[str, str], var: str, key: str) -> None:
    if env.get(var):
        meta[key] = env[var]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


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
            "created_at": _iso(self.created_at),
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
        return _iso(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_safe(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


@dataclass(frozen=True)
class ObjectInfo:
    """One object (or, with a delimiter, one common prefix) in a bucket.

    Attributes:
        key: The object key; for a common prefix, the prefix ending with the delimiter.
        size: Size in bytes (0 for a prefix).
        etag: The provider's entity tag, unquoted (MD5 hex for single-part uploads).
        content_type: The stored content type, when the listing reports it.
        last_modified: Timezone-aware modification time, when known.
        metadata: User metadata, when the call reports it (``stat_object`` does).
        is_prefix: True for a common prefix returned because of ``delimiter``.
    """

    key: str
    size: int = 0
    etag: str | None = None
    content_type: str | None = None
    last_modified: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    is_prefix: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the fields."""
        return {
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "content_type": self.content_type,
            "last_modified": _iso(self.last_modified),
            "metadata": dict(self.metadata),
            "is_prefix": self.is_prefix,
        }

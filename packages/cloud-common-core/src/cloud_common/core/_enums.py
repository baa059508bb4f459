"""The enumerations of the models: which cloud, which kind of resource, which state."""

from __future__ import annotations

import re
from enum import Enum

from cloud_common.core.errors import ValidationError

__all__ = ["PROVIDER_ID", "CloudProvider", "InstanceState", "ResourceType"]

PROVIDER_ID = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
"""The shape of a provider id: 1-40 lowercase letters, digits, ``-`` or ``_``."""


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
        if not isinstance(value, str) or not PROVIDER_ID.match(value):
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

"""``ObjectInfo``: one object (or common prefix) of a bucket, as listings and stats return it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["ObjectInfo", "iso_datetime"]


def iso_datetime(value: datetime | None) -> str | None:
    """ISO 8601 with an offset (naive datetimes are taken as UTC); None stays None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


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
            "last_modified": iso_datetime(self.last_modified),
            "metadata": dict(self.metadata),
            "is_prefix": self.is_prefix,
        }

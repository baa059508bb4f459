"""Canonical object URLs: ``s3://bucket/key``, ``gs://bucket/key``, ``local://bucket/key``.

Keys are kept verbatim (no percent-encoding): everything after the first ``/`` following
the bucket is the key, so keys with spaces, unicode, ``%``, ``?``, ``#`` and ``/`` round-trip.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cloud_common.core.errors import ValidationError

__all__ = ["ObjectURL", "object_url", "parse_object_url"]

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")


class ObjectURL(NamedTuple):
    """A parsed object URL. ``key`` is ``""`` for a bucket URL (``s3://bucket``)."""

    scheme: str
    bucket: str
    key: str

    def __str__(self) -> str:
        return object_url(self.scheme, self.bucket, self.key)


def object_url(scheme: str, bucket: str, key: str = "") -> str:
    """Build the canonical URL of an object (or of a bucket when ``key`` is empty)."""
    if not _SCHEME.match(scheme):
        raise ValidationError(f"scheme {scheme!r} is invalid: lowercase letters, digits, '+.-'")
    if not bucket or "/" in bucket:
        raise ValidationError(f"bucket {bucket!r} is invalid: must be non-empty, without '/'")
    return f"{scheme}://{bucket}/{key}" if key else f"{scheme}://{bucket}"


def parse_object_url(url: str) -> ObjectURL:
    """Split ``scheme://bucket/key`` into its parts, the key verbatim.

    Raises:
        ValidationError: not of the form ``scheme://bucket[/key]``.
    """
    scheme, sep, rest = url.partition("://") if isinstance(url, str) else ("", "", "")
    if not sep or not _SCHEME.match(scheme):
        raise ValidationError(f"url {url!r} is invalid: expected scheme://bucket/key")
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise ValidationError(f"url {url!r} is invalid: no bucket after {scheme}://")
    return ObjectURL(scheme, bucket, key)

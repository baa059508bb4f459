"""Command-line locations: ``scheme://bucket/key`` of any installed provider, or a local path."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from cloud_common.cli._session import Session
from cloud_common.core import CloudStorage, ValidationError, object_url, parse_object_url

__all__ = ["Remote", "is_url", "local_path", "remote", "scheme_only"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(text: str) -> bool:
    """True for ``scheme://...``; anything else is a local path."""
    return bool(_URL.match(text))


def scheme_only(text: str) -> str | None:
    """The scheme of a bare ``scheme://`` (meaning "the buckets of that provider")."""
    if is_url(text):
        scheme, _, rest = text.partition("://")
        if not rest.strip("/"):
            return scheme
    return None


@dataclass(frozen=True)
class Remote:
    """A bucket, or a key or prefix in it, with the client of its provider."""

    client: CloudStorage
    provider: str
    scheme: str
    bucket: str
    key: str

    def url(self, key: str | None = None) -> str:
        return object_url(self.scheme, self.bucket, self.key if key is None else key)

    def with_key(self, key: str) -> Remote:
        return Remote(self.client, self.provider, self.scheme, self.bucket, key)


def remote(session: Session, text: str) -> Remote:
    """Parse ``scheme://bucket[/key]`` and build (once) the client of its provider.

    Raises:
        ValidationError: not a URL of that form.
        ProviderNotFoundError: no installed provider handles the scheme.
    """
    parsed = parse_object_url(text)
    info = session.provider_for_scheme(parsed.scheme)
    client = session.storage(info.id)
    return Remote(client, info.id, parsed.scheme, parsed.bucket, parsed.key)


def local_path(text: str) -> str:
    """A local path argument, refusing what looks like a malformed URL (``s3:/b``)."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", text) and not os.path.exists(text):
        raise ValidationError(f"url {text!r} is invalid: expected scheme://bucket/key")
    return text

"""Paths of the bridge: ``cloudcommon://<provider>/<bucket>/<key>`` URLs and the
``<bucket>/<key>`` paths fsspec passes around once the protocol is stripped."""

from __future__ import annotations

__all__ = ["PROTOCOL", "provider_of", "split_path", "strip_url"]

PROTOCOL = "cloudcommon"
"""The one protocol of the bridge; the URL's first segment names the provider."""

_PREFIX = PROTOCOL + "://"


def provider_of(url: str) -> str | None:
    """The provider id a ``cloudcommon://`` URL names, or None for a bare path."""
    if not url.startswith(_PREFIX):
        return None
    provider = url[len(_PREFIX) :].split("/", 1)[0]
    return provider or None


def strip_url(url: str) -> str:
    """``cloudcommon://aws/bucket/key/`` -> ``bucket/key``; a bare path loses its leading
    and trailing slashes."""
    if url.startswith(_PREFIX):
        url = url[len(_PREFIX) :].partition("/")[2]
    elif url.startswith(PROTOCOL + "::"):
        url = url[len(PROTOCOL) + 2 :]
    return url.strip("/")


def split_path(path: str) -> tuple[str, str]:
    """``bucket/some/key`` -> ``("bucket", "some/key")``; ``bucket`` -> ``("bucket", "")``."""
    bucket, _, key = path.strip("/").partition("/")
    return bucket, key

"""``storage_options`` as fsspec users pass them -> credentials and client options.

Credentials start from the provider's environment variables
(``CloudCredentials.from_env``: ``AWS_ACCESS_KEY_ID``, ``GOOGLE_CLOUD_PROJECT``...); the
credential options below override them, field by field. Every other option is a field of
the provider's ``ClientOptions`` (``endpoint_url``, ``timeouts``, ``retry``...), checked by
core when the client is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloud_common.core import CloudCredentials, CloudProvider, ValidationError

__all__ = [
    "ALIASES",
    "CREDENTIAL_OPTIONS",
    "FSSPEC_OPTIONS",
    "SECRET_OPTIONS",
    "BridgeOptions",
    "public_options",
]

CREDENTIAL_OPTIONS = ("access_key", "secret_key", "region", "project_id", "profile")
"""Options that set the ``CloudCredentials`` field of the same name (all str)."""

ALIASES = {"key": "access_key", "secret": "secret_key", "project": "project_id"}
"""The names s3fs, adlfs and gcsfs users already pass for the same fields."""

SECRET_OPTIONS = frozenset({"secret_key", "secret", "access_key", "key"})
"""Options whose values are secrets (``metadata`` secrets are found by core's rules)."""

FSSPEC_OPTIONS = frozenset(
    {"use_listings_cache", "listings_expiry_time", "max_paths", "skip_instance_cache"}
)
"""Options fsspec itself consumes (the listings cache, the instance cache)."""


@dataclass(frozen=True)
class BridgeOptions:
    """What one filesystem is built from: credentials and the provider's client options."""

    credentials: CloudCredentials
    client_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        provider: str,
        options: Mapping[str, Any],
        environ: Mapping[str, str] | None = None,
    ) -> BridgeOptions:
        """Split ``options`` (fsspec's own already removed) into credentials and client
        options.

        Raises:
            ValueError: a credential option that is not a str, ``metadata`` that is not a
                dict of str, or the same field under two names. The message names the
                option, never its value.
        """
        creds = CloudCredentials.from_env(provider, environ)
        given: dict[str, str] = {}
        client: dict[str, Any] = {}
        for name, value in options.items():
            target = ALIASES.get(name, name)
            if target == "metadata":
                if not isinstance(value, Mapping) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in value.items()
                ):
                    raise ValidationError("storage option 'metadata' must be a dict of str to str")
                creds.metadata.update(value)
            elif target in CREDENTIAL_OPTIONS:
                if value is None:
                    continue
                if not isinstance(value, str):
                    raise ValidationError(
                        f"storage option {name!r} must be a str, not {type(value).__name__}"
                    )
                if target in given:
                    raise ValidationError(
                        f"storage options {given[target]!r} and {name!r} set the same field"
                    )
                given[target] = name
                setattr(creds, target, value)
            else:
                client[name] = value
        return cls(creds, client)


def public_options(provider: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with every secret value replaced by ``"<redacted>"`` (``metadata``
    secrets by core's rules, as in ``CloudCredentials.to_dict``)."""
    shown = dict(options)
    for name in SECRET_OPTIONS & set(shown):
        shown[name] = "<redacted>"
    if isinstance(shown.get("metadata"), Mapping):
        creds = CloudCredentials(CloudProvider(provider), metadata=dict(shown["metadata"]))
        shown["metadata"] = creds.to_dict()["metadata"]
    return shown

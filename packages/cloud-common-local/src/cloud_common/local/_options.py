"""``LocalOptions``: the options of every local client (storage, compute and serverless)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from cloud_common.core import ClientOptions, CloudCredentials, CloudProvider, ValidationError
from cloud_common.local._root import resolve_root

__all__ = ["DEFAULT_TIMEOUT", "LocalOptions", "LocalSetup", "setup"]

DEFAULT_TIMEOUT = 30.0
"""Seconds an invocation may run when neither the call nor the function sets a timeout."""
MAX_TIMEOUT = 86400.0


@dataclass(frozen=True, kw_only=True)
class LocalOptions(ClientOptions):
    """Options of ``LocalStorageClient``, ``LocalComputeClient`` and ``LocalServerlessClient``.

    Attributes:
        endpoint_url: Where presigned URLs point: the address of the presign server
            (``python -m cloud_common.local serve``). None: ``metadata["endpoint_url"]``,
            ``$CLOUD_COMMON_LOCAL_PRESIGN_URL``, then ``http://127.0.0.1:8765``. The former
            name ``presign_base_url`` is accepted with a ``DeprecationWarning``.
        timeouts: Accepted for portability; the local provider makes no network call.
        retry: Accepted for portability; nothing local is retried.
        root: The root folder (None: ``metadata["root"]``, ``$CLOUD_COMMON_LOCAL_ROOT``,
            then a per-user data folder).
        durable: Storage: ``fsync`` each object before it becomes visible.
        transition_seconds: Compute: how long ``pending``, ``stopping`` and
            ``shutting-down`` last at least (0: until the next call).
        terminated_retention: Compute: seconds a terminated instance stays listed.
        invoke_timeout: Serverless: seconds an invocation may run when neither the call nor
            the function sets a timeout.

    Raises:
        ValidationError: a field of the wrong type or out of its bounds (named).
    """

    ALIASES: ClassVar[Mapping[str, str]] = {
        **ClientOptions.ALIASES,
        "presign_base_url": "endpoint_url",
    }

    root: str | os.PathLike[str] | None = None
    durable: bool = True
    transition_seconds: float = 0.0
    terminated_retention: float = 3600.0
    invoke_timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.endpoint_url is not None and not self.endpoint_url.startswith(
            ("http://", "https://")
        ):
            raise ValidationError(
                f"option endpoint_url={self.endpoint_url!r} is invalid: presigned URLs are "
                "http(s); use the presign server's address, such as http://127.0.0.1:8765"
            )
        for name in ("transition_seconds", "terminated_retention"):
            if not 0 <= getattr(self, name) < float("inf"):
                raise ValidationError(
                    f"option {name}={getattr(self, name)!r} is invalid: must be >= 0 seconds"
                )
        if not 0 < self.invoke_timeout <= MAX_TIMEOUT:
            raise ValidationError(
                f"option invoke_timeout={self.invoke_timeout!r} is invalid: must be a number "
                f"of seconds in (0, {MAX_TIMEOUT:g}]"
            )


class LocalSetup(NamedTuple):
    """What every local client is built from."""

    credentials: CloudCredentials
    options: LocalOptions
    root: Path


def setup(
    credentials: CloudCredentials | None,
    options: LocalOptions | None,
    overrides: Mapping[str, Any],
) -> LocalSetup:
    """Resolve a client's arguments: credentials (None: from the environment), options
    (keywords override fields) and the root folder (created, mode 0700).

    Raises:
        ValidationError: unknown or ill-typed options, an unusable root.
    """
    opts = LocalOptions.resolve(options, overrides)
    creds = (
        credentials if credentials is not None else CloudCredentials.from_env(CloudProvider.LOCAL)
    )
    return LocalSetup(creds, opts, resolve_root(creds, opts.root))

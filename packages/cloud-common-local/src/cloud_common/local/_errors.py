"""The one place where the local provider maps OS and SQLite errors to core errors."""

from __future__ import annotations

import errno
import logging
import sqlite3

from cloud_common.core import (
    CloudError,
    ErrorPolicy,
    PermissionDeniedError,
    ProviderUnavailableError,
)

__all__ = ["PROVIDER_ID", "make_policy", "translate"]

PROVIDER_ID = "local"


def translate(exc: BaseException) -> CloudError | None:
    """Map an ``OSError`` or ``sqlite3.Error`` to a core error (None: not recognised)."""
    if isinstance(exc, PermissionError):
        return PermissionDeniedError(f"the file system refused access: {exc.strerror or exc}")
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        if "locked" in text or "busy" in text:
            return ProviderUnavailableError(f"the compute database stayed busy: {text}")
        return CloudError(f"the compute database failed: {text}")
    if isinstance(exc, sqlite3.Error):
        return CloudError(f"the compute database failed: {exc}")
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return CloudError(f"no space left under the local root: {exc.strerror}")
        return CloudError(f"file system error: {exc.strerror or exc}")
    return None


def make_policy(logger: logging.Logger) -> ErrorPolicy:
    """The error policy of one local client."""
    return ErrorPolicy(PROVIDER_ID, translate, logger=logger)

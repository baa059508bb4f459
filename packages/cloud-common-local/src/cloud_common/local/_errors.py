"""The one place where the local provider maps OS and SQLite errors to core errors
(``ProviderInfo.errors``; core applies it around every driver call)."""

from __future__ import annotations

import errno
import sys

from cloud_common.core import CloudError, PermissionDeniedError, ProviderUnavailableError

__all__ = ["translate"]


def translate(exc: BaseException) -> CloudError | None:
    """Map an ``OSError`` or ``sqlite3.Error`` to a core error (None: not recognised)."""
    if isinstance(exc, PermissionError):
        return PermissionDeniedError(f"the file system refused access: {exc.strerror or exc}")
    sqlite3 = sys.modules.get("sqlite3")  # only the compute client imports it
    if sqlite3 is not None and isinstance(exc, sqlite3.Error):
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            return ProviderUnavailableError(f"the compute database stayed busy: {text}")
        return CloudError(f"the compute database failed: {text}")
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return CloudError(f"no space left under the local root: {exc.strerror}")
        return CloudError(f"file system error: {exc.strerror or exc}")
    return None

"""Core errors as the built-in exceptions fsspec users catch.

=============================================  ==========================================
cloud-common error                             raised by the bridge
=============================================  ==========================================
``NotFoundError`` (object, bucket)              ``FileNotFoundError`` (``ENOENT``)
``PermissionDeniedError``, ``AuthenticationError``  ``PermissionError`` (``EACCES``)
``AlreadyExistsError``                          ``FileExistsError`` (``EEXIST``)
``ConflictError``                               ``OSError`` (``EBUSY``)
``TimeoutError``                                ``TimeoutError`` (``ETIMEDOUT``)
other ``TransientError``                        ``ConnectionError`` (``EAGAIN``)
``ValidationError`` / ``NotSupportedError``     unchanged (``ValueError`` / ``NotImplementedError``)
any other ``CloudError``                        ``OSError`` (``EIO``)
=============================================  ==========================================

The core error is chained (``__cause__``): its provider, operation and resource stay
available. Messages are the core error's text, from which secrets were already scrubbed.
"""

from __future__ import annotations

import builtins
import errno
from collections.abc import Iterator
from contextlib import contextmanager

from cloud_common.core import (
    AlreadyExistsError,
    AuthenticationError,
    CloudError,
    ConflictError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    TimeoutError,  # noqa: A004
    TransientError,
    ValidationError,
)

__all__ = ["os_error", "translated"]


def os_error(exc: CloudError, path: str) -> Exception:
    """The built-in exception standing for ``exc`` on ``path`` (see the module table)."""
    if isinstance(exc, (ValidationError, NotSupportedError)):
        return exc
    text = str(exc)
    if isinstance(exc, NotFoundError):
        return FileNotFoundError(errno.ENOENT, text, path)
    if isinstance(exc, (PermissionDeniedError, AuthenticationError)):
        return PermissionError(errno.EACCES, text, path)
    if isinstance(exc, AlreadyExistsError):
        return FileExistsError(errno.EEXIST, text, path)
    if isinstance(exc, ConflictError):
        return OSError(errno.EBUSY, text, path)
    if isinstance(exc, TimeoutError):
        return builtins.TimeoutError(errno.ETIMEDOUT, text, path)
    if isinstance(exc, TransientError):
        return ConnectionError(errno.EAGAIN, text, path)
    return OSError(errno.EIO, text, path)


@contextmanager
def translated(path: str) -> Iterator[None]:
    """Run a block of client calls on ``path``; a ``CloudError`` leaves it as the built-in
    exception of the module table, chained to it."""
    try:
        yield
    except CloudError as exc:
        error = os_error(exc, path)
        if error is exc:
            raise
        raise error from exc

"""The one place where Acme's own exceptions become cloud-common errors.

``ProviderInfo.errors`` names ``translate``; core applies it to whatever a driver raises.
"""

from __future__ import annotations

from acme_cloud._store import (
    AcmeAuthError,
    AcmeConflict,
    AcmeFunctionFailed,
    AcmeNameTaken,
    AcmeNoSuchBucket,
    AcmeNoSuchKey,
    AcmeNotFound,
    AcmeUnavailable,
)
from cloud_common.core import (
    AlreadyExistsError,
    AuthenticationError,
    BucketNotFoundError,
    CloudError,
    ConflictError,
    FunctionInvocationError,
    FunctionNotFoundError,
    InstanceNotFoundError,
    NotFoundError,
    ObjectNotFoundError,
    ProviderUnavailableError,
)

__all__ = ["translate"]


def translate(exc: BaseException) -> CloudError | None:
    """Map an Acme exception to the core error (None: not recognised, core then raises a
    plain ``CloudError`` and the contract suite flags it)."""
    if isinstance(exc, AcmeFunctionFailed):
        return FunctionInvocationError(
            str(exc), error_type=exc.error_type, payload=exc.payload, status=exc.status
        )
    if isinstance(exc, AcmeAuthError):
        return AuthenticationError(str(exc))
    if isinstance(exc, AcmeNoSuchBucket):
        return BucketNotFoundError(f"no bucket {exc}")
    if isinstance(exc, AcmeNoSuchKey):
        return ObjectNotFoundError(f"no object {exc}")
    if isinstance(exc, AcmeNotFound):
        text = str(exc)
        if text.startswith("instance"):
            return InstanceNotFoundError(f"no {text}")
        if text.startswith("function"):
            return FunctionNotFoundError(f"no {text}")
        return NotFoundError(f"no {text}")
    if isinstance(exc, AcmeNameTaken):
        return AlreadyExistsError(str(exc))
    if isinstance(exc, AcmeConflict):
        return ConflictError(str(exc))
    if isinstance(exc, (AcmeUnavailable, OSError)):
        return ProviderUnavailableError(f"the account store is unusable: {exc}")
    return None

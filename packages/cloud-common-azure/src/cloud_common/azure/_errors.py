"""The one map from ``azure.core.exceptions`` to cloud-common errors.

``translate(exc)`` looks at, in order: the service's error code (Blob Storage's
``x-ms-error-code``, Resource Manager's ``error.code``: the table ``ERROR_CODES``), then
the HTTP status (``STATUS_CODES``), then the exception class (transport failures,
credentials that cannot produce a token). A bare ``404`` is attributed by the URL it
answered (``/virtualMachines/`` -> instance, ``/sites/`` -> function, blob paths by the
error code).
"""

from __future__ import annotations

from typing import Any

from cloud_common.core.errors import (
    AlreadyExistsError,
    AuthenticationError,
    BucketNotFoundError,
    CloudError,
    ConflictError,
    FunctionNotFoundError,
    InstanceNotFoundError,
    NotFoundError,
    NotSupportedError,
    ObjectNotFoundError,
    PermissionDeniedError,
    ProviderUnavailableError,
    RateLimitedError,
    TimeoutError,  # noqa: A004 - the core error, a builtins.TimeoutError subclass
    ValidationError,
)

__all__ = ["ERROR_CODES", "STATUS_CODES", "translate"]

ERROR_CODES: dict[str, type[CloudError]] = {
    # -- Blob Storage
    "ContainerNotFound": BucketNotFoundError,
    "BlobNotFound": ObjectNotFoundError,
    "CannotVerifyCopySource": ObjectNotFoundError,
    "ContainerAlreadyExists": AlreadyExistsError,
    "BlobAlreadyExists": AlreadyExistsError,
    "ContainerBeingDeleted": ConflictError,
    "ContainerDisabled": ConflictError,
    "LeaseIdMissing": ConflictError,
    "LeaseAlreadyPresent": ConflictError,
    "ConditionNotMet": ConflictError,
    "InvalidRange": ValidationError,
    "InvalidBlobOrBlock": ValidationError,
    "InvalidMetadata": ValidationError,
    "InvalidResourceName": ValidationError,
    "OutOfRangeInput": ValidationError,
    "InvalidHeaderValue": ValidationError,
    "MissingRequiredHeader": ValidationError,
    "RequestBodyTooLarge": ValidationError,
    "AuthenticationFailed": AuthenticationError,
    "AuthorizationFailure": PermissionDeniedError,
    "AuthorizationPermissionMismatch": PermissionDeniedError,
    "AuthorizationResourceTypeMismatch": PermissionDeniedError,
    "AccountIsDisabled": PermissionDeniedError,
    "ServerBusy": RateLimitedError,
    "InternalError": ProviderUnavailableError,
    "OperationTimedOut": TimeoutError,
    # -- Resource Manager
    "ResourceNotFound": NotFoundError,
    "NotFound": NotFoundError,
    "ResourceGroupNotFound": ValidationError,
    "SubscriptionNotFound": AuthenticationError,
    "InvalidAuthenticationToken": AuthenticationError,
    "InvalidAuthenticationTokenTenant": AuthenticationError,
    "ExpiredAuthenticationToken": AuthenticationError,
    "AuthorizationFailed": PermissionDeniedError,
    "LinkedAuthorizationFailed": PermissionDeniedError,
    "OperationNotAllowed": ConflictError,
    "Conflict": ConflictError,
    "OperationPreempted": ConflictError,
    "InvalidParameter": ValidationError,
    "InvalidRequestContent": ValidationError,
    "InvalidTemplate": ValidationError,
    "BadRequest": ValidationError,
    "ImageNotFound": ValidationError,
    "PlatformImageNotFound": ValidationError,
    "InvalidResourceReference": ValidationError,
    "SkuNotAvailable": ValidationError,
    "QuotaExceeded": RateLimitedError,
    "TooManyRequests": RateLimitedError,
    "RetryableError": ProviderUnavailableError,
    "InternalServerError": ProviderUnavailableError,
    "ServiceUnavailable": ProviderUnavailableError,
    "GatewayTimeout": TimeoutError,
}
"""Service error code -> core error class (Blob Storage and Resource Manager codes)."""

STATUS_CODES: dict[int, type[CloudError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: NotSupportedError,
    409: ConflictError,
    412: ConflictError,
    413: ValidationError,
    416: ValidationError,
    429: RateLimitedError,
    500: ProviderUnavailableError,
    501: NotSupportedError,
    502: ProviderUnavailableError,
    503: ProviderUnavailableError,
    504: TimeoutError,
}
"""HTTP status -> core error class, for codes missing from ``ERROR_CODES``."""

# URL path parts -> the not-found error of the resource they address (ARM answers a plain
# ``ResourceNotFound`` for every resource type).
_NOT_FOUND_BY_PATH: tuple[tuple[str, type[NotFoundError]], ...] = (
    ("/providers/microsoft.compute/virtualmachines/", InstanceNotFoundError),
    ("/providers/microsoft.web/sites/", FunctionNotFoundError),
)

# azure-core exception classes matched along the MRO (so subclasses count), most
# specific first.
_BY_CLASS_NAME: dict[str, type[CloudError]] = {
    "CredentialUnavailableError": AuthenticationError,
    "ClientAuthenticationError": AuthenticationError,
    "ServiceRequestTimeoutError": TimeoutError,
    "ServiceResponseTimeoutError": TimeoutError,
    "ServiceRequestError": ProviderUnavailableError,
    "ServiceResponseError": ProviderUnavailableError,
    "IncompleteReadError": ProviderUnavailableError,
    "DecodeError": ProviderUnavailableError,
    "TooManyRedirectsError": ProviderUnavailableError,
    "ResourceNotFoundError": NotFoundError,
    "ResourceExistsError": AlreadyExistsError,
    "ResourceModifiedError": ConflictError,
    "ResourceNotModifiedError": ConflictError,
}


def _code(exc: BaseException) -> str:
    code: Any = getattr(exc, "error_code", None)
    if code is None:
        error = getattr(exc, "error", None)  # ARM's ODataV4Format / ARMErrorFormat
        code = getattr(error, "code", None)
    code = getattr(code, "value", code)  # StorageErrorCode is a str Enum
    return str(code) if code else ""


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _url(exc: BaseException) -> str:
    response: Any = getattr(exc, "response", None)
    request: Any = getattr(response, "request", None)
    return str(getattr(request, "url", "") or "").lower()


def _message(exc: BaseException, code: str) -> str:
    reason = getattr(exc, "reason", None)
    text = str(getattr(exc, "message", None) or exc).strip().splitlines()
    first = text[0] if text else ""
    if not first and reason:
        first = str(reason)
    return f"{code}: {first}" if code and not first.startswith(code) else first or "no message"


def translate(exc: BaseException) -> CloudError | None:
    """The cloud-common error for an Azure SDK exception, or None when it is not one.

    The caller (``ErrorPolicy``) chains ``exc`` and fills in provider, operation and resource.
    """
    if isinstance(exc, CloudError):
        return exc
    names = [cls.__name__ for cls in type(exc).__mro__]
    if "AzureError" not in names:
        return None
    code = _code(exc)
    status = _status(exc)
    cls = ERROR_CODES.get(code)
    if cls is None and status is not None:
        cls = STATUS_CODES.get(status) or (ProviderUnavailableError if status >= 500 else None)
    if cls is None:
        cls = next((_BY_CLASS_NAME[n] for n in names if n in _BY_CLASS_NAME), None)
    if cls is NotFoundError:
        url = _url(exc)
        cls = next((c for part, c in _NOT_FOUND_BY_PATH if part in url), NotFoundError)
    return (cls or CloudError)(_message(exc, code))

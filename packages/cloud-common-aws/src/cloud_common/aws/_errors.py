"""The one map from botocore / boto3 / s3transfer exceptions to cloud-common errors.

``translate(exc)`` looks at, in order: the AWS error code of a ``ClientError`` (the table
``ERROR_CODES``), then its HTTP status (``STATUS_CODES``), then the exception class
(connection problems, missing credentials, parameter validation). A ``404`` without a
telling code is attributed by the API operation (``HeadObject`` -> object, ``HeadBucket`` ->
bucket...). Wrapper exceptions (boto3's ``S3UploadFailedError``, s3transfer's
``RetriesExceededError``) are unwrapped first.
"""

from __future__ import annotations

import re
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

__all__ = ["ERROR_CODES", "STATUS_CODES", "error_code", "translate"]

ERROR_CODES: dict[str, type[CloudError]] = {
    # -- not found
    "NoSuchBucket": BucketNotFoundError,
    "NoSuchKey": ObjectNotFoundError,
    "NoSuchVersion": ObjectNotFoundError,
    "NoSuchUpload": NotFoundError,
    "InvalidInstanceID.NotFound": InstanceNotFoundError,
    "InvalidInstanceID.Malformed": InstanceNotFoundError,  # no instance can have that id
    "ResourceNotFoundException": FunctionNotFoundError,
    "NoSuchEntity": NotFoundError,
    "InvalidAMIID.NotFound": ValidationError,
    "InvalidAMIID.Malformed": ValidationError,
    "InvalidKeyPair.NotFound": ValidationError,
    "InvalidGroup.NotFound": ValidationError,
    "InvalidSubnetID.NotFound": ValidationError,
    # -- already exists / conflicts
    "BucketAlreadyExists": AlreadyExistsError,
    "BucketAlreadyOwnedByYou": AlreadyExistsError,
    "EntityAlreadyExists": AlreadyExistsError,
    "BucketNotEmpty": ConflictError,
    "OperationAborted": ConflictError,
    "IncorrectInstanceState": ConflictError,
    "IncorrectState": ConflictError,
    "OperationNotPermitted": ConflictError,
    "ResourceConflictException": ConflictError,
    "ResourceInUseException": ConflictError,
    "PreconditionFailed": ConflictError,
    "InvalidObjectState": ConflictError,
    "MethodNotAllowed": ConflictError,
    # -- invalid arguments
    "InvalidBucketName": ValidationError,
    "InvalidArgument": ValidationError,
    "InvalidRequest": ValidationError,
    "InvalidRange": ValidationError,
    "InvalidParameter": ValidationError,
    "InvalidParameterValue": ValidationError,
    "InvalidParameterValueException": ValidationError,
    "InvalidParameterCombination": ValidationError,
    "MissingParameter": ValidationError,
    "ValidationError": ValidationError,
    "ValidationException": ValidationError,
    "MalformedXML": ValidationError,
    "KeyTooLongError": ValidationError,
    "EntityTooLarge": ValidationError,
    "EntityTooSmall": ValidationError,
    "InvalidLocationConstraint": ValidationError,
    "IllegalLocationConstraintException": ValidationError,
    "InvalidInstanceType": ValidationError,
    "Unsupported": ValidationError,
    "RequestTooLargeException": ValidationError,
    "CodeStorageExceededException": ConflictError,
    "InvalidZipFileException": ValidationError,
    "InvalidRuntimeException": ValidationError,
    "UnsupportedMediaTypeException": ValidationError,
    "InvalidRequestContentException": ValidationError,
    # -- credentials
    "InvalidAccessKeyId": AuthenticationError,
    "SignatureDoesNotMatch": AuthenticationError,
    "InvalidSignatureException": AuthenticationError,
    "IncompleteSignature": AuthenticationError,
    "InvalidClientTokenId": AuthenticationError,
    "UnrecognizedClientException": AuthenticationError,
    "MissingAuthenticationToken": AuthenticationError,
    "AuthFailure": AuthenticationError,
    "InvalidToken": AuthenticationError,
    "ExpiredToken": AuthenticationError,
    "ExpiredTokenException": AuthenticationError,
    "TokenRefreshRequired": AuthenticationError,
    "RequestExpired": AuthenticationError,
    "RequestTimeTooSkewed": AuthenticationError,
    "InvalidSecurity": AuthenticationError,
    "NotSignedUp": AuthenticationError,
    "OptInRequired": PermissionDeniedError,
    # -- permissions
    "AccessDenied": PermissionDeniedError,
    "AccessDeniedException": PermissionDeniedError,
    "AllAccessDisabled": PermissionDeniedError,
    "UnauthorizedOperation": PermissionDeniedError,
    "AuthorizationError": PermissionDeniedError,
    "Forbidden": PermissionDeniedError,
    "KMSAccessDeniedException": PermissionDeniedError,
    # -- throttling
    "SlowDown": RateLimitedError,
    "Throttling": RateLimitedError,
    "ThrottlingException": RateLimitedError,
    "ThrottledException": RateLimitedError,
    "RequestThrottled": RateLimitedError,
    "RequestThrottledException": RateLimitedError,
    "TooManyRequestsException": RateLimitedError,
    "RequestLimitExceeded": RateLimitedError,
    "ProvisionedThroughputExceededException": RateLimitedError,
    "BandwidthLimitExceeded": RateLimitedError,
    "EC2ThrottledException": RateLimitedError,
    "PriorRequestNotComplete": RateLimitedError,
    "InstanceLimitExceeded": RateLimitedError,
    "VcpuLimitExceeded": RateLimitedError,
    # -- the provider is unwell
    "InternalError": ProviderUnavailableError,
    "InternalFailure": ProviderUnavailableError,
    "ServiceUnavailable": ProviderUnavailableError,
    "ServiceUnavailableException": ProviderUnavailableError,
    "ServiceException": ProviderUnavailableError,
    "Unavailable": ProviderUnavailableError,
    "InsufficientInstanceCapacity": ProviderUnavailableError,
    "EC2UnexpectedException": ProviderUnavailableError,
    "ResourceNotReadyException": ProviderUnavailableError,
    "RequestTimeout": TimeoutError,
    "RequestTimeoutException": TimeoutError,
    # -- not offered
    "NotImplemented": NotSupportedError,
}
"""AWS error code -> core error class (S3, EC2, Lambda, IAM, STS codes)."""

STATUS_CODES: dict[int, type[CloudError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: ConflictError,
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

# API operation -> the not-found error of the resource it is about (a bare 404 on HEAD).
_NOT_FOUND_BY_OPERATION: dict[str, type[NotFoundError]] = {
    "HeadBucket": BucketNotFoundError,
    "DeleteBucket": BucketNotFoundError,
    "GetBucketLocation": BucketNotFoundError,
    "ListObjects": BucketNotFoundError,
    "ListObjectsV2": BucketNotFoundError,
    "HeadObject": ObjectNotFoundError,
    "GetObject": ObjectNotFoundError,
    "CopyObject": ObjectNotFoundError,
    "UploadPartCopy": ObjectNotFoundError,
    "DescribeInstances": InstanceNotFoundError,
    "StartInstances": InstanceNotFoundError,
    "StopInstances": InstanceNotFoundError,
    "TerminateInstances": InstanceNotFoundError,
    "GetFunction": FunctionNotFoundError,
    "GetFunctionConfiguration": FunctionNotFoundError,
    "Invoke": FunctionNotFoundError,
    "DeleteFunction": FunctionNotFoundError,
}

# Class names of botocore / urllib3 exceptions (matched along the MRO, so subclasses count).
_BY_CLASS_NAME: dict[str, type[CloudError]] = {
    "NoCredentialsError": AuthenticationError,
    "PartialCredentialsError": AuthenticationError,
    "ProfileNotFound": AuthenticationError,
    "CredentialRetrievalError": AuthenticationError,
    "UnauthorizedSSOTokenError": AuthenticationError,
    "TokenRetrievalError": AuthenticationError,
    "SSOTokenLoadError": AuthenticationError,
    "InvalidConfigError": ValidationError,
    "NoRegionError": ValidationError,
    "ParamValidationError": ValidationError,
    "InvalidRegionError": ValidationError,
    "InvalidS3AddressingStyleError": ValidationError,
    "UnknownServiceError": ValidationError,
    "WaiterError": TimeoutError,
    "TimeoutError": TimeoutError,
}

_BROKE_MID_ANSWER = ("ResponseStreamingError", "IncompleteReadError", "IncompleteRead")


def _where(exc: BaseException) -> str:
    """``scheme://host:port`` of the endpoint a botocore network error names."""
    kwargs = getattr(exc, "kwargs", None)
    url = str((kwargs or {}).get("endpoint_url") or "")
    if "://" not in url:
        return "the endpoint"
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _transport_error(exc: BaseException) -> CloudError | None:
    """Network failures in one line, in the words every provider uses: what could not be
    reached, and how it failed."""
    names = _class_names(exc)
    where = _where(exc)
    if "ConnectTimeoutError" in names:
        return TimeoutError(f"could not connect to {where} in time (Timeouts.connect)")
    if "ReadTimeoutError" in names:
        return TimeoutError(f"no answer from {where} in time (Timeouts.read)")
    if any(name in names for name in _BROKE_MID_ANSWER):
        return ProviderUnavailableError(f"the connection to {where} broke mid-answer")
    if "ConnectionClosedError" in names:
        return ProviderUnavailableError(f"could not reach {where}: the connection was reset")
    if "EndpointConnectionError" in names:
        reason = str((getattr(exc, "kwargs", None) or {}).get("error") or exc).lower()
        if "refused" in reason:
            how = "connection refused"
        elif "name or service" in reason or "resolve" in reason or "getaddrinfo" in reason:
            how = "the host name does not resolve"
        else:
            how = "the connection failed"
        return ProviderUnavailableError(f"could not reach {where}: {how}")
    if "HTTPClientError" in names or "ConnectionError" in names or "ProtocolError" in names:
        return ProviderUnavailableError(f"the connection to {where} failed: {type(exc).__name__}")
    return None


# Wrappers that carry the real failure as their cause (or ``last_exception``).
_WRAPPERS = ("S3UploadFailedError", "RetriesExceededError", "S3TransferFailedError")


def _class_names(exc: BaseException) -> list[str]:
    return [cls.__name__ for cls in type(exc).__mro__]


def _client_error_parts(
    exc: BaseException,
) -> tuple[str, int | None, str, str, dict[str, Any]] | None:
    response: Any = getattr(exc, "response", None)
    if not isinstance(response, dict) or "Error" not in response:
        return None
    error = response.get("Error") or {}
    code = str(error.get("Code") or "")
    meta = response.get("ResponseMetadata") or {}
    status = meta.get("HTTPStatusCode")
    message = str(error.get("Message") or "")
    operation = str(getattr(exc, "operation_name", "") or "")
    fields = dict(error) if isinstance(error, dict) else {}
    return code, status if isinstance(status, int) else None, message, operation, fields


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    parts = _client_error_parts(exc)
    return parts[0] if parts is not None else ""


_FUNCTION_IN_TEXT = re.compile(r"function:([A-Za-z0-9_-]+)")
_INSTANCE_IN_TEXT = re.compile(r"'(i-[0-9a-zA-Z]+)'")


def _absent(cls: type[CloudError] | None, fields: dict[str, Any], message: str) -> str | None:
    """The words every provider uses for a missing resource (``bucket 'b' does not exist``,
    ``no object 'k' in bucket 'b'``, ``no function 'f'``, ``no instance 'i-1'``), named
    from what AWS's error document says; None for other errors."""
    bucket, key = fields.get("BucketName"), fields.get("Key")
    if cls is BucketNotFoundError:
        return f"bucket {bucket!r} does not exist" if bucket else "the bucket does not exist"
    if cls is ObjectNotFoundError:
        if key and bucket:
            return f"no object {key!r} in bucket {bucket!r}"
        return f"no object {key!r}" if key else "the object does not exist"
    if cls is FunctionNotFoundError:
        found = _FUNCTION_IN_TEXT.search(message)
        return f"no function {found.group(1)!r}" if found else "the function does not exist"
    if cls is InstanceNotFoundError:
        found = _INSTANCE_IN_TEXT.search(message)
        return f"no instance {found.group(1)!r}" if found else "the instance does not exist"
    return None


def _translate_client_error(
    code: str, status: int | None, message: str, operation: str, fields: dict[str, Any]
) -> CloudError:
    cls = ERROR_CODES.get(code)
    if code == "ResourceConflictException" and operation == "CreateFunction":
        cls = AlreadyExistsError
    elif code == "AccessDenied" and "object lock" in message.lower():
        cls = ConflictError  # a retention lock refused the call: the object's state, not auth
    if cls is None and code.isdigit():
        status = status or int(code)
    if cls is None and status is not None:
        cls = STATUS_CODES.get(status) or (ProviderUnavailableError if status >= 500 else None)
    if cls is NotFoundError or (cls is None and status == 404):
        cls = _NOT_FOUND_BY_OPERATION.get(operation, NotFoundError)
    absent = _absent(cls, fields, message)
    if absent is not None:  # the common words, then AWS's code and operation
        source = code if code and not code.isdigit() else f"HTTP {status or code}"
        where = f", AWS {operation}" if operation else ""
        return (cls or CloudError)(f"{absent} ({source}{where})")
    text = message or (f"HTTP {status}" if status else "no message")
    detail = f"{code}: {text}" if code and not code.isdigit() else text
    if operation:
        detail = f"{detail} (AWS {operation})"
    return (cls or CloudError)(detail)


def translate(exc: BaseException) -> CloudError | None:
    """The cloud-common error for an SDK exception, or None when it is not an SDK error.

    The caller (``ErrorPolicy``) chains ``exc`` and fills in provider, operation and resource.
    """
    seen: set[int] = set()
    while type(exc).__name__ in _WRAPPERS and id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "last_exception", None) or exc.__cause__ or exc.__context__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    if isinstance(exc, CloudError):
        return exc
    parts = _client_error_parts(exc)
    if parts is not None:
        return _translate_client_error(*parts)
    network = _transport_error(exc)
    if network is not None:
        return network
    for name in _class_names(exc):
        cls = _BY_CLASS_NAME.get(name)
        if cls is not None:
            return cls(f"{type(exc).__name__}: {exc}")
    if type(exc).__name__ in _WRAPPERS:
        return ProviderUnavailableError(f"{type(exc).__name__}: {exc}")
    return None

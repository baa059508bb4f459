"""The error table, code by code (a pure mapping: exceptions built, nothing mocked)."""

from __future__ import annotations

import pytest
from botocore import exceptions as bx
from s3transfer.exceptions import RetriesExceededError

from cloud_common.aws._errors import ERROR_CODES, STATUS_CODES, translate
from cloud_common.core import (
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
    TimeoutError,  # noqa: A004
    TransientError,
    ValidationError,
)


def client_error(
    code: str, status: int = 400, operation: str = "GetObject", message: str = "m"
) -> bx.ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return bx.ClientError(response, operation)


EXPECTED = {
    "NoSuchBucket": BucketNotFoundError,
    "NoSuchKey": ObjectNotFoundError,
    "InvalidInstanceID.NotFound": InstanceNotFoundError,
    "InvalidInstanceID.Malformed": InstanceNotFoundError,
    "ResourceNotFoundException": FunctionNotFoundError,
    "BucketAlreadyExists": AlreadyExistsError,
    "BucketAlreadyOwnedByYou": AlreadyExistsError,
    "BucketNotEmpty": ConflictError,
    "IncorrectInstanceState": ConflictError,
    "OperationNotPermitted": ConflictError,
    "InvalidBucketName": ValidationError,
    "InvalidRange": ValidationError,
    "InvalidParameterValueException": ValidationError,
    "InvalidAccessKeyId": AuthenticationError,
    "SignatureDoesNotMatch": AuthenticationError,
    "ExpiredToken": AuthenticationError,
    "AuthFailure": AuthenticationError,
    "UnrecognizedClientException": AuthenticationError,
    "AccessDenied": PermissionDeniedError,
    "UnauthorizedOperation": PermissionDeniedError,
    "SlowDown": RateLimitedError,
    "Throttling": RateLimitedError,
    "ThrottlingException": RateLimitedError,
    "TooManyRequestsException": RateLimitedError,
    "RequestLimitExceeded": RateLimitedError,
    "InternalError": ProviderUnavailableError,
    "ServiceUnavailable": ProviderUnavailableError,
    "ServiceException": ProviderUnavailableError,
    "RequestTimeout": TimeoutError,
    "NotImplemented": NotSupportedError,
}


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_every_code_of_the_table_translates_to_its_class(code: str) -> None:
    error = translate(client_error(code, operation="SomeCall"))
    assert type(error) is ERROR_CODES[code]
    assert code in error.message


@pytest.mark.parametrize(("code", "cls"), sorted(EXPECTED.items()))
def test_the_codes_that_matter_map_as_designed(code: str, cls: type[CloudError]) -> None:
    assert type(translate(client_error(code))) is cls


@pytest.mark.parametrize("status", sorted(STATUS_CODES))
def test_an_unknown_code_falls_back_on_the_http_status(status: int) -> None:
    error = translate(client_error("SomethingNew", status, operation="SomeCall"))
    assert type(error) is STATUS_CODES[status]


def test_an_unknown_5xx_is_provider_unavailable_and_retryable() -> None:
    error = translate(client_error("Weird", 599))
    assert isinstance(error, ProviderUnavailableError)
    assert error.retryable is True


@pytest.mark.parametrize(
    ("operation", "cls"),
    [
        ("HeadObject", ObjectNotFoundError),
        ("HeadBucket", BucketNotFoundError),
        ("DescribeInstances", InstanceNotFoundError),
        ("GetFunction", FunctionNotFoundError),
        ("ListTagsForResource", NotFoundError),
    ],
)
def test_a_bare_404_is_attributed_by_the_operation(operation: str, cls: type) -> None:
    assert type(translate(client_error("404", 404, operation))) is cls


def test_creating_an_existing_function_is_already_exists() -> None:
    error = translate(client_error("ResourceConflictException", 409, "CreateFunction"))
    assert type(error) is AlreadyExistsError
    assert type(translate(client_error("ResourceConflictException", 409, "DeleteFunction"))) is (
        ConflictError
    )


def test_object_lock_refusal_is_a_conflict_not_an_auth_problem() -> None:
    error = translate(client_error("AccessDenied", 403, "DeleteObject", "Object Lock retention"))
    assert type(error) is ConflictError


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (bx.NoCredentialsError(), AuthenticationError),
        (bx.PartialCredentialsError(provider="env", cred_var="x"), AuthenticationError),
        (bx.ProfileNotFound(profile="nope"), AuthenticationError),
        (bx.NoRegionError(), ValidationError),
        (bx.ParamValidationError(report="bad"), ValidationError),
        (bx.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), ProviderUnavailableError),
        (bx.ConnectionClosedError(endpoint_url="http://127.0.0.1:1"), ProviderUnavailableError),
        (bx.ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"), TimeoutError),
        (bx.ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), TimeoutError),
        (ConnectionResetError(104, "reset"), ProviderUnavailableError),
    ],
)
def test_sdk_exception_classes(exc: BaseException, cls: type) -> None:
    assert type(translate(exc)) is cls


def test_wrappers_are_unwrapped_to_the_real_failure() -> None:
    wrapped = RetriesExceededError(last_exception=client_error("SlowDown", 503))
    assert type(translate(wrapped)) is RateLimitedError
    from boto3.exceptions import S3UploadFailedError

    outer = S3UploadFailedError("Failed to upload")
    outer.__cause__ = client_error("NoSuchBucket", 404, "PutObject")
    assert type(translate(outer)) is BucketNotFoundError


def test_transient_errors_are_retryable_and_others_are_not() -> None:
    throttled = translate(client_error("SlowDown", 503))
    denied = translate(client_error("AccessDenied", 403))
    assert isinstance(throttled, TransientError) and throttled.retryable is True
    assert denied is not None and denied.retryable is False


def test_a_foreign_exception_is_not_claimed() -> None:
    assert translate(KeyError("x")) is None

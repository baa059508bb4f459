"""The one map from Google SDK errors to core errors, class by class."""

from __future__ import annotations

import concurrent.futures
from typing import ClassVar

import pytest
import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from cloud_common.core import (
    AlreadyExistsError,
    AuthenticationError,
    BucketNotFoundError,
    CloudError,
    ConflictError,
    FunctionNotFoundError,
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
from cloud_common.gcp._errors import storage_not_found, translate

API_CORE = [
    (gexc.BadRequest("x"), ValidationError),
    (gexc.InvalidArgument("x"), ValidationError),
    (gexc.FailedPrecondition("x"), ConflictError),
    (gexc.OutOfRange("x"), ValidationError),
    (gexc.Unauthorized("x"), AuthenticationError),
    (gexc.Unauthenticated("x"), AuthenticationError),
    (gexc.Forbidden("x"), PermissionDeniedError),
    (gexc.PermissionDenied("x"), PermissionDeniedError),
    (gexc.Forbidden("x", errors=[{"reason": "rateLimitExceeded"}]), RateLimitedError),
    (gexc.NotFound("x"), NotFoundError),
    (gexc.MethodNotAllowed("x"), NotSupportedError),
    (gexc.Conflict("x"), ConflictError),
    (gexc.AlreadyExists("x"), AlreadyExistsError),
    (gexc.Aborted("x"), ConflictError),
    (gexc.LengthRequired("x"), CloudError),
    (gexc.PreconditionFailed("x"), ConflictError),
    (gexc.RequestRangeNotSatisfiable("x"), ValidationError),
    (gexc.TooManyRequests("x"), RateLimitedError),
    (gexc.ResourceExhausted("x"), RateLimitedError),
    (gexc.Cancelled("x"), CloudError),
    (gexc.InternalServerError("x"), ProviderUnavailableError),
    (gexc.Unknown("x"), ProviderUnavailableError),
    (gexc.DataLoss("x"), ProviderUnavailableError),
    (gexc.MethodNotImplemented("x"), NotSupportedError),
    (gexc.BadGateway("x"), ProviderUnavailableError),
    (gexc.ServiceUnavailable("x"), ProviderUnavailableError),
    (gexc.GatewayTimeout("x"), TimeoutError),
    (gexc.DeadlineExceeded("x"), TimeoutError),
    (gexc.RetryError("gave up", cause=gexc.ServiceUnavailable("down")), ProviderUnavailableError),
    (gexc.ResumableTransferError("x"), ProviderUnavailableError),
    (gexc.TransferStalledError("x"), TimeoutError),
    (gexc.MissingStatusHeaderError("x"), ProviderUnavailableError),
    (gexc.UploadCancelledError("x"), CloudError),
    (gexc.UnseekableStreamError("x"), ValidationError),
    (gexc.RetryError("gave up", cause=None), TimeoutError),
]
AUTH = [
    (auth_exc.RefreshError("bad grant"), AuthenticationError),
    (auth_exc.DefaultCredentialsError("none"), AuthenticationError),
    (auth_exc.TransportError("dns"), ProviderUnavailableError),
    (auth_exc.MalformedError("bad json"), AuthenticationError),
    (auth_exc.GoogleAuthError("other"), AuthenticationError),
]
TRANSPORT = [
    (requests.exceptions.ConnectionError("reset"), ProviderUnavailableError),
    (requests.exceptions.ChunkedEncodingError("cut"), ProviderUnavailableError),
    (requests.exceptions.ReadTimeout("slow"), TimeoutError),
    (requests.exceptions.ConnectTimeout("slow"), TimeoutError),
    (concurrent.futures.TimeoutError(), TimeoutError),
    (ConnectionResetError(), ProviderUnavailableError),
]


@pytest.mark.parametrize(
    ("exc", "expected"),
    API_CORE + AUTH + TRANSPORT,
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else v.__name__,
)
def test_each_sdk_error_class_maps_to_one_core_error(exc: BaseException, expected: type) -> None:
    err = translate(exc)
    assert err is not None
    assert type(err) is expected


def test_every_api_core_http_class_is_covered() -> None:
    covered = {type(exc) for exc, _ in API_CORE}
    http_classes = {
        cls
        for cls in vars(gexc).values()
        if isinstance(cls, type)
        and issubclass(cls, gexc.GoogleAPICallError)
        and cls.__module__ == gexc.__name__
        and cls
        not in (gexc.GoogleAPICallError, gexc.ClientError, gexc.ServerError, gexc.Redirection)
        and not issubclass(cls, gexc.Redirection)
    }
    assert http_classes - covered == set()


def test_transient_errors_are_retryable() -> None:
    for exc in (gexc.ServiceUnavailable("x"), gexc.TooManyRequests("x")):
        err = translate(exc)
        assert isinstance(err, TransientError) and err.retryable


def test_not_found_takes_the_resource_kind() -> None:
    assert type(translate(gexc.NotFound("x"), FunctionNotFoundError)) is FunctionNotFoundError
    assert (
        storage_not_found(gexc.NotFound("The specified bucket does not exist."))
        is BucketNotFoundError
    )
    assert storage_not_found(gexc.NotFound("No such object: b/k")) is ObjectNotFoundError


def test_conflict_on_create_means_already_exists() -> None:
    assert (
        type(translate(gexc.Conflict("taken"), conflict=AlreadyExistsError)) is AlreadyExistsError
    )


def test_resumable_media_errors_are_mapped() -> None:
    from google.resumable_media import common

    class Response:
        status_code = 503
        headers: ClassVar[dict[str, str]] = {}

    err = translate(common.InvalidResponse(Response(), "bad"))
    assert type(err) is ProviderUnavailableError
    corrupted = translate(common.DataCorruption(Response(), "crc32c mismatch"))
    assert type(corrupted) is TransientError
    assert "checksum" in corrupted.message


def test_unknown_exceptions_are_left_to_the_policy() -> None:
    assert translate(KeyError("x")) is None

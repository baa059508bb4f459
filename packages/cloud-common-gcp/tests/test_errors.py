"""The one map from Google SDK errors to core errors, class by class."""

from __future__ import annotations

import concurrent.futures
from typing import Any, ClassVar

import pytest
import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from cloud_common.core import (
    AlreadyExistsError,
    AuthenticationError,
    CloudError,
    ConflictError,
    NotFoundError,
    NotSupportedError,
    PermissionDeniedError,
    ProviderUnavailableError,
    RateLimitedError,
    TimeoutError,  # noqa: A004
    TransientError,
    ValidationError,
)
from cloud_common.gcp._errors import translate


def build(cls: type[BaseException], *args: Any, **kwargs: Any) -> BaseException:
    """An SDK exception (the SDKs' constructors are untyped)."""
    return cls(*args, **kwargs)


API_CORE = [
    (build(gexc.BadRequest, "x"), ValidationError),
    (build(gexc.InvalidArgument, "x"), ValidationError),
    (build(gexc.FailedPrecondition, "x"), ConflictError),
    (build(gexc.OutOfRange, "x"), ValidationError),
    (build(gexc.Unauthorized, "x"), AuthenticationError),
    (build(gexc.Unauthenticated, "x"), AuthenticationError),
    (build(gexc.Forbidden, "x"), PermissionDeniedError),
    (build(gexc.PermissionDenied, "x"), PermissionDeniedError),
    (build(gexc.Forbidden, "x", errors=[{"reason": "rateLimitExceeded"}]), RateLimitedError),
    (build(gexc.NotFound, "x"), NotFoundError),
    (build(gexc.MethodNotAllowed, "x"), NotSupportedError),
    (build(gexc.Conflict, "x"), ConflictError),
    (build(gexc.AlreadyExists, "x"), AlreadyExistsError),
    (build(gexc.Aborted, "x"), ConflictError),
    (build(gexc.LengthRequired, "x"), CloudError),
    (build(gexc.PreconditionFailed, "x"), ConflictError),
    (build(gexc.RequestRangeNotSatisfiable, "x"), ValidationError),
    (build(gexc.TooManyRequests, "x"), RateLimitedError),
    (build(gexc.ResourceExhausted, "x"), RateLimitedError),
    (build(gexc.Cancelled, "x"), CloudError),
    (build(gexc.InternalServerError, "x"), ProviderUnavailableError),
    (build(gexc.Unknown, "x"), ProviderUnavailableError),
    (build(gexc.DataLoss, "x"), ProviderUnavailableError),
    (build(gexc.MethodNotImplemented, "x"), NotSupportedError),
    (build(gexc.BadGateway, "x"), ProviderUnavailableError),
    (build(gexc.ServiceUnavailable, "x"), ProviderUnavailableError),
    (build(gexc.GatewayTimeout, "x"), TimeoutError),
    (build(gexc.DeadlineExceeded, "x"), TimeoutError),
    (
        build(gexc.RetryError, "gave up", cause=build(gexc.ServiceUnavailable, "down")),
        ProviderUnavailableError,
    ),
    (build(gexc.ResumableTransferError, "x"), ProviderUnavailableError),
    (build(gexc.TransferStalledError, "x"), TimeoutError),
    (build(gexc.MissingStatusHeaderError, "x"), ProviderUnavailableError),
    (build(gexc.UploadCancelledError, "x"), CloudError),
    (build(gexc.UnseekableStreamError, "x"), ValidationError),
    (build(gexc.RetryError, "gave up", cause=None), TimeoutError),
]
AUTH = [
    (build(auth_exc.RefreshError, "bad grant"), AuthenticationError),
    (build(auth_exc.DefaultCredentialsError, "none"), AuthenticationError),
    (build(auth_exc.TransportError, "dns"), ProviderUnavailableError),
    (build(auth_exc.MalformedError, "bad json"), AuthenticationError),
    (build(auth_exc.GoogleAuthError, "other"), AuthenticationError),
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
    [*API_CORE, *AUTH, *TRANSPORT],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else v.__name__,
)
def test_each_sdk_error_class_maps_to_one_core_error(
    exc: BaseException, expected: type[CloudError]
) -> None:
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
    for exc in (build(gexc.ServiceUnavailable, "x"), build(gexc.TooManyRequests, "x")):
        err = translate(exc)
        assert isinstance(err, TransientError) and err.retryable


@pytest.mark.parametrize(
    "reason", ["retentionPolicyNotMet", "resourceNotReady", "resourceInUseByAnotherResource"]
)
def test_refusals_that_describe_the_resource_state_are_conflicts(reason: str) -> None:
    for cls in (gexc.Forbidden, gexc.BadRequest):
        assert type(translate(build(cls, "refused", errors=[{"reason": reason}]))) is ConflictError


def test_conflict_says_already_exists_by_its_message() -> None:
    assert type(translate(build(gexc.Conflict, "Function f already exists"))) is AlreadyExistsError
    assert type(translate(build(gexc.Conflict, "bucket must be empty"))) is ConflictError


def test_resumable_media_errors_are_mapped() -> None:
    from google.resumable_media import common

    class Response:
        status_code = 503
        headers: ClassVar[dict[str, str]] = {}

    err = translate(build(common.InvalidResponse, Response(), "bad"))
    assert type(err) is ProviderUnavailableError
    corrupted = translate(build(common.DataCorruption, Response(), "crc32c mismatch"))
    assert type(corrupted) is TransientError
    assert "checksum" in corrupted.message


def test_unknown_exceptions_are_left_to_the_policy() -> None:
    assert translate(KeyError("x")) is None

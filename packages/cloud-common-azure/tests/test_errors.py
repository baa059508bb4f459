"""The one error map: codes first, then status, then the exception class."""

from __future__ import annotations

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseTimeoutError,
)

from cloud_common.azure._errors import translate
from cloud_common.core import (
    AuthenticationError,
    CloudError,
    NotFoundError,
    ProviderUnavailableError,
    TimeoutError,  # noqa: A004
)


def test_non_azure_exceptions_are_not_translated() -> None:
    assert translate(ValueError("x")) is None
    assert translate(KeyError("x")) is None


def test_transport_and_credential_failures() -> None:
    assert isinstance(translate(ServiceRequestError("refused")), ProviderUnavailableError)
    assert isinstance(translate(ServiceResponseTimeoutError("slow")), TimeoutError)
    assert isinstance(translate(ClientAuthenticationError("no token")), AuthenticationError)


def test_an_unattributed_not_found_stays_generic() -> None:
    err = translate(ResourceNotFoundError("gone"))
    assert type(err) is NotFoundError


def test_an_unknown_http_error_is_a_cloud_error() -> None:
    err = translate(HttpResponseError("teapot"))
    assert isinstance(err, CloudError)

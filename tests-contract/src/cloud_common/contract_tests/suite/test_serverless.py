"""ServerlessClient: deploy, list, invoke (payload round trip, errors), delete."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from cloud_common.contract_tests._session import ContractSession
from cloud_common.contract_tests.checks import assert_resource, expect_error
from cloud_common.contract_tests.harness import FunctionBundle, Harness
from cloud_common.core import (
    AuthenticationError,
    CloudCredentials,
    CloudServerless,
    FunctionInvocationError,
    FunctionNotFoundError,
    PermissionDeniedError,
    ResourceType,
    ValidationError,
)

pytestmark = pytest.mark.capability("serverless")

PAYLOAD = {
    "message": "héllo, wörld ✓",
    "number": 42,
    "float": 2.5,
    "flag": True,
    "nothing": None,
    "nested": {"list": [1, "two", {"three": 3}], "empty": {}},
}


def _runs_handlers(harness: Harness) -> None:
    if not harness.function_errors_supported():
        pytest.skip(
            "harness limitation: the fake does not run the handler (function_errors_supported() is False)"
        )


def test_create_function_returns_a_serverless_resource(
    serverless: CloudServerless,
    function_bundle: FunctionBundle,
    unique: Callable[[str], str],
    contract: ContractSession,
) -> None:
    name = unique("fn")
    b = function_bundle
    created = serverless.create_function(name, b.runtime, b.handler, b.code_path)
    assert_resource(created, contract.provider_id, ResourceType.SERVERLESS)
    assert created["name"] == name
    assert created["metadata"].get("runtime") == b.runtime, "runtime is the portable id"


def test_list_functions_includes_the_new_function(
    serverless: CloudServerless, function_name: str, contract: ContractSession
) -> None:
    listed = serverless.list_functions()
    assert isinstance(listed, list)
    for item in listed:
        assert_resource(item, contract.provider_id, ResourceType.SERVERLESS)
    assert function_name in [f["name"] for f in listed]


def test_invoke_round_trips_the_payload(serverless: CloudServerless, function_name: str) -> None:
    assert serverless.invoke_function(function_name, PAYLOAD) == PAYLOAD
    assert serverless.invoke_function(function_name, {}) == {}


def test_a_non_object_result_is_wrapped(
    serverless: CloudServerless, function_name: str, harness: Harness
) -> None:
    _runs_handlers(harness)
    assert serverless.invoke_function(function_name, {"return": [1, 2, 3]}) == {"result": [1, 2, 3]}
    assert serverless.invoke_function(function_name, {"return": "text"}) == {"result": "text"}
    assert serverless.invoke_function(function_name, {"return": None}) == {"result": None}


def test_a_failing_function_raises_function_invocation_error(
    serverless: CloudServerless, function_name: str, harness: Harness
) -> None:
    _runs_handlers(harness)
    marker = f"boom-{uuid.uuid4().hex[:8]}"
    err = expect_error(
        FunctionInvocationError, lambda: serverless.invoke_function(function_name, {"fail": marker})
    )
    assert err.error_type == "ContractFailure", (
        f"error_type {err.error_type!r} is not the remote exception's type name"
    )
    assert err.status == FunctionInvocationError.RAISED_STATUS, f"status {err.status}"
    remote = json.dumps(err.payload, default=str)
    assert isinstance(err.payload, dict), f"payload {err.payload!r} is not the remote error"
    assert marker in remote, f"the remote message is not in the payload: {remote[:300]}"
    assert "ContractFailure" in remote, f"the remote type is not in the payload: {remote[:300]}"


def test_invoke_of_a_missing_function_raises_function_not_found(
    serverless: CloudServerless, unique: Callable[[str], str]
) -> None:
    expect_error(FunctionNotFoundError, lambda: serverless.invoke_function(unique("fn"), {}))


@pytest.mark.parametrize("payload", [None, [1, 2], "text", 5])
def test_a_payload_that_is_not_a_dict_raises_validation_error(
    serverless: CloudServerless, function_name: str, payload: Any
) -> None:
    expect_error(ValidationError, lambda: serverless.invoke_function(function_name, payload))


def test_delete_function_is_true_then_gone_then_true_again(
    serverless: CloudServerless, function_name: str
) -> None:
    assert serverless.delete_function(function_name) is True
    assert function_name not in [f["name"] for f in serverless.list_functions()]
    expect_error(FunctionNotFoundError, lambda: serverless.invoke_function(function_name, {}))
    assert serverless.delete_function(function_name) is True, "already absent: the state holds"


def test_delete_of_a_never_created_function_is_true(
    serverless: CloudServerless, unique: Callable[[str], str]
) -> None:
    assert serverless.delete_function(unique("fn")) is True


def test_create_function_with_a_missing_code_path_raises_validation_error(
    serverless: CloudServerless, unique: Callable[[str], str], function_bundle: FunctionBundle
) -> None:
    b = function_bundle
    expect_error(
        ValidationError,
        lambda: serverless.create_function(unique("fn"), b.runtime, b.handler, "/no/such/path"),
    )


@pytest.mark.capability("serverless.get_function")
def test_get_function_returns_the_same_shape(
    serverless: CloudServerless,
    function_name: str,
    contract: ContractSession,
    unique: Callable[[str], str],
) -> None:
    got = serverless.get_function(function_name)
    assert_resource(got, contract.provider_id, ResourceType.SERVERLESS)
    assert got["name"] == function_name
    expect_error(FunctionNotFoundError, lambda: serverless.get_function(unique("fn")))


@pytest.mark.parametrize("call", ["list_functions", "invoke", "delete", "delete-absent"])
def test_bad_credentials_raise_an_auth_error(
    contract: ContractSession,
    harness: Harness,
    bad_credentials: CloudCredentials,
    serverless: CloudServerless,
    function_name: str,
    unique: Callable[[str], str],
    call: str,
) -> None:
    calls: dict[str, Callable[[CloudServerless], Any]] = {
        "list_functions": lambda c: c.list_functions(),
        "invoke": lambda c: c.invoke_function(function_name, {"x": 1}),
        "delete": lambda c: c.delete_function(function_name),
        "delete-absent": lambda c: c.delete_function(unique("fn")),
    }

    def attempt() -> Any:
        client = contract.build(
            "serverless", bad_credentials, harness.bad_client_options("serverless")
        )
        return calls[call](client)

    expect_error((AuthenticationError, PermissionDeniedError), attempt)
    assert function_name in [f["name"] for f in serverless.list_functions()], (
        "a refused call changes nothing"
    )

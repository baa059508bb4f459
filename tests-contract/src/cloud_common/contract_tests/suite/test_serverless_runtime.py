"""What a handler sees when it runs: its environment, its time limit and a Lambda-like
context (``function_name``, ``memory_limit_in_mb``, ``get_remaining_time_in_millis()``).

The suite's function (``HANDLER_SOURCE``) answers ``{"env": [...]}``, ``{"sleep": s}`` and
``{"context": 1}``. These need a fake that runs the handler (``function_errors_supported``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from cloud_common.contract_tests.checks import expect_error
from cloud_common.contract_tests.harness import FunctionBundle, Harness
from cloud_common.core import CloudServerless, FunctionInvocationError

pytestmark = pytest.mark.capability("serverless")


@pytest.fixture
def deploy(
    serverless: CloudServerless,
    function_bundle: FunctionBundle,
    unique: Callable[[str], str],
    harness: Harness,
) -> Callable[..., str]:
    """``deploy(**create_function keywords)``: a deployed copy of the suite's function."""
    if not harness.function_errors_supported():
        pytest.skip("harness limitation: the fake does not run the handler")

    def make(**kwargs: object) -> str:
        name = unique("fn")
        b = function_bundle
        serverless.create_function(name, b.runtime, b.handler, b.code_path, **kwargs)
        return name

    return make


def test_the_environment_given_to_create_function_reaches_the_handler(
    serverless: CloudServerless, deploy: Callable[..., str]
) -> None:
    name = deploy(environment={"CONTRACT_COLOUR": "teal", "CONTRACT_WORDS": "a b=c"})
    result = serverless.invoke_function(
        name, {"env": ["CONTRACT_COLOUR", "CONTRACT_WORDS", "CONTRACT_UNSET"]}
    )
    assert result == {
        "CONTRACT_COLOUR": "teal",
        "CONTRACT_WORDS": "a b=c",
        "CONTRACT_UNSET": None,
    }


def test_the_timeout_given_to_create_function_is_enforced(
    serverless: CloudServerless, deploy: Callable[..., str]
) -> None:
    name = deploy(timeout=1)
    assert serverless.invoke_function(name, {"sleep": 0.1}) == {"result": "slept"}
    started = time.monotonic()
    err = expect_error(
        FunctionInvocationError, lambda: serverless.invoke_function(name, {"sleep": 30})
    )
    elapsed = time.monotonic() - started
    assert err.error_type == FunctionInvocationError.TIMED_OUT, err.error_type
    assert err.status == FunctionInvocationError.TIMED_OUT_STATUS, err.status
    assert elapsed < 20, f"the 1 s timeout ended the call after {elapsed:.0f}s"


def test_the_handler_gets_a_lambda_like_context(
    serverless: CloudServerless, deploy: Callable[..., str]
) -> None:
    name = deploy(timeout=30, memory_size=256)
    context = serverless.invoke_function(name, {"context": 1})
    assert context["function_name"] == name
    assert context["memory_limit_in_mb"] == 256
    assert 0 < context["remaining_ms"] <= 30_000, context["remaining_ms"]

"""The harness's Lambda runner behaves as Lambda: environment, context, timeout, and the
three failure kinds in core's vocabulary, through the public client."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cloud_common.core import CloudServerless, FunctionInvocationError

HANDLER = """
import os, sys, time


def handler(event, context):
    print("to the log, not the result")
    kind = event.get("do")
    if kind == "raise":
        raise KeyError("missing")
    if kind == "exit":
        sys.exit(3)
    if kind == "sleep":
        time.sleep(event["seconds"])
    return {
        "env": os.environ.get("GREETING"),
        "secret": os.environ.get("AWS_SECRET_ACCESS_KEY"),
        "function_name": context.function_name,
        "function_version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
    }
"""


@pytest.fixture
def function(serverless: CloudServerless, tmp_path: Path) -> str:
    (tmp_path / "app.py").write_text(HANDLER)
    serverless.create_function(
        "runner",
        "python3.12",
        "app.handler",
        str(tmp_path),
        timeout=1,
        memory_size=256,
        environment={"GREETING": "hello"},
    )
    return "runner"


def test_the_handler_gets_its_environment_and_a_lambda_context(
    serverless: CloudServerless, function: str
) -> None:
    first = serverless.invoke_function(function, {})
    second = serverless.invoke_function(function, {})
    assert first["env"] == "hello"
    assert first["secret"] is None  # the test process's AWS settings stay out
    assert (first["function_name"], first["function_version"], first["memory"]) == (
        "runner",
        "$LATEST",
        256,
    )
    assert first["arn"].startswith("arn:aws:lambda:us-east-1:") and first["arn"].endswith(
        ":function:runner"
    )
    assert 0 < first["remaining"] <= 1000
    assert first["request_id"] != second["request_id"]


def test_a_handler_that_raises_reports_its_exception_type(
    serverless: CloudServerless, function: str
) -> None:
    with pytest.raises(FunctionInvocationError) as info:
        serverless.invoke_function(function, {"do": "raise"})
    error = info.value
    assert (error.error_type, error.status) == ("KeyError", FunctionInvocationError.RAISED_STATUS)
    assert set(error.payload) == {"errorType", "errorMessage", "stackTrace"}
    assert "app.py" in error.payload["stackTrace"][-1]


def test_a_handler_that_exits_is_a_runtime_exit_error(
    serverless: CloudServerless, function: str
) -> None:
    with pytest.raises(FunctionInvocationError) as info:
        serverless.invoke_function(function, {"do": "exit"})
    assert info.value.error_type == FunctionInvocationError.EXITED
    assert info.value.status == FunctionInvocationError.EXITED_STATUS
    assert "exit status 3" in info.value.message


def test_a_handler_past_its_timeout_is_stopped_and_timed_out(
    serverless: CloudServerless, function: str
) -> None:
    started = time.monotonic()
    with pytest.raises(FunctionInvocationError) as info:
        serverless.invoke_function(function, {"do": "sleep", "seconds": 30})
    assert time.monotonic() - started < 5
    assert info.value.error_type == FunctionInvocationError.TIMED_OUT
    assert info.value.status == FunctionInvocationError.TIMED_OUT_STATUS
    assert "Task timed out after 1.00 seconds" in str(info.value)
    assert "\n" not in str(info.value)

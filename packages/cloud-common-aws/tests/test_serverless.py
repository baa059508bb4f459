"""LambdaServerlessClient against moto (simple backend + MotoServer's handler runner) and
against pytest-httpserver as a fake Lambda endpoint (function errors, Pending -> Active)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cloud_common.aws._bundle import build_bundle
from cloud_common.aws.testing import MotoServer
from cloud_common.core import (
    AlreadyExistsError,
    CloudCredentials,
    CloudProvider,
    CloudServerless,
    FunctionInvocationError,
    FunctionNotFoundError,
    ValidationError,
    get_serverless_client,
)

HANDLER = """
def handler(event, context):
    if "fail" in event:
        raise ValueError(event["fail"])
    if "scalar" in event:
        return event["scalar"]
    return {"echo": event}
"""


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    root = tmp_path / "fn"
    (root / "pkg").mkdir(parents=True)
    (root / "app.py").write_text(HANDLER)
    (root / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "junk.pyc").write_bytes(b"junk")
    return root


def test_create_invoke_list_get_delete(serverless: CloudServerless, code_dir: Path) -> None:
    created = serverless.create_function("fn-one", "python3.12", "app.handler", str(code_dir))
    assert (created["name"], created["resource_type"], created["status"]) == (
        "fn-one",
        "serverless",
        "active",
    )
    assert created["id"].startswith("arn:aws:lambda:us-east-1:")
    meta = created["metadata"]
    assert (meta["runtime"], meta["native_runtime"], meta["handler"]) == (
        "python3.12",
        "python3.12",
        "app.handler",
    )
    assert serverless.invoke_function("fn-one", {"a": [1, 2]}) == {"echo": {"a": [1, 2]}}
    assert serverless.invoke_function("fn-one", {"scalar": 42}) == {"result": 42}
    assert serverless.invoke_function("fn-one", {"scalar": "text"}) == {"result": "text"}
    assert [f["name"] for f in serverless.list_functions()] == ["fn-one"]
    assert serverless.get_function("fn-one")["metadata"]["handler"] == "app.handler"
    assert serverless.delete_function("fn-one") is True
    assert serverless.delete_function("fn-one") is True
    assert serverless.list_functions() == []
    with pytest.raises(FunctionNotFoundError):
        serverless.get_function("fn-one")
    with pytest.raises(FunctionNotFoundError):
        serverless.invoke_function("fn-one", {})


def test_a_handler_exception_is_a_function_invocation_error(
    serverless: CloudServerless, code_dir: Path
) -> None:
    serverless.create_function("fn-fail", "python3.12", "app.handler", str(code_dir))
    with pytest.raises(FunctionInvocationError) as info:
        serverless.invoke_function("fn-fail", {"fail": "boom"})
    error = info.value
    assert (error.error_type, error.status) == ("ValueError", 500)
    assert error.payload["errorMessage"] == "boom"
    assert "boom" in str(error)


def test_creating_a_function_twice_is_already_exists(
    serverless: CloudServerless, code_dir: Path
) -> None:
    serverless.create_function("fn-twice", "python3.12", "app.handler", str(code_dir))
    with pytest.raises(AlreadyExistsError):
        serverless.create_function("fn-twice", "python3.12", "app.handler", str(code_dir))


def test_the_bundle_is_deterministic_and_skips_caches(code_dir: Path, tmp_path: Path) -> None:
    first = build_bundle(str(code_dir))
    os.utime(code_dir / "app.py", (1, 1))
    assert build_bundle(str(code_dir)) == first
    (tmp_path / "b.zip").write_bytes(first)
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        assert archive.namelist() == ["app.py", "pkg/__init__.py"]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_zip_and_a_single_file_deploy_too(
    serverless: CloudServerless, code_dir: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "ready.zip"
    bundle.write_bytes(build_bundle(str(code_dir)))
    from_zip = serverless.create_function("fn-zip", "python3.12", "app.handler", str(bundle))
    digest = hashlib.sha256(bundle.read_bytes()).digest()
    assert from_zip["metadata"]["code_sha256"] == base64.b64encode(digest).decode()
    single = serverless.create_function(
        "fn-file", "python3.12", "app.handler", str(code_dir / "app.py")
    )
    assert single["name"] == "fn-file"
    assert serverless.invoke_function("fn-file", {"x": 1}) == {"echo": {"x": 1}}


def test_a_bundle_over_the_direct_upload_limit_is_refused_clearly(
    serverless: CloudServerless, tmp_path: Path
) -> None:
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("blob.bin", os.urandom(51 * 1024 * 1024))
    with pytest.raises(ValidationError, match="50 MiB"):
        serverless.create_function("fn-big", "python3.12", "app.handler", str(big))


def test_the_role_comes_from_kwargs_or_metadata_or_is_a_clear_error(
    server: MotoServer, code_dir: Path
) -> None:
    role = server.create_lambda_role("explicit-role")
    with get_serverless_client(server.credentials(), poll_interval=0.01) as lam:
        with pytest.raises(ValidationError, match="lambda_role_arn"):
            lam.create_function("fn-norole", "python3.12", "app.handler", str(code_dir))
        created = lam.create_function(
            "fn-role", "python3.12", "app.handler", str(code_dir), role=role
        )
    assert created["metadata"]["role"] == role


@pytest.mark.parametrize(
    ("portable", "native"),
    [("python3.12", "python3.12"), ("nodejs20", "nodejs20.x"), ("java21", "java21")],
)
def test_runtimes_are_portable_both_ways(
    serverless: CloudServerless, code_dir: Path, portable: str, native: str
) -> None:
    created = serverless.create_function(
        f"fn-{portable.replace('.', '')}", portable, "app.handler", str(code_dir)
    )
    assert (created["metadata"]["runtime"], created["metadata"]["native_runtime"]) == (
        portable,
        native,
    )


def test_an_unknown_runtime_is_refused_before_any_request(
    server: MotoServer, serverless: CloudServerless, code_dir: Path
) -> None:
    before = len(server.faults.requests)
    with pytest.raises(ValidationError, match="runtime"):
        serverless.create_function("fn-bad", "cobol85", "app.handler", str(code_dir))
    with pytest.raises(ValidationError, match="memory"):
        serverless.create_function(
            "fn-bad", "python3.12", "app.handler", str(code_dir), memory="1G"
        )
    assert len(server.faults.requests) == before


def test_a_payload_that_is_not_json_is_refused(serverless: CloudServerless) -> None:
    with pytest.raises(ValidationError, match="JSON"):
        serverless.invoke_function("fn", {"when": object()})


# -- a fake Lambda endpoint ------------------------------------------------------------


@pytest.fixture
def fake_lambda(httpserver: HTTPServer) -> Iterator[CloudServerless]:
    creds = CloudCredentials(
        CloudProvider.AWS,
        access_key="AKIAFAKELAMBDA0000",
        secret_key="fake-lambda-secret-value",
        metadata={
            "lambda_endpoint_url": httpserver.url_for("").rstrip("/"),
            "lambda_role_arn": "arn:aws:iam::123456789012:role/r",
        },
    )
    with get_serverless_client(creds, poll_interval=0.01) as client:
        yield client


def test_x_amz_function_error_becomes_function_invocation_error(
    httpserver: HTTPServer, fake_lambda: CloudServerless
) -> None:
    payload = {
        "errorMessage": "division by zero",
        "errorType": "ZeroDivisionError",
        "stackTrace": ["x"],
    }
    httpserver.expect_request(
        "/2015-03-31/functions/calc/invocations", method="POST"
    ).respond_with_json(
        payload, headers={"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"}
    )
    with pytest.raises(FunctionInvocationError) as info:
        fake_lambda.invoke_function("calc", {"a": 1})
    assert info.value.payload == payload
    assert info.value.error_type == "ZeroDivisionError"
    assert info.value.message == "division by zero"
    sent = httpserver.log[0][0]
    assert json.loads(sent.get_data()) == {"a": 1}
    assert sent.headers["X-Amz-Invocation-Type"] == "RequestResponse"


def test_a_throttled_invoke_is_retried(
    httpserver: HTTPServer, fake_lambda: CloudServerless, sleeps: list[float]
) -> None:
    path = "/2015-03-31/functions/calc/invocations"
    httpserver.expect_ordered_request(path, method="POST").respond_with_json(
        {"message": "Rate exceeded"},
        status=429,
        headers={"x-amzn-ErrorType": "TooManyRequestsException"},
    )
    httpserver.expect_ordered_request(path, method="POST").respond_with_json({"ok": True})
    assert fake_lambda.invoke_function("calc", {}) == {"ok": True}
    assert len(sleeps) == 1


def test_create_waits_until_the_function_is_active(
    httpserver: HTTPServer, fake_lambda: CloudServerless, code_dir: Path
) -> None:
    states = iter(["Pending", "Pending", "Active"])
    config = {
        "FunctionName": "slow",
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:slow",
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "LastModified": "2026-11-26T13:30:00.000+0000",
    }
    httpserver.expect_request("/2015-03-31/functions", method="POST").respond_with_json(
        {**config, "State": "Pending"}, status=201
    )

    def configuration(request: Request) -> Response:
        return Response(
            json.dumps({**config, "State": next(states)}), content_type="application/json"
        )

    httpserver.expect_request("/2015-03-31/functions/slow/configuration").respond_with_handler(
        configuration
    )
    created = fake_lambda.create_function("slow", "python3.12", "app.handler", str(code_dir))
    assert created["status"] == "active"
    assert created["created_at"] == "2026-11-26T13:30:00+00:00"
    assert len([r for r, _ in httpserver.log if r.path.endswith("/configuration")]) == 3


def test_a_failed_deploy_raises(
    httpserver: HTTPServer, fake_lambda: CloudServerless, code_dir: Path
) -> None:
    config = {
        "FunctionName": "bad",
        "State": "Failed",
        "StateReason": "no space",
        "StateReasonCode": "X",
    }
    httpserver.expect_request("/2015-03-31/functions", method="POST").respond_with_json(
        config, status=201
    )
    httpserver.expect_request("/2015-03-31/functions/bad/configuration").respond_with_json(config)
    with pytest.raises(Exception, match="no space"):
        fake_lambda.create_function("bad", "python3.12", "app.handler", str(code_dir))


def test_delete_refused_is_false_with_a_warning(
    httpserver: HTTPServer, fake_lambda: CloudServerless, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/2015-03-31/functions/busy", method="DELETE").respond_with_json(
        {"message": "An update is in progress"},
        status=409,
        headers={"x-amzn-ErrorType": "ResourceConflictException"},
    )
    caplog.set_level(logging.WARNING)
    assert fake_lambda.delete_function("busy") is False
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1

"""Functions deployed under the root and run in a fresh Python subprocess."""

from __future__ import annotations

import logging
import os
import textwrap
import zipfile
from pathlib import Path

import pytest

from cloud_common.contract_tests.harness import HANDLER_SOURCE
from cloud_common.core import (
    AlreadyExistsError,
    CloudServerless,
    FunctionInvocationError,
    FunctionNotFoundError,
    ValidationError,
)
from cloud_common.local import LocalServerlessClient

HANDLER = textwrap.dedent(
    """
    import os, sys, time

    def handler(event, context):
        print("log line from the handler")
        if event.get("fail"):
            raise KeyError(event["fail"])
        if event.get("exit"):
            sys.exit(3)
        if "sleep" in event:
            with open(event["pidfile"], "w") as f:
                f.write(str(os.getpid()))
            time.sleep(event["sleep"])
        if "value" in event:
            return event["value"]
        return {
            "event": event,
            "name": context.function_name,
            "remaining": context.get_remaining_time_in_millis() > 0,
            "env": os.environ.get("GREETING"),
            "cwd_has_code": os.path.exists("app.py"),
        }
    """
)


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "app.py").write_text(HANDLER)
    return folder


@pytest.fixture
def fn(serverless: CloudServerless, code: Path) -> str:
    serverless.create_function(
        "app", "python3.12", "app.handler", str(code), environment={"GREETING": "hi"}
    )
    return "app"


def test_create_get_list_delete(serverless: CloudServerless, code: Path, root: Path) -> None:
    created = serverless.create_function("app", "python3.11", "app.handler", str(code), timeout=5)
    assert created["id"] == created["name"] == "app"
    assert created["resource_type"] == "serverless" and created["provider"] == "local"
    meta = created["metadata"]
    assert (meta["runtime"], meta["handler"], meta["timeout"]) == ("python3.11", "app.handler", 5.0)
    assert (root / "functions" / "app" / "code" / "app.py").read_text() == HANDLER
    (code / "app.py").write_text("changed after deploy")  # the deployed copy is independent
    assert serverless.get_function("app") == created
    assert serverless.list_functions() == [created]
    with pytest.raises(AlreadyExistsError):
        serverless.create_function("app", "python3.11", "app.handler", str(code))
    assert serverless.delete_function("app") is True
    assert serverless.delete_function("app") is True
    assert serverless.list_functions() == []
    with pytest.raises(FunctionNotFoundError):
        serverless.get_function("app")
    with pytest.raises(FunctionNotFoundError):
        serverless.invoke_function("app", {})


def test_invoke_returns_object_or_wrapped_value(serverless: CloudServerless, fn: str) -> None:
    result = serverless.invoke_function(fn, {"a": [1, "ü"]})
    assert result == {
        "event": {"a": [1, "ü"]},
        "name": "app",
        "remaining": True,
        "env": "hi",
        "cwd_has_code": True,
    }
    assert serverless.invoke_function(fn, {"value": 42}) == {"result": 42}
    assert serverless.invoke_function(fn, {"value": [1, 2]}) == {"result": [1, 2]}
    assert serverless.invoke_function(fn, {"value": None}) == {"result": None}


def test_handler_exception(serverless: CloudServerless, fn: str) -> None:
    with pytest.raises(FunctionInvocationError) as info:
        serverless.invoke_function(fn, {"fail": "missing thing"})
    err = info.value
    assert err.error_type == "KeyError"
    assert err.payload["errorType"] == "KeyError"
    assert "missing thing" in err.payload["errorMessage"]
    trace = "\n".join(err.payload["stackTrace"])
    assert "Traceback" in trace and 'raise KeyError(event["fail"])' in trace
    assert err.provider == "local" and err.operation == "invoke_function"


def test_handler_that_exits(serverless: CloudServerless, fn: str) -> None:
    with pytest.raises(FunctionInvocationError) as info:
        serverless.invoke_function(fn, {"exit": True})
    assert info.value.error_type == "Runtime.ExitError"
    assert "log line from the handler" in info.value.payload["output"]


def test_import_error(serverless: CloudServerless, code: Path) -> None:
    serverless.create_function("broken", "python3.12", "app.nothing_here", str(code))
    with pytest.raises(FunctionInvocationError) as info:
        serverless.invoke_function("broken", {})
    assert info.value.error_type.startswith("Runtime.ImportModuleError")  # type: ignore[union-attr]


def test_timeout_kills_the_subprocess(root: Path, fn: str, tmp_path: Path) -> None:
    client = LocalServerlessClient(root=root)
    pidfile = tmp_path / "pid"
    with pytest.raises(FunctionInvocationError, match="timeout") as info:
        client.invoke_function(fn, {"sleep": 60, "pidfile": str(pidfile)}, timeout=1.5)
    assert info.value.error_type == "Sandbox.Timedout"
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_function_timeout_setting(serverless: CloudServerless, code: Path, tmp_path: Path) -> None:
    serverless.create_function("quick", "python3.12", "app.handler", str(code), timeout=1)
    with pytest.raises(FunctionInvocationError, match="1s timeout"):
        serverless.invoke_function("quick", {"sleep": 60, "pidfile": str(tmp_path / "pid")})


def test_output_is_logged(
    serverless: CloudServerless, fn: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cloud_common.local")
    serverless.invoke_function(fn, {})
    assert any("log line from the handler" in r.getMessage() for r in caplog.records)


def test_zip_and_single_file(serverless: CloudServerless, code: Path, tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(code / "app.py", "app.py")
        zf.writestr("pkg/__init__.py", "")
        zf.writestr("pkg/mod.py", "def run(event, context):\n    return {'pkg': event}\n")
    serverless.create_function("zipped", "python3.12", "pkg.mod.run", str(archive))
    assert serverless.invoke_function("zipped", {"x": 1}) == {"pkg": {"x": 1}}
    serverless.create_function("single", "python3.12", "app.handler", str(code / "app.py"))
    assert serverless.invoke_function("single", {"value": "one file"}) == {"result": "one file"}


def test_zip_slip_is_refused(serverless: CloudServerless, tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escaped.py", "x = 1\n")
    with pytest.raises(ValidationError):
        serverless.create_function("evil", "python3.12", "escaped.x", str(archive))
    assert not (tmp_path / "escaped.py").exists()
    assert serverless.list_functions() == []


@pytest.mark.parametrize(
    ("name", "runtime", "handler"),
    [
        ("bad name", "python3.12", "app.handler"),
        ("../up", "python3.12", "app.handler"),
        ("ok", "nodejs20.x", "app.handler"),
        ("ok", "python2.7", "app.handler"),
        ("ok", "python3.12", "handler"),
        ("ok", "python3.12", "app/handler"),
    ],
)
def test_invalid_arguments(
    serverless: CloudServerless, code: Path, name: str, runtime: str, handler: str
) -> None:
    with pytest.raises(ValidationError):
        serverless.create_function(name, runtime, handler, str(code))
    assert serverless.list_functions() == []


def test_unknown_keywords_are_refused(serverless: CloudServerless, code: Path) -> None:
    with pytest.raises(ValidationError, match="colour"):
        serverless.create_function("other", "python3.12", "app.handler", str(code), colour="red")
    with pytest.raises(ValidationError, match="memory_size"):
        serverless.create_function("other", "python3.12", "app.handler", str(code), memory_size="1")
    assert serverless.list_functions() == []


def test_contract_suite_handler(serverless: CloudServerless, tmp_path: Path) -> None:
    (tmp_path / "contract_handler.py").write_text(HANDLER_SOURCE)
    serverless.create_function("contract", "python3.12", "contract_handler.handler", str(tmp_path))
    assert serverless.invoke_function("contract", {"k": "v"}) == {"k": "v"}
    with pytest.raises(FunctionInvocationError) as info:
        serverless.invoke_function("contract", {"fail": "boom"})
    assert (info.value.error_type, info.value.payload["errorMessage"]) == ("RuntimeError", "boom")

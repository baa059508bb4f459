"""Functions deployed under the root and run in a fresh Python subprocess."""

from __future__ import annotations

import logging
import os
import sys
import textwrap
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cloud_common.contract_tests.harness import HANDLER_SOURCE
from cloud_common.core import (
    AlreadyExistsError,
    CloudServerless,
    FunctionInvocationError,
    FunctionNotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from cloud_common.local import LocalServerlessClient, _invoke

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
    assert (err.error_type, err.status) == ("KeyError", FunctionInvocationError.RAISED_STATUS)
    assert set(err.payload) == {"errorType", "errorMessage", "stackTrace"}
    assert err.payload["errorType"] == "KeyError"
    assert "missing thing" in err.payload["errorMessage"]
    trace = "\n".join(err.payload["stackTrace"])
    assert "Traceback" in trace and 'raise KeyError(event["fail"])' in trace
    assert err.provider == "local" and err.operation == "invoke_function"


def test_handler_that_exits(
    serverless: CloudServerless, fn: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cloud_common.local")
    with pytest.raises(FunctionInvocationError) as info:
        serverless.invoke_function(fn, {"exit": True})
    err = info.value
    assert (err.error_type, err.status) == ("Runtime.ExitError", 500)
    assert err.payload == {
        "errorType": "Runtime.ExitError",
        "errorMessage": "Runtime exited with error: exit status 3",
        "stackTrace": [],
    }
    assert any("log line from the handler" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        ("missing_module.handler", "Runtime.ImportModuleError"),
        ("app.nothing", "Runtime.HandlerNotFound"),
    ],
)
def test_import_errors(
    serverless: CloudServerless, code: Path, handler: str, error_type: str
) -> None:
    serverless.create_function("broken", "python3.12", handler, str(code))
    with pytest.raises(FunctionInvocationError) as info:
        serverless.invoke_function("broken", {})
    assert (info.value.error_type, info.value.status) == (error_type, 500)


def test_timeout_kills_the_subprocess(root: Path, fn: str, tmp_path: Path) -> None:
    client = LocalServerlessClient(root=root)
    pidfile = tmp_path / "pid"
    with pytest.raises(FunctionInvocationError, match="timed out") as info:
        client.invoke_function(fn, {"sleep": 60, "pidfile": str(pidfile)}, timeout=1.5)
    err = info.value
    assert (err.error_type, err.status) == ("Sandbox.Timedout", 504)
    assert err.payload == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "Task timed out after 1.50 seconds",
        "stackTrace": [],
    }
    assert not alive(int(pidfile.read_text()))


def test_function_timeout_setting(serverless: CloudServerless, code: Path, tmp_path: Path) -> None:
    serverless.create_function("quick", "python3.12", "app.handler", str(code), timeout=1)
    started = time.monotonic()
    with pytest.raises(FunctionInvocationError, match="after 1.00 seconds"):
        serverless.invoke_function("quick", {"sleep": 60, "pidfile": str(tmp_path / "pid")})
    assert time.monotonic() - started < 4


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, killed but not yet reaped, is not alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True  # no /proc (macOS): kill(pid, 0) answered


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


def test_memory_size_bounds(serverless: CloudServerless, code: Path) -> None:
    for size in (64, 10241):
        with pytest.raises(ValidationError, match="memory_size"):
            serverless.create_function(
                "m", "python3.12", "app.handler", str(code), memory_size=size
            )
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
    err = info.value
    assert (err.payload["errorType"], err.payload["errorMessage"]) == (err.error_type, "boom")


PROCS = textwrap.dedent(
    """
    import os, subprocess, sys, time

    SLEEPER = (
        "import os, sys, time; open(sys.argv[1] + '.tmp', 'w').write(str(os.getpid())); "
        "os.rename(sys.argv[1] + '.tmp', sys.argv[1]); time.sleep(60)"
    )


    def spawn(event, context):
        quiet = {} if event["hold_output"] else {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.Popen(
            [sys.executable, "-c", SLEEPER, event["pidfile"]],
            start_new_session=event["detach"],
            stdin=subprocess.DEVNULL,
            **quiet,
        )
        while not os.path.exists(event["pidfile"]):
            time.sleep(0.01)
        time.sleep(event["then_sleep"])
        return {"spawned": True}


    def loud(event, context):
        chunk = "x" * (1 << 20)
        for _ in range(event["mib"]):
            sys.stdout.write(chunk)
        return {"printed": event["mib"]}


    def hog(event, context):
        return {"allocated": len(bytearray(event["mib"] << 20))}


    def env(event, context):
        return dict(os.environ)


    def ctx(event, context):
        return {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis(),
        }


    def freeze_supervisor(event, context):
        import signal

        open(event["pidfile"], "w").write(str(os.getpid()))
        os.kill(os.getppid(), signal.SIGSTOP)
        time.sleep(60)


    def large(event, context):
        return {"blob": "y" * (7 << 20)}
    """
)


@pytest.fixture
def procs(serverless: CloudServerless, tmp_path: Path) -> CloudServerless:
    folder = tmp_path / "procs"
    folder.mkdir()
    (folder / "procs.py").write_text(PROCS)
    for name in ("spawn", "loud", "hog", "env", "ctx", "large", "freeze_supervisor"):
        serverless.create_function(
            name, "python3.12", f"procs.{name}", str(folder), environment={"GREETING": "hi"}
        )
    return serverless


def wait_for_pid(pidfile: Path) -> int:
    for _ in range(500):
        if pidfile.exists() and pidfile.read_text():
            return int(pidfile.read_text())
        time.sleep(0.01)
    raise AssertionError("the child never started")


@pytest.mark.parametrize(("detach", "hold_output"), [(False, True), (True, True), (True, False)])
def test_timeout_does_not_wait_for_children(
    procs: CloudServerless, tmp_path: Path, detach: bool, hold_output: bool
) -> None:
    """Issue 11: a child holding stdout (or detached with setsid) made a 2 s timeout
    return after the child's 25 s; and the child kept running."""
    pidfile = tmp_path / "child.pid"
    event = {"pidfile": str(pidfile), "detach": detach, "hold_output": hold_output}
    started = time.monotonic()
    with pytest.raises(FunctionInvocationError) as info:
        procs.invoke_function("spawn", {**event, "then_sleep": 60}, timeout=2)
    assert info.value.error_type == "Sandbox.Timedout"
    assert time.monotonic() - started < 5
    assert not alive(wait_for_pid(pidfile))


@pytest.mark.parametrize(("detach", "hold_output"), [(False, True), (False, False), (True, True)])
def test_children_are_killed_when_the_handler_returns(
    procs: CloudServerless, tmp_path: Path, detach: bool, hold_output: bool
) -> None:
    """Issue 11: a handler that starts a child holding stdout and returns at once was
    reported as Sandbox.Timedout; a detached child kept running after the call."""
    pidfile = tmp_path / "child.pid"
    event = {"pidfile": str(pidfile), "detach": detach, "hold_output": hold_output}
    started = time.monotonic()
    assert procs.invoke_function("spawn", {**event, "then_sleep": 0}, timeout=10) == {
        "spawned": True
    }
    assert time.monotonic() - started < 5
    assert not alive(wait_for_pid(pidfile))


def test_output_is_bounded(procs: CloudServerless, root: Path, run_python: Any) -> None:
    """Issue 11: printing 200 MiB raised the caller's peak RSS from 22 to 424 MiB."""
    done = run_python(
        """
        import logging, resource, sys
        from cloud_common.local import LocalServerlessClient, _invoke

        records = []
        handler = logging.Handler()
        handler.emit = records.append
        logging.getLogger("cloud_common.local").addHandler(handler)
        logging.getLogger("cloud_common.local").setLevel(logging.DEBUG)
        client = LocalServerlessClient(root=sys.argv[1])
        client.invoke_function("spawn", {"pidfile": sys.argv[1] + "/p", "detach": False,
                                          "hold_output": False, "then_sleep": 0})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert client.invoke_function("loud", {"mib": 100}) == {"printed": 100}
        grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
        notes = [r.getMessage() for r in records if "bytes of output dropped" in r.getMessage()]
        print(grew, notes)
        assert grew < 30, grew
        assert notes and str(100 * 2**20 - 6 * 2**20) in notes[0], notes
        """,
        str(root),
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is Linux's")
def test_memory_size_is_enforced(procs: CloudServerless) -> None:
    assert procs.invoke_function("hog", {"mib": 32}) == {"allocated": 32 << 20}
    with pytest.raises(FunctionInvocationError) as info:
        procs.invoke_function("hog", {"mib": 256})  # memory_size 128 (the default)
    assert (info.value.error_type, info.value.status) == ("MemoryError", 500)


def test_function_sees_only_its_environment(
    procs: CloudServerless, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "caller-secret-value")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_caller_token")
    env = procs.invoke_function("env", {})
    assert set(env) == {"PATH", "HOME", "TMPDIR", "LANG", "GREETING", "CLOUD_COMMON_LOCAL_FUNCTION"}
    assert (env["GREETING"], env["CLOUD_COMMON_LOCAL_FUNCTION"]) == ("hi", "env")
    assert env["HOME"] != os.environ.get("HOME")
    assert "caller-secret-value" not in str(env) and "ghp_caller_token" not in str(env)


def test_context_is_lambda_like(procs: CloudServerless) -> None:
    first = procs.invoke_function("ctx", {}, timeout=20)
    second = procs.invoke_function("ctx", {})
    assert first["aws_request_id"] != second["aws_request_id"]
    assert 15_000 < first["remaining"] <= 20_000
    assert {k: first[k] for k in ("function_name", "function_version", "memory_limit_in_mb")} == {
        "function_name": "ctx",
        "function_version": "$LATEST",
        "memory_limit_in_mb": 128,
    }
    assert first["invoked_function_arn"].endswith(":function:ctx")


def test_payload_and_result_are_bounded(procs: CloudServerless) -> None:
    with pytest.raises(ValidationError, match="too large"):
        procs.invoke_function("ctx", {"blob": "z" * (7 << 20)})
    with pytest.raises(FunctionInvocationError) as info:
        procs.invoke_function("large", {})
    assert info.value.error_type == "Function.ResponseSizeTooLarge"


def test_functions_folder_link_is_never_followed(
    serverless: CloudServerless, root: Path, outside: Path, code: Path
) -> None:
    """Issue 11: with functions linked to a home folder, delete_function("Documents")
    returned True and removed that folder."""
    (outside / "Documents").mkdir()
    (outside / "Documents" / "thesis.txt").write_text("years of work")
    (root / "functions").symlink_to(outside)
    with pytest.raises(PermissionDeniedError, match="not a real folder"):
        serverless.delete_function("Documents")
    with pytest.raises(PermissionDeniedError):
        serverless.list_functions()
    with pytest.raises(PermissionDeniedError):
        serverless.create_function("new", "python3.12", "app.handler", str(code))
    assert (outside / "Documents" / "thesis.txt").read_text() == "years of work"
    assert sorted(p.name for p in outside.iterdir()) == ["Documents", "secret.txt"]


def test_planted_function_link_is_never_followed(
    serverless: CloudServerless, fn: str, root: Path, outside: Path
) -> None:
    (root / "functions" / "planted").symlink_to(outside)
    assert [f["name"] for f in serverless.list_functions()] == [fn]
    with pytest.raises(FunctionNotFoundError):
        serverless.invoke_function("planted", {})
    assert serverless.delete_function("planted") is True
    assert not (root / "functions" / "planted").is_symlink()
    assert (outside / "secret.txt").read_bytes() == b"outside the root"


def test_a_stuck_supervisor_is_killed_with_the_handler(
    procs: CloudServerless, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller's backstop: if the supervisor cannot enforce the timeout, the caller kills
    it and the handler's process group after ``GRACE_SECONDS``."""
    monkeypatch.setattr(_invoke, "GRACE_SECONDS", 1.0)
    pidfile = tmp_path / "handler.pid"
    started = time.monotonic()
    with pytest.raises(FunctionInvocationError) as info:
        procs.invoke_function("freeze_supervisor", {"pidfile": str(pidfile)}, timeout=1)
    assert info.value.error_type == "Sandbox.Timedout"
    assert time.monotonic() - started < 5
    pid = int(pidfile.read_text())
    for _ in range(100):  # killed; init reaps it
        if not alive(pid):
            break
        time.sleep(0.02)
    assert not alive(pid)

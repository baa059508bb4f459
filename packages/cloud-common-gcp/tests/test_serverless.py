"""Cloud Functions v2 over REST against the fake, which runs the uploaded handler."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from cloud_common.contract_tests.harness import HANDLER_SOURCE
from cloud_common.core import (
    AlreadyExistsError,
    CloudCredentials,
    FunctionInvocationError,
    FunctionNotFoundError,
    TimeoutError,  # noqa: A004
    ValidationError,
)
from cloud_common.gcp import CloudFunctionsServerlessClient
from cloud_common.gcp.testing import GcpFake

PARENT = "projects/cc-test/locations/us-central1"


@pytest.fixture
def code(tmp_path: Path) -> str:
    (tmp_path / "contract_handler.py").write_text(HANDLER_SOURCE)
    (tmp_path / "helper.py").write_text("VALUE = 42\n")
    return str(tmp_path)


@pytest.mark.parametrize(
    ("portable", "native"),
    [
        ("python3.12", "python312"),
        ("python3.9", "python39"),
        ("nodejs20.x", "nodejs20"),
        ("go1.22", "go122"),
        ("java21", "java21"),
    ],
)
def test_runtime_ids_are_translated(
    functions: CloudFunctionsServerlessClient, fake: GcpFake, code: str, portable: str, native: str
) -> None:
    functions.create_function("rt", portable, "contract_handler.handler", code)
    stored = fake.function(f"{PARENT}/functions/rt")
    assert stored is not None and stored["buildConfig"]["runtime"] == native
    expected = portable if portable.startswith("python") else native
    assert functions.get_function("rt")["metadata"]["runtime"] == expected


def test_a_malformed_runtime_is_refused_before_any_call(
    functions: CloudFunctionsServerlessClient, fake: GcpFake, code: str
) -> None:
    with pytest.raises(ValidationError, match="runtime"):
        functions.create_function("bad", "python 3", "contract_handler.handler", code)
    assert fake.requests == []


def test_create_uploads_the_code_with_an_adapter_and_waits(
    functions: CloudFunctionsServerlessClient, fake: GcpFake, code: str
) -> None:
    fake.op_polls = 2
    got = functions.create_function(
        "echo",
        "python3.12",
        "contract_handler.handler",
        code,
        memory_size=512,
        timeout=30,
        tags={"team": "a"},
    )
    assert got["id"] == f"{PARENT}/functions/echo"
    assert got["status"] == "active"
    assert (got["tags"], got["metadata"]["memory"], got["metadata"]["timeout"]) == (
        {"team": "a"},
        "512M",
        30,
    )
    meta = got["metadata"]
    assert (meta["runtime"], meta["native_runtime"], meta["handler"]) == (
        "python3.12",
        "python312",
        "contract_handler.handler",
    )
    assert meta["url"].endswith("/run/us-central1/echo")
    source = fake.uploaded_source(f"{PARENT}/functions/echo")
    assert source is not None
    names = set(zipfile.ZipFile(io.BytesIO(source)).namelist())
    assert names == {"contract_handler.py", "helper.py", "main.py"}
    assert [m for m, p in fake.requests if p.startswith("/upload/")] == ["PUT"]
    assert len([p for m, p in fake.requests if "/operations/" in p]) == 2
    with pytest.raises(AlreadyExistsError):
        functions.create_function("echo", "python3.12", "contract_handler.handler", code)


def test_the_former_memory_keyword_still_works(
    functions: CloudFunctionsServerlessClient, code: str
) -> None:
    with pytest.warns(DeprecationWarning, match="memory_size"):
        got = functions.create_function(
            "mem", "python3.12", "contract_handler.handler", code, memory=1024
        )
    assert got["metadata"]["memory"] == "1024M"


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"colour": "red"}, "colour"),
        ({"memory_size": "big"}, "memory_size"),
        ({"timeout": True}, "timeout"),
        ({"environment": {"A": 1}}, "environment"),
    ],
)
def test_create_function_checks_its_keywords_before_calling(
    functions: CloudFunctionsServerlessClient,
    fake: GcpFake,
    code: str,
    kwargs: dict[str, object],
    problem: str,
) -> None:
    with pytest.raises(ValidationError, match=problem):
        functions.create_function("kw", "python3.12", "contract_handler.handler", code, **kwargs)
    assert fake.requests == []


def test_invoke_posts_json_with_an_id_token(
    functions: CloudFunctionsServerlessClient, fake: GcpFake, code: str, audiences: list[str]
) -> None:
    functions.create_function("echo", "python3.12", "contract_handler.handler", code)
    assert functions.invoke_function("echo", {"a": [1, 2]}) == {"a": [1, 2]}
    run = [
        h for (m, p), h in zip(fake.requests, fake.headers, strict=True) if p.startswith("/run/")
    ]
    assert run[-1]["Authorization"] == "Bearer test-id-token-for-echo"
    assert audiences[-1].endswith("/run/us-central1/echo")


def test_a_non_object_result_is_wrapped(
    functions: CloudFunctionsServerlessClient, tmp_path: Path
) -> None:
    (tmp_path / "mod.py").write_text("def handler(event, context):\n    return [event['n'], 'x']\n")
    functions.create_function("listy", "python3.12", "mod.handler", str(tmp_path))
    assert functions.invoke_function("listy", {"n": 3}) == {"result": [3, "x"]}


def test_a_failing_function_raises_with_status_and_body(
    functions: CloudFunctionsServerlessClient, tmp_path: Path
) -> None:
    (tmp_path / "boom.py").write_text(
        "def handler(event, context):\n    raise ValueError(event['message'])\n"
    )
    functions.create_function("boom", "python3.12", "boom.handler", str(tmp_path))
    with pytest.raises(FunctionInvocationError) as info:
        functions.invoke_function("boom", {"message": "no good"})
    err = info.value
    assert (err.status, err.error_type) == (500, "ValueError")
    assert err.payload["errorMessage"] == "no good"


def test_a_per_call_timeout_bounds_the_wait(
    functions: CloudFunctionsServerlessClient, tmp_path: Path
) -> None:
    (tmp_path / "slow.py").write_text(
        "import time\n\ndef handler(event, context):\n    time.sleep(event['s'])\n    return {}\n"
    )
    functions.create_function("slow", "python3.12", "slow.handler", str(tmp_path))
    assert functions.invoke_function("slow", {"s": 0.01}, timeout=5) == {}
    with pytest.raises(TimeoutError):
        functions.invoke_function("slow", {"s": 1.5}, timeout=0.3)


def test_native_entry_points_are_deployed_as_they_are(
    functions: CloudFunctionsServerlessClient, tmp_path: Path
) -> None:
    (tmp_path / "main.py").write_text(
        "def hello(request):\n    return {'got': request.get_json()}\n"
    )
    got = functions.create_function("native", "python3.12", "hello", str(tmp_path))
    assert got["metadata"]["entry_point"] == "hello"
    assert functions.invoke_function("native", {"x": 1}) == {"got": {"x": 1}}


def test_a_portable_handler_cannot_clash_with_main(
    functions: CloudFunctionsServerlessClient, tmp_path: Path
) -> None:
    (tmp_path / "main.py").write_text("def handler(event, context):\n    return {}\n")
    with pytest.raises(ValidationError, match="main.py"):
        functions.create_function("clash", "python3.12", "main.handler", str(tmp_path))


def test_a_failed_build_raises(functions: CloudFunctionsServerlessClient, code: str) -> None:
    with pytest.raises(ValidationError, match="runtime"):
        functions.create_function("bad", "cobol85", "contract_handler.handler", code)


def test_list_functions_paginates(plain_creds: CloudCredentials, fake: GcpFake) -> None:
    client = CloudFunctionsServerlessClient(plain_creds, endpoint_url=fake.url, page_size=2)
    for i in range(5):
        fake.add_function("us-central1" if i % 2 else "europe-west1", f"fn-{i}")
    assert sorted(f["name"] for f in client.list_functions()) == [f"fn-{i}" for i in range(5)]
    lists = [p for m, p in fake.requests if p.endswith("/locations/-/functions")]
    assert len(lists) == 3


def test_delete_waits_and_is_idempotent(
    functions: CloudFunctionsServerlessClient, fake: GcpFake, code: str
) -> None:
    functions.create_function("echo", "python3.12", "contract_handler.handler", code)
    assert functions.invoke_function("echo", {}) == {}
    fake.op_polls = 2
    assert functions.delete_function("echo") is True
    assert fake.function(f"{PARENT}/functions/echo") is None
    assert functions.delete_function("echo") is True
    with pytest.raises(FunctionNotFoundError):
        functions.invoke_function("echo", {})
    with pytest.raises(FunctionNotFoundError):
        functions.get_function("echo")


RUNNER_SOURCE = """
import os
import sys
import time


def handler(event, context):
    if "sleep" in event:
        time.sleep(event["sleep"])
    if "exit" in event:
        os._exit(3)
    return {
        "env": {name: os.environ.get(name) for name in event.get("env", [])},
        "function_name": context.function_name,
        "memory": int(context.memory_limit_in_mb),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""


def test_the_fake_runs_handlers_with_environment_context_and_timeout(
    functions: CloudFunctionsServerlessClient, tmp_path: Path
) -> None:
    (tmp_path / "probe.py").write_text(RUNNER_SOURCE)
    functions.create_function(
        "probe",
        "python3.12",
        "probe.handler",
        str(tmp_path),
        environment={"GREETING": "hi"},
        timeout=2,
        memory_size=512,
    )
    got = functions.invoke_function("probe", {"env": ["GREETING", "K_SERVICE", "AWS_SECRET"]})
    assert got["env"] == {"GREETING": "hi", "K_SERVICE": "probe", "AWS_SECRET": None}
    assert (got["function_name"], got["memory"]) == ("probe", 512)
    assert 0 < got["remaining_ms"] <= 2000

    start = time.monotonic()
    with pytest.raises(FunctionInvocationError) as info:
        functions.invoke_function("probe", {"sleep": 30}, timeout=20)
    assert time.monotonic() - start < 10
    err = info.value
    assert (err.error_type, err.status) == ("Sandbox.Timedout", 504)
    assert err.payload["errorType"] == "Sandbox.Timedout"
    assert "\n" not in str(err)

    with pytest.raises(FunctionInvocationError) as info:
        functions.invoke_function("probe", {"exit": 1})
    assert (info.value.error_type, info.value.status) == ("Runtime.ExitError", 500)

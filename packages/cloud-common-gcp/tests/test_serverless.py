"""Cloud Functions v2 over REST against the fake, which runs the uploaded handler."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cloud_common.contract_tests.harness import HANDLER_SOURCE
from cloud_common.core import (
    AlreadyExistsError,
    FunctionInvocationError,
    FunctionNotFoundError,
    ValidationError,
)
from cloud_common.gcp import CloudFunctionsServerlessClient
from cloud_common.gcp._serverless import ENTRY_POINT, native_runtime, portable_runtime
from cloud_common.gcp.testing import GcpFake

from .conftest import make_creds

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
def test_runtime_ids_are_translated(portable: str, native: str) -> None:
    assert native_runtime(portable) == native
    assert portable_runtime("python312") == "python3.12"


def test_a_bad_runtime_is_refused() -> None:
    with pytest.raises(ValidationError):
        native_runtime("python 3")


def test_create_uploads_a_zip_and_waits(
    functions: CloudFunctionsServerlessClient, fake: GcpFake, code: str
) -> None:
    fake.op_polls = 2
    got = functions.create_function(
        "echo", "python3.12", "contract_handler.handler", code, memory=512, tags={"team": "a"}
    )
    assert got["id"] == f"{PARENT}/functions/echo"
    assert got["status"] == "active"
    meta = got["metadata"]
    assert (meta["runtime"], meta["native_runtime"], meta["handler"]) == (
        "python3.12",
        "python312",
        "contract_handler.handler",
    )
    assert meta["url"].endswith("/run/us-central1/echo")
    stored = fake.function(f"{PARENT}/functions/echo")
    assert stored is not None
    assert stored["buildConfig"]["entryPoint"] == ENTRY_POINT
    assert stored["serviceConfig"]["availableMemory"] == "512M"
    uploads = [(m, p) for m, p in fake.requests if p.startswith("/upload/")]
    assert [m for m, _ in uploads] == ["PUT"]
    polls = [p for m, p in fake.requests if "/operations/" in p]
    assert len(polls) == 2
    with pytest.raises(AlreadyExistsError):
        functions.create_function("echo", "python3.12", "contract_handler.handler", code)


def test_the_bundle_holds_the_code_and_the_adapter(
    fake: GcpFake, functions: CloudFunctionsServerlessClient, code: str
) -> None:
    from cloud_common.gcp._serverless import _bundle

    data, entry = _bundle(code, "contract_handler.handler", "python312")
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert names == {"contract_handler.py", "helper.py", "main.py"}
    assert entry == ENTRY_POINT


def test_invoke_posts_json_with_an_id_token(functions: Any, fake: GcpFake, code: str) -> None:
    functions.create_function("echo", "python3.12", "contract_handler.handler", code)
    assert functions.invoke_function("echo", {"a": [1, 2]}) == {"a": [1, 2]}
    run = [
        h for (m, p), h in zip(fake.requests, fake.headers, strict=True) if p.startswith("/run/")
    ]
    assert run[-1]["Authorization"] == "Bearer test-id-token-for-echo"
    assert functions.audiences[-1].endswith("/run/us-central1/echo")


def test_a_non_object_result_is_wrapped(functions: Any, fake: GcpFake, tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("def handler(event, context):\n    return [event['n'], 'x']\n")
    functions.create_function("listy", "python3.12", "mod.handler", str(tmp_path))
    assert functions.invoke_function("listy", {"n": 3}) == {"result": [3, "x"]}


def test_a_failing_function_raises_with_status_and_body(functions: Any, code: str) -> None:
    functions.create_function("echo", "python3.12", "contract_handler.handler", code)
    with pytest.raises(FunctionInvocationError) as info:
        functions.invoke_function("echo", {"fail": "boom"})
    err = info.value
    assert (err.status, err.error_type) == (500, "RuntimeError")
    assert err.payload["errorMessage"] == "boom"


def test_native_entry_points_are_deployed_as_they_are(functions: Any, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "def hello(request):\n    return {'got': request.get_json()}\n"
    )
    got = functions.create_function("native", "python3.12", "hello", str(tmp_path))
    assert got["metadata"]["entry_point"] == "hello"
    assert functions.invoke_function("native", {"x": 1}) == {"got": {"x": 1}}


def test_a_portable_handler_cannot_clash_with_main(functions: Any, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("def handler(event, context):\n    return {}\n")
    with pytest.raises(ValidationError, match="main.py"):
        functions.create_function("clash", "python3.12", "main.handler", str(tmp_path))


def test_a_failed_build_raises(functions: Any, code: str) -> None:
    with pytest.raises(ValidationError, match="runtime"):
        functions.create_function("bad", "cobol85", "contract_handler.handler", code)


def test_list_functions_paginates(fake: GcpFake) -> None:
    client = CloudFunctionsServerlessClient(make_creds(functions_endpoint=fake.url), page_size=2)
    for i in range(5):
        fake.add_function("us-central1" if i % 2 else "europe-west1", f"fn-{i}")
    assert sorted(f["name"] for f in client.list_functions()) == [f"fn-{i}" for i in range(5)]
    lists = [p for m, p in fake.requests if p.endswith("/locations/-/functions")]
    assert len(lists) == 3


def test_delete_waits_and_is_idempotent(functions: Any, fake: GcpFake, code: str) -> None:
    functions.create_function("echo", "python3.12", "contract_handler.handler", code)
    fake.op_polls = 2
    assert functions.delete_function("echo") is True
    assert fake.function(f"{PARENT}/functions/echo") is None
    assert functions.delete_function("echo") is True
    with pytest.raises(FunctionNotFoundError):
        functions.invoke_function("echo", {})
    with pytest.raises(FunctionNotFoundError):
        functions.get_function("echo")

"""Function apps on the Resource Manager fake: the package, invocations, errors."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cloud_common.azure.testing import AzureHarness
from cloud_common.core import (
    AlreadyExistsError,
    CloudServerless,
    ConflictError,
    FunctionInvocationError,
    ValidationError,
)

HANDLER = """
def handler(event, context):
    if "fail" in event:
        raise KeyError(event["fail"])
    return {"echo": event, "answer": 42}
"""


@pytest.fixture
def code(tmp_path: Path) -> str:
    (tmp_path / "app.py").write_text(HANDLER, encoding="utf-8")
    return str(tmp_path)


@pytest.fixture
def raw(harness: AzureHarness) -> Any:
    from azure.storage.blob import BlobServiceClient

    with BlobServiceClient.from_connection_string(harness.azurite.connection_string()) as client:
        yield client


def test_deploy_invoke_and_the_package_on_blob_storage(
    serverless: CloudServerless, code: str, raw: Any
) -> None:
    name = f"fn-{uuid.uuid4().hex[:10]}"
    created = serverless.create_function(
        name, "python3.12", "app.handler", code, tags={"t": "1"}, timeout=30
    )
    assert created["metadata"]["runtime"] == "python3.12"
    assert created["tags"] == {"t": "1"}
    assert serverless.invoke_function(name, {"x": "ü"}) == {"echo": {"x": "ü"}, "answer": 42}
    package = raw.get_blob_client("function-packages", f"{name}.zip").download_blob().readall()
    with zipfile.ZipFile(io.BytesIO(package)) as bundle:
        assert {"app.py", "function_app.py", "cloud_common_runner.py", "host.json"} <= set(
            bundle.namelist()
        )
        wrapper = bundle.read("function_app.py").decode()
        host = json.loads(bundle.read("host.json"))
    compile(wrapper, "function_app.py", "exec")
    assert '@app.route(route="invoke"' in wrapper
    assert host == {"version": "2.0", "functionTimeout": "00:01:30"}, "30 s + the host's margin"
    with pytest.raises(AlreadyExistsError):
        serverless.create_function(name, "python3.12", "app.handler", code)
    assert serverless.delete_function(name) is True
    assert not raw.get_blob_client("function-packages", f"{name}.zip").exists()


def test_a_raised_exception_carries_its_type_and_message(
    serverless: CloudServerless, code: str
) -> None:
    name = f"fn-{uuid.uuid4().hex[:10]}"
    serverless.create_function(name, "python3.12", "app.handler", code)
    with pytest.raises(FunctionInvocationError) as caught:
        serverless.invoke_function(name, {"fail": "boom-123"})
    err = caught.value
    assert (err.error_type, err.status) == ("KeyError", 500)
    assert isinstance(err.payload, dict) and "boom-123" in err.payload["errorMessage"]
    serverless.delete_function(name)


def test_unsupported_arguments_are_refused_before_any_call(
    serverless: CloudServerless, code: str, harness: AzureHarness
) -> None:
    before = len(harness.arm.requests)
    with pytest.raises(ValidationError, match="runtime 'nodejs20'"):
        serverless.create_function("fn-node", "nodejs20", "app.handler", code)
    with pytest.raises(ValidationError, match="memory_size"):
        serverless.create_function("fn-mem", "python3.12", "app.handler", code, memory_size=64)
    assert len(harness.arm.requests) == before


def test_a_refused_creation_leaves_no_package(
    serverless: CloudServerless, code: str, raw: Any, harness: AzureHarness
) -> None:
    name = f"fn-{uuid.uuid4().hex[:10]}"
    harness.arm.inject(409, "Conflict", method="PUT")
    with pytest.raises(ConflictError):
        serverless.create_function(name, "python3.12", "app.handler", code)
    assert not raw.get_blob_client("function-packages", f"{name}.zip").exists()
    assert name not in [f["name"] for f in serverless.list_functions()]
    with pytest.raises(ValidationError, match="timeout"):
        serverless.create_function(name, "python3.12", "app.handler", code, timeout=0)

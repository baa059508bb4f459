"""Bad input is refused with ``ValidationError`` naming the argument, before any call.

Each row is one wrong argument of one call. The client comes from the registry with the
harness's credentials and options, then its driver is swapped for a *sealed* copy that
records any use instead of calling the cloud: a row passes only if the error is raised
before the provider is asked anything.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud_common.contract_tests._session import ContractSession
from cloud_common.contract_tests.harness import FunctionBundle
from cloud_common.core import (
    CloudCompute,
    CloudServerless,
    CloudStorage,
    ValidationError,
    get_compute_client,
    get_serverless_client,
    get_storage_client,
)

B = "contract-bad-input"  # a valid bucket name on every cloud
K = "valid/key.txt"


def _deep(levels: int) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    inner = payload
    for _ in range(levels):
        inner["x"] = {}
        inner = inner["x"]
    return payload


def _seal(client: Any, touched: list[str]) -> None:
    """Replace the client's driver with an uninitialised copy of its class that records
    every public attribute read (a method about to be called) and then fails."""
    driver = client.driver
    base = type(driver)

    def refuse(self: Any, name: str) -> Any:
        if not name.startswith("_"):
            touched.append(name)
            raise RuntimeError(f"driver.{name} used before the argument was checked")
        return object.__getattribute__(self, name)

    sealed_class = type(f"Sealed{base.__name__}", (base,), {"__getattribute__": refuse})
    vars(client)["_driver"] = object.__new__(sealed_class)


Row = tuple[str, Callable[[Any], Any]]


def _rows(service: str, rows: list[Any]) -> list[Any]:
    return [pytest.param(service, arg, call, id=f"{service}-{ident}") for ident, arg, call in rows]


def _stream() -> io.BytesIO:
    return io.BytesIO(b"data")


def _cap(name: str, row: tuple[str, str, Callable[[Any], Any]]) -> Any:
    ident, arg, call = row
    return pytest.param(
        "storage", arg, call, id=f"storage-{ident}", marks=pytest.mark.capability(name)
    )


STORAGE: list[Any] = [
    *_rows(
        "storage",
        [
            ("bucket-int", "bucket", lambda s: s.upload_file(5, K, b"x")),
            ("bucket-empty", "bucket", lambda s: s.download_file("", K)),
            ("bucket-upper", "name", lambda s: s.create_bucket("Not_A_Bucket")),
            ("bucket-long", "name", lambda s: s.create_bucket("b" * 300)),
            ("key-int", "key", lambda s: s.upload_file(B, 7, b"x")),
            ("key-none", "key", lambda s: s.download_file(B, None)),
            ("key-empty", "key", lambda s: s.delete_file(B, "")),
            ("key-newline", "key", lambda s: s.upload_file(B, "a\nb", b"x")),
            ("key-nul", "key", lambda s: s.download_file(B, "a\x00b")),
            ("key-1025-bytes", "key", lambda s: s.upload_file(B, "k" * 1025, b"x")),
            ("key-1024-bytes-of-utf8", "key", lambda s: s.upload_file(B, "é" * 513, b"x")),
            ("data-str", "data", lambda s: s.upload_file(B, K, "text")),
            ("data-none", "data", lambda s: s.upload_file(B, K, None)),
            ("data-list", "data", lambda s: s.upload_file(B, K, [1, 2])),
            ("content-type-int", "content_type", lambda s: s.upload_file(B, K, b"x", 5)),
            ("content-type-crlf", "content_type", lambda s: s.upload_file(B, K, b"x", "a\r\nX: y")),
            ("content-type-lf", "content_type", lambda s: s.upload_file(B, K, b"x", "text/\nx")),
            ("expires-bool", "expires_in", lambda s: s.generate_presigned_url(B, K, True)),
            ("expires-float", "expires_in", lambda s: s.generate_presigned_url(B, K, 60.5)),
            ("expires-zero", "expires_in", lambda s: s.generate_presigned_url(B, K, 0)),
            ("expires-negative", "expires_in", lambda s: s.generate_presigned_url(B, K, -1)),
            ("expires-604801", "expires_in", lambda s: s.generate_presigned_url(B, K, 604801)),
            ("expires-str", "expires_in", lambda s: s.generate_presigned_url(B, K, "60")),
            ("method-delete", "method", lambda s: s.generate_presigned_url(B, K, method="DELETE")),
            ("presign-key-int", "key", lambda s: s.generate_presigned_url(B, 3)),
        ],
    ),
    _cap("storage.user_metadata", ("metadata-int", "metadata", lambda s: s.upload_file(B, K, b"x", metadata={"a": 1}))),
    _cap("storage.user_metadata", ("metadata-crlf", "metadata", lambda s: s.upload_file(B, K, b"x", metadata={"a": "v\r\nX-Evil: 1"}))),
    _cap("storage.user_metadata", ("metadata-key-crlf", "metadata", lambda s: s.upload_file(B, K, b"x", metadata={"a\nb": "v"}))),
    _cap("storage.user_metadata", ("metadata-list", "metadata", lambda s: s.upload_file(B, K, b"x", metadata=["a"]))),
    _cap("storage.list_objects", ("page-size-bool", "page_size", lambda s: s.list_objects(B, page_size=True))),
    _cap("storage.list_objects", ("page-size-zero", "page_size", lambda s: s.list_objects(B, page_size=0))),
    _cap("storage.list_objects", ("page-size-str", "page_size", lambda s: s.list_objects(B, page_size="10"))),
    _cap("storage.list_objects", ("prefix-int", "prefix", lambda s: s.list_objects(B, 5))),
    _cap("storage.list_objects", ("delimiter-empty", "delimiter", lambda s: s.list_objects(B, delimiter=""))),
    _cap("storage.stat_object", ("stat-key-int", "key", lambda s: s.stat_object(B, 1))),
    _cap("storage.copy_file", ("copy-dst-key-empty", "dst_key", lambda s: s.copy_file(B, K, B, ""))),
    _cap("storage.copy_file", ("copy-src-bucket-int", "src_bucket", lambda s: s.copy_file(1, K, B, K))),
    _cap("storage.download_stream", ("range-bool", "byte_range", lambda s: s.download_stream(B, K, io.BytesIO(), byte_range=(0, True)))),
    _cap("storage.download_stream", ("range-reversed", "byte_range", lambda s: s.download_stream(B, K, io.BytesIO(), byte_range=(5, 2)))),
    _cap("storage.download_stream", ("range-negative", "byte_range", lambda s: s.download_stream(B, K, io.BytesIO(), byte_range=(-1, None)))),
    _cap("storage.download_stream", ("range-triple", "byte_range", lambda s: s.download_stream(B, K, io.BytesIO(), byte_range=(0, 1, 2)))),
    _cap("storage.upload_stream", ("source-missing-path", "source", lambda s: s.upload_stream(B, K, "/no/such/file.bin"))),
    _cap("storage.upload_stream", ("source-int", "source", lambda s: s.upload_stream(B, K, 5))),
    _cap("storage.upload_stream", ("stream-content-type-crlf", "content_type", lambda s: s.upload_stream(B, K, _stream(), content_type="a\r\nb"))),
]  # fmt: skip

COMPUTE: list[Any] = _rows(
    "compute",
    [
        ("name-int", "name", lambda c: c.create_instance(5, "t", "i")),
        ("name-blank", "name", lambda c: c.create_instance("  ", "t", "i")),
        ("type-none", "instance_type", lambda c: c.create_instance("n", None, "i")),
        ("image-empty", "image_id", lambda c: c.create_instance("n", "t", "")),
        ("tags-int-value", "tags", lambda c: c.create_instance("n", "t", "i", tags={"a": 1})),
        ("start-id-int", "instance_id", lambda c: c.start_instance(5)),
        ("stop-id-empty", "instance_id", lambda c: c.stop_instance("")),
        ("terminate-id-none", "instance_id", lambda c: c.terminate_instance(None)),
    ],
) + [
    pytest.param("compute", arg, call, id=f"compute-{ident}", marks=pytest.mark.capability(cap))
    for ident, arg, cap, call in [
        ("get-id-int", "instance_id", "compute.get_instance", lambda c: c.get_instance(1)),
        ("wait-state-unknown", "state", "compute.wait_for_state", lambda c: c.wait_for_state("i-1", "flying")),
        ("wait-timeout-str", "timeout", "compute.wait_for_state", lambda c: c.wait_for_state("i-1", "running", "10")),
        ("wait-timeout-negative", "timeout", "compute.wait_for_state", lambda c: c.wait_for_state("i-1", "running", -1)),
        ("wait-poll-zero", "poll_interval", "compute.wait_for_state", lambda c: c.wait_for_state("i-1", "running", poll_interval=0)),
    ]
]  # fmt: skip


def _serverless_rows(code: str) -> list[tuple[str, str, Callable[[Any], Any]]]:
    return [
        ("invoke-payload-list", "payload", lambda f: f.invoke_function("fn", [1])),
        ("invoke-payload-none", "payload", lambda f: f.invoke_function("fn", None)),
        ("invoke-payload-set", "payload", lambda f: f.invoke_function("fn", {"a": {1, 2}})),
        ("invoke-payload-nan", "payload", lambda f: f.invoke_function("fn", {"a": float("nan")})),
        ("invoke-payload-bytes", "payload", lambda f: f.invoke_function("fn", {"a": b"x"})),
        ("invoke-payload-deep", "payload", lambda f: f.invoke_function("fn", _deep(5000))),
        ("invoke-name-int", "function_name", lambda f: f.invoke_function(5, {})),
        ("create-name-empty", "name", lambda f: f.create_function("", "python3.12", "h.h", code)),
        ("create-runtime-int", "runtime", lambda f: f.create_function("n", 3, "h.h", code)),
        ("create-handler-none", "handler", lambda f: f.create_function("n", "python3.12", None, code)),
        ("create-code-missing", "code_path", lambda f: f.create_function("n", "python3.12", "h.h", code + "/nope")),
        ("create-code-int", "code_path", lambda f: f.create_function("n", "python3.12", "h.h", 5)),
        ("create-timeout-str", "timeout", lambda f: f.create_function("n", "python3.12", "h.h", code, timeout="30")),
        ("create-timeout-negative", "timeout", lambda f: f.create_function("n", "python3.12", "h.h", code, timeout=-1)),
        ("create-timeout-bool", "timeout", lambda f: f.create_function("n", "python3.12", "h.h", code, timeout=True)),
        ("create-memory-str", "memory_size", lambda f: f.create_function("n", "python3.12", "h.h", code, memory_size="128")),
        ("create-memory-negative", "memory_size", lambda f: f.create_function("n", "python3.12", "h.h", code, memory_size=-128)),
        ("create-env-int", "environment", lambda f: f.create_function("n", "python3.12", "h.h", code, environment={"A": 1})),
        ("delete-name-none", "function_name", lambda f: f.delete_function(None)),
    ]  # fmt: skip


SERVERLESS_IDS = [row[0] for row in _serverless_rows("")]


@pytest.fixture
def touched() -> list[str]:
    """Names of driver attributes a sealed client used (must stay empty)."""
    return []


@pytest.fixture
def sealed_storage(contract: ContractSession, touched: list[str]) -> CloudStorage:
    h = contract.harness
    client = get_storage_client(h.credentials(), **h.client_options("storage"))
    _seal(client, touched)  # never closed: the sealed driver refuses close() too
    return client


@pytest.fixture
def sealed_compute(contract: ContractSession, touched: list[str]) -> CloudCompute:
    h = contract.harness
    client = get_compute_client(h.credentials(), **h.client_options("compute"))
    _seal(client, touched)  # never closed: the sealed driver refuses close() too
    return client


@pytest.fixture
def sealed_serverless(contract: ContractSession, touched: list[str]) -> CloudServerless:
    h = contract.harness
    client = get_serverless_client(h.credentials(), **h.client_options("serverless"))
    _seal(client, touched)  # never closed: the sealed driver refuses close() too
    return client


def _refused(call: Callable[[], Any], arg: str, touched: list[str]) -> None:
    error: ValidationError | None = None
    try:
        result = call()
        if isinstance(result, Iterator):  # a lazy listing checks its arguments at once
            next(result, None)
    except ValidationError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - that is the finding
        pytest.fail(
            f"expected ValidationError naming {arg!r}, got {type(exc).__name__}: {exc}"
            + (f" (the driver was asked {touched})" if touched else ""),
            pytrace=False,
        )
    if error is None:
        pytest.fail(f"expected ValidationError naming {arg!r}, the call returned", pytrace=False)
    assert not touched, f"the provider was asked {touched} before the argument was checked"
    assert arg in str(error), f"the error does not name the argument {arg!r}: {error}"


@pytest.mark.capability("storage")
@pytest.mark.parametrize(("service", "arg", "call"), STORAGE)
def test_bad_storage_input_is_refused_before_any_call(
    sealed_storage: CloudStorage,
    touched: list[str],
    service: str,
    arg: str,
    call: Callable[[CloudStorage], Any],
) -> None:
    _refused(lambda: call(sealed_storage), arg, touched)


@pytest.mark.capability("compute")
@pytest.mark.parametrize(("service", "arg", "call"), COMPUTE)
def test_bad_compute_input_is_refused_before_any_call(
    sealed_compute: CloudCompute,
    touched: list[str],
    service: str,
    arg: str,
    call: Callable[[CloudCompute], Any],
) -> None:
    _refused(lambda: call(sealed_compute), arg, touched)


@pytest.mark.capability("serverless")
@pytest.mark.parametrize("row", SERVERLESS_IDS)
def test_bad_serverless_input_is_refused_before_any_call(
    sealed_serverless: CloudServerless,
    touched: list[str],
    function_bundle: FunctionBundle,
    row: str,
) -> None:
    code = str(Path(function_bundle.code_path))
    _, arg, call = next(r for r in _serverless_rows(code) if r[0] == row)
    _refused(lambda: call(sealed_serverless), arg, touched)

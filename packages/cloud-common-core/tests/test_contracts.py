"""The ABCs keep the spec's abstract methods exactly, and nothing else is abstract."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from cloud_common.core import (
    ComputeClient,
    InstanceState,
    NotSupportedError,
    ObjectInfo,
    ObjectNotFoundError,
    ServerlessClient,
    StorageClient,
    TimeoutError,  # noqa: A004
)

SPEC = Path(__file__).resolve().parents[4] / "shared" / "spec" / "cloud-common-spec.md"

EXPECTED = {
    StorageClient: {
        "list_buckets": "(self) -> List[str]",
        "create_bucket": "(self, name: str) -> bool",
        "upload_file": "(self, bucket: str, key: str, data: bytes, content_type: Optional[str] = None) -> str",
        "download_file": "(self, bucket: str, key: str) -> bytes",
        "delete_file": "(self, bucket: str, key: str) -> bool",
        "generate_presigned_url": "(self, bucket: str, key: str, expires_in: int = 3600) -> str",
    },
    ComputeClient: {
        "list_instances": "(self) -> List[Dict[str, Any]]",
        "start_instance": "(self, instance_id: str) -> bool",
        "stop_instance": "(self, instance_id: str) -> bool",
        "terminate_instance": "(self, instance_id: str) -> bool",
        "create_instance": "(self, name: str, instance_type: str, image_id: str, **kwargs) -> Dict[str, Any]",
    },
    ServerlessClient: {
        "list_functions": "(self) -> List[Dict[str, Any]]",
        "invoke_function": "(self, function_name: str, payload: Dict[str, Any]) -> Dict[str, Any]",
        "create_function": "(self, name: str, runtime: str, handler: str, code_path: str, **kwargs) -> Dict[str, Any]",
        "delete_function": "(self, function_name: str) -> bool",
    },
}


@pytest.mark.parametrize("abc", list(EXPECTED), ids=lambda c: c.__name__)
def test_abstract_methods_are_exactly_the_specs(abc: type) -> None:
    assert set(abc.__abstractmethods__) == set(EXPECTED[abc])
    for name, signature in EXPECTED[abc].items():
        assert str(inspect.signature(getattr(abc, name))) == signature, name


@pytest.mark.skipif(not SPEC.exists(), reason="the spec is not beside this checkout")
def test_signatures_match_the_spec_text() -> None:
    text = SPEC.read_text(encoding="utf-8")
    spec_sigs = {
        m.group(1): re.sub(r"\s+", " ", m.group(2)).replace("( ", "(").replace(", )", ")")
        for m in re.finditer(r"def (\w+)\((.*?)\) ->", text, re.S)
    }
    for methods in EXPECTED.values():
        for name, signature in methods.items():
            params = signature.split(" -> ")[0][1:-1]
            assert spec_sigs[name] == params, name


def _implement_only_spec(abc: type) -> type:
    namespace: dict[str, Any] = {name: (lambda self, *a, **k: None) for name in EXPECTED[abc]}
    return type(f"Only{abc.__name__}", (abc,), namespace)


@pytest.mark.parametrize("abc", list(EXPECTED), ids=lambda c: c.__name__)
def test_a_class_with_only_the_spec_methods_instantiates(abc: type) -> None:
    client = _implement_only_spec(abc)()
    with pytest.raises(NotSupportedError):
        _ = client.native
    with client as same:  # context manager and close() come for free
        assert same is client


def test_extensions_raise_not_supported_naming_the_call() -> None:
    storage = _implement_only_spec(StorageClient)()
    for call, args in [
        ("list_objects", ("b",)),
        ("stat_object", ("b", "k")),
        ("delete_bucket", ("b",)),
        ("copy_file", ("b", "k", "b", "k2")),
        ("upload_stream", ("b", "k", "/dev/null")),
        ("download_stream", ("b", "k", "/dev/null")),
    ]:
        with pytest.raises(NotSupportedError, match=call):
            getattr(storage, call)(*args)
    with pytest.raises(NotSupportedError, match="get_instance"):
        _implement_only_spec(ComputeClient)().get_instance("i-1")
    with pytest.raises(NotSupportedError, match="get_function"):
        _implement_only_spec(ServerlessClient)().get_function("f")


def test_object_exists_defaults_to_stat_object() -> None:
    class Stat(_implement_only_spec(StorageClient)):  # type: ignore[misc]
        def stat_object(self, bucket: str, key: str) -> ObjectInfo:
            if key == "there":
                return ObjectInfo(key, 1)
            raise ObjectNotFoundError("missing")

    assert Stat().object_exists("b", "there") is True
    assert Stat().object_exists("b", "absent") is False


def test_wait_for_state_polls_get_instance_until_state_or_timeout() -> None:
    seen = iter(["pending", "pending", "running"])

    class Poll(_implement_only_spec(ComputeClient)):  # type: ignore[misc]
        def get_instance(self, instance_id: str) -> dict[str, Any]:
            return {"id": instance_id, "status": next(seen, "running")}

    assert (
        Poll().wait_for_state("i-1", InstanceState.RUNNING, 5, poll_interval=0.001)["status"]
        == "running"
    )
    with pytest.raises(TimeoutError, match="wanted 'stopped'") as info:
        Poll().wait_for_state("i-1", "stopped", 0.01, poll_interval=0.001)
    assert info.value.retryable is True

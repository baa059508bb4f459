"""The ABCs keep the spec's abstract methods exactly, and nothing else is abstract."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from cloud_common.core import (
    CloudCompute,
    CloudServerless,
    CloudStorage,
    ComputeClient,
    NotSupportedError,
    ServerlessClient,
    StorageClient,
)

# The spec's signatures (cloud-common-spec.md v0.2.0, "Interface Contracts"), as data: the
# ABCs must keep them exactly (names, parameters, defaults, annotations).
EXPECTED: dict[type[Any], dict[str, str]] = {
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
def test_abstract_methods_are_exactly_the_specs(abc: type[Any]) -> None:
    assert set(abc.__abstractmethods__) == set(EXPECTED[abc])
    for name, signature in EXPECTED[abc].items():
        assert str(inspect.signature(getattr(abc, name))) == signature, name


def _implement_only_spec(abc: type[Any]) -> type[Any]:
    namespace: dict[str, Any] = {name: (lambda self, *a, **k: None) for name in EXPECTED[abc]}
    return type(f"Only{abc.__name__}", (abc,), namespace)


@pytest.mark.parametrize("abc", list(EXPECTED), ids=lambda c: c.__name__)
def test_a_class_with_only_the_spec_methods_instantiates(abc: type[Any]) -> None:
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


@pytest.mark.parametrize(
    ("portable", "abc"),
    [
        (CloudStorage, StorageClient),
        (CloudCompute, ComputeClient),
        (CloudServerless, ServerlessClient),
    ],
)
def test_the_portable_clients_are_the_spec_abcs_with_every_call_implemented(
    portable: type[Any], abc: type[Any]
) -> None:
    assert issubclass(portable, abc) and not portable.__abstractmethods__
    extensions = {
        name
        for name, value in vars(abc).items()
        if callable(value) and not name.startswith("_") and name not in EXPECTED[abc]
    }
    for name in set(EXPECTED[abc]) | extensions:
        assert getattr(portable, name) is not getattr(abc, name), f"{name} is not applied"
        spec = inspect.signature(getattr(abc, name)).parameters
        ours = inspect.signature(getattr(portable, name)).parameters
        assert list(ours)[: len(spec)] == list(spec), name  # same names, same order

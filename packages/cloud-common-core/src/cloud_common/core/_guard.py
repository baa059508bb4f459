"""Core's guard around every client the registry hands out.

It validates arguments before the provider sees them, refuses undeclared extensions,
turns whatever the provider raises into a ``CloudError`` (secrets scrubbed), applies the
return semantics of the contract table where a provider raised instead, and checks the
types of returns. So a careless third-party provider still keeps the contract.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from cloud_common.core._capabilities import Capability
from cloud_common.core._contracts import (
    ComputeClient,
    PathOrFile,
    ServerlessClient,
    StorageClient,
)
from cloud_common.core._models import CloudCredentials, InstanceState, ObjectInfo
from cloud_common.core._policy import ErrorPolicy
from cloud_common.core.errors import (
    AlreadyExistsError,
    BucketNotFoundError,
    CloudError,
    FunctionNotFoundError,
    InstanceNotFoundError,
    NotSupportedError,
    ObjectNotFoundError,
    ValidationError,
)
from cloud_common.core.validation import (
    validate_bucket_name,
    validate_byte_range,
    validate_expires_in,
    validate_instance_state,
    validate_key,
    validate_name,
    validate_presign_method,
)

if TYPE_CHECKING:  # the registry imports this module
    from cloud_common.core._registry import ProviderInfo

__all__ = ["guard"]

logger = logging.getLogger("cloud_common.core.guard")
T = TypeVar("T")


def _naming_the_provider(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a guard method so every CloudError it raises names the provider."""

    @functools.wraps(method)
    def wrapper(self: _Guard, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except CloudError as exc:
            exc.provider = exc.provider or self._info.id
            raise

    return wrapper


class _Guard:
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if callable(value) and not name.startswith("_"):
                setattr(cls, name, _naming_the_provider(value))

    def __init__(self, inner: Any, info: ProviderInfo, credentials: CloudCredentials) -> None:
        self._inner = inner
        self._info = info
        self.provider_id = info.id
        self._policy = ErrorPolicy(info.id, logger=logger, secrets=credentials.secrets())

    @property
    def provider_info(self) -> ProviderInfo:
        """The ``ProviderInfo`` of the provider behind this client."""
        return self._info

    def __repr__(self) -> str:
        return f"<{type(self).__name__} provider={self._info.id!r} client={type(self._inner).__name__}>"

    def _require(self, capability: Capability, operation: str) -> None:
        if not self._info.supports(capability):
            raise NotSupportedError(
                f"{self._info.id} does not declare capability {capability.value!r}",
                provider=self._info.id,
                operation=operation,
            )

    def _run(
        self,
        operation: str,
        resource: str | None,
        fn: Callable[[], Any],
        expect: type | tuple[type, ...],
        soft: Mapping[type[CloudError], Any] | None = None,
    ) -> Any:
        logger.debug("[%s] %s %s", self._info.id, operation, resource or "")
        result = self._policy.call(operation, fn, resource=resource, soft=soft)
        if not isinstance(result, expect) or (expect is not bool and isinstance(result, bool)):
            names = (
                expect.__name__
                if isinstance(expect, type)
                else "/".join(t.__name__ for t in expect)
            )
            raise CloudError(
                f"the provider returned {type(result).__name__}, the contract promises {names}",
                provider=self._info.id,
                operation=operation,
                resource=resource,
            )
        return result

    @property
    def native(self) -> Any:
        return self._policy.call("native", lambda: self._inner.native)

    def close(self) -> None:
        self._policy.call("close", self._inner.close)


class GuardedStorageClient(_Guard, StorageClient):
    """A StorageClient that enforces the contract around a provider's client."""

    def _bucket(self, name: Any, operation: str, arg: str = "bucket") -> str:
        return validate_bucket_name(name, self._info.bucket_rules, arg=arg, operation=operation)

    def _key(self, key: Any, operation: str, arg: str = "key") -> str:
        return validate_key(
            key, filesystem=self._info.filesystem_keys, arg=arg, operation=operation
        )

    def _where(self, bucket: str, key: str | None = None) -> str:
        scheme = self._info.url_schemes[0] if self._info.url_schemes else self._info.id
        return f"{scheme}://{bucket}/{key}" if key is not None else f"{scheme}://{bucket}"

    def list_buckets(self) -> list[str]:
        result: list[str] = self._run("list_buckets", None, self._inner.list_buckets, list)
        return result

    def create_bucket(self, name: str) -> bool:
        self._bucket(name, "create_bucket", "name")
        return bool(
            self._run(
                "create_bucket",
                self._where(name),
                lambda: self._inner.create_bucket(name),
                bool,
                soft={AlreadyExistsError: False},
            )
        )

    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str | None = None,
        *,
        metadata: dict[str, str] | None = None,
    ) -> str:
        self._bucket(bucket, "upload_file")
        self._key(key, "upload_file")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValidationError(
                f"data must be bytes, not {type(data).__name__}", operation="upload_file"
            )
        _check_metadata(metadata, "upload_file")
        extra: dict[str, Any] = {}
        if metadata:
            self._require(Capability.USER_METADATA, "upload_file")
            extra["metadata"] = metadata
        payload = bytes(data)
        result: str = self._run(
            "upload_file",
            self._where(bucket, key),
            lambda: self._inner.upload_file(bucket, key, payload, content_type, **extra),
            str,
        )
        return result

    def download_file(self, bucket: str, key: str) -> bytes:
        self._bucket(bucket, "download_file")
        self._key(key, "download_file")
        result: bytes = self._run(
            "download_file",
            self._where(bucket, key),
            lambda: self._inner.download_file(bucket, key),
            bytes,
        )
        return result

    def delete_file(self, bucket: str, key: str) -> bool:
        self._bucket(bucket, "delete_file")
        self._key(key, "delete_file")
        return bool(
            self._run(
                "delete_file",
                self._where(bucket, key),
                lambda: self._inner.delete_file(bucket, key),
                bool,
                soft={BucketNotFoundError: False, ObjectNotFoundError: True},
            )
        )

    def generate_presigned_url(
        self,
        bucket: str,
        key: str,
        expires_in: int = 3600,
        *,
        method: str = "GET",
        content_type: str | None = None,
    ) -> str:
        op = "generate_presigned_url"
        self._bucket(bucket, op)
        self._key(key, op)
        validate_expires_in(expires_in, operation=op)
        verb = validate_presign_method(method, operation=op)
        extra: dict[str, Any] = {}
        if verb == "PUT":
            self._require(Capability.PRESIGN_PUT, op)
            extra["method"] = "PUT"
        if content_type is not None:  # a spec-only provider's signature has no such argument
            self._require(Capability.PRESIGN_PUT, op)
            extra["content_type"] = content_type
        result: str = self._run(
            op,
            self._where(bucket, key),
            lambda: self._inner.generate_presigned_url(bucket, key, expires_in, **extra),
            str,
        )
        return result

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        op = "list_objects"
        self._require(Capability.LIST_OBJECTS, op)
        self._bucket(bucket, op)
        if not isinstance(prefix, str):
            raise ValidationError(
                f"prefix must be a str, not {type(prefix).__name__}", operation=op
            )
        if delimiter is not None and (not isinstance(delimiter, str) or not delimiter):
            raise ValidationError(f"delimiter {delimiter!r} must be a non-empty str", operation=op)
        if page_size is not None and (not isinstance(page_size, int) or not 1 <= page_size <= 1000):
            raise ValidationError(
                f"page_size {page_size!r} must be an int in 1..1000", operation=op
            )
        where = self._where(bucket, prefix)
        iterator = self._run(
            op,
            where,
            lambda: iter(
                self._inner.list_objects(bucket, prefix, delimiter=delimiter, page_size=page_size)
            ),
            Iterator,
        )
        return self._iterate(op, where, iterator)

    def _iterate(self, op: str, where: str, iterator: Iterator[Any]) -> Iterator[ObjectInfo]:
        while True:
            item = self._policy.call(op, lambda: next(iterator, _END), resource=where)
            if item is _END:
                return
            if not isinstance(item, ObjectInfo):
                raise CloudError(
                    f"the provider yielded {type(item).__name__}, the contract promises ObjectInfo",
                    provider=self._info.id,
                    operation=op,
                    resource=where,
                )
            yield item

    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        self._require(Capability.STAT_OBJECT, "stat_object")
        self._bucket(bucket, "stat_object")
        self._key(key, "stat_object")
        result: ObjectInfo = self._run(
            "stat_object",
            self._where(bucket, key),
            lambda: self._inner.stat_object(bucket, key),
            ObjectInfo,
        )
        return result

    def object_exists(self, bucket: str, key: str) -> bool:
        if not (
            self._info.supports(Capability.OBJECT_EXISTS)
            or self._info.supports(Capability.STAT_OBJECT)
        ):
            self._require(Capability.OBJECT_EXISTS, "object_exists")
        self._bucket(bucket, "object_exists")
        self._key(key, "object_exists")
        return bool(
            self._run(
                "object_exists",
                self._where(bucket, key),
                lambda: self._inner.object_exists(bucket, key),
                bool,
                soft={ObjectNotFoundError: False, BucketNotFoundError: False},
            )
        )

    def delete_bucket(self, name: str) -> bool:
        self._require(Capability.DELETE_BUCKET, "delete_bucket")
        self._bucket(name, "delete_bucket", "name")
        return bool(
            self._run(
                "delete_bucket",
                self._where(name),
                lambda: self._inner.delete_bucket(name),
                bool,
                soft={BucketNotFoundError: True},
            )
        )

    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        op = "copy_file"
        self._require(Capability.COPY_FILE, op)
        self._bucket(src_bucket, op, "src_bucket")
        self._key(src_key, op, "src_key")
        self._bucket(dst_bucket, op, "dst_bucket")
        self._key(dst_key, op, "dst_key")
        result: str = self._run(
            op,
            self._where(src_bucket, src_key),
            lambda: self._inner.copy_file(src_bucket, src_key, dst_bucket, dst_key),
            str,
        )
        return result

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: PathOrFile,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        op = "upload_stream"
        self._require(Capability.UPLOAD_STREAM, op)
        self._bucket(bucket, op)
        self._key(key, op)
        _check_stream(source, "source", op)
        _check_metadata(metadata, op)
        if metadata:
            self._require(Capability.USER_METADATA, op)
        result: str = self._run(
            op,
            self._where(bucket, key),
            lambda: self._inner.upload_stream(
                bucket, key, source, content_type=content_type, metadata=metadata
            ),
            str,
        )
        return result

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: PathOrFile,
        *,
        byte_range: tuple[int, int | None] | None = None,
    ) -> int:
        op = "download_stream"
        self._require(Capability.DOWNLOAD_STREAM, op)
        self._bucket(bucket, op)
        self._key(key, op)
        _check_stream(dest, "dest", op)
        checked = validate_byte_range(byte_range, operation=op)
        result: int = self._run(
            op,
            self._where(bucket, key),
            lambda: self._inner.download_stream(bucket, key, dest, byte_range=checked),
            int,
        )
        return result


class GuardedComputeClient(_Guard, ComputeClient):
    """A ComputeClient that enforces the contract around a provider's client."""

    def list_instances(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._run(
            "list_instances", None, self._inner.list_instances, list
        )
        return result

    def _id(self, instance_id: Any, operation: str) -> str:
        return validate_name(instance_id, "instance_id", operation=operation)

    def start_instance(self, instance_id: str) -> bool:
        self._id(instance_id, "start_instance")
        return bool(
            self._run(
                "start_instance",
                instance_id,
                lambda: self._inner.start_instance(instance_id),
                bool,
                soft={InstanceNotFoundError: False},
            )
        )

    def stop_instance(self, instance_id: str) -> bool:
        self._id(instance_id, "stop_instance")
        return bool(
            self._run(
                "stop_instance",
                instance_id,
                lambda: self._inner.stop_instance(instance_id),
                bool,
                soft={InstanceNotFoundError: False},
            )
        )

    def terminate_instance(self, instance_id: str) -> bool:
        self._id(instance_id, "terminate_instance")
        return bool(
            self._run(
                "terminate_instance",
                instance_id,
                lambda: self._inner.terminate_instance(instance_id),
                bool,
                soft={InstanceNotFoundError: True},
            )
        )

    def create_instance(
        self, name: str, instance_type: str, image_id: str, **kwargs: Any
    ) -> dict[str, Any]:
        for arg, value in (
            ("name", name),
            ("instance_type", instance_type),
            ("image_id", image_id),
        ):
            validate_name(value, arg, operation="create_instance")
        result: dict[str, Any] = self._run(
            "create_instance",
            name,
            lambda: self._inner.create_instance(name, instance_type, image_id, **kwargs),
            dict,
        )
        return result

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        self._require(Capability.GET_INSTANCE, "get_instance")
        self._id(instance_id, "get_instance")
        result: dict[str, Any] = self._run(
            "get_instance", instance_id, lambda: self._inner.get_instance(instance_id), dict
        )
        return result

    def wait_for_state(
        self,
        instance_id: str,
        state: InstanceState | str,
        timeout: float = 300.0,
        *,
        poll_interval: float = 2.0,
    ) -> dict[str, Any]:
        op = "wait_for_state"
        self._require(Capability.WAIT_FOR_STATE, op)
        self._id(instance_id, op)
        wanted = validate_instance_state(state, operation=op)
        if not timeout > 0 or not poll_interval > 0:
            raise ValidationError("timeout and poll_interval must be > 0 seconds", operation=op)
        result: dict[str, Any] = self._run(
            op,
            instance_id,
            lambda: self._inner.wait_for_state(
                instance_id, wanted, timeout, poll_interval=poll_interval
            ),
            dict,
        )
        return result


class GuardedServerlessClient(_Guard, ServerlessClient):
    """A ServerlessClient that enforces the contract around a provider's client."""

    def _name(self, name: Any, operation: str, arg: str = "function_name") -> str:
        return validate_name(name, arg, operation=operation)

    def list_functions(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._run(
            "list_functions", None, self._inner.list_functions, list
        )
        return result

    def invoke_function(
        self, function_name: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        self._name(function_name, "invoke_function")
        if not isinstance(payload, dict):
            raise ValidationError(
                f"payload must be a dict, not {type(payload).__name__}", operation="invoke_function"
            )
        extra: dict[str, Any] = {}
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
                raise ValidationError(
                    f"timeout {timeout!r} must be a number of seconds > 0",
                    operation="invoke_function",
                )
            if "timeout" not in inspect.signature(self._inner.invoke_function).parameters:
                raise NotSupportedError(
                    f"{self._info.id} does not take a per-call timeout",
                    provider=self._info.id,
                    operation="invoke_function",
                )
            extra["timeout"] = timeout
        result: dict[str, Any] = self._run(
            "invoke_function",
            function_name,
            lambda: self._inner.invoke_function(function_name, payload, **extra),
            dict,
        )
        return result

    def create_function(
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs: Any
    ) -> dict[str, Any]:
        op = "create_function"
        self._name(name, op, "name")
        self._name(runtime, op, "runtime")
        self._name(handler, op, "handler")
        if not isinstance(code_path, (str, os.PathLike)) or not os.path.exists(code_path):
            raise ValidationError(
                f"code_path {code_path!r} is invalid: no such file or directory", operation=op
            )
        result: dict[str, Any] = self._run(
            op,
            name,
            lambda: self._inner.create_function(name, runtime, handler, str(code_path), **kwargs),
            dict,
        )
        return result

    def delete_function(self, function_name: str) -> bool:
        self._name(function_name, "delete_function")
        return bool(
            self._run(
                "delete_function",
                function_name,
                lambda: self._inner.delete_function(function_name),
                bool,
                soft={FunctionNotFoundError: True},
            )
        )

    def get_function(self, function_name: str) -> dict[str, Any]:
        self._require(Capability.GET_FUNCTION, "get_function")
        self._name(function_name, "get_function")
        result: dict[str, Any] = self._run(
            "get_function", function_name, lambda: self._inner.get_function(function_name), dict
        )
        return result


class _End:
    pass


_END = _End()


def _check_metadata(metadata: Any, operation: str) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k for k, v in metadata.items()
    ):
        raise ValidationError(
            "metadata must be a dict of non-empty str keys to str values", operation=operation
        )


def _check_stream(value: Any, arg: str, operation: str) -> None:
    if isinstance(value, (str, os.PathLike)):
        return
    if not (hasattr(value, "read") or hasattr(value, "write")):
        raise ValidationError(
            f"{arg} must be a path or a binary file object, not {type(value).__name__}",
            operation=operation,
        )


_GUARDS: dict[type[Any], type[_Guard]] = {
    StorageClient: GuardedStorageClient,
    ComputeClient: GuardedComputeClient,
    ServerlessClient: GuardedServerlessClient,
}


def guard(client: T, info: ProviderInfo, credentials: CloudCredentials) -> T:
    """Wrap a provider's client in the guard of its contract (idempotent)."""
    if isinstance(client, _Guard):
        return client
    for base, wrapper in _GUARDS.items():
        if isinstance(client, base):
            guarded: T = wrapper(client, info, credentials)  # type: ignore[assignment]
            return guarded
    raise ValidationError(f"{type(client).__name__} is not a storage, compute or serverless client")

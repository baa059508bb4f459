"""In-memory drivers used by core's tests (importable by "module:Class" paths).

``memtest`` is a contract-0.3 provider: drivers that only do the "cloud" work and raise on
failure, an options type and an error translator. ``legacy_info()`` declares the same
classes the 0.2 way (keyword options, ``bucket_rules="s3"``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cloud_common.core import (
    AlreadyExistsError,
    BucketNotFoundError,
    Capability,
    ClientOptions,
    CloudCredentials,
    CloudError,
    ComputeClient,
    ConflictError,
    InstanceNotFoundError,
    ObjectInfo,
    ObjectNotFoundError,
    ProviderInfo,
    ServerlessClient,
    StorageClient,
    SupportsWrite,
    UploadSource,
)

logger = logging.getLogger(__name__)
BUCKETS: dict[str, dict[str, bytes]] = {}
LOCKED: set[str] = set()
INSTANCES: dict[str, str] = {}


class MemError(Exception):
    """The "SDK" exception of the memory cloud."""

    def __init__(self, code: str) -> None:
        super().__init__(f"memory cloud says {code}")
        self.code = code


def translate(exc: BaseException) -> CloudError | None:
    """The provider's one error map."""
    if isinstance(exc, MemError):
        cls = {"NoBucket": BucketNotFoundError, "NoKey": ObjectNotFoundError}.get(exc.code)
        return (cls or CloudError)(str(exc))
    return None


@dataclass(frozen=True, kw_only=True)
class MemOptions(ClientOptions):
    page: int = 2


class MemoryStorage(StorageClient):
    def __init__(self, credentials: CloudCredentials | None = None, options: Any = None) -> None:
        self.credentials = credentials
        self.options = options
        logger.debug("built with %s", credentials)

    def list_buckets(self) -> list[str]:
        return list(reversed(sorted(BUCKETS)))

    def create_bucket(self, name: str) -> bool:
        if name.startswith("taken"):
            raise AlreadyExistsError("owned by another account")
        BUCKETS.setdefault(name, {})
        return True

    def _bucket(self, bucket: str) -> dict[str, bytes]:
        if bucket not in BUCKETS:
            raise MemError("NoBucket")
        return BUCKETS[bucket]

    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str | None = None,
        *,
        metadata: dict[str, str] | None = None,
    ) -> str:
        self._bucket(bucket)[key] = data
        return "whatever the driver says"

    def download_file(self, bucket: str, key: str) -> bytes:
        try:
            return self._bucket(bucket)[key]
        except KeyError:
            raise MemError("NoKey") from None

    def delete_file(self, bucket: str, key: str) -> bool:
        if key in LOCKED:
            raise ConflictError("retention lock")
        objects = self._bucket(bucket)
        if key not in objects:
            raise MemError("NoKey")
        del objects[key]
        return True

    def generate_presigned_url(self, bucket: str, key: str, expires_in: int = 3600) -> str:
        return f"http://127.0.0.1/{bucket}/{key}?expires={expires_in}"

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        for key in sorted(self._bucket(bucket)):
            if key.startswith(prefix):
                yield ObjectInfo(key, len(BUCKETS[bucket][key]))

    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        return ObjectInfo(key, len(self.download_file(bucket, key)))

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: UploadSource,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        assert isinstance(source, str) or hasattr(source, "read")
        if isinstance(source, str):
            with open(source, "rb") as f:
                data = f.read()
        else:
            data = source.read()
        self._bucket(bucket)[key] = data
        return ""

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: Any,
        *,
        byte_range: tuple[int, int | None] | None = None,
    ) -> int:
        data = self.download_file(bucket, key)
        out: SupportsWrite = dest
        out.write(data[:3])
        if key.startswith("fail"):
            raise MemError("Interrupted")
        out.write(data[3:])
        return len(data)


class MemoryCompute(ComputeClient):
    def __init__(self, credentials: CloudCredentials | None = None, options: Any = None) -> None:
        pass

    def _resource(self, instance_id: str) -> dict[str, Any]:
        if instance_id not in INSTANCES:
            raise InstanceNotFoundError(f"no instance {instance_id}")
        return {"id": instance_id, "status": INSTANCES[instance_id]}

    def list_instances(self) -> list[dict[str, Any]]:
        return [self._resource(i) for i in sorted(INSTANCES)]

    def start_instance(self, instance_id: str) -> bool:
        state = self._resource(instance_id)["status"]
        if state == "terminated":
            raise ConflictError("the instance is terminated")
        INSTANCES[instance_id] = "running"
        return True

    def stop_instance(self, instance_id: str) -> bool:
        self._resource(instance_id)
        return False  # a 0.3 driver that answers False: core logs the one WARNING

    def terminate_instance(self, instance_id: str) -> bool:
        self._resource(instance_id)
        INSTANCES[instance_id] = "terminated"
        return True

    def create_instance(
        self, name: str, instance_type: str, image_id: str, **kwargs: Any
    ) -> dict[str, Any]:
        INSTANCES[name] = "pending"
        return self._resource(name)

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        found = self._resource(instance_id)
        if INSTANCES[instance_id] == "pending":
            INSTANCES[instance_id] = "running"
        return found


class MemoryServerless(ServerlessClient):
    def __init__(self, credentials: CloudCredentials | None = None, options: Any = None) -> None:
        pass

    def list_functions(self) -> list[dict[str, Any]]:
        return []

    def invoke_function(self, function_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return dict(payload)

    def create_function(
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs: Any
    ) -> dict[str, Any]:
        return {"name": name, "code_path": code_path}

    def delete_function(self, function_name: str) -> bool:
        return True


class CarelessStorage(MemoryStorage):
    """Breaks the rules: raises raw exceptions, returns wrong types, leaks secrets."""

    def download_file(self, bucket: str, key: str) -> bytes:
        secret = self.credentials.secret_key if self.credentials else ""
        raise KeyError(f"boom with {secret}")

    def create_bucket(self, name: str) -> bool:
        return "yes"  # type: ignore[return-value]

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        yield ObjectInfo(prefix + "b")
        yield ObjectInfo(prefix + "a")


class LegacyStorage(MemoryStorage):
    """A 0.2 client: built with keyword options."""

    def __init__(self, credentials: CloudCredentials | None = None, **options: Any) -> None:
        super().__init__(credentials, options)


class LegacyCompute(MemoryCompute):
    """A 0.2 driver: it logs its own WARNING when it answers False."""

    def __init__(self, credentials: CloudCredentials | None = None, **options: Any) -> None:
        self.options = options

    def stop_instance(self, instance_id: str) -> bool:
        logger.warning("cannot stop %s", instance_id)
        return False


def info(pid: str = "memtest", storage: str = "MemoryStorage", **extra: Any) -> ProviderInfo:
    fields: dict[str, Any] = {
        "id": pid,
        "display_name": "Memory (tests)",
        "contract_version": "0.3",
        "services": {
            "storage": f"cc_core_testprovider:{storage}",
            "compute": "cc_core_testprovider:MemoryCompute",
            "serverless": "cc_core_testprovider:MemoryServerless",
        },
        "url_schemes": ("mem",),
        "capabilities": frozenset(
            {
                Capability.LIST_OBJECTS,
                Capability.STAT_OBJECT,
                Capability.UPLOAD_STREAM,
                Capability.DOWNLOAD_STREAM,
                Capability.GET_INSTANCE,
            }
        ),
        "environment": {
            "MEM_KEY": "access_key",
            "MEM_SECRET": "secret_key",
            "MEM_URL": "metadata.endpoint_url",
        },
        "options": "cc_core_testprovider:MemOptions",
        "errors": "cc_core_testprovider:translate",
    }
    fields.update(extra)
    return ProviderInfo(**fields)


def legacy_info(pid: str = "memold") -> ProviderInfo:
    return info(
        pid,
        contract_version="0.2",
        services={
            "storage": "cc_core_testprovider:LegacyStorage",
            "compute": "cc_core_testprovider:LegacyCompute",
        },
        bucket_rules="s3",
        options=None,
        errors=None,
        environment={},
    )

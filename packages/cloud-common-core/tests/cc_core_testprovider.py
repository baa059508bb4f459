"""An in-memory provider used by core's tests (importable by "module:Class" paths)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from cloud_common.core import (
    BucketNotFoundError,
    Capability,
    CloudCredentials,
    ComputeClient,
    ObjectInfo,
    ObjectNotFoundError,
    ProviderInfo,
    ServerlessClient,
    StorageClient,
)

logger = logging.getLogger(__name__)
BUCKETS: dict[str, dict[str, bytes]] = {}


class MemoryStorage(StorageClient):
    provider_id = "memtest"

    def __init__(self, credentials: CloudCredentials | None = None, **options: Any) -> None:
        self.credentials = credentials
        self.options = options
        logger.debug("built with %s", credentials)

    def list_buckets(self) -> list[str]:
        return sorted(BUCKETS)

    def create_bucket(self, name: str) -> bool:
        BUCKETS.setdefault(name, {})
        return True

    def upload_file(
        self, bucket: str, key: str, data: bytes, content_type: str | None = None
    ) -> str:
        if bucket not in BUCKETS:
            raise BucketNotFoundError("no bucket")
        BUCKETS[bucket][key] = data
        return f"mem://{bucket}/{key}"

    def download_file(self, bucket: str, key: str) -> bytes:
        try:
            return BUCKETS[bucket][key]
        except KeyError:
            raise ObjectNotFoundError("no such object") from None

    def delete_file(self, bucket: str, key: str) -> bool:
        if bucket not in BUCKETS:
            raise BucketNotFoundError("no bucket")
        BUCKETS[bucket].pop(key, None)
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
        for key in sorted(BUCKETS[bucket]):
            if key.startswith(prefix):
                yield ObjectInfo(key, len(BUCKETS[bucket][key]))


class MemoryCompute(ComputeClient):
    provider_id = "memtest"

    def __init__(self, credentials: CloudCredentials | None = None, **options: Any) -> None:
        self.states: dict[str, str] = {}

    def list_instances(self) -> list[dict[str, Any]]:
        return []

    def start_instance(self, instance_id: str) -> bool:
        return True

    def stop_instance(self, instance_id: str) -> bool:
        return True

    def terminate_instance(self, instance_id: str) -> bool:
        return True

    def create_instance(
        self, name: str, instance_type: str, image_id: str, **kwargs: Any
    ) -> dict[str, Any]:
        return {"id": name}


class MemoryServerless(ServerlessClient):
    provider_id = "memtest"

    def __init__(self, credentials: CloudCredentials | None = None, **options: Any) -> None:
        pass

    def list_functions(self) -> list[dict[str, Any]]:
        return []

    def invoke_function(self, function_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return dict(payload)

    def create_function(
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs: Any
    ) -> dict[str, Any]:
        return {"name": name}

    def delete_function(self, function_name: str) -> bool:
        return True


class CarelessStorage(MemoryStorage):
    """Breaks the rules: raises raw exceptions, returns wrong types, leaks secrets."""

    def download_file(self, bucket: str, key: str) -> bytes:
        secret = self.credentials.secret_key if self.credentials else ""
        raise KeyError(f"boom with {secret}")

    def delete_file(self, bucket: str, key: str) -> bool:
        raise ObjectNotFoundError("already gone")

    def create_bucket(self, name: str) -> bool:
        return "yes"  # type: ignore[return-value]


def info(pid: str = "memtest", storage: str = "MemoryStorage", **extra: Any) -> ProviderInfo:
    return ProviderInfo(
        id=pid,
        display_name="Memory (tests)",
        contract_version="0.2",
        services={
            "storage": f"cc_core_testprovider:{storage}",
            "compute": "cc_core_testprovider:MemoryCompute",
            "serverless": "cc_core_testprovider:MemoryServerless",
        },
        url_schemes=("mem",),
        capabilities=frozenset({Capability.LIST_OBJECTS}),
        **extra,
    )

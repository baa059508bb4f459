"""A third-party-style provider for the command's tests: an in-memory storage driver with
the spec's calls and ``list_objects`` only (no stat, no streams, no copy), registered with
``cloud_common.core.register`` under the scheme ``memo://``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloud_common.core import (
    CONTRACT_VERSION,
    BucketNotFoundError,
    Capability,
    ObjectInfo,
    ObjectNotFoundError,
    ProviderInfo,
    StorageClient,
)

__all__ = ["PROVIDER", "MemoryStorage"]

_BUCKETS: dict[str, dict[str, bytes]] = {}


class MemoryStorage(StorageClient):
    """Every instance shares one in-memory store."""

    def __init__(self, credentials: Any = None, **options: Any) -> None:
        self.store = _BUCKETS

    def _bucket(self, name: str) -> dict[str, bytes]:
        if name not in self.store:
            raise BucketNotFoundError(f"no bucket {name!r}")
        return self.store[name]

    def list_buckets(self) -> list[str]:
        return sorted(self.store)

    def create_bucket(self, name: str) -> bool:
        self.store.setdefault(name, {})
        return True

    def upload_file(
        self, bucket: str, key: str, data: bytes, content_type: str | None = None
    ) -> str:
        self._bucket(bucket)[key] = bytes(data)
        return key

    def download_file(self, bucket: str, key: str) -> bytes:
        objects = self._bucket(bucket)
        if key not in objects:
            raise ObjectNotFoundError(f"no object {key!r}")
        return objects[key]

    def delete_file(self, bucket: str, key: str) -> bool:
        self._bucket(bucket).pop(key, None)
        return True

    def generate_presigned_url(self, bucket: str, key: str, expires_in: int = 3600) -> str:
        return f"http://127.0.0.1:9/{bucket}/{key}?expires={expires_in}"

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        seen: set[str] = set()
        for key, data in sorted(self._bucket(bucket).items()):
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix) :]
            if delimiter and delimiter in rest:
                common = prefix + rest.split(delimiter, 1)[0] + delimiter
                if common not in seen:
                    seen.add(common)
                    yield ObjectInfo(common, is_prefix=True)
                continue
            yield ObjectInfo(key, size=len(data))


PROVIDER = ProviderInfo(
    id="memo",
    display_name="In-memory (tests)",
    contract_version=CONTRACT_VERSION,
    services={"storage": "clitestprovider:MemoryStorage"},
    url_schemes=("memo",),
    capabilities=frozenset({Capability.LIST_OBJECTS}),
)

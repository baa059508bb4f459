"""Azure Blob Storage: the driver (SDK calls only) and ``BlobStorageClient``, the portable
client. Buckets are containers; objects are block blobs."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from cloud_common.azure._client import AzureClient
from cloud_common.azure._connection import AzureSettings
from cloud_common.core import (
    CloudStorage,
    ConflictError,
    ObjectInfo,
    StorageClient,
    SupportsWrite,
    TimeoutError,  # noqa: A004 - the core error
    UploadSource,
    ValidationError,
)

__all__ = ["BlobStorageClient"]

_COPY_POLL = 0.2
_DOT_SEGMENT = re.compile(r"(^|/)\.{1,2}(/|$)")


def _etag(value: Any) -> str | None:
    return str(value).strip('"') if value else None


def _info(props: Any, key: str | None = None) -> ObjectInfo:
    settings = getattr(props, "content_settings", None)
    return ObjectInfo(
        key=key if key is not None else props.name,
        size=int(props.size or 0),
        etag=_etag(props.etag),
        content_type=getattr(settings, "content_type", None),
        last_modified=props.last_modified,
        metadata=dict(props.metadata or {}),
    )


class _BlobDriver(StorageClient):
    """Blob Storage through one ``BlobServiceClient``; every argument arrives checked by
    ``CloudStorage``."""

    provider_id = "azure"

    def __init__(self, settings: AzureSettings) -> None:
        self._settings = settings
        self._options = settings.options
        self._service = settings.blob_service()

    @property
    def native(self) -> Any:
        return self._service

    def close(self) -> None:
        self._service.close()

    def _blob(self, bucket: str, key: str) -> Any:
        if _DOT_SEGMENT.search(key):
            raise ValidationError(
                f"key {key!r} is invalid on Azure: HTTP clients resolve '.' and '..' path "
                "segments, so no blob can be addressed by this name"
            )
        return self._service.get_blob_client(bucket, key)

    # -- the spec's calls ---------------------------------------------------------------

    def list_buckets(self) -> list[str]:
        return [c.name for c in self._service.list_containers()]

    def create_bucket(self, name: str) -> bool:
        from azure.core.exceptions import ResourceExistsError  # noqa: PLC0415

        # container names belong to the account: an existing one is ours
        with contextlib.suppress(ResourceExistsError):
            self._service.create_container(name)
        return True

    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str | None = None,
        *,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """One Put Blob (or blocks above ``single_put_size``); returns the ETag."""
        from azure.storage.blob import ContentSettings  # noqa: PLC0415

        result = self._blob(bucket, key).upload_blob(
            data,
            overwrite=True,
            content_settings=ContentSettings(content_type=content_type),
            metadata=metadata or None,
            max_concurrency=self._options.max_concurrency,
        )
        return str(_etag(result.get("etag")) or "")

    def download_file(self, bucket: str, key: str) -> bytes:
        data: bytes = self._blob(bucket, key).download_blob().readall()
        return data

    def delete_file(self, bucket: str, key: str) -> bool:
        self._blob(bucket, key).delete_blob(delete_snapshots="include")
        return True

    def generate_presigned_url(
        self,
        bucket: str,
        key: str,
        expires_in: int = 3600,
        *,
        method: str = "GET",
        content_type: str | None = None,
    ) -> str:
        """A service SAS for one blob, expiring ``expires_in`` seconds from now: read for
        GET, create + write for PUT. With GET, ``content_type`` sets the response's
        ``Content-Type``."""
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas  # noqa: PLC0415

        blob = self._blob(bucket, key)
        now = datetime.now(timezone.utc)
        expiry = now + timedelta(seconds=expires_in)
        if method == "PUT":
            permission = BlobSasPermissions(create=True, write=True)
        else:
            permission = BlobSasPermissions(read=True)
        signing: dict[str, Any] = {}
        creds = self._settings.credentials
        if creds.secret_key:
            signing["account_key"] = creds.secret_key
        else:  # token credentials: a user delegation key, valid as long as the SAS
            signing["user_delegation_key"] = self._service.get_user_delegation_key(
                now - timedelta(minutes=5), expiry
            )
        sas = generate_blob_sas(
            account_name=blob.account_name,
            container_name=bucket,
            blob_name=key,
            permission=permission,
            expiry=expiry,
            content_type=content_type if method == "GET" else None,
            **signing,
        )
        return f"{blob.url}?{sas}"

    # -- extensions ---------------------------------------------------------------------

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        """List Blobs, one page fetched at a time; with ``delimiter``, the page's blob
        prefixes are merged into the blobs in key order."""
        container = self._service.get_container_client(bucket)
        args: dict[str, Any] = {"name_starts_with": prefix or None}
        if page_size:
            args["results_per_page"] = page_size
        if delimiter is None:
            pages = container.list_blobs(include=["metadata"], **args).by_page()
        else:
            pages = container.walk_blobs(delimiter=delimiter, **args).by_page()
        for page in pages:
            items = []
            for item in page:
                if type(item).__name__ == "BlobPrefix":
                    items.append(ObjectInfo(key=item.name, is_prefix=True))
                else:
                    items.append(_info(item))
            items.sort(key=lambda info: info.key)
            yield from items

    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        return _info(self._blob(bucket, key).get_blob_properties(), key)

    def delete_bucket(self, name: str) -> bool:
        """Delete Container, after checking it is empty (Azure deletes a container with
        everything in it; the contract keeps a bucket that still holds objects)."""
        container = self._service.get_container_client(name)
        for _ in container.list_blobs(results_per_page=1):
            raise ConflictError("the container still holds blobs; it was not deleted")
        container.delete_container()
        return True

    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        """Copy Blob (server-side, same account: authorised by the account's key or
        token), polled until it completes; content type and metadata are copied."""
        source = self._blob(src_bucket, src_key)
        target = self._blob(dst_bucket, dst_key)
        target.start_copy_from_url(source.url)
        deadline = time.monotonic() + self._options.retry_or_default.deadline
        while True:
            copy = target.get_blob_properties().copy
            if copy.status in (None, "success"):
                return dst_key
            if copy.status in ("failed", "aborted"):
                raise ConflictError(f"the copy {copy.status}: {copy.status_description}")
            if time.monotonic() > deadline:
                target.abort_copy(copy.id)
                raise TimeoutError("the server-side copy did not complete in time")
            time.sleep(_COPY_POLL)

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: UploadSource,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """Put Block of ``block_size`` (``max_concurrency`` in flight) then one Put Block
        List: readers see the old blob or the whole new one. Returns the key."""
        from azure.storage.blob import ContentSettings  # noqa: PLC0415

        blob = self._blob(bucket, key)
        args: dict[str, Any] = {
            "overwrite": True,
            "content_settings": ContentSettings(content_type=content_type),
            "metadata": metadata or None,
            "max_concurrency": self._options.max_concurrency,
        }
        if isinstance(source, str):
            with open(source, "rb") as handle:
                blob.upload_blob(handle, **args)
        else:
            blob.upload_blob(source, **args)
        return key

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: Any,
        *,
        byte_range: tuple[int, int | None] | None = None,
    ) -> int:
        """Get Blob in chunks of ``block_size`` written in order into ``dest`` (parallel
        when ``dest`` can seek). ``byte_range`` is inclusive; a range past the end is
        clamped to the blob."""
        args: dict[str, Any] = {}
        if byte_range is not None:
            first, last = byte_range
            args["offset"] = first
            if last is not None:
                args["length"] = last - first + 1
        seekable = bool(getattr(dest, "seekable", lambda: False)())
        stream = self._blob(bucket, key).download_blob(
            max_concurrency=self._options.max_concurrency if seekable else 1, **args
        )
        size = _blob_size(stream.properties)
        if byte_range is not None and byte_range[0] >= size:
            raise ValidationError(
                f"byte_range {byte_range!r} starts past the end of the {size}-byte object"
            )
        if seekable:
            return int(stream.readinto(dest))
        return _copy_chunks(stream, dest)


def _blob_size(props: Any) -> int:
    """The whole blob's size from a (ranged) download's properties."""
    content_range = str(getattr(props, "content_range", None) or "")
    total = content_range.rpartition("/")[2]
    return int(total) if total.isdigit() else int(props.size or 0)


def _copy_chunks(stream: Any, dest: SupportsWrite) -> int:
    written = 0
    for chunk in stream.chunks():
        dest.write(chunk)
        written += len(chunk)
    return written


class BlobStorageClient(AzureClient[StorageClient], CloudStorage):
    """Azure Blob Storage (and Azurite through ``endpoint_url``) as a ``CloudStorage``.

    Args:
        credentials: ``CloudCredentials`` of provider ``azure``: the account name as
            ``access_key`` and its key as ``secret_key`` (or a connection string / SAS token
            in ``metadata``); None reads the environment (``CloudCredentials.from_env``).
        options: ``AzureOptions``; keyword arguments set its fields (``endpoint_url=``,
            ``block_size=``...).

    Raises:
        ValidationError: bad options or credentials (before any network call).
    """

    def _driver_for(self, settings: AzureSettings) -> StorageClient:
        return _BlobDriver(settings)

"""Amazon S3: the driver (SDK calls only) and ``S3StorageClient``, the portable client."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any

from cloud_common.aws._client import AwsClient
from cloud_common.aws._errors import error_code
from cloud_common.aws._session import AwsConnection, AwsDriver
from cloud_common.core import (
    CloudStorage,
    ObjectInfo,
    StorageClient,
    SupportsWrite,
    UploadSource,
)

__all__ = ["S3StorageClient"]

_RANGE_CHUNK = 1024 * 1024
# Downloaded chunks waiting for the disk: s3transfer's default (100 x 256 KiB) lets a fast
# download grow the client's RSS to ~180 MiB for 1 GiB; 16 keeps it under ~100 MiB at the
# same speed (measured with bench/bench_aws.py).
_MAX_IO_QUEUE = 16


def _etag(value: Any) -> str | None:
    return str(value).strip('"') if value else None


def _object_args(content_type: str | None, metadata: dict[str, str] | None) -> dict[str, Any]:
    """PutObject / upload arguments for a content type and user metadata, when given."""
    given = {"ContentType": content_type, "Metadata": metadata}
    return {name: value for name, value in given.items() if value}


class _S3Driver(AwsDriver, StorageClient):
    """S3 through one boto3 client; every argument arrives checked by ``CloudStorage``."""

    def _transfer_manager(self, threshold: int | None = None) -> Any:
        from boto3.s3.transfer import TransferConfig, create_transfer_manager  # noqa: PLC0415

        opts = self._connection.options
        config = TransferConfig(
            multipart_threshold=threshold or opts.multipart_threshold,
            multipart_chunksize=opts.part_size,
            max_concurrency=opts.max_concurrency,
            use_threads=True,
            max_io_queue=_MAX_IO_QUEUE,
            preferred_transfer_client="classic",
        )
        manager = create_transfer_manager(self._connection.client, config)
        self._connection.protect_new_loggers()
        return manager

    # -- the spec's calls ---------------------------------------------------------------

    def list_buckets(self) -> list[str]:
        sdk = self._connection.client
        if sdk.can_paginate("list_buckets"):
            pages = sdk.get_paginator("list_buckets").paginate()
            return [b["Name"] for page in pages for b in page.get("Buckets", [])]
        return [b["Name"] for b in sdk.list_buckets().get("Buckets", [])]

    def create_bucket(self, name: str) -> bool:
        args: dict[str, Any] = {"Bucket": name}
        region = self._connection.region
        if region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self._connection.client.create_bucket(**args)
        except Exception as exc:
            if error_code(exc) != "BucketAlreadyOwnedByYou":
                raise
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
        """One PutObject; returns the ETag (the portable client returns the object URL)."""
        extra = _object_args(content_type, metadata)
        response = self._connection.client.put_object(Bucket=bucket, Key=key, Body=data, **extra)
        return str(response.get("ETag", ""))

    def download_file(self, bucket: str, key: str) -> bytes:
        body = self._connection.client.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            data: bytes = body.read()
        finally:
            body.close()
        return data

    def delete_file(self, bucket: str, key: str) -> bool:
        self._connection.client.delete_object(Bucket=bucket, Key=key)
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
        """SigV4 query signature. With PUT, ``content_type`` is signed (the uploader must
        send it); with GET it overrides the response's ``Content-Type``."""
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if content_type:
            params["ResponseContentType" if method == "GET" else "ContentType"] = content_type
        url = self._connection.client.generate_presigned_url(
            "get_object" if method == "GET" else "put_object",
            Params=params,
            ExpiresIn=expires_in,
            HttpMethod=method,
        )
        return str(url)

    # -- extensions ---------------------------------------------------------------------

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        """ListObjectsV2, one page fetched at a time; common prefixes merged in key order."""
        args: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            args["Delimiter"] = delimiter
        if page_size:
            args["PaginationConfig"] = {"PageSize": page_size}
        for page in self._connection.client.get_paginator("list_objects_v2").paginate(**args):
            objects = (
                ObjectInfo(
                    key=item["Key"],
                    size=int(item.get("Size", 0)),
                    etag=_etag(item.get("ETag")),
                    last_modified=item.get("LastModified"),
                )
                for item in page.get("Contents", [])
            )
            prefixes = (
                ObjectInfo(key=item["Prefix"], is_prefix=True)
                for item in page.get("CommonPrefixes", [])
            )
            yield from heapq.merge(objects, prefixes, key=lambda info: info.key)

    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        head = self._connection.client.head_object(Bucket=bucket, Key=key)
        return ObjectInfo(
            key=key,
            size=int(head.get("ContentLength", 0)),
            etag=_etag(head.get("ETag")),
            content_type=head.get("ContentType"),
            last_modified=head.get("LastModified"),
            metadata=dict(head.get("Metadata") or {}),
        )

    def delete_bucket(self, name: str) -> bool:
        self._connection.client.delete_bucket(Bucket=name)
        return True

    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        """CopyObject up to ``copy_threshold``, a managed multipart copy above; content type
        and metadata kept. Returns the destination key."""
        source = {"Bucket": src_bucket, "Key": src_key}
        with self._transfer_manager(self._connection.options.copy_threshold) as manager:
            manager.copy(source, dst_bucket, dst_key).result()
        return dst_key

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: UploadSource,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """s3transfer: one PUT below ``multipart_threshold``, parts of ``part_size`` above;
        a failed multipart upload is aborted. Returns the key."""
        extra = _object_args(content_type, metadata)
        with self._transfer_manager() as manager:
            manager.upload(source, bucket, key, extra_args=extra).result()
        return key

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: Any,
        *,
        byte_range: tuple[int, int | None] | None = None,
    ) -> int:
        """Whole objects: parallel ranged GETs of ``part_size``; a ``byte_range``: one
        streamed ranged GET. ``dest`` is a binary file object (the portable client opens
        paths)."""
        if byte_range is not None:
            return self._download_range(bucket, key, dest, byte_range)
        with self._transfer_manager() as manager:
            future = manager.download(bucket, key, dest)
            future.result()
            return int(future.meta.size or 0)

    def _download_range(
        self, bucket: str, key: str, dest: SupportsWrite, byte_range: tuple[int, int | None]
    ) -> int:
        first, last = byte_range
        spec = f"bytes={first}-{'' if last is None else last}"
        body = self._connection.client.get_object(Bucket=bucket, Key=key, Range=spec)["Body"]
        written = 0
        try:
            for chunk in body.iter_chunks(_RANGE_CHUNK):
                dest.write(chunk)
                written += len(chunk)
        finally:
            body.close()
        return written


class S3StorageClient(AwsClient[StorageClient], CloudStorage):
    """Amazon S3 (and S3-compatible stores through ``endpoint_url``) as a ``CloudStorage``.

    Args:
        credentials: ``CloudCredentials`` of provider ``aws``; None reads the environment
            (``CloudCredentials.from_env("aws")``); fields left None fall back to boto3's
            default chain.
        options: ``AwsOptions``; keyword arguments set its fields (``endpoint_url=``,
            ``part_size=``...).

    Raises:
        ValidationError: bad options or credentials (before any network call).
    """

    _service = "s3"

    def _driver_for(self, connection: AwsConnection) -> StorageClient:
        return _S3Driver(connection)

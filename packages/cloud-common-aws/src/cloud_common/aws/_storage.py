"""S3 behind ``StorageClient``."""

from __future__ import annotations

import contextlib
import heapq
import logging
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any, cast

from cloud_common.aws._client import AwsClient
from cloud_common.core import (
    AlreadyExistsError,
    BucketNotFoundError,
    CloudCredentials,
    ConflictError,
    NotFoundError,
    ObjectInfo,
    ObjectNotFoundError,
    PathOrFile,
    StorageClient,
    ValidationError,
    object_url,
)
from cloud_common.core.validation import (
    validate_bucket_name,
    validate_byte_range,
    validate_expires_in,
    validate_key,
    validate_presign_method,
)

__all__ = ["S3StorageClient"]

logger = logging.getLogger(__name__)

MiB = 1024 * 1024
GiB = 1024 * MiB
_MIN_PART = 5 * MiB  # S3's smallest multipart part
_MAX_COPY_OBJECT = 5 * GiB  # CopyObject's limit; larger copies must be multipart
_RANGE_CHUNK = 1 * MiB
# Downloaded chunks waiting for the disk: s3transfer's default (100 x 256 KiB) lets a fast
# download grow the client's RSS to ~180 MiB for 1 GiB; 16 keeps it under ~100 MiB at the
# same speed (measured with bench/bench_aws.py).
_MAX_IO_QUEUE = 16


def _etag(value: Any) -> str | None:
    return str(value).strip('"') if value else None


class S3StorageClient(AwsClient, StorageClient):
    """Amazon S3 (and S3-compatible stores through ``endpoint_url``).

    Args:
        credentials: See ``AwsConnection``; None uses boto3's default chain.
        part_size: Multipart part size for streaming transfers (>= 5 MiB, default 8 MiB).
        multipart_threshold: Objects from this size up are uploaded and downloaded in parts.
        max_concurrency: Parallel part transfers per call (default 10).
        copy_threshold: ``copy_file`` above this size is a managed multipart copy
            (default and maximum 5 GiB, CopyObject's limit).
        **options: ``endpoint_url``, ``retry_policy``, ``timeouts``, ``addressing_style``,
            ``max_pool_connections``, ``boto3_session`` (see ``AwsClient``).
    """

    service = "s3"

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        *,
        part_size: int = 8 * MiB,
        multipart_threshold: int = 8 * MiB,
        max_concurrency: int = 10,
        copy_threshold: int = _MAX_COPY_OBJECT,
        **options: Any,
    ) -> None:
        for name, value, low in (
            ("part_size", part_size, _MIN_PART),
            ("multipart_threshold", multipart_threshold, _MIN_PART),
            ("max_concurrency", max_concurrency, 1),
            ("copy_threshold", copy_threshold, _MIN_PART),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValidationError(f"{name} {value!r} is invalid: must be an int >= {low}")
        if copy_threshold > _MAX_COPY_OBJECT:
            raise ValidationError(
                f"copy_threshold {copy_threshold} is invalid: CopyObject copies at most 5 GiB"
            )
        options.setdefault("max_pool_connections", max(10, max_concurrency))
        super().__init__(credentials, **options)
        self.part_size = part_size
        self.multipart_threshold = multipart_threshold
        self.max_concurrency = max_concurrency
        self.copy_threshold = copy_threshold

    # -- helpers ----------------------------------------------------------------------

    @staticmethod
    def _url(bucket: str, key: str | None = None) -> str:
        return object_url("s3", bucket, key or "")

    def _check(self, operation: str, bucket: str, key: str | None = None) -> None:
        validate_bucket_name(bucket, "s3", operation=operation)
        if key is not None:
            validate_key(key, operation=operation)

    def _transfer_config(self, threshold: int | None = None) -> Any:
        from boto3.s3.transfer import TransferConfig  # noqa: PLC0415

        return TransferConfig(
            multipart_threshold=threshold or self.multipart_threshold,
            multipart_chunksize=self.part_size,
            max_concurrency=self.max_concurrency,
            use_threads=True,
            max_io_queue=_MAX_IO_QUEUE,
            preferred_transfer_client="classic",
        )

    def _transfer_manager(self, threshold: int | None = None) -> Any:
        from boto3.s3.transfer import create_transfer_manager  # noqa: PLC0415

        manager = create_transfer_manager(self._sdk, self._transfer_config(threshold))
        self._connection.protect_new_loggers()
        return manager

    # -- the contract -----------------------------------------------------------------

    def list_buckets(self) -> list[str]:
        """Names of all buckets of the account, sorted."""

        def run() -> list[str]:
            sdk = self._sdk
            if sdk.can_paginate("list_buckets"):
                pages = sdk.get_paginator("list_buckets").paginate()
                return sorted(b["Name"] for page in pages for b in page.get("Buckets", []))
            return sorted(b["Name"] for b in sdk.list_buckets().get("Buckets", []))

        return self._call("list_buckets", run)

    def create_bucket(self, name: str) -> bool:
        """Create a bucket in the client's region.

        True when it was created or already exists and is yours; False (and a WARNING) when
        another account owns the name.
        """
        self._check("create_bucket", name)
        args: dict[str, Any] = {"Bucket": name}
        if self.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.region}

        def run() -> bool:
            try:
                self._sdk.create_bucket(**args)
            except Exception as exc:
                if _code(exc) == "BucketAlreadyOwnedByYou":
                    logger.debug("bucket %s already exists and is ours", name)
                    return True
                raise
            return True

        return self._call(
            "create_bucket", run, resource=self._url(name), soft={AlreadyExistsError: False}
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
        """Store ``data`` (one PUT) and return ``s3://bucket/key``."""
        self._check("upload_file", bucket, key)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValidationError(
                f"data must be bytes, not {type(data).__name__}", operation="upload_file"
            )
        args: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": bytes(data)}
        if content_type:
            args["ContentType"] = content_type
        if metadata:
            args["Metadata"] = _metadata(metadata, "upload_file")
        url = self._url(bucket, key)
        self._call("upload_file", lambda: self._sdk.put_object(**args), resource=url)
        return url

    def download_file(self, bucket: str, key: str) -> bytes:
        """The object's bytes.

        Raises:
            ObjectNotFoundError: no such key. BucketNotFoundError: no such bucket.
        """
        self._check("download_file", bucket, key)

        def run() -> bytes:
            body = self._sdk.get_object(Bucket=bucket, Key=key)["Body"]
            try:
                return cast(bytes, body.read())
            finally:
                body.close()

        return self._call("download_file", run, resource=self._url(bucket, key))

    def delete_file(self, bucket: str, key: str) -> bool:
        """Delete an object. True when it is gone (also when it was absent); False when the
        bucket does not exist or the object is locked."""
        self._check("delete_file", bucket, key)

        def run() -> bool:
            self._sdk.delete_object(Bucket=bucket, Key=key)
            return True

        return self._call(
            "delete_file",
            run,
            resource=self._url(bucket, key),
            soft={BucketNotFoundError: False, ConflictError: False},
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
        """A SigV4 URL that lets anyone holding it GET (or PUT) the object until it expires.

        With ``method="PUT"`` and ``content_type``, the content type is signed: the uploader
        must send that ``Content-Type``. With GET, ``content_type`` overrides the response's.
        """
        op = "generate_presigned_url"
        self._check(op, bucket, key)
        validate_expires_in(expires_in, operation=op)
        verb = validate_presign_method(method, operation=op)
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if content_type:
            params["ResponseContentType" if verb == "GET" else "ContentType"] = content_type
        client_method = "get_object" if verb == "GET" else "put_object"

        def run() -> str:
            url = self._sdk.generate_presigned_url(
                client_method, Params=params, ExpiresIn=expires_in, HttpMethod=verb
            )
            return str(url)

        return self._call(op, run, resource=self._url(bucket, key))

    # -- extensions -------------------------------------------------------------------

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` in key order, one ListObjectsV2 page fetched at a time.

        With ``delimiter``, common prefixes come as ``ObjectInfo(is_prefix=True)``, merged in
        key order with the objects.

        Raises:
            BucketNotFoundError: when the first page is fetched.
        """
        op = "list_objects"
        self._check(op, bucket)
        if not isinstance(prefix, str):
            raise ValidationError(
                f"prefix must be a str, not {type(prefix).__name__}", operation=op
            )
        if delimiter is not None and (not isinstance(delimiter, str) or not delimiter):
            raise ValidationError(f"delimiter {delimiter!r} must be a non-empty str", operation=op)
        if page_size is not None and (
            isinstance(page_size, bool)
            or not isinstance(page_size, int)
            or not 1 <= page_size <= 1000
        ):
            raise ValidationError(
                f"page_size {page_size!r} must be an int in 1..1000", operation=op
            )
        args: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            args["Delimiter"] = delimiter
        if page_size:
            args["PaginationConfig"] = {"PageSize": page_size}
        return self._pages(op, self._url(bucket, prefix), args)

    def _pages(self, op: str, where: str, args: dict[str, Any]) -> Iterator[ObjectInfo]:
        pages: Iterator[dict[str, Any]] | None = None
        while True:
            with self._policy.translating(op, where):
                if pages is None:
                    pages = iter(self._sdk.get_paginator("list_objects_v2").paginate(**args))
                page = next(pages, None)
            if page is None:
                return
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
        """Size, etag, content type, modification time and user metadata (one HEAD).

        Raises:
            ObjectNotFoundError: no such object or bucket.
        """
        self._check("stat_object", bucket, key)

        def run() -> ObjectInfo:
            try:
                head = self._sdk.head_object(Bucket=bucket, Key=key)
            except Exception as exc:
                if _code(exc) == "NoSuchBucket":
                    raise ObjectNotFoundError(f"no such bucket {bucket!r}") from exc
                raise
            return ObjectInfo(
                key=key,
                size=int(head.get("ContentLength", 0)),
                etag=_etag(head.get("ETag")),
                content_type=head.get("ContentType"),
                last_modified=head.get("LastModified"),
                metadata=dict(head.get("Metadata") or {}),
            )

        return self._call("stat_object", run, resource=self._url(bucket, key))

    def object_exists(self, bucket: str, key: str) -> bool:
        """True when the object exists; False when it or its bucket does not."""
        try:
            self.stat_object(bucket, key)
        except NotFoundError:
            return False
        return True

    def delete_bucket(self, name: str) -> bool:
        """Delete an empty bucket. True when it is gone (also when it was absent); False (and
        a WARNING) when it still holds objects."""
        self._check("delete_bucket", name)

        def run() -> bool:
            self._sdk.delete_bucket(Bucket=name)
            return True

        return self._call(
            "delete_bucket",
            run,
            resource=self._url(name),
            soft={BucketNotFoundError: True, ConflictError: False},
        )

    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        """Copy server-side with content type and metadata; multipart above ``copy_threshold``.

        Raises:
            ObjectNotFoundError: the source does not exist.
        """
        op = "copy_file"
        validate_bucket_name(src_bucket, "s3", arg="src_bucket", operation=op)
        validate_key(src_key, arg="src_key", operation=op)
        validate_bucket_name(dst_bucket, "s3", arg="dst_bucket", operation=op)
        validate_key(dst_key, arg="dst_key", operation=op)

        def run() -> None:
            with self._transfer_manager(self.copy_threshold) as manager:
                manager.copy({"Bucket": src_bucket, "Key": src_key}, dst_bucket, dst_key).result()

        self._call(op, run, resource=self._url(src_bucket, src_key))
        return self._url(dst_bucket, dst_key)

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: PathOrFile,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """Upload a file or binary stream in parts of ``part_size`` (bounded memory).

        S3 shows a multipart object only once it is complete; a failed upload is aborted.
        """
        op = "upload_stream"
        self._check(op, bucket, key)
        _check_stream(source, "source", op)
        extra: dict[str, Any] = {}
        if content_type:
            extra["ContentType"] = content_type
        if metadata:
            extra["Metadata"] = _metadata(metadata, op)
        url = self._url(bucket, key)

        def run() -> None:
            src: Any = os.fspath(source) if isinstance(source, (str, os.PathLike)) else source
            with self._transfer_manager() as manager:
                manager.upload(src, bucket, key, extra_args=extra).result()

        self._call(op, run, resource=url)
        return url

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: PathOrFile,
        *,
        byte_range: tuple[int, int | None] | None = None,
    ) -> int:
        """Download into a path or a binary file in bounded memory; return the bytes written.

        Whole objects go in parallel ranged parts; ``byte_range=(first, last)`` (inclusive,
        ``last=None`` to the end) is one streamed ranged GET. A path is written atomically.

        Raises:
            ObjectNotFoundError: no such object. ValidationError: range starts past the end.
        """
        op = "download_stream"
        self._check(op, bucket, key)
        _check_stream(dest, "dest", op)
        checked = validate_byte_range(byte_range, operation=op)

        def into(fileobj: IO[bytes]) -> int:
            if checked is not None:
                return self._download_range(bucket, key, fileobj, checked)
            with self._transfer_manager() as manager:
                future = manager.download(bucket, key, fileobj)
                future.result()
                return int(future.meta.size or 0)

        def run() -> int:
            if not isinstance(dest, (str, os.PathLike)):
                return into(cast(IO[bytes], dest))
            return _write_atomically(os.fspath(dest), into)

        return self._call(op, run, resource=self._url(bucket, key))

    def _download_range(
        self, bucket: str, key: str, fileobj: IO[bytes], byte_range: tuple[int, int | None]
    ) -> int:
        first, last = byte_range
        spec = f"bytes={first}-{'' if last is None else last}"
        body = self._sdk.get_object(Bucket=bucket, Key=key, Range=spec)["Body"]
        written = 0
        try:
            for chunk in body.iter_chunks(_RANGE_CHUNK):
                fileobj.write(chunk)
                written += len(chunk)
        finally:
            body.close()
        return written


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str((response.get("Error") or {}).get("Code") or "")
    return ""


def _metadata(metadata: Any, operation: str) -> dict[str, str]:
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ValidationError(
            "metadata must be a dict of non-empty str keys to str values", operation=operation
        )
    for name, value in metadata.items():
        if not (name + value).isascii():
            raise ValidationError(
                f"metadata {name!r} is invalid: S3 user metadata must be ASCII",
                operation=operation,
            )
    return dict(metadata)


def _check_stream(value: Any, arg: str, operation: str) -> None:
    if isinstance(value, (str, os.PathLike)):
        return
    wanted = "read" if arg == "source" else "write"
    if not callable(getattr(value, wanted, None)):
        raise ValidationError(
            f"{arg} must be a path or a binary file with .{wanted}(), not {type(value).__name__}",
            operation=operation,
        )


def _write_atomically(path: str, write: Any) -> int:
    directory = os.path.dirname(os.path.abspath(path))
    handle, temp = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as fileobj:
            written = int(write(fileobj))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return written

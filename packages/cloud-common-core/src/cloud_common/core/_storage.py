"""``CloudStorage``: the storage client users hold, on any provider."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from cloud_common.core._capabilities import Capability
from cloud_common.core._contracts import DownloadTarget, PathOrFile, StorageClient, UploadSource
from cloud_common.core._objects import ObjectInfo
from cloud_common.core._portable import PortableClient, naming_the_provider
from cloud_common.core._urls import object_url
from cloud_common.core.errors import (
    AlreadyExistsError,
    BucketNotFoundError,
    CloudError,
    ConflictError,
    ObjectNotFoundError,
    ValidationError,
)
from cloud_common.core.validation import (
    validate_bucket_name,
    validate_byte_range,
    validate_content_type,
    validate_expires_in,
    validate_key,
    validate_metadata,
    validate_presign_method,
)

if TYPE_CHECKING:
    pass

__all__ = ["CloudStorage"]

_CREATE_BUCKET: dict[type[CloudError], bool] = {AlreadyExistsError: False}
_DELETE_FILE: dict[type[CloudError], bool] = {
    ObjectNotFoundError: True,
    BucketNotFoundError: False,
    ConflictError: False,
}
_DELETE_BUCKET: dict[type[CloudError], bool] = {BucketNotFoundError: True, ConflictError: False}


class _End:
    pass


class _FullReads:
    """A reader whose ``read(n)`` returns ``n`` bytes unless the stream ended.

    Raw streams (sockets, pipes, ``RawIOBase``) may return fewer bytes than asked without
    being at the end; drivers (and their SDKs) that take a short read for the end would
    store a truncated object. Everything else is the wrapped stream's.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, size: int = -1, /) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self._stream.read(1 << 20):
                chunks.append(bytes(chunk))
            return b"".join(chunks)
        first = self._stream.read(size)
        if not first or len(first) >= size:
            return bytes(first)
        parts, missing = [bytes(first)], size - len(first)
        while missing > 0:
            more = self._stream.read(missing)
            if not more:
                break
            parts.append(bytes(more))
            missing -= len(more)
        return b"".join(parts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_END = _End()


class CloudStorage(PortableClient[StorageClient], StorageClient):
    """Object storage on any provider: the spec's ``StorageClient`` with every rule of the
    contract applied, and every extension declared with its full signature.

    Get one from ``get_storage_client()`` or ``open_storage()``, or build a provider's
    own class (``S3StorageClient(...)``): each is a ``CloudStorage``. ``CloudStorage(driver,
    info)`` wraps a provider's driver directly.

    Args:
        driver: The provider's ``StorageClient`` implementation.
        info: The provider's ``ProviderInfo`` (rules, capabilities, URL scheme).
        credentials: The credentials the driver was built with (their secrets are
            scrubbed from every error and WARNING).
        policy: The provider's ``ErrorPolicy`` (default: one from ``info.errors``).
    """

    # -- argument checks ----------------------------------------------------------------

    def _bucket(self, name: Any, operation: str, arg: str = "bucket") -> str:
        return validate_bucket_name(name, self._info.bucket_rules, arg=arg, operation=operation)

    def _key(self, key: Any, operation: str, arg: str = "key") -> str:
        return validate_key(
            key, filesystem=self._info.filesystem_keys, arg=arg, operation=operation
        )

    def _url(self, bucket: str, key: str = "") -> str:
        return object_url(self._info.url_scheme, bucket, key)

    def _metadata(self, metadata: Any, operation: str) -> dict[str, Any]:
        checked = validate_metadata(
            metadata, ascii_only=self._info.ascii_metadata, operation=operation
        )
        if not checked:
            return {}
        self._require(Capability.USER_METADATA, operation)
        return {"metadata": checked}

    # -- the spec's calls ---------------------------------------------------------------

    @naming_the_provider
    def list_buckets(self) -> list[str]:
        """Names of all buckets the credentials can see, sorted.

        Raises:
            AuthenticationError, PermissionDeniedError, TransientError: never ``[]``
                for a failure.
        """
        names = self._call("list_buckets", None, self._driver.list_buckets, list)
        if not all(isinstance(n, str) for n in names):
            raise CloudError(
                "the provider listed a bucket name that is not a str",
                provider=self.provider_id,
                operation="list_buckets",
            )
        return sorted(names)

    @naming_the_provider
    def create_bucket(self, name: str) -> bool:
        """Create a bucket. True when it exists and is yours (also when it already was);
        False (one WARNING) when another account owns the name.

        Raises:
            ValidationError: the name breaks the provider's bucket rules.
        """
        self._bucket(name, "create_bucket", "name")
        return self._state(
            "create_bucket",
            self._url(name),
            lambda: self._driver.create_bucket(name),
            _CREATE_BUCKET,
        )

    @naming_the_provider
    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str | None = None,
        *,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """Store ``data`` under ``key`` and return the canonical URL (``s3://bucket/key``).

        ``metadata`` (user metadata) needs capability ``storage.user_metadata``.

        Raises:
            ValidationError: bad bucket, key, data, content type or metadata.
            BucketNotFoundError: the bucket does not exist.
        """
        op = "upload_file"
        self._bucket(bucket, op)
        self._key(key, op)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValidationError(f"data must be bytes, not {type(data).__name__}", operation=op)
        validate_content_type(content_type, operation=op)
        extra = self._metadata(metadata, op)
        payload = bytes(data)
        self._call(
            op,
            self._url(bucket, key),
            lambda: self._driver.upload_file(bucket, key, payload, content_type, **extra),
            object,  # what the driver returns is replaced by the canonical URL
        )
        return self._url(bucket, key)

    @naming_the_provider
    def download_file(self, bucket: str, key: str) -> bytes:
        """The object's bytes.

        Raises:
            ObjectNotFoundError: no such object. BucketNotFoundError: no such bucket.
        """
        self._bucket(bucket, "download_file")
        self._key(key, "download_file")
        result: bytes = self._call(
            "download_file",
            self._url(bucket, key),
            lambda: self._driver.download_file(bucket, key),
            bytes,
        )
        return result

    @naming_the_provider
    def delete_file(self, bucket: str, key: str) -> bool:
        """Delete an object. True when it is gone (also when it was absent); False (one
        WARNING) when the bucket does not exist or the provider refuses (a retention lock).
        """
        self._bucket(bucket, "delete_file")
        self._key(key, "delete_file")
        return self._state(
            "delete_file",
            self._url(bucket, key),
            lambda: self._driver.delete_file(bucket, key),
            _DELETE_FILE,
        )

    @naming_the_provider
    def generate_presigned_url(
        self,
        bucket: str,
        key: str,
        expires_in: int = 3600,
        *,
        method: str = "GET",
        content_type: str | None = None,
    ) -> str:
        """A URL that lets anyone holding it GET (or PUT) the object for ``expires_in``
        seconds (1..604800).

        ``method="PUT"`` and ``content_type`` need capability ``storage.presign_put``; with
        PUT, the uploader must send that ``Content-Type``.

        Raises:
            ValidationError: bad arguments, before any call.
        """
        op = "generate_presigned_url"
        self._bucket(bucket, op)
        self._key(key, op)
        validate_expires_in(expires_in, operation=op)
        verb = validate_presign_method(method, operation=op)
        validate_content_type(content_type, operation=op)
        extra: dict[str, Any] = {}
        if verb == "PUT":
            self._require(Capability.PRESIGN_PUT, op)
            extra["method"] = "PUT"
        if content_type is not None:  # a spec-only driver's signature has no such argument
            self._require(Capability.PRESIGN_PUT, op)
            extra["content_type"] = content_type
        where = self._url(bucket, key)
        url: str = self._call(
            op,
            where,
            lambda: self._driver.generate_presigned_url(bucket, key, expires_in, **extra),
            str,
        )
        if not url.startswith(("http://", "https://")):
            raise CloudError(
                "the provider returned a presigned URL that is not http(s)",
                provider=self.provider_id,
                operation=op,
                resource=where,
            )
        return url

    # -- extensions ---------------------------------------------------------------------

    @naming_the_provider
    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        """Iterate over the objects under ``prefix`` in key order, pages fetched as consumed.

        With ``delimiter`` (usually ``"/"``), keys below the next delimiter come as one
        ``ObjectInfo(is_prefix=True)`` per common prefix. Arguments are checked at once;
        the provider is first called when the first item is requested.

        Raises:
            BucketNotFoundError: at the first item, when the bucket does not exist.
            NotSupportedError: capability ``storage.list_objects`` not declared.
        """
        op = "list_objects"
        self._require(Capability.LIST_OBJECTS, op)
        self._bucket(bucket, op)
        if not isinstance(prefix, str):
            raise ValidationError(
                f"prefix must be a str, not {type(prefix).__name__}", operation=op
            )
        if prefix:
            validate_key(prefix, arg="prefix", operation=op)
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
        return self._listing(bucket, prefix, delimiter, page_size)

    def _listing(
        self, bucket: str, prefix: str, delimiter: str | None, page_size: int | None
    ) -> Iterator[ObjectInfo]:
        op = "list_objects"
        where = self._url(bucket, prefix)
        policy = self._policy
        items: Iterator[Any] = policy.call(
            op,
            lambda: iter(
                self._driver.list_objects(bucket, prefix, delimiter=delimiter, page_size=page_size)
            ),
            resource=where,
        )
        last: str | None = None
        while True:
            item = policy.call(op, lambda: next(items, _END), resource=where)
            if isinstance(item, _End):
                return
            problem = None
            if not isinstance(item, ObjectInfo):
                problem = f"yielded {type(item).__name__}, the contract promises ObjectInfo"
            elif not item.key.startswith(prefix):
                problem = f"listed {item.key!r}, which is not under the prefix"
            elif last is not None and item.key <= last:
                problem = f"listed {item.key!r} after {last!r}: keys must come once, in order"
            if problem:
                raise CloudError(
                    f"the provider {problem}",
                    provider=self.provider_id,
                    operation=op,
                    resource=where,
                )
            last = item.key
            yield item

    @naming_the_provider
    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        """Size, etag, content type, modification time and user metadata of one object.

        Raises:
            ObjectNotFoundError: no such object, or no such bucket (the message says which).
            NotSupportedError: capability ``storage.stat_object`` not declared.
        """
        op = "stat_object"
        self._require(Capability.STAT_OBJECT, op)
        self._bucket(bucket, op)
        self._key(key, op)
        where = self._url(bucket, key)
        try:
            info: ObjectInfo = self._call(
                op, where, lambda: self._driver.stat_object(bucket, key), ObjectInfo
            )
        except BucketNotFoundError as exc:
            raise ObjectNotFoundError(
                f"the bucket does not exist ({exc.message})",
                provider=self.provider_id,
                operation=op,
                resource=where,
            ) from exc
        return info

    @naming_the_provider
    def object_exists(self, bucket: str, key: str) -> bool:
        """True when the object exists; False when it or its bucket does not (no WARNING:
        absence is an answer, not a failure)."""
        op = "object_exists"
        self._require(Capability.OBJECT_EXISTS, op)
        self._bucket(bucket, op)
        self._key(key, op)
        where = self._url(bucket, key)
        if self._overrides("object_exists", StorageClient):
            try:
                found: bool = self._call(
                    op, where, lambda: self._driver.object_exists(bucket, key), bool
                )
            except (ObjectNotFoundError, BucketNotFoundError):
                return False
            return found
        try:
            self._call(op, where, lambda: self._driver.stat_object(bucket, key), ObjectInfo)
        except (ObjectNotFoundError, BucketNotFoundError):
            return False
        return True

    @naming_the_provider
    def delete_bucket(self, name: str) -> bool:
        """Delete an empty bucket. True when it is gone (also when it was absent); False
        (one WARNING) when it still holds objects."""
        self._require(Capability.DELETE_BUCKET, "delete_bucket")
        self._bucket(name, "delete_bucket", "name")
        return self._state(
            "delete_bucket",
            self._url(name),
            lambda: self._driver.delete_bucket(name),
            _DELETE_BUCKET,
        )

    @naming_the_provider
    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        """Copy an object server-side, content type and metadata included. Returns the URL
        of the copy.

        Raises:
            ObjectNotFoundError: the source does not exist.
        """
        op = "copy_file"
        self._require(Capability.COPY_FILE, op)
        self._bucket(src_bucket, op, "src_bucket")
        self._key(src_key, op, "src_key")
        self._bucket(dst_bucket, op, "dst_bucket")
        self._key(dst_key, op, "dst_key")
        self._call(
            op,
            self._url(src_bucket, src_key),
            lambda: self._driver.copy_file(src_bucket, src_key, dst_bucket, dst_key),
            object,
        )
        return self._url(dst_bucket, dst_key)

    @naming_the_provider
    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: UploadSource,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """Upload from a path or any binary stream in bounded memory (multipart or
        resumable under the hood). Readers never see a partial object.

        Raises:
            ValidationError: ``source`` is neither an existing file nor readable.
        """
        op = "upload_stream"
        self._require(Capability.UPLOAD_STREAM, op)
        self._bucket(bucket, op)
        self._key(key, op)
        validate_content_type(content_type, operation=op)
        extra = self._metadata(metadata, op)
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if not os.path.isfile(path):
                raise ValidationError(f"source {path!r} is not a file", operation=op)
            source = path
        elif not callable(getattr(source, "read", None)):
            raise ValidationError(
                f"source must be a path or a binary stream with .read(), not "
                f"{type(source).__name__}",
                operation=op,
            )
        elif not isinstance(source, (io.BufferedIOBase, io.TextIOBase)):
            source = cast("UploadSource", _FullReads(source))
        self._call(
            op,
            self._url(bucket, key),
            lambda: self._driver.upload_stream(
                bucket, key, cast("PathOrFile", source), content_type=content_type, **extra
            ),
            object,
        )
        return self._url(bucket, key)

    @naming_the_provider
    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: DownloadTarget,
        *,
        byte_range: tuple[int, int | None] | None = None,
    ) -> int:
        """Download into a path or any binary stream in bounded memory; the bytes written.

        ``byte_range=(first, last)`` is inclusive, as in HTTP ``Range``; ``last=None``
        reads to the end. A path is written atomically: on failure no file is left.

        Raises:
            ObjectNotFoundError: no such object.
            ValidationError: a malformed range, or one that starts past the end.
        """
        op = "download_stream"
        self._require(Capability.DOWNLOAD_STREAM, op)
        self._bucket(bucket, op)
        self._key(key, op)
        checked = validate_byte_range(byte_range, operation=op)
        where = self._url(bucket, key)
        if not isinstance(dest, (str, os.PathLike)):
            if not callable(getattr(dest, "write", None)):
                raise ValidationError(
                    f"dest must be a path or a binary stream with .write(), not "
                    f"{type(dest).__name__}",
                    operation=op,
                )
            stream = dest
            written: int = self._call(
                op,
                where,
                lambda: self._driver.download_stream(
                    bucket, key, cast("PathOrFile", stream), byte_range=checked
                ),
                int,
            )
            return written
        path = os.path.abspath(os.fspath(dest))
        folder = os.path.dirname(path)
        if not os.path.isdir(folder):
            raise ValidationError(f"dest {path!r} is in a folder that does not exist", operation=op)
        import tempfile  # noqa: PLC0415 - tempfile pulls in shutil, random...: not at import

        handle, temp = tempfile.mkstemp(
            dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".part"
        )
        try:
            with os.fdopen(handle, "wb") as fileobj:
                written = self._call(
                    op,
                    where,
                    lambda: self._driver.download_stream(bucket, key, fileobj, byte_range=checked),
                    int,
                )
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return written

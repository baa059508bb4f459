"""Cloud Storage through google-cloud-storage: the StorageClient contract and its extensions."""

from __future__ import annotations

import base64
import datetime
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, Optional, TypeVar

import google.cloud.storage as gcs
from google.cloud.storage.blob import Blob

from cloud_common.core import (
    AlreadyExistsError,
    AuthenticationError,
    BucketNotFoundError,
    CloudCredentials,
    CloudError,
    ConflictError,
    ErrorPolicy,
    NotFoundError,
    ObjectInfo,
    ObjectNotFoundError,
    PathOrFile,
    StorageClient,
    TransientError,
    ValidationError,
    object_url,
)
from cloud_common.core.validation import (
    validate_byte_range,
    validate_expires_in,
    validate_presign_method,
)
from cloud_common.gcp._config import GcpSettings, make_retry, resolve_settings
from cloud_common.gcp._errors import storage_not_found, translate

__all__ = ["DEFAULT_CHUNK_SIZE", "GCSStorageClient"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_CHUNK_SIZE = 32 * 1024 * 1024
"""Bytes per request of resumable uploads (a multiple of 256 KiB); bounds upload memory."""
_CHUNK_QUANTUM = 256 * 1024
_SINGLE_REQUEST_LIMIT = 8 * 1024 * 1024
_READ_BLOCK = 1024 * 1024
_DEFAULT_API = "https://storage.googleapis.com"


class GCSStorageClient(StorageClient):
    """Google Cloud Storage.

    Args:
        credentials: ``CloudCredentials(provider="gcp", project_id=..., region=...)``; None
            reads the environment (``CloudCredentials.from_env("gcp")``).
        retry_policy: ``RetryPolicy`` turned into a ``google.api_core.retry.Retry`` per call.
        timeouts: ``Timeouts`` passed to every call as ``(connect, read)``.
        endpoint: Emulator endpoint (also ``metadata["endpoint"]`` or
            ``STORAGE_EMULATOR_HOST``); an ``http://`` endpoint uses anonymous credentials
            for data while a service-account key still signs URLs.
        chunk_size: Bytes per resumable-upload request (default 32 MiB).
        signed_url_endpoint: Where signed URLs point (also
            ``metadata["signed_url_endpoint"]``; default: the endpoint, else
            ``https://storage.googleapis.com``).
        google_credentials: A google-auth credentials object to use as is.

    Raises:
        ValidationError: missing project, a non-GCP region, unknown options.
    """

    provider_id = "gcp"

    def __init__(self, credentials: Optional[CloudCredentials] = None, **options: Any) -> None:
        opts = dict(options)
        self._settings: GcpSettings = resolve_settings(credentials, opts, endpoint_key="endpoint")
        chunk = opts.pop("chunk_size", DEFAULT_CHUNK_SIZE)
        if not isinstance(chunk, int) or chunk <= 0 or chunk % _CHUNK_QUANTUM:
            raise ValidationError(
                f"chunk_size {chunk!r} must be a positive multiple of 256 KiB", provider="gcp"
            )
        self._chunk_size = chunk
        if opts:
            raise ValidationError(
                f"unknown options for the gcp storage client: {sorted(opts)}", provider="gcp"
            )
        settings = self._settings
        self._policies: dict[tuple[type[NotFoundError] | None, type[CloudError]], ErrorPolicy] = {}
        client_options = {"api_endpoint": settings.endpoint} if settings.endpoint else None
        self._client = gcs.Client(
            project=settings.project_id,
            credentials=settings.load_credentials(),
            client_options=client_options,
        )
        self._timeout = (settings.timeouts.connect, settings.timeouts.read)
        self._signing_creds: Any = None

    def __repr__(self) -> str:
        s = self._settings
        return f"GCSStorageClient(project={s.project_id!r}, region={s.region!r}, endpoint={s.endpoint!r})"

    # -- plumbing ---------------------------------------------------------------------

    def _policy(
        self, not_found: type[NotFoundError] | None, conflict: type[CloudError]
    ) -> ErrorPolicy:
        policy = self._policies.get((not_found, conflict))
        if policy is None:

            def _translate(exc: BaseException) -> CloudError | None:
                return translate(exc, not_found or storage_not_found(exc), conflict)

            policy = ErrorPolicy("gcp", _translate, logger=logger, secrets=self._settings.secrets)
            self._policies[(not_found, conflict)] = policy
        return policy

    def _call(
        self,
        operation: str,
        fn: Callable[[], T],
        resource: str,
        *,
        not_found: type[NotFoundError] | None = None,
        conflict: type[CloudError] = ConflictError,
    ) -> T:
        policy = self._policy(not_found, conflict)
        with policy.translating(operation, resource):
            return fn()
        raise AssertionError("unreachable")  # pragma: no cover - translating re-raises

    def _retry(self, operation: str) -> Any:
        return make_retry(self._settings.retry_policy, operation=operation)

    def _blob(self, bucket: str, key: str, *, chunked: bool = False) -> Blob:
        return Blob(
            key,
            self._client.bucket(bucket),
            chunk_size=self._chunk_size if chunked else None,
        )

    @property
    def native(self) -> gcs.Client:
        """The ``google.cloud.storage.Client`` this client drives."""
        return self._client

    def close(self) -> None:
        """Close the SDK client and its HTTP session. Safe to call twice."""
        close = getattr(self._client, "close", None)
        if callable(close):
            close()
        http = getattr(self._client, "_http_internal", None)
        if http is not None:
            http.close()

    # -- the spec's methods -----------------------------------------------------------

    def list_buckets(self) -> list[str]:
        """Names of the project's buckets (all pages)."""
        return self._call(
            "list_buckets",
            lambda: [
                b.name
                for b in self._client.list_buckets(
                    project=self._settings.project_id,
                    retry=self._retry("list_buckets"),
                    timeout=self._timeout,
                )
            ],
            f"project {self._settings.project_id}",
            not_found=NotFoundError,
        )

    def create_bucket(self, name: str) -> bool:
        """Create a bucket in the region. True when created or already yours; False (one
        WARNING) when another project owns the name."""
        where = object_url("gs", name)
        try:
            self._call(
                "create_bucket",
                lambda: self._client.create_bucket(
                    name,
                    location=self._settings.region,
                    retry=self._retry("create_bucket"),
                    timeout=self._timeout,
                ),
                where,
                not_found=NotFoundError,
                conflict=AlreadyExistsError,
            )
        except AlreadyExistsError:
            if name in self._call(
                "create_bucket",
                lambda: [
                    b.name
                    for b in self._client.list_buckets(
                        project=self._settings.project_id,
                        prefix=name,
                        retry=self._retry("create_bucket"),
                        timeout=self._timeout,
                    )
                ],
                where,
                not_found=NotFoundError,
            ):
                return True
            return self._policy(None, ConflictError).soft_fail(
                "create_bucket", where, False, "the name is taken by another project"
            )
        return True

    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: Optional[str] = None,
        *,
        metadata: Optional[dict[str, str]] = None,
    ) -> str:
        """Upload bytes (one request up to 8 MiB, resumable above). Returns ``gs://b/k``."""
        blob = self._blob(bucket, key)
        if metadata:
            blob.metadata = dict(metadata)
        where = object_url("gs", bucket, key)
        self._call(
            "upload_file",
            lambda: blob.upload_from_string(
                bytes(data),
                content_type=content_type or "application/octet-stream",
                retry=self._retry("upload_file"),
                timeout=self._timeout,
            ),
            where,
            not_found=BucketNotFoundError,
        )
        return where

    def download_file(self, bucket: str, key: str) -> bytes:
        """The object's bytes (checksum verified).

        Raises:
            ObjectNotFoundError: no such object; BucketNotFoundError: no such bucket.
        """
        blob = self._blob(bucket, key)
        where = object_url("gs", bucket, key)
        try:
            data: bytes = self._call(
                "download_file",
                lambda: blob.download_as_bytes(
                    retry=self._retry("download_file"), timeout=self._timeout
                ),
                where,
                not_found=ObjectNotFoundError,
            )
        except ObjectNotFoundError:
            self._require_bucket("download_file", bucket, where)
            raise
        return data

    def _require_bucket(self, operation: str, bucket: str, where: str) -> None:
        """Raise BucketNotFoundError when ``bucket`` does not exist (after a 404 whose
        body does not say which resource is missing)."""
        exists = self._call(
            operation,
            lambda: self._client.bucket(bucket).exists(
                retry=self._retry(operation), timeout=self._timeout
            ),
            where,
            not_found=BucketNotFoundError,
        )
        if not exists:
            raise BucketNotFoundError(
                "the bucket does not exist", provider="gcp", operation=operation, resource=where
            )

    def delete_file(self, bucket: str, key: str) -> bool:
        """Delete an object. True when it is gone (also when it was absent); False (one
        WARNING) when the bucket does not exist."""
        blob = self._blob(bucket, key)
        where = object_url("gs", bucket, key)
        try:
            self._call(
                "delete_file",
                lambda: blob.delete(retry=self._retry("delete_file"), timeout=self._timeout),
                where,
                not_found=ObjectNotFoundError,
            )
        except ObjectNotFoundError:
            try:
                self._require_bucket("delete_file", bucket, where)
            except BucketNotFoundError as exc:
                return self._policy(None, ConflictError).soft_fail(
                    "delete_file", where, False, exc.message
                )
        return True

    def generate_presigned_url(
        self,
        bucket: str,
        key: str,
        expires_in: int = 3600,
        *,
        method: str = "GET",
        content_type: Optional[str] = None,
    ) -> str:
        """A V4 signed URL for GET (default) or PUT, valid ``expires_in`` seconds.

        Signed locally with a service-account key, or through IAM signBlob when the
        credentials are Application Default Credentials of a service account.

        Raises:
            ValidationError: ``expires_in`` outside 1..604800, method not GET/PUT.
            AuthenticationError: the credentials cannot sign (the message says what can).
        """
        op = "generate_presigned_url"
        validate_expires_in(expires_in, operation=op)
        verb = validate_presign_method(method, operation=op)
        where = object_url("gs", bucket, key)
        blob = self._blob(bucket, key)
        kwargs: dict[str, Any] = {
            "version": "v4",
            "expiration": datetime.timedelta(seconds=expires_in),
            "method": verb,
            "api_access_endpoint": (
                self._settings.signed_url_endpoint or self._settings.endpoint or _DEFAULT_API
            ),
        }
        if content_type:
            kwargs["content_type"] = content_type
        kwargs.update(self._call(op, self._signer, where, not_found=NotFoundError))
        url: str = self._call(op, lambda: blob.generate_signed_url(**kwargs), where)
        return url

    def _signer(self) -> dict[str, Any]:
        settings = self._settings
        needs = (
            "signing URLs needs a service-account key (metadata['service_account_file'] or "
            "['service_account_info'], or GOOGLE_APPLICATION_CREDENTIALS), or Application "
            "Default Credentials of a service account allowed to call IAM signBlob "
            "(roles/iam.serviceAccountTokenCreator)"
        )
        if (
            settings.anonymous
            and settings.google_credentials is None
            and settings.service_account_info is None
        ):
            raise AuthenticationError(f"anonymous (emulator) credentials cannot sign: {needs}")
        creds = self._signing_creds
        if creds is None:
            creds = self._signing_creds = settings.signing_credentials()
        from google.oauth2 import service_account  # noqa: PLC0415

        if isinstance(creds, service_account.Credentials):
            return {"credentials": creds}
        email = getattr(creds, "service_account_email", None) or getattr(
            creds, "signer_email", None
        )
        if not isinstance(email, str) or "@" not in email:
            raise AuthenticationError(
                f"the credentials ({type(creds).__name__}) have no service account: {needs}"
            )
        import google.auth.transport.requests  # noqa: PLC0415

        if not getattr(creds, "valid", False):
            creds.refresh(google.auth.transport.requests.Request())
        return {"service_account_email": email, "access_token": creds.token}

    # -- extensions -------------------------------------------------------------------

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` sorted by key; pages fetched as consumed.

        Raises:
            BucketNotFoundError: the bucket does not exist (on first iteration).
        """
        where = object_url("gs", bucket, prefix)
        policy = self._policy(BucketNotFoundError, ConflictError)

        def pages() -> Iterator[Any]:
            listing = self._client.list_blobs(
                bucket,
                prefix=prefix or None,
                delimiter=delimiter,
                page_size=page_size,
                retry=self._retry("list_objects"),
                timeout=self._timeout,
            )
            return iter(listing.pages)

        with policy.translating("list_objects", where):
            page_iter = pages()
        seen: set[str] = set()
        while True:
            with policy.translating("list_objects", where):
                page = next(page_iter, None)
                if page is None:
                    return
                items = [_info(blob) for blob in page]
            for p in getattr(page, "prefixes", ()):
                if p not in seen:
                    seen.add(p)
                    items.append(ObjectInfo(key=p, is_prefix=True))
            items.sort(key=lambda info: info.key)
            yield from items

    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        """Size, md5 etag, content type, update time and user metadata of one object.

        Raises:
            ObjectNotFoundError: no such object (or bucket).
        """
        blob = self._blob(bucket, key)
        self._call(
            "stat_object",
            lambda: blob.reload(retry=self._retry("stat_object"), timeout=self._timeout),
            object_url("gs", bucket, key),
            not_found=ObjectNotFoundError,
        )
        return _info(blob)

    def object_exists(self, bucket: str, key: str) -> bool:
        """True when the object exists; False when it (or its bucket) does not."""
        try:
            self.stat_object(bucket, key)
        except ObjectNotFoundError:
            return False
        return True

    def delete_bucket(self, name: str) -> bool:
        """Delete an empty bucket. True when gone (also when absent); False (one WARNING)
        when it still holds objects."""
        where = object_url("gs", name)
        try:
            self._call(
                "delete_bucket",
                lambda: self._client.bucket(name).delete(
                    retry=self._retry("delete_bucket"), timeout=self._timeout
                ),
                where,
                not_found=BucketNotFoundError,
            )
        except BucketNotFoundError:
            return True
        except ConflictError as exc:
            return self._policy(None, ConflictError).soft_fail(
                "delete_bucket", where, False, f"the bucket is not empty ({exc.message})"
            )
        return True

    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        """Server-side copy with rewrite (any size), content type and metadata kept.

        Raises:
            ObjectNotFoundError: the source does not exist.
        """
        src = self._blob(src_bucket, src_key)
        dst = self._blob(dst_bucket, dst_key)

        def rewrite() -> None:
            token: str | None = None
            while True:
                token, _, _ = dst.rewrite(
                    src, token=token, retry=self._retry("copy_file"), timeout=self._timeout
                )
                if token is None:
                    return

        self._call("copy_file", rewrite, object_url("gs", src_bucket, src_key))
        return object_url("gs", dst_bucket, dst_key)

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: PathOrFile,
        *,
        content_type: Optional[str] = None,
        metadata: Optional[dict[str, str]] = None,
    ) -> str:
        """Upload from a path or binary file in bounded memory, CRC32C-verified.

        Seekable sources over 8 MiB go up as one resumable session streamed in a single
        request (resumed from the committed offset after a failure); their CRC32C is
        computed first and sent with the session, so the server rejects a corrupted
        object. Non-seekable sources go up in ``chunk_size`` pieces. Readers never see a
        partial object. Returns ``gs://b/k``.
        """
        op = "upload_stream"
        blob = self._blob(bucket, key, chunked=True)
        if metadata:
            blob.metadata = dict(metadata)
        where = object_url("gs", bucket, key)
        kind = content_type or "application/octet-stream"

        def upload(handle: BinaryIO) -> None:
            span = _seekable_span(handle)
            if span is not None and span[1] > _SINGLE_REQUEST_LIMIT:
                self._stream_resumable(blob, handle, span[0], span[1], kind)
                return
            blob.upload_from_file(
                handle if span is not None else _ForwardReader(handle),
                size=span[1] if span is not None else None,
                content_type=kind,
                checksum="crc32c",
                retry=self._retry(op),
                timeout=self._timeout,
            )

        def run() -> None:
            if isinstance(source, (str, os.PathLike)):
                with open(source, "rb") as handle:
                    upload(handle)
            else:
                upload(source)

        self._call(op, run, where, not_found=BucketNotFoundError)
        return where

    def _stream_resumable(
        self, blob: Blob, handle: BinaryIO, start: int, size: int, content_type: str
    ) -> None:
        """One resumable session, the body streamed from ``handle`` in one request."""
        from google.api_core import exceptions as gexc  # noqa: PLC0415

        op = "upload_stream"
        checksum = _crc32c(handle, start, size)
        blob.crc32c = checksum
        session = blob.create_resumable_upload_session(
            content_type=content_type,
            size=size,
            client=self._client,
            timeout=self._timeout,
            checksum=None,
            retry=self._retry(op),
        )
        http = self._client._http
        first = [True]

        def finished(response: Any) -> dict[str, Any] | None:
            if response.status_code in (200, 201):
                body: dict[str, Any] = response.json()
                return body
            if response.status_code == 308:
                return None
            raise gexc.from_http_response(response)  # type: ignore[no-untyped-call]

        def attempt() -> dict[str, Any]:
            offset = 0
            if not first[0]:
                probe = http.put(
                    session,
                    data=b"",
                    headers={"Content-Range": f"bytes */{size}", "Content-Length": "0"},
                    timeout=self._timeout,
                )
                done = finished(probe)
                if done is not None:
                    return done
                committed = probe.headers.get("Range", "")
                offset = int(committed.rsplit("-", 1)[1]) + 1 if committed else 0
            first[0] = False
            handle.seek(start + offset)
            response = http.put(
                session,
                data=_LimitedReader(handle, size - offset),
                headers={
                    "Content-Range": f"bytes {offset}-{size - 1}/{size}",
                    "Content-Length": str(size - offset),
                    "Content-Type": content_type,
                },
                timeout=self._timeout,
            )
            done = finished(response)
            if done is None:
                raise gexc.ServiceUnavailable("the upload session is not complete yet")  # type: ignore[no-untyped-call]
            return done

        resource = self._retry(op)(attempt)()
        stored = resource.get("crc32c")
        if stored and stored != checksum:
            raise TransientError(
                f"checksum mismatch after upload: sent crc32c {checksum}, stored {stored}"
            )

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: PathOrFile,
        *,
        byte_range: Optional[tuple[int, Optional[int]]] = None,
    ) -> int:
        """Stream an object (or the inclusive ``byte_range``) into a path or binary file.

        Whole objects are CRC32C-verified; a path is written atomically.

        Raises:
            ObjectNotFoundError: no such object.
            ValidationError: a malformed range or one starting past the end.
        """
        op = "download_stream"
        checked = validate_byte_range(byte_range, operation=op)
        blob = self._blob(bucket, key)
        where = object_url("gs", bucket, key)
        first, last = checked if checked is not None else (None, None)

        def fetch(handle: BinaryIO) -> int:
            counter = _CountingWriter(handle)
            blob.download_to_file(
                counter,
                start=first,
                end=last,
                checksum=None if checked is not None else "crc32c",
                retry=self._retry(op),
                timeout=self._timeout,
            )
            return counter.count

        def run() -> int:
            if not isinstance(dest, (str, os.PathLike)):
                return fetch(dest)
            target = os.fspath(dest)
            folder = os.path.dirname(os.path.abspath(target))
            fd, tmp = tempfile.mkstemp(prefix=".cc-download-", dir=folder)
            try:
                with os.fdopen(fd, "wb") as handle:
                    count = fetch(handle)
                os.replace(tmp, target)
            except BaseException:
                with _suppress_os_error():
                    os.unlink(tmp)
                raise
            return count

        try:
            return self._call(op, run, where, not_found=ObjectNotFoundError)
        except ObjectNotFoundError:
            self._require_bucket(op, bucket, where)
            raise


class _LimitedReader:
    """A file view of the next ``remaining`` bytes, streamed by requests (no buffering)."""

    def __init__(self, inner: BinaryIO, remaining: int) -> None:
        self._inner = inner
        self._left = remaining

    def __len__(self) -> int:
        return self._left

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size is None or size < 0 else min(size, self._left)
        data = self._inner.read(want)
        self._left -= len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while True:
            block = self.read(_READ_BLOCK)
            if not block:
                return
            yield block


class _ForwardReader:
    """A non-seekable source with the ``tell()`` the SDK's chunked upload asks for.

    Each chunk is read into memory and retried from there; only a seek to the current
    position is possible.
    """

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if (whence, offset) in ((os.SEEK_SET, self._pos), (os.SEEK_CUR, 0)):
            return self._pos
        raise ValidationError("the source is not seekable: the upload cannot be resumed")


def _seekable_span(handle: BinaryIO) -> tuple[int, int] | None:
    """``(start, size)`` of what is left in a seekable file, else None."""
    try:
        if not handle.seekable():
            return None
        start = handle.tell()
        end = handle.seek(0, os.SEEK_END)
        handle.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    return start, end - start


def _crc32c(handle: BinaryIO, start: int, size: int) -> str:
    """Base64 CRC32C of ``size`` bytes from ``start`` (as GCS reports it)."""
    import google_crc32c  # noqa: PLC0415

    checksum = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
    handle.seek(start)
    left = size
    while left > 0:
        block = handle.read(min(_READ_BLOCK, left))
        if not block:
            raise ValidationError("the source ended before its size was read")
        checksum.update(block)  # type: ignore[no-untyped-call]
        left -= len(block)
    handle.seek(start)
    return base64.b64encode(checksum.digest()).decode()  # type: ignore[no-untyped-call]


class _CountingWriter:
    """A write-only file wrapper that counts the bytes written."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.count = 0

    def write(self, data: bytes) -> int:
        self._inner.write(data)
        self.count += len(data)
        return len(data)

    def flush(self) -> None:
        self._inner.flush()


class _suppress_os_error:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        return exc_type is not None and issubclass(exc_type, OSError)


def _md5_hex(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return base64.b64decode(value).hex()
    except ValueError:
        return None


def _info(blob: Any) -> ObjectInfo:
    updated = blob.updated
    if isinstance(updated, datetime.datetime) and updated.tzinfo is None:
        updated = updated.replace(tzinfo=datetime.timezone.utc)
    return ObjectInfo(
        key=blob.name,
        size=int(blob.size or 0),
        etag=_md5_hex(blob.md5_hash) or blob.etag,
        content_type=blob.content_type,
        last_modified=updated,
        metadata=dict(blob.metadata or {}),
    )

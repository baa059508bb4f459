"""Cloud Storage through google-cloud-storage: the driver and ``GCSStorageClient``."""

from __future__ import annotations

import base64
import bisect
import contextlib
import datetime
import os
from collections.abc import Iterator
from typing import Any, Optional, cast

import google.cloud.storage as gcs
from google.api_core import exceptions as gexc
from google.cloud.storage.blob import Blob

from cloud_common.core import (
    AlreadyExistsError,
    AuthenticationError,
    BucketNotFoundError,
    CloudStorage,
    DownloadTarget,
    ObjectInfo,
    ObjectNotFoundError,
    StorageClient,
    SupportsWrite,
    UploadSource,
)
from cloud_common.gcp._auth import auth_request, call_credentials, signing_credentials
from cloud_common.gcp._client import GcpClient
from cloud_common.gcp._errors import absent_as
from cloud_common.gcp._options import GcpOptions
from cloud_common.gcp._retry import bind_session, bounded, call_scope, make_retry
from cloud_common.gcp._settings import GcpSettings
from cloud_common.gcp._uploads import send_stream

__all__ = ["GCSStorageClient"]

_DEFAULT_API = "https://storage.googleapis.com"
_NEEDS_SIGNER = (
    "signing URLs needs a service-account key (metadata['service_account_file'] or "
    "['service_account_info'], or GOOGLE_APPLICATION_CREDENTIALS), or Application Default "
    "Credentials of a service account allowed to call IAM signBlob "
    "(roles/iam.serviceAccountTokenCreator)"
)


class _GCSDriver(StorageClient):
    """Cloud Storage calls through one ``google.cloud.storage.Client``."""

    def __init__(self, settings: GcpSettings, options: GcpOptions) -> None:
        self._settings = settings
        self._chunk_size = options.chunk_size
        endpoint = settings.storage_endpoint
        from google.auth.transport.requests import AuthorizedSession  # noqa: PLC0415

        credentials = call_credentials(settings, endpoint)
        self._client = gcs.Client(
            project=settings.project_id,
            credentials=credentials,
            client_options={"api_endpoint": endpoint} if endpoint else None,
            _http=bind_session(AuthorizedSession(credentials)),  # type: ignore[no-untyped-call]
        )
        self._timeout = (settings.timeouts.connect, settings.timeouts.read)
        self._retry = make_retry()
        self._signing: Any = None

    @property
    def native(self) -> gcs.Client:
        """The ``google.cloud.storage.Client`` this driver calls."""
        return self._client

    def close(self) -> None:
        self._client.close()

    def _kw(self) -> dict[str, Any]:
        """The retry and timeouts of a call (made inside its ``call_scope``)."""
        return {"retry": self._retry, "timeout": self._timeout}

    def _blob(self, bucket: str, key: str, *, chunked: bool = False) -> Blob:
        return Blob(
            key, self._client.bucket(bucket), chunk_size=self._chunk_size if chunked else None
        )

    @contextlib.contextmanager
    def _about_object(self, bucket: str, key: str, *others: str) -> Iterator[None]:
        """Inside, a 404 is the object's, unless ``bucket`` or one of ``others`` does not
        exist (Cloud Storage answers 404 for both)."""
        try:
            yield
        except gexc.NotFound as exc:
            for name in (bucket, *others):
                if not self._client.bucket(name).exists(**self._kw()):
                    raise BucketNotFoundError(_no_bucket(name)) from exc
            raise ObjectNotFoundError(_no_object(bucket, key)) from exc

    # -- the spec's calls ---------------------------------------------------------------

    @bounded("list_buckets")
    def list_buckets(self) -> list[str]:
        project = self._settings.project_id
        return [b.name for b in self._client.list_buckets(project=project, **self._kw())]

    @bounded("create_bucket")
    def create_bucket(self, name: str) -> bool:
        """Create in the region; a 409 is True when the project holds the bucket (Cloud
        Storage does not say whose it is)."""
        try:
            self._client.create_bucket(name, location=self._settings.region, **self._kw())
        except gexc.Conflict as exc:
            mine = self._client.list_buckets(
                project=self._settings.project_id, prefix=name, **self._kw()
            )
            if not any(b.name == name for b in mine):
                raise AlreadyExistsError("another project owns the bucket name") from exc
        return True

    @bounded("upload_file", replay_safe=False)
    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: Optional[str] = None,
        *,
        metadata: Optional[dict[str, str]] = None,
    ) -> str:
        """One request up to 8 MiB, resumable above; CRC32C sent."""
        blob = self._blob(bucket, key)
        if metadata:
            blob.metadata = metadata
        with absent_as(BucketNotFoundError, _no_bucket(bucket)):
            blob.upload_from_string(
                data,
                content_type=content_type or "application/octet-stream",
                **self._kw(),
            )
        return str(blob.path)

    @bounded("download_file")
    def download_file(self, bucket: str, key: str) -> bytes:
        blob = self._blob(bucket, key)
        with self._about_object(bucket, key):
            data: bytes = blob.download_as_bytes(**self._kw())
        return data

    @bounded("delete_file")
    def delete_file(self, bucket: str, key: str) -> bool:
        with self._about_object(bucket, key):
            self._blob(bucket, key).delete(**self._kw())
        return True

    @bounded("generate_presigned_url")
    def generate_presigned_url(
        self,
        bucket: str,
        key: str,
        expires_in: int = 3600,
        *,
        method: str = "GET",
        content_type: Optional[str] = None,
    ) -> str:
        """A V4 signature, made locally with a service-account key or through IAM
        signBlob with Application Default Credentials of a service account."""
        settings = self._settings
        signing: dict[str, Any] = {
            "version": "v4",
            "expiration": datetime.timedelta(seconds=expires_in),
            "method": method,
            "api_access_endpoint": (
                settings.signed_url_endpoint or settings.storage_endpoint or _DEFAULT_API
            ),
            **self._signer(),
        }
        if content_type:
            signing["content_type"] = content_type
        url: str = self._blob(bucket, key).generate_signed_url(**signing)
        return url

    def _signer(self) -> dict[str, Any]:
        settings = self._settings
        if settings.is_anonymous(settings.storage_endpoint) and (
            settings.service_account_info is None
        ):
            raise AuthenticationError(
                f"anonymous (emulator) credentials cannot sign: {_NEEDS_SIGNER}"
            )
        creds = self._signing
        if creds is None:
            creds = self._signing = signing_credentials(settings)
        from google.oauth2 import service_account  # noqa: PLC0415

        if isinstance(creds, service_account.Credentials):
            return {"credentials": creds}
        email = getattr(creds, "service_account_email", None) or getattr(
            creds, "signer_email", None
        )
        if not isinstance(email, str) or "@" not in email:
            raise AuthenticationError(
                f"the credentials ({type(creds).__name__}) have no service account: {_NEEDS_SIGNER}"
            )
        if not getattr(creds, "valid", False):
            creds.refresh(auth_request())
        return {"service_account_email": email, "access_token": creds.token}

    # -- extensions ---------------------------------------------------------------------

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[ObjectInfo]:
        """``objects.list`` pages, fetched as consumed.

        A page may name common prefixes that sort after its last object (fake-gcs-server
        does): they are held back until the listing passes them.
        """
        listing = self._client.list_blobs(
            bucket,
            prefix=prefix or None,
            delimiter=delimiter,
            page_size=page_size,
            **self._kw(),
        )
        pending: list[str] = []
        seen: set[str] = set()
        pages = listing.pages
        settings = self._settings
        while True:
            # each page is one call: its own deadline
            with (
                call_scope("list_objects", settings.retry, settings.timeouts),
                absent_as(BucketNotFoundError, _no_bucket(bucket)),
            ):
                page = next(pages, None)
            if page is None:
                break
            for name in set(page.prefixes) - seen:
                seen.add(name)
                bisect.insort(pending, name)
            for blob in page:
                while pending and pending[0] < blob.name:
                    yield ObjectInfo(key=pending.pop(0), is_prefix=True)
                yield _info(blob)
        for name in pending:
            yield ObjectInfo(key=name, is_prefix=True)

    @bounded("stat_object")
    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        blob = self._blob(bucket, key)
        with absent_as(ObjectNotFoundError, _no_object(bucket, key)):
            blob.reload(**self._kw())
        return _info(blob)

    @bounded("delete_bucket")
    def delete_bucket(self, name: str) -> bool:
        with absent_as(BucketNotFoundError, _no_bucket(name)):
            self._client.bucket(name).delete(**self._kw())
        return True

    @bounded("copy_file")
    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        """Server-side ``rewrite``, looped until done (any size, across locations)."""
        src = self._blob(src_bucket, src_key)
        dst = self._blob(dst_bucket, dst_key)
        token: str | None = None
        with self._about_object(src_bucket, src_key, dst_bucket):
            while True:
                token, _, _ = dst.rewrite(src, token=token, **self._kw())
                if token is None:
                    break
        return str(dst.path)

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: UploadSource,
        *,
        content_type: Optional[str] = None,
        metadata: Optional[dict[str, str]] = None,
    ) -> str:
        """See ``cloud_common.gcp._uploads``: bounded memory, CRC32C-verified."""
        blob = self._blob(bucket, key, chunked=True)
        if metadata:
            blob.metadata = metadata
        kind = content_type or "application/octet-stream"

        def scope(replay_safe: bool) -> contextlib.AbstractContextManager[Any]:
            settings = self._settings
            return call_scope(
                "upload_stream",
                settings.retry,
                settings.timeouts,
                replay_safe=replay_safe,
                per_part=True,
            )

        def send(handle: Any) -> None:
            send_stream(blob, handle, kind, retry=self._retry, timeout=self._timeout, scope=scope)

        with absent_as(BucketNotFoundError, _no_bucket(bucket)):
            if isinstance(source, (str, os.PathLike)):
                with open(source, "rb") as handle:
                    send(handle)
            else:
                send(source)
        return str(blob.path)

    @bounded("download_stream", per_part=True)
    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: DownloadTarget,
        *,
        byte_range: Optional[tuple[int, Optional[int]]] = None,
    ) -> int:
        """Streamed in 8 KiB reads; whole objects are CRC32C-verified (a byte range
        cannot be: Cloud Storage stores the checksum of the whole object)."""
        counter = _CountingWriter(cast(SupportsWrite, dest))
        first, last = byte_range if byte_range is not None else (None, None)
        with self._about_object(bucket, key):
            self._blob(bucket, key).download_to_file(
                counter,
                start=first,
                end=last,
                checksum=None if byte_range is not None else "crc32c",
                **self._kw(),
            )
        return counter.count


class GCSStorageClient(GcpClient[StorageClient], CloudStorage):
    """Google Cloud Storage (``gs://bucket/key``), with every rule of the contract.

    Args:
        credentials: ``CloudCredentials(provider="gcp", project_id=..., region=...)``; None
            reads ``CloudCredentials.from_env("gcp")``.
        options: ``GcpOptions``; keyword arguments set its fields (``endpoint_url=``,
            ``chunk_size=``, ``signed_url_endpoint=``, ``retry=``...).

    Raises:
        ValidationError: a missing project, a non-GCP region, unknown or ill-typed options.
    """

    def _driver_for(self, settings: GcpSettings, options: GcpOptions) -> StorageClient:
        return _GCSDriver(settings, options)


def _no_bucket(bucket: str) -> str:
    return f"bucket {bucket!r} does not exist"


def _no_object(bucket: str, key: str) -> str:
    return f"no object {key!r} in bucket {bucket!r}"


class _CountingWriter:
    """A write-only view of a binary stream that counts the bytes written."""

    def __init__(self, inner: SupportsWrite) -> None:
        self._inner = inner
        self.count = 0

    def write(self, data: bytes) -> int:
        self._inner.write(data)
        self.count += len(data)
        return len(data)


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

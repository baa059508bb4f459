"""``CloudFileSystem``: an fsspec filesystem over the ``CloudStorage`` of any provider."""

from __future__ import annotations

import errno
import io
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from cloud_common.core import (
    Capability,
    CloudStorage,
    ObjectInfo,
    ObjectNotFoundError,
    ProviderNotFoundError,
    ValidationError,
    get_provider,
    get_storage_client,
)
from cloud_common.fsspec._errors import translated
from cloud_common.fsspec._file import WRITE_BLOCK_SIZE, CloudFile
from cloud_common.fsspec._options import FSSPEC_OPTIONS, BridgeOptions, public_options
from cloud_common.fsspec._paths import PROTOCOL, provider_of, split_path, strip_url
from fsspec.callbacks import DEFAULT_CALLBACK
from fsspec.spec import AbstractFileSystem
from fsspec.utils import isfilelike, stringify_path

__all__ = ["REQUIRED_CAPABILITIES", "CloudFileSystem"]

REQUIRED_CAPABILITIES = (
    Capability.LIST_OBJECTS,
    Capability.STAT_OBJECT,
    Capability.DOWNLOAD_STREAM,
    Capability.UPLOAD_STREAM,
    Capability.COPY_FILE,
)
"""What a provider must declare to back a filesystem (every first-party one does)."""

_T = TypeVar("_T")
_R = TypeVar("_R")


def _directory(name: str) -> dict[str, Any]:
    return {"name": name, "size": 0, "type": "directory"}


def _file(bucket: str, obj: ObjectInfo) -> dict[str, Any]:
    return {
        "name": f"{bucket}/{obj.key}",
        "size": obj.size,
        "type": "file",
        "etag": obj.etag,
        "content_type": obj.content_type,
        "mtime": obj.last_modified,
        "metadata": dict(obj.metadata),
    }


class CloudFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """Object storage of any installed cloud-common provider, as an fsspec filesystem.

    URLs are ``cloudcommon://<provider>/<bucket>/<key>``; paths inside the filesystem are
    ``<bucket>/<key>``. Buckets are top-level directories, directories below them are
    implied by ``/`` in keys (as on S3), so an empty directory does not exist.

    Args:
        provider: The provider id (``"aws"``, ``"gcp"``, ``"local"``, a third party's id);
            taken from the URL when fsspec builds the filesystem from one.
        **storage_options: Credentials (``access_key``/``key``, ``secret_key``/``secret``,
            ``region``, ``project_id``/``project``, ``profile``, ``metadata``), else from
            the provider's environment variables; fsspec's listings-cache options; every
            other option is a field of the provider's ``ClientOptions`` (``endpoint_url``,
            ``timeouts``, ``retry``...).

    Raises:
        ValueError: no provider named, an unknown provider, bad options (the message
            names the option, never a secret value).
        NotImplementedError: the provider lacks a capability in ``REQUIRED_CAPABILITIES``.
    """

    protocol = PROTOCOL
    root_marker = ""
    blocksize = WRITE_BLOCK_SIZE
    max_concurrency = 8
    """Threads used by multi-path ``cat`` and ``rm``."""

    def __init__(self, provider: str | None = None, **storage_options: Any) -> None:
        super().__init__(**{k: v for k, v in storage_options.items() if k in FSSPEC_OPTIONS})
        if not isinstance(provider, str) or not provider:
            raise ValidationError(
                "the cloudcommon filesystem needs a provider: open "
                "'cloudcommon://<provider>/<bucket>/<key>' or pass provider='aws' (or any "
                "installed provider id)"
            )
        try:
            info = get_provider(provider)
        except ProviderNotFoundError as exc:
            raise ValidationError(str(exc)) from exc
        missing = [c.value for c in REQUIRED_CAPABILITIES if not info.supports(c)]
        if missing:
            raise NotImplementedError(
                f"provider {provider!r} cannot back a filesystem: it does not declare "
                f"{', '.join(missing)}"
            )
        self.provider = info.id
        options = BridgeOptions.parse(
            provider, {k: v for k, v in storage_options.items() if k not in FSSPEC_OPTIONS}
        )
        with translated(f"{PROTOCOL}://{provider}"):
            self._client = get_storage_client(options.credentials, **options.client_options)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @property
    def client(self) -> CloudStorage:
        """The portable client every call goes through."""
        return self._client

    def __repr__(self) -> str:
        return f"CloudFileSystem(provider={self.provider!r})"

    def to_dict(self, *, include_password: bool = True) -> dict[str, Any]:
        """fsspec's JSON form; ``include_password=False`` redacts every secret option."""
        data: dict[str, Any] = super().to_dict(include_password=include_password)
        if include_password:
            return data
        return public_options(self.provider, data)

    # -- paths ---------------------------------------------------------------------------

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        return strip_url(stringify_path(path))

    @staticmethod
    def _get_kwargs_from_urls(path: str) -> dict[str, Any]:
        provider = provider_of(path)
        return {"provider": provider} if provider else {}

    def unstrip_protocol(self, name: str) -> str:
        if name.startswith(f"{PROTOCOL}://"):
            return name
        return f"{PROTOCOL}://{self.provider}/{name}"

    # -- listing -------------------------------------------------------------------------

    def invalidate_cache(self, path: str | None = None) -> None:
        """Forget cached listings of ``path`` and every directory above it (all: None)."""
        if path is None:
            self.dircache.clear()
        else:
            where = self._strip_protocol(path)
            while True:
                self.dircache.pop(where, None)
                if not where:
                    break
                where = self._parent(where)
        super().invalidate_cache(path)

    def ls(self, path: str, detail: bool = True, refresh: bool = False, **kwargs: Any) -> Any:
        """Entries directly under ``path`` (buckets at the root); ``[info]`` for an object.

        Raises:
            FileNotFoundError: no such bucket, directory or object.
        """
        path = self._strip_protocol(path)
        entries = None if refresh else self._cached_listing(path)
        if entries is None:
            entries = self._list(path)
        if detail:
            return entries
        return sorted(e["name"] for e in entries)

    def _cached_listing(self, path: str) -> list[dict[str, Any]] | None:
        cached: list[dict[str, Any]] | None = self._ls_from_cache(path)
        if (
            cached is not None
            and path not in self.dircache
            and any(e["name"] == path and e["type"] == "directory" for e in cached)
        ):
            return None  # the parent's entry for a directory, not its listing
        return cached

    def _list(self, path: str) -> list[dict[str, Any]]:
        if not path:
            with translated(path):
                entries = [_directory(name) for name in self.client.list_buckets()]
            self.dircache[path] = entries
            return entries
        bucket, key = split_path(path)
        prefix = f"{key}/" if key else ""
        entries = []
        marker = False
        with translated(path):
            for obj in self.client.list_objects(bucket, prefix, delimiter="/"):
                if obj.key == prefix:
                    marker = True  # a zero-byte "directory" object some tools create
                elif obj.is_prefix:
                    entries.append(_directory(f"{bucket}/{obj.key.rstrip('/')}"))
                else:
                    entries.append(_file(bucket, obj))
        if entries or marker or not key:
            self.dircache[path] = entries
            return entries
        return [self.info(path, refresh=True)]

    def info(self, path: str, refresh: bool = False, **kwargs: Any) -> dict[str, Any]:
        """Name, size, type (``"file"``/``"directory"``), etag, content_type, mtime and
        metadata of an object; name, size 0 and type of a bucket or directory.

        Raises:
            FileNotFoundError: nothing at ``path``.
        """
        path = self._strip_protocol(path)
        if not path:
            return _directory("")
        if not refresh:
            if path in self.dircache:
                return _directory(path)
            for entry in self._ls_from_cache(path) or ():
                if entry["name"] == path:
                    return dict(entry)
        bucket, key = split_path(path)
        with translated(path):
            if key:
                try:
                    return _file(bucket, self.client.stat_object(bucket, key))
                except ObjectNotFoundError:
                    pass
            for _ in self.client.list_objects(bucket, f"{key}/" if key else "", page_size=1):
                return _directory(path)
        if not key:
            return _directory(path)  # an empty bucket
        raise FileNotFoundError(errno.ENOENT, "no such object or directory", path)

    def find(
        self,
        path: str,
        maxdepth: int | None = None,
        withdirs: bool = False,
        detail: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Every object below ``path`` (and, ``withdirs=True``, every directory), from one
        flat listing of the prefix, whatever ``maxdepth``."""
        path = self._strip_protocol(path)
        bucket, key = split_path(path)
        if not bucket:
            return super().find(path, maxdepth, withdirs, detail, **kwargs)
        if maxdepth is not None and maxdepth < 1:
            raise ValueError("maxdepth must be at least 1")
        prefix = f"{key}/" if key else ""
        out: dict[str, dict[str, Any]] = {}
        try:
            with translated(path):
                for obj in self.client.list_objects(bucket, prefix):
                    parts = obj.key[len(prefix) :].split("/")
                    if withdirs:
                        for depth in range(1, min(len(parts), (maxdepth or len(parts)) + 1)):
                            name = f"{bucket}/{prefix}{'/'.join(parts[:depth])}"
                            out.setdefault(name, _directory(name))
                    if parts[-1] and (maxdepth is None or len(parts) <= maxdepth):
                        out[f"{bucket}/{obj.key}"] = _file(bucket, obj)
        except FileNotFoundError:
            return {} if detail else []
        if withdirs and (out or not key):
            out[path] = _directory(path)
        if not out and key:
            try:
                found = self.info(path)
            except FileNotFoundError:
                found = None
            if found is not None and found["type"] == "file":
                out[path] = found
        names = sorted(out)
        if detail:
            return {name: out[name] for name in names}
        return names

    def modified(self, path: str) -> Any:
        """The object's last modification time (timezone-aware ``datetime``).

        Raises:
            IsADirectoryError: ``path`` is a bucket or directory.
        """
        found = self.info(path)
        if found["type"] != "file":
            raise IsADirectoryError(errno.EISDIR, "directories have no modification time", path)
        return found["mtime"]

    # -- buckets and directories ---------------------------------------------------------

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Create the bucket (a bucket path, or ``create_parents`` and it is missing);
        directories below a bucket are implied by keys and need nothing.

        Raises:
            PermissionError: the bucket name belongs to another account.
        """
        path = self._strip_protocol(path)
        bucket, key = split_path(path)
        if not bucket:
            raise ValueError("mkdir needs a bucket name")
        if key and (not create_parents or self.exists(bucket)):
            return
        with translated(bucket):
            created = self.client.create_bucket(bucket)
        if not created:
            raise PermissionError(
                errno.EACCES, "the bucket name is taken by another account", bucket
            )
        self.invalidate_cache(bucket)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """``mkdir(path, create_parents=True)``; FileExistsError when ``path`` exists and
        ``exist_ok`` is False."""
        if not exist_ok and self.exists(path):
            raise FileExistsError(errno.EEXIST, "already exists", self._strip_protocol(path))
        self.mkdir(path, create_parents=True)

    def rmdir(self, path: str) -> None:
        """Delete an empty bucket; a directory below a bucket vanishes with its last object.

        Raises:
            OSError: (``ENOTEMPTY``) the bucket or directory still holds objects.
        """
        path = self._strip_protocol(path)
        bucket, key = split_path(path)
        if key:
            if self.find(path):
                raise OSError(errno.ENOTEMPTY, "the directory is not empty", path)
            return
        with translated(path):
            deleted = self.client.delete_bucket(bucket)
        if not deleted:
            raise OSError(errno.ENOTEMPTY, "the bucket is not empty", path)
        self.invalidate_cache(path)

    # -- deleting and copying ------------------------------------------------------------

    def rm_file(self, path: str) -> None:
        """Delete one object (nothing to do when it is absent)."""
        path = self._strip_protocol(path)
        bucket, key = split_path(path)
        if not key:
            raise IsADirectoryError(errno.EISDIR, "a bucket is not a file: use rmdir", path)
        with translated(path):
            deleted = self.client.delete_file(bucket, key)
        if not deleted:
            raise OSError(
                errno.EIO,
                "the provider refused the delete, or the bucket does not exist "
                "(cloud_common logged a WARNING saying which)",
                path,
            )
        self.invalidate_cache(path)

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Delete objects; with ``recursive``, everything under a directory, and a bucket
        itself when ``path`` names one."""
        paths = self.expand_path(path, recursive=recursive, maxdepth=maxdepth)
        buckets = [p for p in paths if "/" not in p]
        # a path with others below it is a directory: it goes with its last object
        parents = {p.rsplit("/", 1)[0] for p in paths if "/" in p}
        keys = [p for p in paths if "/" in p and p not in parents]
        self._map(self._rm_quietly, keys)
        for bucket in buckets:
            self.rmdir(bucket)

    def _rm_quietly(self, path: str) -> None:
        bucket, key = split_path(path)
        with translated(path):
            deleted = self.client.delete_file(bucket, key)
        if not deleted:
            raise OSError(errno.EIO, "the provider refused the delete", path)
        self.invalidate_cache(path)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy one object server-side (content type and metadata included); copying a
        directory does nothing (its objects are copied one by one by ``copy``)."""
        path1 = self._strip_protocol(path1)
        path2 = self._strip_protocol(path2)
        src_bucket, src_key = split_path(path1)
        dst_bucket, dst_key = split_path(path2)
        if not src_key or not dst_key:
            return
        try:
            with translated(path1):
                self.client.copy_file(src_bucket, src_key, dst_bucket, dst_key)
        except FileNotFoundError:
            if self.isdir(path1):
                return
            raise
        self.invalidate_cache(path2)

    # -- reading -------------------------------------------------------------------------

    def read_range(self, bucket: str, key: str, start: int, end: int | None) -> bytes:
        """Bytes ``[start, end)`` of an object (to its end when ``end`` is None): one
        ``download_stream`` with a ``byte_range``."""
        sink = io.BytesIO()
        last = None if end is None else end - 1
        with translated(f"{bucket}/{key}"):
            try:
                self.client.download_stream(bucket, key, sink, byte_range=(start, last))
            except ValidationError:
                if start > 0 and start >= self.client.stat_object(bucket, key).size:
                    return b""  # a range starting at or past the end reads nothing
                raise
        return sink.getvalue()

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """The object's bytes, or the slice ``[start:end]`` (negative: from the end)."""
        path = self._strip_protocol(path)
        bucket, key = split_path(path)
        if not key:
            raise IsADirectoryError(errno.EISDIR, "a bucket is not a file", path)
        if not start and end is None:
            with translated(path):
                return self.client.download_file(bucket, key)
        if (start is not None and start < 0) or (end is not None and end < 0):
            size = self.info(path)["size"]
            if start is not None and start < 0:
                start = max(0, size + start)
            if end is not None and end < 0:
                end = max(0, size + end)
        start = start or 0
        if end is not None and end <= start:
            return b""
        return self.read_range(bucket, key, start, end)

    def cat(
        self, path: Any, recursive: bool = False, on_error: str = "raise", **kwargs: Any
    ) -> Any:
        """Bytes of one object, or ``{path: bytes}`` for many (fetched by
        ``max_concurrency`` threads)."""
        paths = self.expand_path(path, recursive=recursive, **kwargs)
        if (
            len(paths) == 1
            and not isinstance(path, list)
            and paths[0] == self._strip_protocol(path)
        ):
            return self.cat_file(paths[0], **kwargs)

        def fetch(one: str) -> bytes | Exception:
            try:
                return self.cat_file(one, **kwargs)
            except Exception as exc:  # noqa: BLE001 - sorted out by on_error below
                return exc

        out: dict[str, Any] = {}
        for one, value in zip(paths, self._map(fetch, paths), strict=True):
            if isinstance(value, Exception):
                if on_error == "raise":
                    raise value
                if on_error == "return":
                    out[one] = value
            else:
                out[one] = value
        return out

    def get_file(
        self,
        rpath: str,
        lpath: Any,
        callback: Any = DEFAULT_CALLBACK,
        outfile: Any = None,
        **kwargs: Any,
    ) -> None:
        """Download one object to a local path (written atomically) or file object; a
        directory becomes a local directory."""
        rpath = self._strip_protocol(rpath)
        bucket, key = split_path(rpath)
        if outfile is None and isfilelike(lpath):
            outfile = lpath
        if outfile is None:
            lpath = os.fspath(lpath)
            if not key:
                os.makedirs(lpath, exist_ok=True)
                return
            os.makedirs(os.path.dirname(os.path.abspath(lpath)), exist_ok=True)
        target = outfile if outfile is not None else lpath
        try:
            with translated(rpath):
                written = self.client.download_stream(bucket, key, target)
        except FileNotFoundError:
            if outfile is None and self.isdir(rpath):
                os.makedirs(lpath, exist_ok=True)
                return
            raise
        callback.set_size(written)
        callback.relative_update(written)

    # -- writing -------------------------------------------------------------------------

    def write_object(
        self,
        path: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        """Store ``data`` as the object at ``path`` in one ``upload_file``."""
        path = self._strip_protocol(path)
        bucket, key = split_path(path)
        if not key:
            raise IsADirectoryError(errno.EISDIR, "a bucket is not a file", path)
        with translated(path):
            self.client.upload_file(bucket, key, bytes(data), content_type, metadata=metadata)
        self.invalidate_cache(path)

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Store ``value`` at ``path``; ``mode="create"`` refuses an existing object
        (checked first: not atomic)."""
        if mode == "create" and self.exists(path):
            raise FileExistsError(errno.EEXIST, "the object exists", self._strip_protocol(path))
        self.write_object(
            path, value, content_type=kwargs.get("content_type"), metadata=kwargs.get("metadata")
        )

    def put_file(
        self,
        lpath: Any,
        rpath: str,
        callback: Any = DEFAULT_CALLBACK,
        mode: str = "overwrite",
        **kwargs: Any,
    ) -> None:
        """Upload one local file with ``upload_stream`` (bounded memory); a local directory
        needs nothing (directories are implied)."""
        rpath = self._strip_protocol(rpath)
        if mode == "create" and self.exists(rpath):
            raise FileExistsError(errno.EEXIST, "the object exists", rpath)
        lpath = os.fspath(lpath)
        if os.path.isdir(lpath):
            return
        bucket, key = split_path(rpath)
        if not key:
            raise IsADirectoryError(errno.EISDIR, "a bucket is not a file", rpath)
        size = os.path.getsize(lpath)
        callback.set_size(size)
        with translated(rpath):
            self.client.upload_stream(
                bucket,
                key,
                lpath,
                content_type=kwargs.get("content_type"),
                metadata=kwargs.get("metadata"),
            )
        callback.relative_update(size)
        self.invalidate_cache(rpath)

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> CloudFile:
        path = self._strip_protocol(path)
        if mode == "ab":
            raise NotImplementedError("append ('ab') is not supported: objects are written whole")
        if mode == "xb" and self.exists(path):
            raise FileExistsError(errno.EEXIST, "the object exists", path)
        if mode == "rb" and kwargs.get("size") is None:
            found = self.info(path)
            if found["type"] != "file":
                raise IsADirectoryError(errno.EISDIR, "a directory, not an object", path)
            kwargs["size"] = found["size"]
        return CloudFile(
            self,
            path,
            mode,
            block_size or "default",
            autocommit,
            cache_options=cache_options,
            **kwargs,
        )

    def sign(self, path: str, expiration: int = 100, **kwargs: Any) -> str:
        """A presigned GET URL of the object, valid ``expiration`` seconds."""
        path = self._strip_protocol(path)
        bucket, key = split_path(path)
        with translated(path):
            return self.client.generate_presigned_url(bucket, key, int(expiration))

    # -- helpers -------------------------------------------------------------------------

    def _map(self, fn: Callable[[_T], _R], items: Iterable[_T]) -> list[_R]:
        items = list(items)
        if len(items) < 2:
            return [fn(item) for item in items]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.max_concurrency, thread_name_prefix="cloud-common-fsspec"
                )
            pool = self._pool
        return list(pool.map(fn, items))

"""The three contracts of the spec: StorageClient, ComputeClient, ServerlessClient.

The abstract methods are the spec's, word for word (names, parameters, defaults,
annotations); nothing else is abstract. Every other method is an optional extension that
raises ``NotSupportedError`` unless the provider overrides it and declares the matching
``Capability``.

A provider implements these (it is the *driver*); users hold core's portable clients
(``CloudStorage``, ``CloudCompute``, ``CloudServerless``), which subclass them and apply
every rule of the contract around the driver.
"""

# No ``from __future__ import annotations`` here: the spec's annotations stay real
# ``typing`` objects, so ``inspect.signature`` reads exactly as the spec is written.
import os
from abc import ABC, abstractmethod
from types import TracebackType
from typing import (
    Any,
    BinaryIO,
    Dict,
    Iterator,
    List,
    Optional,
    Protocol,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from cloud_common.core._enums import InstanceState
from cloud_common.core._objects import ObjectInfo
from cloud_common.core.errors import NotSupportedError

__all__ = [
    "CLIENT_BASES",
    "ComputeClient",
    "DownloadTarget",
    "PathOrFile",
    "ServerlessClient",
    "StorageClient",
    "SupportsRead",
    "SupportsWrite",
    "UploadSource",
]

_C = TypeVar("_C", bound="_Client")


class SupportsRead(Protocol):
    """Anything with ``read(size) -> bytes``: an open binary file, ``BytesIO``,
    ``GzipFile``, ``SpooledTemporaryFile``, a socket file, a zip member..."""

    def read(self, size: int = ..., /) -> bytes: ...


class SupportsWrite(Protocol):
    """Anything with ``write(bytes)``: an open binary file, ``BytesIO``, ``GzipFile``..."""

    def write(self, data: bytes, /) -> object: ...


UploadSource = Union[str, "os.PathLike[str]", SupportsRead]
"""What ``upload_stream`` reads: a path, or any binary stream."""

DownloadTarget = Union[str, "os.PathLike[str]", SupportsWrite]
"""What ``download_stream`` writes: a path (written atomically), or any binary stream."""

PathOrFile = Union[str, "os.PathLike[str]", BinaryIO]
"""A filesystem path or an open binary file (the 0.2 name; see UploadSource)."""


class _Client:
    """What every client has besides its contract: ``native``, ``close`` and ``with``."""

    provider_id: str = ""

    def _unsupported(self, operation: str) -> NotSupportedError:
        name = self.provider_id or type(self).__name__
        return NotSupportedError(
            f"{name} does not support {operation}",
            provider=self.provider_id or None,
            operation=operation,
        )

    @property
    def native(self) -> Any:
        """The underlying SDK client: the escape hatch for what the contract does not cover.

        Raises:
            NotSupportedError: the provider has no single SDK client to hand out.
        """
        raise self._unsupported("native")

    def close(self) -> None:
        """Release connections and other resources. Safe to call twice."""

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class StorageClient(_Client, ABC):
    """Object storage: buckets of keyed byte objects."""

    @abstractmethod
    def list_buckets(self) -> List[str]:
        """Return names of all accessible buckets."""

    @abstractmethod
    def create_bucket(self, name: str) -> bool:
        """Create a new bucket. Returns success status."""

    @abstractmethod
    def upload_file(self, bucket: str, key: str, data: bytes,
                    content_type: Optional[str] = None) -> str:  # fmt: skip
        """Upload data to bucket. Returns object URL/path."""

    @abstractmethod
    def download_file(self, bucket: str, key: str) -> bytes:
        """Download object contents as bytes."""

    @abstractmethod
    def delete_file(self, bucket: str, key: str) -> bool:
        """Delete object. Returns success status."""

    @abstractmethod
    def generate_presigned_url(self, bucket: str, key: str,
                               expires_in: int = 3600) -> str:  # fmt: skip
        """Generate temporary access URL."""

    # -- extensions -------------------------------------------------------------------

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[ObjectInfo]:
        """Iterate over the objects under ``prefix``, sorted by key, fetching pages lazily.

        With ``delimiter`` (usually ``"/"``), keys below the next delimiter are rolled up
        into one ``ObjectInfo(is_prefix=True)`` per common prefix.

        Raises:
            BucketNotFoundError: the bucket does not exist.
            NotSupportedError: capability ``storage.list_objects`` not declared.
        """
        raise self._unsupported("list_objects")

    def stat_object(self, bucket: str, key: str) -> ObjectInfo:
        """Return size, etag, content type, modification time and user metadata.

        Raises:
            ObjectNotFoundError: no such object (or bucket).
        """
        raise self._unsupported("stat_object")

    def object_exists(self, bucket: str, key: str) -> bool:
        """True when the object exists; False when it (or its bucket) does not.

        Drivers need not override it: the portable client answers it from ``stat_object``.
        """
        raise self._unsupported("object_exists")

    def delete_bucket(self, name: str) -> bool:
        """Delete an empty bucket. True when the bucket is gone (also when it was absent).

        A bucket that still holds objects is not deleted: False and a WARNING.
        """
        raise self._unsupported("delete_bucket")

    def copy_file(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> str:
        """Copy an object server-side, content type and metadata included. Returns the new URL.

        Raises:
            ObjectNotFoundError: the source does not exist.
        """
        raise self._unsupported("copy_file")

    def upload_stream(
        self,
        bucket: str,
        key: str,
        source: PathOrFile,
        *,
        content_type: Optional[str] = None,
        metadata: Optional[Dict[str, str]] = None,
    ) -> str:
        """Upload from a path or binary file in bounded memory (multipart/resumable).

        Readers never see a partial object. Returns the canonical object URL.

        A driver receives a ``str`` path or an object with ``read()`` (users may pass any
        binary stream, see ``UploadSource``).
        """
        raise self._unsupported("upload_stream")

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: PathOrFile,
        *,
        byte_range: Optional[Tuple[int, Optional[int]]] = None,
    ) -> int:
        """Download into a path or binary file in bounded memory. Returns the bytes written.

        ``byte_range=(first, last)`` is inclusive, as in HTTP ``Range``; ``last=None`` reads to
        the end. A path is written atomically: on failure no partial file is left.

        Raises:
            ObjectNotFoundError: no such object.
            ValidationError: a range that is malformed or starts past the end.
        """
        raise self._unsupported("download_stream")


class ComputeClient(_Client, ABC):
    """Compute instances (virtual machines)."""

    @abstractmethod
    def list_instances(self) -> List[Dict[str, Any]]:
        """List all compute instances."""

    @abstractmethod
    def start_instance(self, instance_id: str) -> bool:
        """Start stopped instance."""

    @abstractmethod
    def stop_instance(self, instance_id: str) -> bool:
        """Stop running instance."""

    @abstractmethod
    def terminate_instance(self, instance_id: str) -> bool:
        """Permanently terminate instance."""

    @abstractmethod
    def create_instance(self, name: str, instance_type: str,  # type: ignore[no-untyped-def]
                        image_id: str, **kwargs) -> Dict[str, Any]:  # fmt: skip
        """Create new compute instance."""

    # -- extensions -------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> Dict[str, Any]:
        """Return one instance as ``CloudResource(...).to_dict()``.

        Raises:
            InstanceNotFoundError: no instance has this id.
        """
        raise self._unsupported("get_instance")

    def wait_for_state(
        self,
        instance_id: str,
        state: Union[InstanceState, str],
        timeout: float = 300.0,
        *,
        poll_interval: float = 2.0,
    ) -> Dict[str, Any]:
        """Poll ``get_instance`` until the instance reaches ``state``; return it then.

        Drivers need not override it: the portable client polls ``get_instance``.

        Raises:
            TimeoutError: the state was not reached within ``timeout`` seconds.
            InstanceNotFoundError: the instance vanished (unless waiting for terminated).
        """
        raise self._unsupported("wait_for_state")


class ServerlessClient(_Client, ABC):
    """Serverless functions."""

    @abstractmethod
    def list_functions(self) -> List[Dict[str, Any]]:
        """List all serverless functions."""

    @abstractmethod
    def invoke_function(self, function_name: str,
                        payload: Dict[str, Any]) -> Dict[str, Any]:  # fmt: skip
        """Invoke function with payload."""

    @abstractmethod
    def create_function(self, name: str, runtime: str, handler: str,  # type: ignore[no-untyped-def]
                        code_path: str, **kwargs) -> Dict[str, Any]:  # fmt: skip
        """Deploy new function."""

    @abstractmethod
    def delete_function(self, function_name: str) -> bool:
        """Delete function."""

    # -- extensions -------------------------------------------------------------------

    def get_function(self, function_name: str) -> Dict[str, Any]:
        """Return one function as ``CloudResource(...).to_dict()``.

        Raises:
            FunctionNotFoundError: no function has this name.
        """
        raise self._unsupported("get_function")


CLIENT_BASES: Dict[str, Type[_Client]] = {
    "storage": StorageClient,
    "compute": ComputeClient,
    "serverless": ServerlessClient,
}
"""The contract of each service name."""

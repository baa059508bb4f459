"""What the suite sees of each call: which capability it used, what it created, what it raised.

Tests get their clients wrapped in ``RecordingClient``: a thin proxy over the guarded client
the registry built. It tells the session (``CallLog``) about every call, so the session can
clean up what a test created, check error texts for secrets, flag SDK exceptions the provider
let through, and list calls outside the provider's declared capabilities.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from cloud_common.core import Capability, CloudError

__all__ = ["CallLog", "Created", "RecordingClient", "capability_of", "is_escaped"]

_EXTENSIONS: dict[str, Capability] = {
    "list_objects": Capability.LIST_OBJECTS,
    "stat_object": Capability.STAT_OBJECT,
    "object_exists": Capability.OBJECT_EXISTS,
    "delete_bucket": Capability.DELETE_BUCKET,
    "copy_file": Capability.COPY_FILE,
    "upload_stream": Capability.UPLOAD_STREAM,
    "download_stream": Capability.DOWNLOAD_STREAM,
    "get_instance": Capability.GET_INSTANCE,
    "wait_for_state": Capability.WAIT_FOR_STATE,
    "get_function": Capability.GET_FUNCTION,
    "native": Capability.NATIVE,
}
_SPEC = {
    "storage": (
        "list_buckets",
        "create_bucket",
        "upload_file",
        "download_file",
        "delete_file",
        "generate_presigned_url",
    ),
    "compute": (
        "list_instances",
        "start_instance",
        "stop_instance",
        "terminate_instance",
        "create_instance",
    ),
    "serverless": ("list_functions", "invoke_function", "create_function", "delete_function"),
}
_NEUTRAL = ("close",)


def capability_of(service: str, method: str, kwargs: dict[str, Any]) -> set[str]:
    """The capabilities one call needs (the service itself for a spec method)."""
    needed = {service}
    if method in _EXTENSIONS:
        needed.add(_EXTENSIONS[method].value)
    if method == "generate_presigned_url" and str(kwargs.get("method", "GET")).upper() == "PUT":
        needed.add(Capability.PRESIGN_PUT.value)
    if method in ("upload_file", "upload_stream") and kwargs.get("metadata"):
        needed.add(Capability.USER_METADATA.value)
    return needed


class CallLog(Protocol):
    """What a RecordingClient reports to (the contract session)."""

    def note_call(
        self, service: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], which: str
    ) -> None: ...

    def note_result(
        self,
        service: str,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        result: Any,
        which: str,
    ) -> None: ...

    def note_error(self, service: str, method: str, exc: BaseException) -> None: ...


@dataclass
class Created:
    """What the current test created, for cleanup after it."""

    buckets: list[str] = field(default_factory=list)
    objects: list[tuple[str, str]] = field(default_factory=list)
    instances: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)

    def note(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> None:
        def arg(i: int, name: str) -> Any:
            return args[i] if len(args) > i else kwargs.get(name)

        if method == "create_bucket":
            self.buckets.append(arg(0, "name"))
        elif method in ("upload_file", "upload_stream"):
            self.objects.append((arg(0, "bucket"), arg(1, "key")))
        elif method == "copy_file":
            self.objects.append((arg(2, "dst_bucket"), arg(3, "dst_key")))
        elif method == "create_function":
            self.functions.append(arg(0, "name"))
        elif method == "create_instance" and isinstance(result, dict) and "id" in result:
            self.instances.append(str(result["id"]))


class RecordingClient:
    """A proxy over a guarded client that reports every call to a ``CallLog``."""

    def __init__(self, client: Any, service: str, log: CallLog, which: str = "main") -> None:
        self._client = client
        self._service = service
        self._log = log
        self.which = which

    @property
    def wrapped(self) -> Any:
        """The guarded client behind this proxy."""
        return self._client

    def __repr__(self) -> str:
        return repr(self._client)

    def __getattr__(self, name: str) -> Any:
        if name == "native":
            self._log.note_call(self._service, name, (), {}, self.which)
            try:
                return self._client.native
            except Exception as exc:
                self._log.note_error(self._service, name, exc)
                raise
        attr = getattr(self._client, name)
        known = name in _SPEC.get(self._service, ()) or name in _EXTENSIONS or name in _NEUTRAL
        if not (known and callable(attr)):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._log.note_call(self._service, name, args, kwargs, self.which)
            try:
                result = attr(*args, **kwargs)
            except Exception as exc:
                self._log.note_error(self._service, name, exc)
                raise
            self._log.note_result(self._service, name, args, kwargs, result, self.which)
            if name == "list_objects":
                return self._iterate(name, result)
            return result

        return call

    def _iterate(self, name: str, iterator: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from iterator
        except Exception as exc:
            self._log.note_error(self._service, name, exc)
            raise

    def __enter__(self) -> RecordingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def is_escaped(exc: BaseException) -> bool:
    """True for the guard's wrapper of an exception the provider did not translate."""
    return (
        type(exc) is CloudError
        and exc.__cause__ is not None
        and not isinstance(exc.__cause__, CloudError)
    )

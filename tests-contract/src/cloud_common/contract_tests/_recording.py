"""What the suite sees of each call: which capability it used, what it created, what it raised.

Tests get their clients as *recording views*: ``recording(client, ...)`` returns an instance
of a subclass of the client's own class (``CloudStorage``, ``S3StorageClient``...), so a
fixture typed ``CloudStorage`` is exactly that to mypy and to ``isinstance``. Each contract
call on the view is reported to the session (``CallLog``) and then made on the client the
registry built, so the session can clean up what a test created, check error texts for
secrets, flag SDK exceptions the provider let through, and list calls outside the declared
capabilities. Calls the client makes internally (``wait_for_state`` polling ``get_instance``)
are not reported: they are core's, not the test's.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from cloud_common.core import (
    Capability,
    CloudCompute,
    CloudError,
    CloudServerless,
    CloudStorage,
)

__all__ = [
    "CallLog",
    "Created",
    "RecordingClient",
    "capability_of",
    "is_escaped",
    "recording",
]

_P = TypeVar("_P", CloudStorage, CloudCompute, CloudServerless)

EXTENSIONS: dict[str, Capability] = {
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
}
"""The extension methods and the capability each needs."""

SPEC: dict[str, tuple[str, ...]] = {
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
"""The spec's abstract methods of each service."""


def capability_of(service: str, method: str, kwargs: dict[str, Any]) -> set[str]:
    """The capabilities one call needs (the service itself for a spec method)."""
    needed = {service}
    if method in EXTENSIONS:
        needed.add(EXTENSIONS[method].value)
    if method == "native":
        needed.add(Capability.NATIVE.value)
    if method == "generate_presigned_url" and (
        str(kwargs.get("method", "GET")).upper() == "PUT" or kwargs.get("content_type")
    ):
        needed.add(Capability.PRESIGN_PUT.value)
    if method in ("upload_file", "upload_stream") and kwargs.get("metadata"):
        needed.add(Capability.USER_METADATA.value)
    return needed


class CallLog(Protocol):
    """What a recording view reports to (the contract session)."""

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
    """Mixin of the recording views (see the module docstring); never built directly."""

    _recorded: CloudStorage | CloudCompute | CloudServerless
    _service: str
    _log: CallLog
    which: str

    def _record(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        log, service = self._log, self._service
        log.note_call(service, name, args, kwargs, self.which)
        try:
            result = getattr(self._recorded, name)(*args, **kwargs)
        except Exception as exc:
            log.note_error(service, name, exc)
            raise
        log.note_result(service, name, args, kwargs, result, self.which)
        if name == "list_objects":
            return self._iterate(name, result)
        return result

    def _iterate(self, name: str, iterator: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from iterator
        except Exception as exc:
            self._log.note_error(self._service, name, exc)
            raise

    def _native(self) -> Any:
        self._log.note_call(self._service, "native", (), {}, self.which)
        try:
            return self._recorded.native
        except Exception as exc:
            self._log.note_error(self._service, "native", exc)
            raise

    def __repr__(self) -> str:
        return repr(self._recorded)


def _recorded_method(name: str) -> Callable[..., Any]:
    def method(self: RecordingClient, *args: Any, **kwargs: Any) -> Any:
        return self._record(name, args, kwargs)

    method.__name__ = method.__qualname__ = name
    return method


@functools.cache
def _view_class(base: type[Any], service: str) -> type[Any]:
    names = (*SPEC[service], *EXTENSIONS, "close")
    body: dict[str, Any] = {n: _recorded_method(n) for n in names if hasattr(base, n)}
    body["native"] = property(RecordingClient._native, doc="The SDK client (recorded).")
    body["__module__"] = __name__
    view: type[Any] = types.new_class(
        f"Recording{base.__name__}",
        (RecordingClient, base),
        exec_body=lambda ns: ns.update(body),
    )
    return view


def recording(client: _P, service: str, log: CallLog, which: str = "main") -> _P:
    """A view of ``client`` that reports every contract call to ``log``.

    The view is an instance of a subclass of ``type(client)`` holding a copy of the client's
    attributes (so its properties read the same driver and declaration); contract calls go
    to ``client`` itself.
    """
    cls = _view_class(type(client), service)
    view = cast(_P, object.__new__(cls))
    vars(view).update(vars(client))
    vars(view).update(_recorded=client, _service=service, _log=log, which=which)
    return view


def is_escaped(exc: BaseException) -> bool:
    """True for core's plain ``CloudError`` around an exception the provider's ``errors``
    translation did not recognise."""
    return (
        type(exc) is CloudError
        and exc.__cause__ is not None
        and not isinstance(exc.__cause__, CloudError)
    )

"""``CloudServerless``: the serverless client users hold, on any provider."""

from __future__ import annotations

import functools
import inspect
import os
from typing import TYPE_CHECKING, Any

from cloud_common.core._capabilities import Capability
from cloud_common.core._contracts import ServerlessClient
from cloud_common.core._portable import PortableClient, naming_the_provider
from cloud_common.core.errors import (
    CloudError,
    ConflictError,
    FunctionInvocationError,
    FunctionNotFoundError,
    NotSupportedError,
    ValidationError,
)
from cloud_common.core.validation import validate_name, validate_seconds, validate_tags

if TYPE_CHECKING:
    pass

__all__ = ["CloudServerless"]

_DELETE_FUNCTION: dict[type[CloudError], bool] = {
    FunctionNotFoundError: True,
    ConflictError: False,
}


@functools.lru_cache(maxsize=64)
def _takes_timeout(driver_class: type[Any]) -> bool:
    try:
        return "timeout" in inspect.signature(driver_class.invoke_function).parameters
    except (TypeError, ValueError):
        return False


def _check_payload(payload: Any, operation: str) -> None:
    if not isinstance(payload, dict):
        raise ValidationError(
            f"payload must be a dict, not {type(payload).__name__}", operation=operation
        )
    import json  # noqa: PLC0415 - only invocations need it

    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        reason = "it nests too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ValidationError(
            f"payload is invalid: it must be JSON-serialisable ({reason})", operation=operation
        ) from None


class CloudServerless(PortableClient[ServerlessClient], ServerlessClient):
    """Serverless functions on any provider: the spec's ``ServerlessClient`` with every
    rule of the contract applied (see ``CloudStorage`` for how to get one).

    Functions are ``CloudResource(...).to_dict()`` dicts; runtimes are portable ids
    (``python3.12``) that providers translate.
    """

    @naming_the_provider
    def list_functions(self) -> list[dict[str, Any]]:
        """Every function of the account in the client's region (or project).

        Raises:
            AuthenticationError, PermissionDeniedError, TransientError: never ``[]``
                for a failure.
        """
        found: list[dict[str, Any]] = self._call(
            "list_functions", None, self._driver.list_functions, list
        )
        return found

    @naming_the_provider
    def invoke_function(
        self, function_name: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Run the function with ``payload`` as its event; its JSON result when that is an
        object, else ``{"result": value}``.

        Raises:
            ValidationError: ``payload`` is not a JSON-serialisable dict; bad ``timeout``.
            FunctionNotFoundError: no such function.
            FunctionInvocationError: the function ran and failed (``error_type``,
                ``payload`` carry the remote error).
            NotSupportedError: ``timeout`` given to a provider without per-call timeouts.
        """
        op = "invoke_function"
        validate_name(function_name, "function_name", operation=op)
        _check_payload(payload, op)
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = validate_seconds(timeout, "timeout", operation=op)
            if not _takes_timeout(type(self._driver)):
                raise NotSupportedError(
                    f"{self.provider_id} does not take a per-call timeout", operation=op
                )
        try:
            result: dict[str, Any] = self._call(
                op,
                function_name,
                lambda: self._driver.invoke_function(function_name, payload, **extra),
                dict,
            )
        except FunctionInvocationError as exc:
            if exc.status is None:  # one meaning on every provider (see the error's table)
                timed_out = exc.error_type == FunctionInvocationError.TIMED_OUT
                exc.status = (
                    FunctionInvocationError.TIMED_OUT_STATUS
                    if timed_out
                    else FunctionInvocationError.RAISED_STATUS
                )
            raise
        return result

    @naming_the_provider
    def create_function(
        self,
        name: str,
        runtime: str,
        handler: str,
        code_path: str | os.PathLike[str],
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Deploy a function from ``code_path`` (a folder, a ``.py`` file or a ``.zip``).

        ``tags``, ``environment`` (dict of str to str), ``timeout`` and ``memory_size``
        are portable keywords; others are the provider's (see its docs page).

        Raises:
            ValidationError: bad arguments, a missing ``code_path``, unknown keywords.
            AlreadyExistsError: a function of that name exists.
        """
        op = "create_function"
        validate_name(name, "name", operation=op)
        validate_name(runtime, "runtime", operation=op)
        validate_name(handler, "handler", operation=op)
        if not isinstance(code_path, (str, os.PathLike)) or not os.path.exists(code_path):
            raise ValidationError(
                f"code_path {code_path!r} is invalid: no such file or directory", operation=op
            )
        for arg in ("tags", "environment"):
            if arg in kwargs:
                kwargs[arg] = validate_tags(kwargs[arg], arg=arg, operation=op)
        if kwargs.get("timeout") is not None:
            validate_seconds(kwargs["timeout"], "timeout", operation=op)
        if kwargs.get("memory_size") is not None:
            size = kwargs["memory_size"]
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise ValidationError(
                    f"memory_size {size!r} is invalid: must be an int number of MB >= 1",
                    operation=op,
                )
        path = os.fspath(code_path)
        created: dict[str, Any] = self._call(
            op,
            name,
            lambda: self._driver.create_function(name, runtime, handler, path, **kwargs),
            dict,
        )
        return created

    @naming_the_provider
    def delete_function(self, function_name: str) -> bool:
        """Delete a function. True when it is gone (also when it was absent); False (one
        WARNING) when the provider refuses."""
        validate_name(function_name, "function_name", operation="delete_function")
        return self._state(
            "delete_function",
            function_name,
            lambda: self._driver.delete_function(function_name),
            _DELETE_FUNCTION,
        )

    @naming_the_provider
    def get_function(self, function_name: str) -> dict[str, Any]:
        """One function.

        Raises:
            FunctionNotFoundError: no function has this name.
        """
        op = "get_function"
        self._require(Capability.GET_FUNCTION, op)
        validate_name(function_name, "function_name", operation=op)
        found: dict[str, Any] = self._call(
            op, function_name, lambda: self._driver.get_function(function_name), dict
        )
        return found

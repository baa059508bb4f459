"""Assertions the suite's tests share (usable in a provider's own tests too)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import pytest

from cloud_common.core import CloudError, InstanceState, ResourceType, ValidationError

__all__ = [
    "RESOURCE_KEYS",
    "STATES",
    "assert_resource",
    "expect_error",
    "one_warning",
    "wait_for_status",
]

E = TypeVar("E", bound=BaseException)

RESOURCE_KEYS = frozenset(
    {
        "id",
        "name",
        "resource_type",
        "provider",
        "region",
        "status",
        "created_at",
        "tags",
        "metadata",
    }
)
"""The keys of ``CloudResource(...).to_dict()``: exactly these."""

STATES = frozenset(s.value for s in InstanceState)


def expect_error(error: type[E] | tuple[type[E], ...], fn: Callable[[], Any]) -> E:
    """Run ``fn``; require that it raises ``error`` (a core error), and return it.

    Also requires the error to name its operation, and its provider unless it is a
    ``ValidationError`` (those are raised before any provider is involved).
    """
    try:
        result = fn()
    except CloudError as exc:
        if not isinstance(exc, error):
            names = (
                error.__name__ if isinstance(error, type) else "/".join(e.__name__ for e in error)
            )
            pytest.fail(
                f"expected {names}, got {type(exc).__name__}: {exc}"
                + (f" (from {type(exc.__cause__).__name__})" if exc.__cause__ else ""),
                pytrace=False,
            )
        if not exc.provider and not isinstance(exc, ValidationError):
            pytest.fail(f"{type(exc).__name__} does not name its provider: {exc}", pytrace=False)
        if not exc.operation:
            pytest.fail(f"{type(exc).__name__} does not name its operation: {exc}", pytrace=False)
        return exc
    except Exception as exc:  # noqa: BLE001 - that is the finding
        pytest.fail(
            f"expected a cloud_common error, got {type(exc).__module__}.{type(exc).__name__}: {exc}",
            pytrace=False,
        )
    pytest.fail(f"expected an error, got a return value: {result!r}", pytrace=False)


@contextmanager
def one_warning(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Require exactly one WARNING (or higher) record inside the block: the spec's
    "False / [] is logged" rule, without double logging."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        yield
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1, (
        f"expected exactly one WARNING explaining the False, got {len(loud)}: "
        + "; ".join(f"{r.name}: {r.getMessage()}" for r in loud)
    )


def assert_resource(data: Any, provider: str, resource_type: ResourceType) -> None:
    """Check the shape of a ``CloudResource(...).to_dict()``."""
    assert isinstance(data, dict), f"expected a dict, got {type(data).__name__}"
    assert set(data) == RESOURCE_KEYS, f"keys {sorted(data)} differ from {sorted(RESOURCE_KEYS)}"
    assert isinstance(data["id"], str), "id must be a str"
    assert data["id"], "id must not be empty"
    assert isinstance(data["name"], str), "name must be a str"
    assert data["resource_type"] == resource_type.value, data["resource_type"]
    assert data["provider"] == provider, f"provider {data['provider']!r} is not {provider!r}"
    assert isinstance(data["region"], str), "region must be a str"
    assert isinstance(data["status"], str), "status must be a str"
    assert isinstance(data["tags"], dict), "tags must be a dict"
    assert isinstance(data["metadata"], dict), "metadata must be a dict"
    if data["created_at"] is not None:
        created = datetime.fromisoformat(str(data["created_at"]).replace("Z", "+00:00"))
        assert created.tzinfo is not None, "created_at must carry a UTC offset"
    if resource_type is ResourceType.COMPUTE:
        assert data["status"] in STATES, f"status {data['status']!r} is not an InstanceState value"
        assert "native_state" in data["metadata"], "metadata['native_state'] is missing"


def wait_for_status(
    read: Callable[[], dict[str, Any] | None],
    wanted: set[str],
    timeout: float,
    interval: float = 0.1,
) -> dict[str, Any] | None:
    """Poll ``read()`` until its ``status`` is in ``wanted`` (None: gone) and return it."""
    deadline = time.monotonic() + timeout
    while True:
        current = read()
        status = None if current is None else current["status"]
        if status in wanted or (current is None and "gone" in wanted):
            return current
        if status is not None and status not in STATES:
            pytest.fail(f"status {status!r} is not an InstanceState value", pytrace=False)
        if time.monotonic() > deadline:
            pytest.fail(
                f"status stayed {status!r} for {timeout:g}s, wanted one of {sorted(wanted)}"
            )
        time.sleep(interval)
        interval = min(interval * 1.5, 2.0)

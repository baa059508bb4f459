"""What the Resource Manager drivers share: the settings, the SDK client, long-running
operations waited under the retry deadline, and REST JSON out of SDK models."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from cloud_common.azure._connection import AzureSettings, arm_client_kwargs
from cloud_common.core import TimeoutError  # noqa: A004 - the core error

__all__ = ["ArmDriver", "iso_time", "rest"]


def iso_time(value: Any) -> datetime | None:
    """An ARM timestamp (ISO 8601, ``Z`` or an offset) as an aware ``datetime``."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def rest(model: Any) -> dict[str, Any]:
    """An SDK model (or a plain mapping) as its REST JSON."""
    if model is None:
        return {}
    as_dict = getattr(model, "as_dict", None)
    result: dict[str, Any] = as_dict() if callable(as_dict) else dict(model)
    return result


class ArmDriver:
    """Base of the VM and function app drivers: one management client."""

    provider_id = "azure"

    def __init__(self, settings: AzureSettings, client_class: Any) -> None:
        self._settings = settings
        self._options = settings.options
        self._group = settings.resource_group
        self._location = settings.location
        self._client = client_class(
            settings.token_credential(),
            settings.subscription_id,
            polling_interval=self._options.poll_interval,
            **arm_client_kwargs(self._options),
        )

    @property
    def native(self) -> Any:
        return self._client

    def close(self) -> None:
        self._client.close()

    def _wait(self, poller: Any, what: str) -> Any:
        """The result of a long-running operation, waited up to the retry deadline.

        Raises:
            TimeoutError: the operation was still running at the deadline.
        """
        deadline = self._options.retry_or_default.deadline
        result = poller.result(timeout=deadline)
        if not poller.done():
            raise TimeoutError(f"{what} was still running after {deadline:g}s")
        return result

"""``CloudCompute``: the compute client users hold, on any provider."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from cloud_common.core._capabilities import Capability
from cloud_common.core._contracts import ComputeClient
from cloud_common.core._enums import CloudProvider, InstanceState, ResourceType
from cloud_common.core._models import CloudResource
from cloud_common.core._portable import PortableClient, naming_the_provider
from cloud_common.core.errors import (
    CloudError,
    ConflictError,
    InstanceNotFoundError,
    TimeoutError,  # noqa: A004 - the core error
)
from cloud_common.core.validation import (
    validate_instance_state,
    validate_name,
    validate_seconds,
    validate_tags,
)

if TYPE_CHECKING:
    pass

__all__ = ["CloudCompute"]

_STATES = frozenset(s.value for s in InstanceState)
_START_STOP: dict[type[CloudError], bool] = {InstanceNotFoundError: False, ConflictError: False}
_TERMINATE: dict[type[CloudError], bool] = {InstanceNotFoundError: True, ConflictError: False}


class CloudCompute(PortableClient[ComputeClient], ComputeClient):
    """Compute instances on any provider: the spec's ``ComputeClient`` with every rule of
    the contract applied (see ``CloudStorage`` for how to get one).

    Instances are ``CloudResource(...).to_dict()`` dicts whose ``status`` is an
    ``InstanceState`` value; the provider's own state is ``metadata["native_state"]``.
    """

    def _id(self, instance_id: Any, operation: str) -> str:
        return validate_name(instance_id, "instance_id", operation=operation)

    def _instance(self, operation: str, resource: str | None, data: Any) -> dict[str, Any]:
        status = data.get("status") if isinstance(data, dict) else None
        if status not in _STATES:
            raise CloudError(
                f"the provider returned an instance whose status {status!r} is not an "
                "InstanceState value",
                provider=self.provider_id,
                operation=operation,
                resource=resource,
            )
        result: dict[str, Any] = data
        return result

    @naming_the_provider
    def list_instances(self) -> list[dict[str, Any]]:
        """Every instance of the account in the client's region (or project).

        Raises:
            AuthenticationError, PermissionDeniedError, TransientError: never ``[]``
                for a failure.
        """
        found = self._call("list_instances", None, self._driver.list_instances, list)
        return [self._instance("list_instances", None, item) for item in found]

    @naming_the_provider
    def start_instance(self, instance_id: str) -> bool:
        """Start an instance. True when it is pending or running (also when it already
        was); False (one WARNING) for an unknown id, a terminated or a stopping instance."""
        self._id(instance_id, "start_instance")
        return self._state(
            "start_instance",
            instance_id,
            lambda: self._driver.start_instance(instance_id),
            _START_STOP,
        )

    @naming_the_provider
    def stop_instance(self, instance_id: str) -> bool:
        """Stop an instance. True when it is stopping or stopped (also when it already
        was); False (one WARNING) for an unknown id, a terminated or a pending instance."""
        self._id(instance_id, "stop_instance")
        return self._state(
            "stop_instance",
            instance_id,
            lambda: self._driver.stop_instance(instance_id),
            _START_STOP,
        )

    @naming_the_provider
    def terminate_instance(self, instance_id: str) -> bool:
        """Terminate an instance. True when it is terminating, terminated or gone (also for
        an id it cannot find); False (one WARNING) when the provider refuses (protection)."""
        self._id(instance_id, "terminate_instance")
        return self._state(
            "terminate_instance",
            instance_id,
            lambda: self._driver.terminate_instance(instance_id),
            _TERMINATE,
        )

    @naming_the_provider
    def create_instance(
        self, name: str, instance_type: str, image_id: str, **kwargs: Any
    ) -> dict[str, Any]:
        """Create and launch an instance; returns it (usually ``pending``).

        ``tags`` (a dict of str to str) is portable; other keywords are the provider's
        (see its docs page).

        Raises:
            ValidationError: bad arguments, unknown keywords, an image or type the
                provider refuses.
        """
        op = "create_instance"
        for arg, value in (
            ("name", name),
            ("instance_type", instance_type),
            ("image_id", image_id),
        ):
            validate_name(value, arg, operation=op)
        if "tags" in kwargs:
            kwargs["tags"] = validate_tags(kwargs["tags"], operation=op)
        created = self._call(
            op,
            name,
            lambda: self._driver.create_instance(name, instance_type, image_id, **kwargs),
            dict,
        )
        return self._instance(op, name, created)

    @naming_the_provider
    def get_instance(self, instance_id: str) -> dict[str, Any]:
        """One instance.

        Raises:
            InstanceNotFoundError: no instance has this id.
        """
        op = "get_instance"
        self._require(Capability.GET_INSTANCE, op)
        self._id(instance_id, op)
        found = self._call(op, instance_id, lambda: self._driver.get_instance(instance_id), dict)
        return self._instance(op, instance_id, found)

    @naming_the_provider
    def wait_for_state(
        self,
        instance_id: str,
        state: InstanceState | str,
        timeout: float = 300.0,
        *,
        poll_interval: float = 2.0,
    ) -> dict[str, Any]:
        """Poll until the instance reaches ``state``; return it then.

        Waiting for ``terminated`` also ends when the instance is gone (some clouds
        forget terminated instances at once).

        Raises:
            TimeoutError: the state was not reached within ``timeout`` seconds.
            InstanceNotFoundError: no such instance (unless waiting for ``terminated``: an
                instance that is gone counts as terminated).
        """
        op = "wait_for_state"
        self._require(Capability.WAIT_FOR_STATE, op)
        self._id(instance_id, op)
        wanted = validate_instance_state(state, operation=op)
        validate_seconds(timeout, "timeout", operation=op)
        validate_seconds(poll_interval, "poll_interval", operation=op)
        if self._overrides("wait_for_state", ComputeClient):
            found = self._call(
                op,
                instance_id,
                lambda: self._driver.wait_for_state(
                    instance_id, wanted, timeout, poll_interval=poll_interval
                ),
                dict,
            )
            return self._instance(op, instance_id, found)
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while True:
            try:
                last = self.get_instance(instance_id)
            except InstanceNotFoundError:
                if wanted is not InstanceState.TERMINATED:
                    raise
                return self._gone(instance_id, last)
            if last["status"] == wanted.value:
                return last
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"still {last['status']!r} after {timeout:g}s, wanted {wanted.value!r}",
                    provider=self.provider_id,
                    operation=op,
                    resource=instance_id,
                )
            time.sleep(min(poll_interval, remaining))

    def _gone(self, instance_id: str, last: dict[str, Any] | None) -> dict[str, Any]:
        """An instance that vanished while waiting for ``terminated``: the state holds
        (some clouds forget terminated instances at once)."""
        if last is not None:
            return {**last, "status": InstanceState.TERMINATED.value}
        return CloudResource(
            id=instance_id,
            name=instance_id,
            resource_type=ResourceType.COMPUTE,
            provider=CloudProvider(self.provider_id),
            region="",
            status=InstanceState.TERMINATED.value,
            metadata={"native_state": None, "gone": True},
        ).to_dict()

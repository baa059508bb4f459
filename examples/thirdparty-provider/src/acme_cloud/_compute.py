"""The Acme compute driver: instances whose lifecycle is kept in the account store."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from acme_cloud._connection import AcmeDriver
from acme_cloud._store import AcmeCloud, AcmeNotFound
from cloud_common.core import (
    CloudResource,
    ComputeClient,
    ConflictError,
    InstanceState,
    ResourceType,
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs

__all__ = ["IMAGES", "INSTANCE_TYPES", "NATIVE_STATES", "AcmeComputeDriver"]

INSTANCE_TYPES = ("acme.small", "acme.large")
IMAGES = ("acme-linux-1",)

NATIVE_STATES: dict[str, InstanceState] = {
    "PROVISIONING": InstanceState.PENDING,
    "RUNNING": InstanceState.RUNNING,
    "STOPPING": InstanceState.STOPPING,
    "STOPPED": InstanceState.STOPPED,
    "TERMINATED": InstanceState.TERMINATED,
}
"""Every native state of an Acme instance, mapped to the portable state."""

# For each call: native state -> the state after the call. A state not listed refuses it.
_START = {"STOPPED": "RUNNING", "RUNNING": "RUNNING", "PROVISIONING": "PROVISIONING"}
_STOP = {"RUNNING": "STOPPED", "STOPPED": "STOPPED", "STOPPING": "STOPPING"}


class AcmeComputeDriver(AcmeDriver, ComputeClient):
    """Acme instances. State changes take effect at once."""

    def _resource(self, instance: dict[str, Any]) -> dict[str, Any]:
        return CloudResource(
            id=instance["id"],
            name=instance["name"],
            resource_type=ResourceType.COMPUTE,
            provider=self._credentials.provider,
            region=self._credentials.region,
            status=NATIVE_STATES.get(instance["state"], InstanceState.UNKNOWN),
            created_at=datetime.fromtimestamp(instance["created"], tz=timezone.utc),
            tags=dict(instance.get("tags", {})),
            metadata={
                "native_state": instance["state"],
                "instance_type": instance["type"],
                "image_id": instance["image"],
            },
        ).to_dict()

    def _mine(self, instance_id: str) -> tuple[AcmeCloud, dict[str, Any]]:
        cloud, account = self._login()  # first: an unknown id must not hide bad credentials
        instance = cloud.instance(instance_id)
        if instance["account"] != account:
            raise AcmeNotFound(f"instance {instance_id}")
        return cloud, instance

    def list_instances(self) -> list[dict[str, Any]]:
        cloud, account = self._login()
        mine = [i for i in cloud.instances().values() if i["account"] == account]
        return [self._resource(i) for i in sorted(mine, key=lambda i: i["created"])]

    def create_instance(
        self, name: str, instance_type: str, image_id: str, **kwargs: Any
    ) -> dict[str, Any]:
        validate_kwargs(kwargs, ("tags",), operation="create_instance")
        if instance_type not in INSTANCE_TYPES:
            raise ValidationError(f"instance_type {instance_type!r} is not one of {INSTANCE_TYPES}")
        if image_id not in IMAGES:
            raise ValidationError(f"image_id {image_id!r} is not one of {IMAGES}")
        cloud, account = self._login()
        instance = cloud.new_instance(account, name, instance_type, image_id)
        if kwargs.get("tags"):  # checked by core: a dict of str to str
            instance["tags"] = dict(kwargs["tags"])
            cloud.save_instance(instance)
        return self._resource(instance)

    def _transition(self, instance_id: str, after: dict[str, str]) -> bool:
        cloud, instance = self._mine(instance_id)
        state = instance["state"]
        if state not in after:
            raise ConflictError(f"the instance is {state}")
        if after[state] != state:
            instance["state"] = after[state]
            cloud.save_instance(instance)
        return True

    def start_instance(self, instance_id: str) -> bool:
        return self._transition(instance_id, _START)

    def stop_instance(self, instance_id: str) -> bool:
        return self._transition(instance_id, _STOP)

    def terminate_instance(self, instance_id: str) -> bool:
        cloud, instance = self._mine(instance_id)  # unknown: AcmeNotFound, core answers True
        instance["state"] = "TERMINATED"
        cloud.save_instance(instance)
        return True

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        _, instance = self._mine(instance_id)
        return self._resource(instance)

"""Acme compute: instances whose lifecycle is kept in the account store."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from acme_cloud._store import AcmeNotFound

from acme_legacy._client import AcmeClient
from cloud_common.core import (
    CloudResource,
    ComputeClient,
    ConflictError,
    InstanceNotFoundError,
    InstanceState,
    ResourceType,
    ValidationError,
)

__all__ = ["INSTANCE_TYPES", "IMAGES", "NATIVE_STATES", "AcmeComputeClient"]

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


class AcmeComputeClient(AcmeClient, ComputeClient):
    """Acme instances. State changes take effect at once."""

    def _resource(self, instance: dict[str, Any]) -> dict[str, Any]:
        return CloudResource(
            id=instance["id"],
            name=instance["name"],
            resource_type=ResourceType.COMPUTE,
            provider=self._credentials.provider,
            region=self._credentials.region,
            status=NATIVE_STATES.get(instance["state"], InstanceState.UNKNOWN).value,
            created_at=datetime.fromtimestamp(instance["created"], tz=timezone.utc),
            metadata={
                "native_state": instance["state"],
                "instance_type": instance["type"],
                "image_id": instance["image"],
            },
        ).to_dict()

    def _mine(self, instance_id: str) -> dict[str, Any]:
        account = self._account()  # first: an unknown id must not hide bad credentials
        instance = self._cloud.instance(instance_id)
        if instance["account"] != account:
            raise AcmeNotFound(f"instance {instance_id}")
        return instance

    def list_instances(self) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            account = self._account()
            mine = [i for i in self._cloud.instances().values() if i["account"] == account]
            return [self._resource(i) for i in sorted(mine, key=lambda i: i["created"])]

        return self._policy.call("list_instances", run)

    def create_instance(
        self, name: str, instance_type: str, image_id: str, **kwargs: Any
    ) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            if instance_type not in INSTANCE_TYPES:
                raise ValidationError(
                    f"instance_type {instance_type!r} is not one of {INSTANCE_TYPES}"
                )
            if image_id not in IMAGES:
                raise ValidationError(f"image_id {image_id!r} is not one of {IMAGES}")
            return self._resource(
                self._cloud.new_instance(self._account(), name, instance_type, image_id)
            )

        return self._policy.call("create_instance", run, resource=name)

    def _transition(self, operation: str, instance_id: str, allowed: dict[str, str]) -> bool:
        def run() -> bool:
            instance = self._mine(instance_id)
            state = instance["state"]
            if state not in allowed:
                raise ConflictError(f"instance is {state}")
            if allowed[state] != state:
                instance["state"] = allowed[state]
                self._cloud.save_instance(instance)
            return True

        return self._policy.call(
            operation,
            run,
            resource=instance_id,
            soft={InstanceNotFoundError: False, ConflictError: False},
        )

    def start_instance(self, instance_id: str) -> bool:
        return self._transition(
            "start_instance",
            instance_id,
            {"STOPPED": "RUNNING", "RUNNING": "RUNNING", "PROVISIONING": "PROVISIONING"},
        )

    def stop_instance(self, instance_id: str) -> bool:
        return self._transition(
            "stop_instance",
            instance_id,
            {"RUNNING": "STOPPED", "STOPPED": "STOPPED", "STOPPING": "STOPPING"},
        )

    def terminate_instance(self, instance_id: str) -> bool:
        def run() -> bool:
            try:
                instance = self._mine(instance_id)
            except AcmeNotFound:
                return True  # gone: the requested state holds
            instance["state"] = "TERMINATED"
            self._cloud.save_instance(instance)
            return True

        return self._policy.call("terminate_instance", run, resource=instance_id)

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        return self._policy.call(
            "get_instance", lambda: self._resource(self._mine(instance_id)), resource=instance_id
        )

"""Amazon EC2: the driver (SDK calls only) and ``EC2ComputeClient``, the portable client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloud_common.aws._client import AwsClient
from cloud_common.aws._retries import one_deadline
from cloud_common.aws._session import AwsConnection, AwsDriver
from cloud_common.core import (
    CloudCompute,
    CloudProvider,
    CloudResource,
    ComputeClient,
    ConflictError,
    InstanceNotFoundError,
    InstanceState,
    ResourceType,
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs

__all__ = ["EC2_STATES", "EC2ComputeClient", "instance_state"]

EC2_STATES: dict[str, InstanceState] = {
    "pending": InstanceState.PENDING,
    "running": InstanceState.RUNNING,
    "stopping": InstanceState.STOPPING,
    "stopped": InstanceState.STOPPED,
    "shutting-down": InstanceState.TERMINATING,
    "terminated": InstanceState.TERMINATED,
}
"""Every EC2 instance state -> the portable ``InstanceState`` (anything else: UNKNOWN)."""

_STR_KWARGS = {"key_name": "KeyName", "subnet_id": "SubnetId", "client_token": "ClientToken"}
_CREATE_KWARGS = frozenset({"tags", "security_group_ids", "user_data", *_STR_KWARGS})


def instance_state(native: str | None) -> InstanceState:
    """The portable state of an EC2 state name."""
    return EC2_STATES.get(str(native or ""), InstanceState.UNKNOWN)


def _launch_args(
    name: str, instance_type: str, image_id: str, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """RunInstances arguments for the keyword arguments EC2 takes (the provider's own)."""
    op = "create_instance"
    validate_kwargs(kwargs, _CREATE_KWARGS, operation=op)
    tags = {k: v for k, v in (kwargs.get("tags") or {}).items() if k != "Name"}
    args: dict[str, Any] = {
        "ImageId": image_id,
        "InstanceType": instance_type,
        "MinCount": 1,
        "MaxCount": 1,
        "TagSpecifications": [
            {
                "ResourceType": "instance",
                "Tags": [{"Key": k, "Value": v} for k, v in {"Name": name, **tags}.items()],
            }
        ],
    }
    groups = kwargs.get("security_group_ids")
    if groups is not None:
        if isinstance(groups, str) or not all(isinstance(g, str) for g in groups):
            raise ValidationError("security_group_ids must be a list of str", operation=op)
        args["SecurityGroupIds"] = list(groups)
    for kwarg, field in _STR_KWARGS.items():
        value = kwargs.get(kwarg)
        if value is not None:
            if not isinstance(value, str) or not value:
                raise ValidationError(f"{kwarg} must be a non-empty str", operation=op)
            args[field] = value
    user_data = kwargs.get("user_data")
    if user_data is not None:
        if isinstance(user_data, bytes):
            user_data = user_data.decode("utf-8")
        if not isinstance(user_data, str):
            raise ValidationError("user_data must be str or bytes", operation=op)
        args["UserData"] = user_data
    return args


class _EC2Driver(AwsDriver, ComputeClient):
    """EC2 instances of one region through one boto3 client."""

    def _resource(self, item: dict[str, Any]) -> dict[str, Any]:
        tags = {t["Key"]: t.get("Value", "") for t in item.get("Tags") or [] if "Key" in t}
        native = (item.get("State") or {}).get("Name")
        placement = item.get("Placement") or {}
        metadata: dict[str, Any] = {
            "native_state": native,
            "instance_type": item.get("InstanceType"),
            "image_id": item.get("ImageId"),
            "zone": placement.get("AvailabilityZone"),
            "private_ip": item.get("PrivateIpAddress"),
            "public_ip": item.get("PublicIpAddress"),
            "private_dns": item.get("PrivateDnsName") or None,
            "public_dns": item.get("PublicDnsName") or None,
            "key_name": item.get("KeyName"),
            "subnet_id": item.get("SubnetId"),
            "vpc_id": item.get("VpcId"),
            "security_group_ids": [g["GroupId"] for g in item.get("SecurityGroups") or []],
            "architecture": item.get("Architecture"),
        }
        return CloudResource(
            id=item["InstanceId"],
            name=tags.get("Name") or item["InstanceId"],
            resource_type=ResourceType.COMPUTE,
            provider=CloudProvider.AWS,
            region=self._connection.region,
            status=instance_state(native).value,
            created_at=item.get("LaunchTime"),
            tags=tags,
            metadata={k: v for k, v in metadata.items() if v is not None},
        ).to_dict()

    def _describe(self, instance_id: str) -> dict[str, Any]:
        response = self._connection.client.describe_instances(InstanceIds=[instance_id])
        for reservation in response.get("Reservations", []):
            for item in reservation.get("Instances", []):
                if item.get("InstanceId") == instance_id:
                    return dict(item)
        raise InstanceNotFoundError(f"no instance {instance_id!r} in {self._connection.region}")

    def list_instances(self) -> list[dict[str, Any]]:
        pages = self._connection.client.get_paginator("describe_instances").paginate()
        return [
            self._resource(item)
            for page in pages
            for reservation in page.get("Reservations", [])
            for item in reservation.get("Instances", [])
        ]

    def create_instance(  # type: ignore[no-untyped-def]
        self, name: str, instance_type: str, image_id: str, **kwargs
    ) -> dict[str, Any]:
        """Launch one instance tagged ``Name=name``.

        Keyword arguments: ``tags``, ``key_name``, ``security_group_ids`` (list),
        ``subnet_id``, ``user_data`` (str or bytes; boto3 base64-encodes it),
        ``client_token`` (idempotency token; one is made up when not given, so a retry
        after a lost answer cannot launch a second instance).
        """
        args = _launch_args(name, instance_type, image_id, kwargs)
        response = self._connection.client.run_instances(**args)
        return self._resource(response["Instances"][0])

    def _change(
        self,
        instance_id: str,
        done: tuple[str, ...],
        refused: tuple[str, ...],
        call: Callable[[], list[dict[str, Any]]],
    ) -> bool:
        """Look at the state first: EC2 itself would restart a terminated instance. Both
        calls share one ``RetryPolicy.deadline``."""
        with one_deadline(self._connection.retry.deadline):
            return self._change_now(instance_id, done, refused, call)

    def _change_now(
        self,
        instance_id: str,
        done: tuple[str, ...],
        refused: tuple[str, ...],
        call: Callable[[], list[dict[str, Any]]],
    ) -> bool:
        state = (self._describe(instance_id).get("State") or {}).get("Name")
        if state in done:
            return True
        if state in refused:
            raise ConflictError(f"instance is {state}")
        changes = call()
        now = ((changes[0] if changes else {}).get("CurrentState") or {}).get("Name")
        if now not in done:
            raise ConflictError(f"instance went from {state} to {now}")
        return True

    def start_instance(self, instance_id: str) -> bool:
        sdk = self._connection.client
        return self._change(
            instance_id,
            done=("pending", "running"),
            refused=("stopping", "shutting-down", "terminated"),
            call=lambda: sdk.start_instances(InstanceIds=[instance_id])["StartingInstances"],
        )

    def stop_instance(self, instance_id: str) -> bool:
        sdk = self._connection.client
        return self._change(
            instance_id,
            done=("stopping", "stopped"),
            refused=("pending", "shutting-down", "terminated"),
            call=lambda: sdk.stop_instances(InstanceIds=[instance_id])["StoppingInstances"],
        )

    def terminate_instance(self, instance_id: str) -> bool:
        self._connection.client.terminate_instances(InstanceIds=[instance_id])
        return True

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        return self._resource(self._describe(instance_id))


class EC2ComputeClient(AwsClient[ComputeClient], CloudCompute):
    """Amazon EC2 instances of one region as a ``CloudCompute``.

    Args:
        credentials: ``CloudCredentials`` of provider ``aws``; None reads the environment.
        options: ``AwsOptions``; keyword arguments set its fields.

    Raises:
        ValidationError: bad options or credentials (before any network call).
    """

    _service = "ec2"

    def _driver_for(self, connection: AwsConnection) -> ComputeClient:
        return _EC2Driver(connection)

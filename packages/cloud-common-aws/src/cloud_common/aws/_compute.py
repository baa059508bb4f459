"""EC2 behind ``ComputeClient``."""

from __future__ import annotations

import logging
import time
from typing import Any

from cloud_common.aws._client import AwsClient
from cloud_common.core import (
    CloudProvider,
    CloudResource,
    ComputeClient,
    ConflictError,
    InstanceNotFoundError,
    InstanceState,
    ResourceType,
    TimeoutError,  # noqa: A004 - the core error
    ValidationError,
)
from cloud_common.core.validation import (
    validate_instance_state,
    validate_kwargs,
    validate_name,
    validate_tags,
)

__all__ = ["EC2_STATES", "EC2ComputeClient"]

logger = logging.getLogger(__name__)

EC2_STATES: dict[str, InstanceState] = {
    "pending": InstanceState.PENDING,
    "running": InstanceState.RUNNING,
    "stopping": InstanceState.STOPPING,
    "stopped": InstanceState.STOPPED,
    "shutting-down": InstanceState.TERMINATING,
    "terminated": InstanceState.TERMINATED,
}
"""Every EC2 instance state -> the portable ``InstanceState`` (anything else: UNKNOWN)."""

_CREATE_KWARGS = frozenset(
    {"tags", "key_name", "security_group_ids", "subnet_id", "user_data", "client_token"}
)


def instance_state(native: str | None) -> InstanceState:
    """The portable state of an EC2 state name."""
    return EC2_STATES.get(str(native or ""), InstanceState.UNKNOWN)


class EC2ComputeClient(AwsClient, ComputeClient):
    """Amazon EC2 instances of one region.

    Options: ``endpoint_url``, ``retry_policy``, ``timeouts``, ``max_pool_connections``,
    ``boto3_session`` (see ``AwsClient``).
    """

    service = "ec2"

    # -- helpers ----------------------------------------------------------------------

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
            region=self.region,
            status=instance_state(native).value,
            created_at=item.get("LaunchTime"),
            tags=tags,
            metadata={k: v for k, v in metadata.items() if v is not None},
        ).to_dict()

    def _describe(self, instance_id: str) -> dict[str, Any]:
        """The raw description of one instance (raises InstanceNotFoundError)."""
        response = self._sdk.describe_instances(InstanceIds=[instance_id])
        for reservation in response.get("Reservations", []):
            for item in reservation.get("Instances", []):
                if item.get("InstanceId") == instance_id:
                    return dict(item)
        raise InstanceNotFoundError(f"no instance {instance_id!r} in {self.region}")

    # -- the contract -----------------------------------------------------------------

    def list_instances(self) -> list[dict[str, Any]]:
        """Every instance of the region (terminated ones too, while EC2 still lists them)."""

        def run() -> list[dict[str, Any]]:
            pages = self._sdk.get_paginator("describe_instances").paginate()
            return [
                self._resource(item)
                for page in pages
                for reservation in page.get("Reservations", [])
                for item in reservation.get("Instances", [])
            ]

        return self._call("list_instances", run)

    def create_instance(  # type: ignore[no-untyped-def]
        self, name: str, instance_type: str, image_id: str, **kwargs
    ) -> dict[str, Any]:
        """Launch one instance tagged ``Name=name``; returns it (usually ``pending``).

        Keyword arguments: ``tags`` (dict), ``key_name``, ``security_group_ids`` (list),
        ``subnet_id``, ``user_data`` (str or bytes; boto3 base64-encodes it),
        ``client_token`` (idempotency token).
        """
        op = "create_instance"
        for arg, value in (
            ("name", name),
            ("instance_type", instance_type),
            ("image_id", image_id),
        ):
            validate_name(value, arg, operation=op)
        validate_kwargs(kwargs, _CREATE_KWARGS, operation=op)
        tags = validate_tags(kwargs.get("tags"), operation=op)
        args: dict[str, Any] = {
            "ImageId": image_id,
            "InstanceType": instance_type,
            "MinCount": 1,
            "MaxCount": 1,
            "TagSpecifications": [
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": "Name", "Value": name}]
                    + [{"Key": k, "Value": v} for k, v in tags.items() if k != "Name"],
                }
            ],
        }
        groups = kwargs.get("security_group_ids")
        if groups is not None:
            if isinstance(groups, str) or not all(isinstance(g, str) for g in groups):
                raise ValidationError("security_group_ids must be a list of str", operation=op)
            args["SecurityGroupIds"] = list(groups)
        for kwarg, field in (
            ("key_name", "KeyName"),
            ("subnet_id", "SubnetId"),
            ("client_token", "ClientToken"),
        ):
            option = kwargs.get(kwarg)
            if option is not None:
                if not isinstance(option, str) or not option:
                    raise ValidationError(f"{kwarg} must be a non-empty str", operation=op)
                args[field] = option
        user_data = kwargs.get("user_data")
        if user_data is not None:
            if isinstance(user_data, bytes):
                user_data = user_data.decode("utf-8")
            if not isinstance(user_data, str):
                raise ValidationError("user_data must be str or bytes", operation=op)
            args["UserData"] = user_data

        def run() -> dict[str, Any]:
            response = self._sdk.run_instances(**args)
            return self._resource(response["Instances"][0])

        return self._call(op, run, resource=name)

    def start_instance(self, instance_id: str) -> bool:
        """Start a stopped instance. True when it is pending or running (also when it already
        was); False (and a WARNING) for an unknown id or a terminated or stopping instance."""
        return self._change(
            "start_instance",
            instance_id,
            done=("pending", "running"),
            refused=("stopping", "shutting-down", "terminated"),
            call=lambda: self._sdk.start_instances(InstanceIds=[instance_id])["StartingInstances"],
        )

    def stop_instance(self, instance_id: str) -> bool:
        """Stop a running instance. True when it is stopping or stopped (also when it already
        was); False (and a WARNING) for an unknown id or a pending or terminated instance."""
        return self._change(
            "stop_instance",
            instance_id,
            done=("stopping", "stopped"),
            refused=("pending", "shutting-down", "terminated"),
            call=lambda: self._sdk.stop_instances(InstanceIds=[instance_id])["StoppingInstances"],
        )

    def _change(
        self,
        op: str,
        instance_id: str,
        *,
        done: tuple[str, ...],
        refused: tuple[str, ...],
        call: Any,
    ) -> bool:
        _check_id(instance_id, op)

        def run() -> bool:
            state = (self._describe(instance_id).get("State") or {}).get("Name")
            if state in done:
                return True
            if state in refused:
                raise ConflictError(f"instance is {state}")
            changes = call()
            now = ((changes[0] if changes else {}).get("CurrentState") or {}).get("Name")
            if now in done:
                return True
            raise ConflictError(f"instance went from {state} to {now}")

        return self._call(
            op,
            run,
            resource=instance_id,
            soft={InstanceNotFoundError: False, ConflictError: False},
        )

    def terminate_instance(self, instance_id: str) -> bool:
        """Terminate an instance. True when it is terminating, terminated or unknown; False
        (and a WARNING) when EC2 refuses (termination protection)."""
        op = "terminate_instance"
        _check_id(instance_id, op)

        def run() -> bool:
            try:
                self._sdk.terminate_instances(InstanceIds=[instance_id])
            except Exception as exc:
                error = self._policy.error(exc, op, instance_id)
                if isinstance(error, InstanceNotFoundError):
                    logger.debug("terminate_instance %s: not found, counted as gone", instance_id)
                    return True
                raise error from exc
            return True

        return self._call(op, run, resource=instance_id, soft={ConflictError: False})

    # -- extensions -------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        """One instance as ``CloudResource(...).to_dict()``.

        Raises:
            InstanceNotFoundError: no instance has this id.
        """
        _check_id(instance_id, "get_instance")
        return self._call(
            "get_instance",
            lambda: self._resource(self._describe(instance_id)),
            resource=instance_id,
        )

    def wait_for_state(
        self,
        instance_id: str,
        state: InstanceState | str,
        timeout: float = 300.0,
        *,
        poll_interval: float = 2.0,
    ) -> dict[str, Any]:
        """Poll until the instance is in ``state``; return it then.

        Waiting for ``terminated`` also ends when the instance is gone (the last known
        description is returned, or a synthetic one).

        Raises:
            TimeoutError: not reached within ``timeout`` seconds.
            InstanceNotFoundError: the instance vanished while waiting for another state.
        """
        op = "wait_for_state"
        _check_id(instance_id, op)
        wanted = validate_instance_state(state, operation=op)
        if not timeout > 0 or not poll_interval > 0:
            raise ValidationError("timeout and poll_interval must be > 0 seconds", operation=op)
        deadline = time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while True:
            try:
                last = self.get_instance(instance_id)
            except InstanceNotFoundError:
                if wanted is not InstanceState.TERMINATED:
                    raise
                return _gone(last, instance_id, self.region)
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


def _check_id(instance_id: Any, operation: str) -> None:
    validate_name(instance_id, "instance_id", operation=operation)


def _gone(last: dict[str, Any] | None, instance_id: str, region: str) -> dict[str, Any]:
    if last is None:
        return CloudResource(
            id=instance_id,
            name=instance_id,
            resource_type=ResourceType.COMPUTE,
            provider=CloudProvider.AWS,
            region=region,
            status=InstanceState.TERMINATED.value,
            metadata={"native_state": None},
        ).to_dict()
    return {**last, "status": InstanceState.TERMINATED.value}

"""Azure Virtual Machines: the driver (SDK calls only) and ``VirtualMachineComputeClient``.

An instance id is the VM's name in the client's resource group. Portable states come from
the VM's instance view: its provisioning state (``creating`` -> pending, ``deleting`` ->
terminating) and power state (``starting`` -> pending, ``running``, ``stopping`` /
``deallocating`` -> stopping, ``stopped`` / ``deallocated`` -> stopped); the raw codes are
``metadata["native_state"]``. A deleted VM is gone (start/stop: not found).
"""

from __future__ import annotations

from typing import Any

from cloud_common.azure._arm import ArmDriver, iso_time, rest
from cloud_common.azure._client import AzureClient
from cloud_common.azure._connection import AzureSettings
from cloud_common.core import (
    CloudCompute,
    CloudProvider,
    CloudResource,
    ComputeClient,
    InstanceState,
    ResourceType,
    ValidationError,
)

__all__ = ["POWER_STATES", "VirtualMachineComputeClient", "portable_state"]

POWER_STATES: dict[str, InstanceState] = {
    "starting": InstanceState.PENDING,
    "running": InstanceState.RUNNING,
    "stopping": InstanceState.STOPPING,
    "deallocating": InstanceState.STOPPING,
    "stopped": InstanceState.STOPPED,
    "deallocated": InstanceState.STOPPED,
}
"""Azure power state -> portable state."""

_CREATE_KWARGS = frozenset(
    {"tags", "subnet_id", "network_interface_id", "admin_username", "ssh_public_key",
     "admin_password", "os_disk_size_gb"}
)  # fmt: skip


def portable_state(provisioning: str, power: str | None) -> InstanceState:
    """The ``InstanceState`` of a VM from its provisioning and power states."""
    provisioning = provisioning.lower()
    if provisioning == "deleting":
        return InstanceState.TERMINATING
    if power is None:
        return (
            InstanceState.PENDING
            if provisioning in ("creating", "updating")
            else (InstanceState.UNKNOWN)
        )
    return POWER_STATES.get(power.lower(), InstanceState.UNKNOWN)


def _states(vm: dict[str, Any]) -> tuple[str, str | None]:
    props = vm.get("properties") or {}
    provisioning = str(props.get("provisioningState") or "")
    power = None
    for status in (props.get("instanceView") or {}).get("statuses") or []:
        code = str(status.get("code") or "")
        if code.startswith("ProvisioningState/"):
            provisioning = code.split("/", 1)[1]
        elif code.startswith("PowerState/"):
            power = code.split("/", 1)[1]
    return provisioning, power


def _image_reference(image_id: str) -> dict[str, str]:
    if image_id.startswith("/subscriptions/"):
        return {"id": image_id}
    parts = image_id.split(":")
    if len(parts) == 4 and all(parts):
        publisher, offer, sku, version = parts
        return {"publisher": publisher, "offer": offer, "sku": sku, "version": version}
    raise ValidationError(
        f"image_id {image_id!r} is invalid: use an image URN 'publisher:offer:sku:version' "
        "(such as 'Canonical:ubuntu-24_04-lts:server:latest') or an image's ARM id"
    )


class _VirtualMachineDriver(ArmDriver, ComputeClient):
    """VMs through ``ComputeManagementClient``; every argument arrives checked."""

    def __init__(self, settings: AzureSettings) -> None:
        from azure.mgmt.compute import ComputeManagementClient  # noqa: PLC0415

        super().__init__(settings, ComputeManagementClient)
        self._vms = self._client.virtual_machines

    def _resource(self, vm: dict[str, Any]) -> dict[str, Any]:
        props = vm.get("properties") or {}
        provisioning, power = _states(vm)
        image = (props.get("storageProfile") or {}).get("imageReference") or {}
        native = f"ProvisioningState/{provisioning}" + (f" PowerState/{power}" if power else "")
        return CloudResource(
            id=str(vm.get("name")),
            name=str(vm.get("name")),
            resource_type=ResourceType.COMPUTE,
            provider=CloudProvider.AZURE,
            region=str(vm.get("location") or self._location),
            status=portable_state(provisioning, power).value,
            created_at=iso_time(props.get("timeCreated")),
            tags=dict(vm.get("tags") or {}),
            metadata={
                "native_state": native,
                "provisioning_state": provisioning,
                "power_state": power,
                "vm_size": (props.get("hardwareProfile") or {}).get("vmSize"),
                "image": image.get("id")
                or ":".join(
                    str(image.get(k, "")) for k in ("publisher", "offer", "sku", "version")
                ),
                "vm_id": props.get("vmId"),
                "resource_id": vm.get("id"),
                "resource_group": self._group,
            },
        ).to_dict()

    def _get(self, name: str) -> dict[str, Any]:
        return rest(self._vms.get(self._group, name, expand="instanceView"))

    def _state(self, name: str) -> InstanceState:
        return portable_state(*_states(self._get(name)))

    # -- the spec's calls ---------------------------------------------------------------

    def list_instances(self) -> list[dict[str, Any]]:
        return [
            self._resource(rest(vm)) for vm in self._vms.list(self._group, expand="instanceView")
        ]

    def start_instance(self, instance_id: str) -> bool:
        if self._state(instance_id) in (InstanceState.PENDING, InstanceState.RUNNING):
            return True
        self._wait(self._vms.begin_start(self._group, instance_id), f"start of {instance_id}")
        return True

    def stop_instance(self, instance_id: str) -> bool:
        """Deallocate (``stop_mode="deallocate"``, no compute billing) or power off."""
        if self._state(instance_id) in (InstanceState.STOPPING, InstanceState.STOPPED):
            return True
        if self._options.stop_mode == "power_off":
            poller = self._vms.begin_power_off(self._group, instance_id)
        else:
            poller = self._vms.begin_deallocate(self._group, instance_id)
        self._wait(poller, f"stop of {instance_id}")
        return True

    def terminate_instance(self, instance_id: str) -> bool:
        """Delete the VM (and the NIC and disks created with it); an absent VM is gone."""
        self._wait(self._vms.begin_delete(self._group, instance_id), f"delete of {instance_id}")
        return True

    def create_instance(  # type: ignore[no-untyped-def]
        self, name: str, instance_type: str, image_id: str, **kwargs
    ) -> dict[str, Any]:
        """Create a Linux VM of size ``instance_type`` from ``image_id`` and wait for it.

        Keywords: ``tags``, ``subnet_id`` (a NIC is created there and deleted with the
        VM) or ``network_interface_id`` (an existing NIC), ``admin_username``,
        ``ssh_public_key`` or ``admin_password``, ``os_disk_size_gb``; the options give
        the defaults.
        """
        unknown = sorted(set(kwargs) - _CREATE_KWARGS)
        if unknown:
            raise ValidationError(
                f"unknown keyword(s) {unknown} for create_instance; accepted: "
                f"{sorted(_CREATE_KWARGS)}"
            )
        body = {
            "location": self._location,
            "tags": kwargs.get("tags") or {},
            "properties": {
                "hardwareProfile": {"vmSize": instance_type},
                "storageProfile": {
                    "imageReference": _image_reference(image_id),
                    "osDisk": {
                        "createOption": "FromImage",
                        "deleteOption": "Delete",
                        **(
                            {"diskSizeGB": int(kwargs["os_disk_size_gb"])}
                            if "os_disk_size_gb" in kwargs
                            else {}
                        ),
                    },
                },
                "osProfile": self._os_profile(name, kwargs),
                "networkProfile": self._network_profile(name, kwargs),
            },
        }
        poller = self._vms.begin_create_or_update(self._group, name, body)
        self._wait(poller, f"creation of {name}")
        return self._resource(self._get(name))

    def _os_profile(self, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        user = kwargs.get("admin_username") or self._options.admin_username
        profile: dict[str, Any] = {"computerName": name[:64], "adminUsername": user}
        key = kwargs.get("ssh_public_key") or self._options.ssh_public_key
        if kwargs.get("admin_password"):
            profile["adminPassword"] = kwargs["admin_password"]
        elif key:
            profile["linuxConfiguration"] = {
                "disablePasswordAuthentication": True,
                "ssh": {
                    "publicKeys": [{"path": f"/home/{user}/.ssh/authorized_keys", "keyData": key}]
                },
            }
        else:
            raise ValidationError(
                "create_instance needs ssh_public_key (keyword or option) or admin_password"
            )
        return profile

    def _network_profile(self, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        nic = kwargs.get("network_interface_id")
        if nic:
            return {"networkInterfaces": [{"id": nic, "properties": {"primary": True}}]}
        subnet = kwargs.get("subnet_id") or self._options.subnet_id
        if not subnet:
            raise ValidationError(
                "create_instance needs a network: subnet_id (keyword or option) or "
                "network_interface_id"
            )
        return {
            "networkApiVersion": "2020-11-01",
            "networkInterfaceConfigurations": [
                {
                    "name": f"{name}-nic",
                    "properties": {
                        "primary": True,
                        "deleteOption": "Delete",
                        "ipConfigurations": [
                            {"name": "ipconfig1", "properties": {"subnet": {"id": subnet}}}
                        ],
                    },
                }
            ],
        }

    # -- extensions ---------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        return self._resource(self._get(instance_id))


class VirtualMachineComputeClient(AzureClient[ComputeClient], CloudCompute):
    """Azure Virtual Machines of one resource group as a ``CloudCompute``.

    Args:
        credentials: ``CloudCredentials`` of provider ``azure``: ``project_id`` is the
            subscription, ``region`` the location of new VMs, ``metadata["resource_group"]``
            the resource group; None reads the environment.
        options: ``AzureOptions`` (``credential=``, ``subnet_id=``, ``ssh_public_key=``...).

    Raises:
        ValidationError: bad options or credentials, a region that is not an Azure
            location (before any network call).
    """

    _needs_location = True

    def _driver_for(self, settings: AzureSettings) -> ComputeClient:
        return _VirtualMachineDriver(settings)

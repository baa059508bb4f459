"""``VirtualMachinesFake``: ``Microsoft.Compute/virtualMachines`` behind the ARM fake.

A VM has a provisioning state and a power state, changed by long-running operations as on
Azure: create (``Creating`` -> running), ``start``, ``powerOff``, ``deallocate`` and delete
(``Deleting`` -> gone). Operations not allowed in the current power state answer 409
``OperationNotAllowed``. ``hold(name, state)`` parks a VM in a transitional state.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from cloud_common.azure.testing._arm import ArmError, ResourceManagerServer, ResourceMatch

__all__ = ["VirtualMachinesFake"]

_NAMESPACE = "Microsoft.Compute"
_TRANSITIONS = {
    # action: (power states it may start from, transitional state, final state)
    "start": ({"stopped", "deallocated", "running"}, "starting", "running"),
    "poweroff": ({"running", "stopped"}, "stopping", "stopped"),
    "deallocate": ({"running", "stopped", "deallocated"}, "deallocating", "deallocated"),
}


class VirtualMachinesFake:
    """The VMs of one subscription, by resource group and name."""

    namespace = _NAMESPACE
    resource_type = "virtualMachines"

    def __init__(self) -> None:
        self.vms: dict[tuple[str, str], dict[str, Any]] = {}

    # -- test hooks ---------------------------------------------------------------------

    def hold(self, name: str, state: str) -> bool:
        """Park VM ``name`` in ``"pending"`` (starting) or ``"stopping"`` (deallocating)."""
        power = {"pending": "starting", "stopping": "deallocating"}.get(state)
        vm = next((v for (_, n), v in self.vms.items() if n == name.lower()), None)
        if power is None or vm is None:
            return False
        vm["power"] = power
        return True

    # -- the REST API -------------------------------------------------------------------

    def handle(self, server: ResourceManagerServer, request: Any, match: ResourceMatch) -> Any:
        if match.name is None:
            if request.method != "GET":
                raise ArmError(405, "MethodNotAllowed", request.method)
            group = match.resource_group.lower()
            items = [
                self._view(v, expand=request.args.get("$expand") == "instanceView")
                for (g, _), v in sorted(self.vms.items())
                if g == group
            ]
            return server.page(request, items)
        key = (match.resource_group.lower(), match.name.lower())
        vm = self.vms.get(key)
        action = match.rest.strip("/").lower()
        if request.method == "PUT" and not action:
            return self._create(server, request, match, key)
        if request.method == "DELETE" and not action:
            if vm is None:
                return server.json(None, status=204)
            vm["provisioning"] = "Deleting"
            return server.start_operation(_NAMESPACE, lambda: self.vms.pop(key, None), status=202)
        if vm is None:
            raise ArmError(
                404,
                "ResourceNotFound",
                f"The Resource '{_NAMESPACE}/virtualMachines/{match.name}' under resource "
                f"group '{match.resource_group}' was not found.",
            )
        if request.method == "GET" and not action:
            return server.json(self._view(vm, expand=request.args.get("$expand") == "instanceView"))
        if request.method == "GET" and action == "instanceview":
            return server.json(self._instance_view(vm))
        if request.method == "POST" and action in _TRANSITIONS:
            return self._transition(server, vm, action)
        raise ArmError(404, "NotFound", f"no such action {action!r}")

    def _create(
        self, server: ResourceManagerServer, request: Any, match: ResourceMatch, key: Any
    ) -> Any:
        body = request.get_json(silent=True) or {}
        props = body.get("properties") or {}
        if key in self.vms:
            raise ArmError(409, "OperationNotAllowed", "updates are not supported by the fake")
        size = (props.get("hardwareProfile") or {}).get("vmSize")
        image = (props.get("storageProfile") or {}).get("imageReference") or {}
        os_profile = props.get("osProfile") or {}
        network = props.get("networkProfile") or {}
        linux = os_profile.get("linuxConfiguration") or {}
        keys = (linux.get("ssh") or {}).get("publicKeys") or []
        problems = []
        if not body.get("location"):
            problems.append("location is required")
        if not size or not str(size).startswith(("Standard_", "Basic_")):
            problems.append(f"The value '{size}' of parameter 'vmSize' is not allowed.")
        if not (image.get("id") or all(image.get(k) for k in ("publisher", "offer", "sku"))):
            problems.append("storageProfile.imageReference needs an id or publisher/offer/sku")
        if not os_profile.get("adminUsername"):
            problems.append("osProfile.adminUsername is required")
        if not (os_profile.get("adminPassword") or keys):
            problems.append("an adminPassword or an SSH public key is required")
        if not (network.get("networkInterfaces") or network.get("networkInterfaceConfigurations")):
            problems.append("networkProfile needs networkInterfaces or interface configurations")
        if problems:
            raise ArmError(400, "InvalidParameter", "; ".join(problems))
        vm = {
            "name": match.name,
            "id": f"{match.base}/{match.name}",
            "location": body["location"],
            "tags": body.get("tags") or {},
            "properties": {**props, "vmId": str(uuid.uuid4())},
            "created": datetime.now(timezone.utc).isoformat(),
            "provisioning": "Creating",
            "power": "starting",
        }
        self.vms[key] = vm

        def finish() -> None:
            if key in self.vms:
                vm["provisioning"] = "Succeeded"
                if vm["power"] == "starting":
                    vm["power"] = "running"

        return server.start_operation(_NAMESPACE, finish, status=201, body=self._view(vm))

    def _transition(self, server: ResourceManagerServer, vm: dict[str, Any], action: str) -> Any:
        allowed, during, final = _TRANSITIONS[action]
        if vm["provisioning"] == "Deleting" or vm["power"] not in allowed:
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Operation '{action}' is not allowed on VM '{vm['name']}' since the VM is "
                f"{vm['power']}.",
            )
        vm["power"] = during

        def finish() -> None:
            if vm["power"] == during:
                vm["power"] = final

        return server.start_operation(_NAMESPACE, finish, status=202)

    @staticmethod
    def _instance_view(vm: dict[str, Any]) -> dict[str, Any]:
        statuses = [
            {"code": f"ProvisioningState/{vm['provisioning'].lower()}", "level": "Info"},
        ]
        if vm["provisioning"] != "Creating":
            statuses.append(
                {"code": f"PowerState/{vm['power']}", "displayStatus": f"VM {vm['power']}"}
            )
        return {"statuses": statuses}

    def _view(self, vm: dict[str, Any], *, expand: bool = False) -> dict[str, Any]:
        props = {
            **vm["properties"],
            "provisioningState": vm["provisioning"],
            "timeCreated": vm["created"],
        }
        if expand:
            props["instanceView"] = self._instance_view(vm)
        return {
            "id": vm["id"],
            "name": vm["name"],
            "type": f"{_NAMESPACE}/virtualMachines",
            "location": vm["location"],
            "tags": vm["tags"],
            "properties": props,
        }

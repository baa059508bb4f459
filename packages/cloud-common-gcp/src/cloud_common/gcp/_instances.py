"""Compute Engine instances in and out of portable form: the ``compute_v1.Instance`` that
``create_instance`` inserts, and the ``CloudResource`` dict every call returns."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from google.cloud import compute_v1

from cloud_common.core import CloudProvider, CloudResource, ResourceType
from cloud_common.core.validation import validate_kwargs
from cloud_common.gcp._auth import CLOUD_PLATFORM_SCOPE
from cloud_common.gcp._keywords import keyword
from cloud_common.gcp._states import instance_state

__all__ = ["CREATE_KWARGS", "build_instance", "instance_resource"]

CREATE_KWARGS = frozenset(
    {
        "zone",
        "tags",
        "metadata",
        "startup_script",
        "user_data",
        "network",
        "subnetwork",
        "external_ip",
        "disk_size_gb",
        "service_account",
    }
)
"""The keyword arguments ``create_instance`` takes on Google Cloud."""


def build_instance(
    name: str, zone: str, instance_type: str, image_id: str, project: str, kwargs: Mapping[str, Any]
) -> compute_v1.Instance:
    """The instance ``instances.insert`` creates (boot disk, NIC, labels, metadata).

    Raises:
        ValidationError: an unknown keyword or one of the wrong type.
    """
    validate_kwargs(kwargs, CREATE_KWARGS, operation="create_instance")
    machine = (
        instance_type if "/" in instance_type else f"zones/{zone}/machineTypes/{instance_type}"
    )
    disk = compute_v1.AttachedDisk(
        boot=True,
        auto_delete=True,
        type_="PERSISTENT",
        initialize_params=compute_v1.AttachedDiskInitializeParams(
            source_image=image_path(image_id, project),
            disk_size_gb=keyword(kwargs, "disk_size_gb", int, 10),
        ),
    )
    nic = compute_v1.NetworkInterface(
        network=keyword(kwargs, "network", str, None) or "global/networks/default"
    )
    subnet = keyword(kwargs, "subnetwork", str, None)
    if subnet:
        nic.subnetwork = subnet
    if keyword(kwargs, "external_ip", bool, True):
        nic.access_configs = [compute_v1.AccessConfig(name="External NAT", type_="ONE_TO_ONE_NAT")]
    items = [
        compute_v1.Items(key=str(k), value=str(v))
        for k, v in keyword(kwargs, "metadata", dict, {}).items()
    ]
    script = keyword(kwargs, "startup_script", str, None) or keyword(kwargs, "user_data", str, None)
    if script:
        items.append(compute_v1.Items(key="startup-script", value=script))
    instance = compute_v1.Instance(
        name=name,
        machine_type=machine,
        disks=[disk],
        network_interfaces=[nic],
        labels=dict(kwargs.get("tags") or {}),
    )
    if items:
        instance.metadata = compute_v1.Metadata(items=items)
    account = keyword(kwargs, "service_account", str, None)
    if account:
        instance.service_accounts = [
            compute_v1.ServiceAccount(email=account, scopes=[CLOUD_PLATFORM_SCOPE])
        ]
    return instance


def image_path(image_id: str, project: str) -> str:
    """An image reference as the API wants it (URL, path, ``project/family`` or name)."""
    if image_id.startswith(("https://", "projects/", "global/")):
        return image_id
    if image_id.count("/") == 1:
        image_project, family = image_id.split("/")
        return f"projects/{image_project}/global/images/family/{family}"
    return f"projects/{project}/global/images/{image_id}"


def instance_resource(
    inst: compute_v1.Instance, zone: str, image: str | None = None
) -> dict[str, Any]:
    """``CloudResource(...).to_dict()`` of an instance; its id is ``"<zone>/<name>"``."""
    native = inst.status or ""
    nics = list(inst.network_interfaces)
    public_ip = None
    if nics and nics[0].access_configs:
        public_ip = nics[0].access_configs[0].nat_i_p or None
    created = None
    if inst.creation_timestamp:
        created = datetime.datetime.fromisoformat(inst.creation_timestamp.replace("Z", "+00:00"))
    metadata: dict[str, Any] = {
        "native_state": native,
        "zone": zone,
        "instance_type": inst.machine_type.rsplit("/", 1)[-1] if inst.machine_type else None,
        "private_ip": (nics[0].network_i_p if nics else None) or None,
        "public_ip": public_ip,
        "numeric_id": str(inst.id) if inst.id else None,
        "self_link": inst.self_link or None,
    }
    if image:
        metadata["image"] = image
    return CloudResource(
        id=f"{zone}/{inst.name}",
        name=inst.name,
        resource_type=ResourceType.COMPUTE,
        provider=CloudProvider.GCP,
        region=zone.rsplit("-", 1)[0],
        status=instance_state(native).value,
        created_at=created,
        tags=dict(inst.labels),
        metadata=metadata,
    ).to_dict()

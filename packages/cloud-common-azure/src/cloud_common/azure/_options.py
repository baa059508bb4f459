"""``AzureOptions``: the options of every Azure client (blob, VM and function app clients)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cloud_common.core import ClientOptions, ValidationError

__all__ = ["MiB", "AzureOptions"]

MiB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class AzureOptions(ClientOptions):
    """Options of ``BlobStorageClient``, ``VirtualMachineComputeClient`` and
    ``FunctionAppServerlessClient``.

    Besides ``endpoint_url`` (blob: the account URL, such as Azurite's
    ``http://127.0.0.1:10000/devstoreaccount1``), ``timeouts`` and ``retry``:

    Attributes:
        arm_endpoint: Azure Resource Manager's URL (VMs, function apps); None:
            ``https://management.azure.com``.
        credential: An ``azure.core.credentials.TokenCredential`` for Resource Manager (and
            for blobs when the credentials carry no key, SAS or connection string); None:
            ``azure.identity.DefaultAzureCredential``.
        resource_group: The resource group of VMs and function apps (else
            ``credentials.metadata["resource_group"]``).
        block_size: Blob block size of streaming uploads and chunk size of downloads.
        single_put_size: Blobs up to this size are uploaded in one request.
        max_concurrency: Blocks in flight per transfer.
        subnet_id: VMs: ARM id of the subnet a new VM's NIC is created in.
        admin_username: VMs: the administrator of new Linux VMs.
        ssh_public_key: VMs: the public key installed for ``admin_username``.
        stop_mode: VMs: ``stop_instance`` deallocates (no compute billing, the default)
            or only powers off.
        plan_id: Function apps: ARM id of the App Service plan new apps run on.
        package_container: Function apps: the blob container holding deployed packages.
        invoke_endpoint: Function apps: base URL of invocations instead of
            ``https://<app>.azurewebsites.net`` (tests and private endpoints).
        poll_interval: Seconds between polls of long-running operations.
        connection_verify: Verify TLS certificates (True), not (False), or against this
            CA bundle file (a proxy's or a test server's).

    Raises:
        ValidationError: a field of the wrong type or out of its bounds (named).
    """

    arm_endpoint: str | None = None
    credential: Any = None
    resource_group: str | None = None
    block_size: int = 4 * MiB
    single_put_size: int = 8 * MiB
    max_concurrency: int = 4
    subnet_id: str | None = None
    admin_username: str = "azureuser"
    ssh_public_key: str | None = None
    stop_mode: Literal["deallocate", "power_off"] = "deallocate"
    plan_id: str | None = None
    package_container: str = "function-packages"
    invoke_endpoint: str | None = None
    poll_interval: float = 5.0
    connection_verify: bool | str = True

    def __post_init__(self) -> None:
        super().__post_init__()
        for name, low, high in (
            ("block_size", 64 * 1024, 4000 * MiB),
            ("single_put_size", 64 * 1024, 5000 * MiB),
            ("max_concurrency", 1, 64),
        ):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValidationError(
                    f"option {name}={value!r} is invalid: must be between {low} and {high}"
                )
        if not self.poll_interval > 0:
            raise ValidationError(
                f"option poll_interval={self.poll_interval!r} is invalid: must be > 0 seconds"
            )
        for name in ("arm_endpoint", "invoke_endpoint"):
            value = getattr(self, name)
            if value is not None and "://" not in value:
                raise ValidationError(
                    f"option {name}={value!r} is invalid: must be a URL such as "
                    "http://127.0.0.1:8080"
                )

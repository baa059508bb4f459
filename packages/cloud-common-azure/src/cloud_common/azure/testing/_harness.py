"""``AzureHarness``: the contract suite's harness for ``azure``: Azurite for blobs, the
Resource Manager fake for VMs and function apps."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from cloud_common.azure.testing._arm import ResourceManagerServer
from cloud_common.azure.testing._azurite import Azurite, free_port
from cloud_common.azure.testing._credential import StaticTokenCredential
from cloud_common.azure.testing._sites import FunctionAppsFake
from cloud_common.azure.testing._vms import VirtualMachinesFake
from cloud_common.core import CloudCredentials, RetryPolicy, Timeouts

__all__ = ["AzureHarness"]

_SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC1oudCommonContractSuiteKeyOnlyForTests cc"


def _harness_base() -> type[Any]:
    try:
        from cloud_common.contract_tests.harness import Harness  # noqa: PLC0415
    except ImportError:  # the contract suite is not installed: a plain base will do
        return object
    return Harness


class AzureHarness(_harness_base()):  # type: ignore[misc]
    """The contract suite's harness for ``azure``.

    Blobs: Azurite in memory, two accounts with random keys; Azurite checks Shared Key
    signatures (``bad_credentials``) and SAS signatures, permissions and expiry
    (``presigned_urls_verified``). Container names belong to one account
    (``bucket_names_are_global`` is False): the second account holds a container of the
    same name apart from the first's.

    VMs and function apps: ``ResourceManagerServer`` (HTTPS, bearer tokens, LROs, paging)
    with ``VirtualMachinesFake`` and ``FunctionAppsFake``; function packages live on
    Azurite and run in a fresh Python process per invocation.
    """

    provider_id = "azure"
    state_timeout = 30.0

    def __init__(self) -> None:
        self.azurite = Azurite(others=("cloudcommon2",))
        self.arm = ResourceManagerServer()
        self.vms = VirtualMachinesFake()
        self.sites: FunctionAppsFake | None = None

    def start(self) -> None:
        self.azurite.start()
        self.arm.start()
        self.arm.add(self.vms)
        self.sites = FunctionAppsFake(self.arm)
        self.arm.add(self.sites)

    def stop(self) -> None:
        try:
            self.arm.stop()
            if self.sites is not None:
                self.sites.close()
        finally:
            self.azurite.stop()

    @property
    def resource_group(self) -> str:
        return sorted(self.arm.resource_groups)[0]

    def credentials(self) -> CloudCredentials:
        creds = self.azurite.credentials(resource_group=self.resource_group)
        creds.project_id = self.arm.subscription_id
        return creds

    def other_credentials(self) -> CloudCredentials:
        return self.azurite.credentials(account="cloudcommon2")

    def bucket_names_are_global(self) -> bool:
        return False

    def presigned_put_headers(self) -> dict[str, str]:
        """Put Blob needs the blob type; Azure offers no SAS parameter for it."""
        return {"x-ms-blob-type": "BlockBlob"}

    def bad_credentials(self) -> CloudCredentials:
        wrong = base64.b64encode(secrets.token_bytes(64)).decode()
        creds = self.azurite.credentials(key=wrong, resource_group=self.resource_group)
        creds.project_id = self.arm.subscription_id
        return creds

    def secrets(self) -> list[str]:
        """The account keys and the bearer token (an account name is in every URL: it is
        not a secret)."""
        return sorted({*self.azurite.keys.values(), self.arm.token})

    def client_options(self, service: str) -> dict[str, Any]:
        if service == "storage":
            return {"retry": RetryPolicy(max_attempts=3, backoff_base=0.05, backoff_cap=0.2)}
        return self._arm_options(StaticTokenCredential(self.arm.token), service)

    def bad_client_options(self, service: str) -> dict[str, Any]:
        if service == "storage":
            return self.client_options(service)
        return self._arm_options(StaticTokenCredential("not-a-valid-token"), service)

    def _arm_options(self, credential: Any, service: str) -> dict[str, Any]:
        options: dict[str, Any] = {
            "arm_endpoint": self.arm.url,
            "credential": credential,
            "connection_verify": self.arm.ca_file,
            "poll_interval": 0.02,
            "retry": RetryPolicy(max_attempts=3, backoff_base=0.05, backoff_cap=0.2),
        }
        if service == "compute":
            options["subnet_id"] = (
                f"/subscriptions/{self.arm.subscription_id}/resourceGroups/"
                f"{self.resource_group}/providers/Microsoft.Network/virtualNetworks/vnet/"
                "subnets/default"
            )
            options["ssh_public_key"] = _SSH_KEY
        else:
            options["invoke_endpoint"] = f"{self.arm.url}/_functions/{{app}}"
        return options

    def unreachable_client_options(self, service: str) -> dict[str, Any]:
        endpoint = f"http://127.0.0.1:{free_port()}"
        options: dict[str, Any] = {
            **self.client_options(service),
            "retry": RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01),
            "timeouts": Timeouts(connect=1, read=1),
        }
        if service == "storage":
            options["endpoint_url"] = endpoint + "/" + self.azurite.account
        else:
            options["arm_endpoint"] = endpoint.replace("http://", "https://")
        return options

    def fault_client_options(self, service: str, endpoint_url: str) -> dict[str, Any]:
        """Every request of the client to ``endpoint_url``: blobs (package uploads too),
        Resource Manager (bearer tokens may use plain HTTP to 127.0.0.1) and invocations."""
        options = {
            **self.client_options(service),
            "endpoint_url": f"{endpoint_url}/{self.azurite.account}",
        }
        options.pop("retry", None)
        if service != "storage":
            options["arm_endpoint"] = endpoint_url
            options["invoke_endpoint"] = f"{endpoint_url}/_functions/{{app}}"
        return options

    def fault_upstream_url(self, service: str) -> str | None:
        """Azurite for blobs; None for VMs and apps (Resource Manager speaks TLS only, and
        a function's calls also reach Azurite: no single plain-HTTP upstream)."""
        return f"http://127.0.0.1:{self.azurite.port}" if service == "storage" else None

    def presigned_urls_verified(self) -> bool:
        return True

    def instance_args(self) -> tuple[str, str]:
        return ("Standard_B1s", "Canonical:ubuntu-24_04-lts:server:latest")

    def hold_instance_state(self, instance_id: str, state: str) -> bool:
        return self.vms.hold(instance_id, state)

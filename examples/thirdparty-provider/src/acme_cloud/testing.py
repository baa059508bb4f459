"""The contract-test harness of the Acme provider (``pytest --cloud-provider acme``).

Named in ``ProviderInfo.harness``. It needs the ``testing`` extra
(``cloud-common-contract-tests``), imported only when the suite loads this module.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from acme_cloud._gateway import Gateway
from acme_cloud._store import AcmeCloud
from cloud_common.contract_tests import Harness
from cloud_common.core import CloudCredentials, CloudProvider

__all__ = ["AcmeHarness"]

_NATIVE = {
    "pending": "PROVISIONING",
    "running": "RUNNING",
    "stopping": "STOPPING",
    "stopped": "STOPPED",
    "terminated": "TERMINATED",
}


class AcmeHarness(Harness):
    """A fresh account store in a temporary directory, with its gateway on 127.0.0.1."""

    provider_id = "acme"
    state_timeout = 10.0  # Acme's state changes are immediate

    def start(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="acme-contract-"))
        self.cloud = AcmeCloud.create(self._root)
        self._keys = self.cloud.add_account("contract")
        self._other_keys = self.cloud.add_account("someone-else")
        self.gateway = Gateway(self.cloud).start()

    def stop(self) -> None:
        self.gateway.stop()
        shutil.rmtree(self._root, ignore_errors=True)

    def credentials(self) -> CloudCredentials:
        access_key, secret_key = self._keys
        return CloudCredentials(
            CloudProvider(self.provider_id), access_key=access_key, secret_key=secret_key
        )

    def client_options(self, service: str) -> dict[str, Any]:
        return {"root": str(self._root), "gateway_url": self.gateway.url}

    def bad_credentials(self) -> CloudCredentials | None:
        access_key, secret_key = self._keys
        wrong = secret_key[::-1]
        return CloudCredentials(
            CloudProvider(self.provider_id), access_key=access_key, secret_key=wrong
        )

    def unreachable_client_options(self, service: str) -> dict[str, Any] | None:
        return {"root": str(self._root / "no-such-store")}

    def other_credentials(self) -> CloudCredentials | None:
        access_key, secret_key = self._other_keys
        return CloudCredentials(
            CloudProvider(self.provider_id), access_key=access_key, secret_key=secret_key
        )

    def fault_client_options(self, service: str, endpoint_url: str) -> dict[str, Any] | None:
        """The store's API at ``endpoint_url`` instead of its directory."""
        return {"endpoint_url": endpoint_url, "gateway_url": self.gateway.url}

    def fault_upstream_url(self, service: str) -> str | None:
        return self.gateway.url

    def instance_args(self) -> tuple[str, str]:
        return ("acme.small", "acme-linux-1")

    def presigned_urls_verified(self) -> bool:
        return True

    def hold_instance_state(self, instance_id: str, state: str) -> bool:
        instance = self.cloud.instance(instance_id)
        instance["state"] = _NATIVE[state]
        self.cloud.save_instance(instance)
        return True

"""``LocalHarness``: the contract-test harness of the local provider."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from cloud_common.contract_tests.harness import Harness
from cloud_common.core import CloudCredentials, CloudProvider
from cloud_common.local._accounts import add_account
from cloud_common.local._compute import LocalComputeClient
from cloud_common.local._server import RunningServer, serve_in_thread

__all__ = ["LocalHarness"]


class LocalHarness(Harness):
    """A temporary root holding one account (``add_account``), a presign server on a free
    port of 127.0.0.1, and a second root without accounts (the other "account").

    ``bad_credentials()`` are the account's access key with a wrong secret key. The local
    clients make no network call, so ``makes_network_calls()`` is False: the suite reports
    its network-fault rows as not applicable.
    """

    provider_id = "local"

    def __init__(self) -> None:
        self._root: Path | None = None
        self._other_root: Path | None = None
        self._server: RunningServer | None = None
        self._keys: tuple[str, str] | None = None

    def start(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="cloud-common-local-contract-"))
        self._other_root = Path(tempfile.mkdtemp(prefix="cloud-common-local-contract-other-"))
        self._keys = add_account(self._root)
        self._server = serve_in_thread(self._root, credentials=self.credentials())

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        for root in (self._root, self._other_root):
            if root is not None:
                shutil.rmtree(root, ignore_errors=True)
        self._root = self._other_root = None
        self._keys = None

    def credentials(self) -> CloudCredentials:
        if self._root is None or self._keys is None:
            raise RuntimeError("LocalHarness.start() was not called")
        access_key, secret_key = self._keys
        return CloudCredentials(
            CloudProvider.LOCAL, access_key, secret_key, metadata={"root": str(self._root)}
        )

    def bad_credentials(self) -> CloudCredentials | None:
        """The account's access key with a secret key of another (random) account."""
        good = self.credentials()
        return CloudCredentials(
            CloudProvider.LOCAL,
            good.access_key,
            secrets.token_urlsafe(32),
            metadata=dict(good.metadata),
        )

    def makes_network_calls(self, service: str) -> bool:
        return False  # the local clients only touch files and start processes

    def client_options(self, service: str) -> dict[str, Any]:
        if self._server is None:
            raise RuntimeError("LocalHarness.start() was not called")
        return {"endpoint_url": self._server.base_url} if service == "storage" else {}

    def instance_args(self) -> tuple[str, str]:
        return ("local.small", "img-ubuntu-24.04")

    def other_credentials(self) -> CloudCredentials | None:
        """A second root: the local provider's other "account"."""
        if self._other_root is None:
            raise RuntimeError("LocalHarness.start() was not called")
        return CloudCredentials(CloudProvider.LOCAL, metadata={"root": str(self._other_root)})

    def bucket_names_are_global(self) -> bool:
        return False  # bucket names belong to one root

    def presigned_urls_verified(self) -> bool:
        return True  # the local server checks method, key, expiry and signature

    def hold_instance_state(self, instance_id: str, state: str) -> bool:
        if self._root is None or state not in ("pending", "stopping"):
            return False
        LocalComputeClient(self.credentials()).hold_state(instance_id, state)
        return True

"""The contract-suite harness of the gcp provider."""

from __future__ import annotations

import json
import socket
from typing import Any

from cloud_common.contract_tests.harness import Harness
from cloud_common.core import CloudCredentials, CloudProvider, RetryPolicy, Timeouts
from cloud_common.gcp.testing._gcp_fake import GcpFake
from cloud_common.gcp.testing._gcs_emulator import GcsEmulator
from cloud_common.gcp.testing._keys import make_service_account_info
from cloud_common.gcp.testing._project_scopes import ProjectScopes
from cloud_common.gcp.testing._signed_urls import SignedUrlGate

__all__ = ["GcpHarness"]

PROJECT = "cc-contract"
OTHER_PROJECT = "cc-contract-other"
REGION = "us-central1"


class GcpHarness(Harness):
    """Cloud Storage on an emulator (fake-gcs-server, else gcp-storage-emulator) behind
    :class:`ProjectScopes` (a second project, ``other_credentials()``, sees only its own
    buckets), Compute and Cloud Functions on :class:`GcpFake`; a generated service-account
    key signs URLs, which point at a :class:`SignedUrlGate` that checks them as Cloud
    Storage does."""

    provider_id = "gcp"

    def __init__(self) -> None:
        self.emulator: GcsEmulator | None = None
        self.fake: GcpFake | None = None
        self.gate: SignedUrlGate | None = None
        self.scopes: ProjectScopes | None = None
        self._sa = ""
        self._other_sa = ""
        self._bad_sa = ""

    def start(self) -> None:
        from cryptography.hazmat.primitives.serialization import (  # noqa: PLC0415
            load_pem_private_key,
        )

        info = make_service_account_info(PROJECT)
        public = load_pem_private_key(info["private_key"].encode(), None).public_key()
        self.emulator = GcsEmulator().start()
        try:
            self.gate = SignedUrlGate(self.emulator.url, {info["client_email"]: public}).start()
            self.scopes = ProjectScopes(self.emulator.url, PROJECT).start()
            self.fake = GcpFake(PROJECT).start()
        except BaseException:
            self.stop()
            raise
        # Real OAuth flows against the fake's token endpoint: the fake trusts this key
        # only, so bad_credentials() (another key) is refused as Google would refuse it.
        self.fake.trust(info["client_email"], public)
        self.fake.require_auth = True
        info["token_uri"] = f"{self.fake.url}/token"
        self._sa = json.dumps(info)
        stranger = make_service_account_info(
            PROJECT, email="stranger@cc-contract.iam.gserviceaccount.com"
        )
        stranger["token_uri"] = info["token_uri"]
        self._bad_sa = json.dumps(stranger)
        other = make_service_account_info(
            OTHER_PROJECT, email=f"signer@{OTHER_PROJECT}.iam.gserviceaccount.com"
        )
        other_public = load_pem_private_key(other["private_key"].encode(), None).public_key()
        self.fake.trust(other["client_email"], other_public)
        other["token_uri"] = info["token_uri"]
        self._other_sa = json.dumps(other)

    def stop(self) -> None:
        for part in (self.gate, self.scopes, self.fake, self.emulator):
            if part is not None:
                part.stop()
        self.gate = self.scopes = self.fake = self.emulator = None

    def credentials(self) -> CloudCredentials:
        return self._credentials(self._sa)

    def bad_credentials(self) -> CloudCredentials | None:
        return self._credentials(self._bad_sa)

    def other_credentials(self) -> CloudCredentials | None:
        """A second project's service account (its buckets are kept apart by
        :class:`ProjectScopes`)."""
        return self._credentials(self._other_sa, OTHER_PROJECT)

    def presigned_urls_verified(self) -> bool:
        return True

    def _credentials(self, service_account: str, project: str = PROJECT) -> CloudCredentials:
        if not self._sa:
            raise RuntimeError("GcpHarness.start() first")
        return CloudCredentials(
            CloudProvider.GCP,
            region=REGION,
            project_id=project,
            # "anonymous": real OAuth against the http:// fake, as against Google.
            metadata={"service_account_info": service_account, "anonymous": "false"},
        )

    def client_options(self, service: str) -> dict[str, Any]:
        if self.scopes is None or self.fake is None or self.gate is None:
            raise RuntimeError("GcpHarness.start() first")
        where: dict[str, Any] = {"endpoint_url": self.fake.url}
        if service == "storage":
            where = {"endpoint_url": self.scopes.url, "signed_url_endpoint": self.gate.url}
        return {
            **where,
            "retry": RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05, deadline=30),
            "timeouts": Timeouts(connect=5, read=30),
        }

    def unreachable_client_options(self, service: str) -> dict[str, Any] | None:
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return {
            "endpoint_url": closed,
            "retry": RetryPolicy(max_attempts=2, backoff_base=0.01, deadline=10),
            "timeouts": Timeouts(connect=2, read=5),
        }

    def fault_client_options(self, service: str, endpoint_url: str) -> dict[str, Any] | None:
        """Every request of ``service`` to ``endpoint_url`` (uploads, operation polls, and
        function URLs, which the fake writes on the host it was called on); the suite sets
        ``retry``."""
        options = self.client_options(service)
        options.pop("retry", None)
        options.pop("timeouts", None)
        options["endpoint_url"] = endpoint_url
        return options

    def fault_upstream_url(self, service: str) -> str | None:
        if self.emulator is None or self.fake is None:
            raise RuntimeError("GcpHarness.start() first")
        return self.emulator.url if service == "storage" else self.fake.url

    def idempotency_token_sent(self, operation: str) -> bool:
        """Compute Engine calls carry a ``requestId``: a replayed insert is ignored."""
        return operation == "create_instance"

    def instance_args(self) -> tuple[str, str]:
        return ("e2-micro", "debian-cloud/debian-12")

    def hold_instance_state(self, instance_id: str, state: str) -> bool:
        if self.fake is None:
            raise RuntimeError("GcpHarness.start() first")
        zone, _, name = instance_id.partition("/")
        native = {"pending": "STAGING", "stopping": "STOPPING"}.get(state)
        if native is None or self.fake.instance(zone, name) is None:
            return False
        self.fake.set_instance_status(zone, name, native)
        return True

    def reset(self) -> None:
        if self.fake is not None:
            self.fake.reset()
            self.fake.require_auth = True

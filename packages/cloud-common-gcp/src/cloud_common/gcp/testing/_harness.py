"""The contract-suite harness of the gcp provider."""

from __future__ import annotations

import json
import socket
from typing import Any

from cloud_common.contract_tests.harness import Harness
from cloud_common.core import CloudCredentials, CloudProvider, RetryPolicy, Timeouts
from cloud_common.gcp.testing._gcp_fake import GcpFake
from cloud_common.gcp.testing._gcs_emulator import GcsEmulator
from cloud_common.gcp.testing._signed_urls import SignedUrlGate

__all__ = ["GcpHarness", "make_service_account_info"]

PROJECT = "cc-contract"
REGION = "us-central1"


def make_service_account_info(
    project: str = PROJECT, email: str = "signer@cc-contract.iam.gserviceaccount.com"
) -> dict[str, Any]:
    """A fresh service-account key (RSA 2048, generated locally) in Google's JSON shape.

    Usable for signing offline; its ``token_uri`` is never contacted by cloud-common when
    the data plane points at an emulator.
    """
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "cc-test-key",
        "private_key": pem,
        "client_email": email,
        "client_id": "100000000000000000001",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


class GcpHarness(Harness):
    """Cloud Storage on an emulator (fake-gcs-server, else gcp-storage-emulator), Compute
    and Cloud Functions on :class:`GcpFake`; a generated service-account key signs URLs,
    which point at a :class:`SignedUrlGate` that checks them as Cloud Storage does."""

    provider_id = "gcp"

    def __init__(self) -> None:
        self.emulator: GcsEmulator | None = None
        self.fake: GcpFake | None = None
        self.gate: SignedUrlGate | None = None
        self._sa = ""
        self._bad_sa = ""

    def start(self) -> None:
        from cryptography.hazmat.primitives.serialization import (  # noqa: PLC0415
            load_pem_private_key,
        )

        info = make_service_account_info()
        public = load_pem_private_key(info["private_key"].encode(), None).public_key()
        self.emulator = GcsEmulator().start()
        try:
            self.gate = SignedUrlGate(self.emulator.url, {info["client_email"]: public}).start()
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
        stranger = make_service_account_info(email="stranger@cc-contract.iam.gserviceaccount.com")
        stranger["token_uri"] = info["token_uri"]
        self._bad_sa = json.dumps(stranger)

    def stop(self) -> None:
        if self.gate is not None:
            self.gate.stop()
            self.gate = None
        if self.fake is not None:
            self.fake.stop()
            self.fake = None
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    def credentials(self) -> CloudCredentials:
        return self._credentials(self._sa)

    def bad_credentials(self) -> CloudCredentials | None:
        return self._credentials(self._bad_sa)

    def presigned_urls_verified(self) -> bool:
        return True

    def _credentials(self, service_account: str) -> CloudCredentials:
        if self.emulator is None or self.fake is None or self.gate is None:
            raise RuntimeError("GcpHarness.start() first")
        return CloudCredentials(
            CloudProvider.GCP,
            region=REGION,
            project_id=PROJECT,
            metadata={
                "endpoint": self.emulator.url,
                "signed_url_endpoint": self.gate.url,
                "compute_endpoint": self.fake.url,
                "functions_endpoint": self.fake.url,
                "service_account_info": service_account,
                "anonymous": "false",
                "zone": f"{REGION}-a",
            },
        )

    def client_options(self, service: str) -> dict[str, Any]:
        return {
            "retry_policy": RetryPolicy(
                max_attempts=3, backoff_base=0.01, backoff_cap=0.05, deadline=30
            ),
            "timeouts": Timeouts(connect=5, read=30),
        }

    def unreachable_client_options(self, service: str) -> dict[str, Any] | None:
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
        key = "endpoint" if service == "storage" else "api_endpoint"
        return {
            key: closed,
            "retry_policy": RetryPolicy(max_attempts=2, backoff_base=0.01, deadline=10),
            "timeouts": Timeouts(connect=2, read=5),
        }

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

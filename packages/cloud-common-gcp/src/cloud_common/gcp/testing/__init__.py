"""Test support for cloud-common-gcp: the contract-suite harness and the fakes it runs.

Imports its test-only dependencies (pytest-httpserver, the GCS emulators, cryptography)
only when something is started.
"""

from __future__ import annotations

from cloud_common.gcp.testing._gcp_fake import Fault, GcpFake
from cloud_common.gcp.testing._gcs_emulator import GcsEmulator
from cloud_common.gcp.testing._harness import GcpHarness, make_service_account_info
from cloud_common.gcp.testing._signed_urls import SignedUrlGate, verify_v4_request

__all__ = [
    "Fault",
    "GcpFake",
    "GcpHarness",
    "GcsEmulator",
    "SignedUrlGate",
    "make_service_account_info",
    "verify_v4_request",
]

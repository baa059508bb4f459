"""Test support for cloud-common-gcp: the contract-suite harness and the fakes it runs.

Imports its test-only dependencies (pytest-httpserver, the GCS emulators, cryptography)
only when something is started.
"""

from __future__ import annotations

from cloud_common.gcp.testing._compute_api import ComputeEngineApi
from cloud_common.gcp.testing._faults import Fault
from cloud_common.gcp.testing._function_runner import FunctionEndpoints
from cloud_common.gcp.testing._functions_api import CloudFunctionsApi
from cloud_common.gcp.testing._gcp_fake import GcpFake
from cloud_common.gcp.testing._gcs_emulator import GcsEmulator
from cloud_common.gcp.testing._harness import GcpHarness
from cloud_common.gcp.testing._keys import make_service_account_info
from cloud_common.gcp.testing._oauth import OAuthTokens
from cloud_common.gcp.testing._project_scopes import ProjectScopes
from cloud_common.gcp.testing._server import reset_connection
from cloud_common.gcp.testing._signed_urls import SignedUrlGate, verify_v4_request

__all__ = [
    "CloudFunctionsApi",
    "ComputeEngineApi",
    "Fault",
    "FunctionEndpoints",
    "GcpFake",
    "GcpHarness",
    "GcsEmulator",
    "OAuthTokens",
    "ProjectScopes",
    "SignedUrlGate",
    "make_service_account_info",
    "reset_connection",
    "verify_v4_request",
]

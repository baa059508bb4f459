"""Fixtures: one GCS emulator and one Compute/Functions fake per session, fresh names per test."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from cloud_common.core import CloudCredentials, CloudProvider, RetryPolicy, Timeouts
from cloud_common.gcp import (
    CloudFunctionsServerlessClient,
    GCEComputeClient,
    GcpOptions,
    GCSStorageClient,
)
from cloud_common.gcp.testing import GcpFake, GcsEmulator, make_service_account_info

PROJECT = "cc-test"
REGION = "us-central1"
FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_cap=0.002, deadline=20)


@pytest.fixture(scope="session")
def sa_info() -> dict[str, Any]:
    return make_service_account_info(PROJECT)


@pytest.fixture(scope="session")
def emulator() -> Iterator[GcsEmulator]:
    emu = GcsEmulator("auto").start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="session")
def session_fake() -> Iterator[GcpFake]:
    fake = GcpFake(PROJECT).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake(session_fake: GcpFake) -> Iterator[GcpFake]:
    session_fake.reset()
    yield session_fake
    session_fake.reset()


@pytest.fixture
def plain_creds() -> CloudCredentials:
    """Credentials without a key: anonymous against the emulator and the fake."""
    return CloudCredentials(CloudProvider.GCP, region=REGION, project_id=PROJECT)


@pytest.fixture
def creds(sa_info: dict[str, Any]) -> CloudCredentials:
    return CloudCredentials(
        CloudProvider.GCP,
        region=REGION,
        project_id=PROJECT,
        metadata={"service_account_info": json.dumps(sa_info)},
    )


@pytest.fixture
def storage_options(emulator: GcsEmulator) -> GcpOptions:
    return GcpOptions(endpoint_url=emulator.url, retry=FAST, timeouts=Timeouts(5, 30))


@pytest.fixture
def storage(creds: CloudCredentials, storage_options: GcpOptions) -> Iterator[GCSStorageClient]:
    with GCSStorageClient(creds, storage_options) as client:
        yield client


@pytest.fixture
def bucket(storage: GCSStorageClient) -> str:
    name = f"cc-{uuid.uuid4().hex[:12]}"
    assert storage.create_bucket(name) is True
    return name


@pytest.fixture
def compute(fake: GcpFake, plain_creds: CloudCredentials) -> Iterator[GCEComputeClient]:
    with GCEComputeClient(plain_creds, endpoint_url=fake.url, retry=FAST) as client:
        yield client


@pytest.fixture
def audiences() -> list[str]:
    """The audiences the ``functions`` client asked ID tokens for."""
    return []


@pytest.fixture
def functions(
    fake: GcpFake, audiences: list[str], plain_creds: CloudCredentials
) -> Iterator[CloudFunctionsServerlessClient]:
    def token(audience: str) -> str:
        audiences.append(audience)
        return "test-id-token-for-" + audience.rsplit("/", 1)[-1]

    with CloudFunctionsServerlessClient(
        plain_creds, endpoint_url=fake.url, retry=FAST, id_token_provider=token
    ) as client:
        yield client

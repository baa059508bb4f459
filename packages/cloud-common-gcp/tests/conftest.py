"""Fixtures: one GCS emulator and one Compute/Functions fake per session, fresh names per test."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from cloud_common.core import CloudCredentials, RetryPolicy, Timeouts
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


def make_creds(**metadata: str) -> CloudCredentials:
    return CloudCredentials("gcp", region=REGION, project_id=PROJECT, metadata=dict(metadata))


@pytest.fixture
def creds(emulator: GcsEmulator, sa_info: dict[str, Any]) -> CloudCredentials:
    return make_creds(endpoint=emulator.url, service_account_info=json.dumps(sa_info))


@pytest.fixture
def storage(creds: CloudCredentials) -> Iterator[Any]:
    from cloud_common.gcp import GCSStorageClient

    client = GCSStorageClient(creds, retry_policy=FAST, timeouts=Timeouts(5, 30))
    yield client
    client.close()


@pytest.fixture
def bucket(storage: Any) -> str:
    name = f"cc-{uuid.uuid4().hex[:12]}"
    assert storage.create_bucket(name) is True
    return name


@pytest.fixture
def compute(fake: GcpFake) -> Iterator[Any]:
    from cloud_common.gcp import GCEComputeClient

    client = GCEComputeClient(make_creds(compute_endpoint=fake.url), retry_policy=FAST)
    yield client
    client.close()


@pytest.fixture
def functions(fake: GcpFake) -> Iterator[Any]:
    from cloud_common.gcp import CloudFunctionsServerlessClient

    tokens: list[str] = []

    def token(audience: str) -> str:
        tokens.append(audience)
        return "test-id-token-for-" + audience.rsplit("/", 1)[-1]

    client = CloudFunctionsServerlessClient(
        make_creds(functions_endpoint=fake.url), retry_policy=FAST, id_token_provider=token
    )
    client.audiences = tokens  # type: ignore[attr-defined]
    yield client
    client.close()

"""Fixtures: one MotoServer per session (reset after each test), clients built through the
registry as users get them, botocore's retry sleep recorded instead of slept."""

from __future__ import annotations

import os
import types
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from cloud_common.aws.testing import MotoServer
from cloud_common.contract_tests.faults import Blackhole
from cloud_common.core import (
    CloudCompute,
    CloudCredentials,
    CloudProvider,
    CloudServerless,
    CloudStorage,
    RetryPolicy,
    get_compute_client,
    get_serverless_client,
    get_storage_client,
)

# Never let real credentials or config leak into a test.
for _var in (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
):
    os.environ.pop(_var, None)
os.environ["AWS_ACCESS_KEY_ID"] = "env-access-key-id"
os.environ["AWS_SECRET_ACCESS_KEY"] = "env-secret-access-key"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

FAST = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.04, jitter=False, deadline=30)


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture
def server(moto: MotoServer) -> Iterator[MotoServer]:
    yield moto
    moto.reset()


@pytest.fixture
def creds(server: MotoServer) -> CloudCredentials:
    return server.credentials()


@pytest.fixture
def storage(creds: CloudCredentials) -> Iterator[CloudStorage]:
    with get_storage_client(creds, retry=FAST) as client:
        yield client


@pytest.fixture
def compute(creds: CloudCredentials) -> Iterator[CloudCompute]:
    with get_compute_client(creds, retry=FAST) as client:
        yield client


@pytest.fixture
def serverless(server: MotoServer) -> Iterator[CloudServerless]:
    creds = server.credentials(lambda_role_arn=server.create_lambda_role())
    with get_serverless_client(creds, retry=FAST, poll_interval=0.01) as client:
        yield client


@pytest.fixture
def raw_s3(server: MotoServer) -> Any:
    """A plain boto3 S3 client on the same server (for interop checks)."""
    return server.boto3_client("s3")


@pytest.fixture
def bucket(storage: CloudStorage) -> str:
    name = f"cc-{uuid.uuid4().hex[:16]}"
    assert storage.create_bucket(name) is True
    return name


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's retry backoffs, recorded instead of slept."""
    import botocore.endpoint

    recorded: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=recorded.append))
    return recorded


@pytest.fixture
def silent() -> Iterator[Blackhole]:
    """A 127.0.0.1 server that accepts every connection and never answers."""
    with Blackhole() as server:
        yield server


@pytest.fixture
def silent_creds(silent: Blackhole) -> CloudCredentials:
    """Credentials pointing every service at ``silent``."""
    return CloudCredentials(
        CloudProvider.AWS,
        access_key="AKIASILENT0000000000",
        secret_key="silent-secret-key-0000",
        region="us-east-1",
        metadata={"endpoint_url": silent.url, "lambda_role_arn": "arn:aws:iam::1:role/r"},
    )

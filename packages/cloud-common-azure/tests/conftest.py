"""Fixtures: the azure harness (Azurite + the Resource Manager fake) on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from cloud_common.azure.testing import AzureHarness, azurite_command
from cloud_common.core import (
    CloudCompute,
    CloudServerless,
    CloudStorage,
    get_compute_client,
    get_serverless_client,
    get_storage_client,
)


@pytest.fixture(scope="session")
def harness() -> Iterator[AzureHarness]:
    """Azurite and the Resource Manager fake, started once."""
    if azurite_command() is None:
        pytest.skip("Azurite is not installed: run `npm ci` in packages/cloud-common-azure/azurite")
    started = AzureHarness()
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def storage(harness: AzureHarness) -> Iterator[CloudStorage]:
    with get_storage_client(harness.credentials(), **harness.client_options("storage")) as client:
        yield client


@pytest.fixture
def compute(harness: AzureHarness) -> Iterator[CloudCompute]:
    with get_compute_client(harness.credentials(), **harness.client_options("compute")) as client:
        yield client


@pytest.fixture
def serverless(harness: AzureHarness) -> Iterator[CloudServerless]:
    options = harness.client_options("serverless")
    with get_serverless_client(harness.credentials(), **options) as client:
        yield client


@pytest.fixture
def container(storage: CloudStorage) -> Iterator[str]:
    """A new container, removed with its blobs afterwards."""
    name = f"t-{uuid.uuid4().hex[:16]}"
    assert storage.create_bucket(name) is True
    yield name
    for item in storage.list_objects(name):
        storage.delete_file(name, item.key)
    storage.delete_bucket(name)

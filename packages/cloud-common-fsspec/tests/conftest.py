"""Fixtures of the bridge's tests: each provider's contract-test harness (its emulator on
127.0.0.1), the storage_options that reach it, and a fresh bucket."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cloud_common.contract_tests import Harness
from cloud_common.core import get_provider
from cloud_common.fsspec import CloudFileSystem

FIRST_PARTY = ("local", "aws", "gcp")


def load_harness(provider: str) -> Harness:
    """The harness the provider declares (``ProviderInfo.harness``), not started."""
    target = get_provider(provider).harness
    assert target is not None, f"{provider} declares no harness"
    module, _, name = target.partition(":")
    harness: Harness = getattr(importlib.import_module(module), name)()
    return harness


def storage_options(harness: Harness) -> dict[str, Any]:
    """The storage_options a user would pass to reach the harness's emulator: the
    credentials' fields and the client options, all plain values."""
    creds = harness.credentials()
    options: dict[str, Any] = {"region": creds.region, "metadata": dict(creds.metadata)}
    for name in ("access_key", "secret_key", "project_id", "profile"):
        value = getattr(creds, name)
        if value is not None:
            options[name] = value
    options.update(harness.client_options("storage"))
    return options


@pytest.fixture(scope="session")
def harness_for() -> Iterator[Callable[[str], Harness]]:
    """Start a provider's harness on first use; stop them all at the end of the session."""
    started: dict[str, Harness] = {}

    def get(provider: str) -> Harness:
        if provider not in started:
            harness = load_harness(provider)
            harness.start()
            started[provider] = harness
        return started[provider]

    yield get
    for harness in started.values():
        harness.stop()


def new_bucket(fs: CloudFileSystem) -> str:
    """A fresh bucket made through the bridge."""
    name = f"ccfs-{uuid.uuid4().hex[:12]}"
    fs.mkdir(name)
    return name


@pytest.fixture(scope="session")
def options_for(harness_for: Callable[[str], Harness]) -> Callable[[str], dict[str, Any]]:
    """``options_for("aws")``: storage_options reaching that provider's running harness."""
    return lambda provider: storage_options(harness_for(provider))


@pytest.fixture(scope="session")
def make_bucket() -> Callable[[CloudFileSystem], str]:
    """``make_bucket(fs)``: a fresh bucket made through the bridge."""
    return new_bucket


@pytest.fixture(params=FIRST_PARTY)
def provider(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def options(provider: str, harness_for: Callable[[str], Harness]) -> dict[str, Any]:
    return storage_options(harness_for(provider))


@pytest.fixture
def fs(provider: str, options: dict[str, Any]) -> CloudFileSystem:
    return CloudFileSystem(provider, skip_instance_cache=True, **options)


@pytest.fixture
def bucket(fs: CloudFileSystem) -> Iterator[str]:
    name = new_bucket(fs)
    yield name
    fs.rm(name, recursive=True)

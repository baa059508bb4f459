"""Fixtures of the contract suite (registered only when a provider is named).

Clients come from the registry with the harness's credentials and options, like users get
them: ``CloudStorage``, ``CloudCompute``, ``CloudServerless`` (recording views of them, so the
session sees every call).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud_common.contract_tests._session import SESSION_KEY, ContractSession, in_suite
from cloud_common.contract_tests.harness import FunctionBundle, Harness
from cloud_common.core import (
    CloudCompute,
    CloudCredentials,
    CloudServerless,
    CloudStorage,
    ProviderInfo,
)

__all__ = [
    "bad_credentials",
    "bucket",
    "compute",
    "contract",
    "function_bundle",
    "function_name",
    "harness",
    "instance",
    "other_storage",
    "provider_info",
    "serverless",
    "storage",
    "unique",
]


@pytest.fixture(scope="session")
def contract(request: pytest.FixtureRequest) -> ContractSession:
    """The running contract session."""
    return request.config.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def harness(contract: ContractSession) -> Harness:
    """The provider's started harness."""
    return contract.harness


@pytest.fixture(scope="session")
def provider_info(contract: ContractSession) -> ProviderInfo:
    """The provider's ``ProviderInfo`` as the registry sees it."""
    return contract.info


@pytest.fixture(autouse=True)
def _contract_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each suite test: remove what it created, then fail on hidden violations."""
    if not in_suite(request.node.path):
        yield
        return
    yield
    session: ContractSession = request.config.stash[SESSION_KEY]
    problems = session.finish_test(request.node)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def unique(harness: Harness) -> Callable[[str], str]:
    """``unique("b")``: a name unique to this run, valid for buckets, instances, functions."""
    run = uuid.uuid4().hex[:4]

    def make(prefix: str = "cct") -> str:
        return harness.unique_name(f"{prefix}{run}")

    return make


@pytest.fixture
def storage(contract: ContractSession) -> CloudStorage:
    """The provider's storage client, as users get it."""
    return contract.client("storage")


@pytest.fixture
def compute(contract: ContractSession) -> CloudCompute:
    """The provider's compute client."""
    return contract.client("compute")


@pytest.fixture
def serverless(contract: ContractSession) -> CloudServerless:
    """The provider's serverless client."""
    return contract.client("serverless")


@pytest.fixture
def other_storage(contract: ContractSession) -> CloudStorage:
    """A storage client of a second account (skips when the harness has none)."""
    if contract.harness.other_credentials() is None:
        pytest.skip(
            "harness limitation: other_credentials() is None: the fake has a single account"
        )
    return contract.client("storage", "other")


@pytest.fixture
def bad_credentials(harness: Harness) -> CloudCredentials:
    """Credentials the provider must refuse (skips when the harness has none)."""
    creds = harness.bad_credentials()
    if creds is None:
        pytest.skip(
            "harness limitation: bad_credentials() is None: the fake does not check credentials"
        )
    return creds


@pytest.fixture
def bucket(storage: CloudStorage, unique: Callable[[str], str]) -> str:
    """A new, empty bucket (removed after the test)."""
    name = unique("cct")
    assert storage.create_bucket(name) is True
    return name


@pytest.fixture
def function_bundle(harness: Harness, tmp_path: Path) -> FunctionBundle:
    """The suite's function, written by the harness."""
    directory = tmp_path / "bundle"
    directory.mkdir()
    return harness.function_bundle(directory)


@pytest.fixture
def function_name(
    serverless: CloudServerless, function_bundle: FunctionBundle, unique: Callable[[str], str]
) -> str:
    """A deployed copy of the suite's function (deleted after the test)."""
    name = unique("fn")
    b = function_bundle
    serverless.create_function(name, b.runtime, b.handler, b.code_path)
    return name


@pytest.fixture
def instance(
    compute: CloudCompute, harness: Harness, unique: Callable[[str], str]
) -> dict[str, Any]:
    """A new instance (terminated after the test)."""
    instance_type, image_id = harness.instance_args()
    created: dict[str, Any] = compute.create_instance(unique("vm"), instance_type, image_id)
    return created

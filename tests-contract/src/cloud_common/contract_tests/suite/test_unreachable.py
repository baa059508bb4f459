"""An unreachable provider: list calls raise, they never return an empty list."""

from __future__ import annotations

from typing import Any

import pytest

from cloud_common.contract_tests._session import ContractSession, not_applicable_without_network
from cloud_common.contract_tests.checks import expect_error
from cloud_common.contract_tests.harness import Harness
from cloud_common.core import TransientError

CALLS = {
    "storage": ("list_buckets", ()),
    "compute": ("list_instances", ()),
    "serverless": ("list_functions", ()),
}


@pytest.mark.parametrize(
    "service",
    [pytest.param(s, marks=pytest.mark.capability(s)) for s in CALLS],
)
def test_a_list_call_to_an_unreachable_provider_raises(
    contract: ContractSession, harness: Harness, service: str
) -> None:
    not_applicable_without_network(harness, service)
    options = harness.unreachable_client_options(service)
    if options is None:
        pytest.skip("harness limitation: unreachable_client_options() is None")
    method, args = CALLS[service]

    def attempt() -> Any:
        client = contract.build(service, harness.credentials(), options)
        return getattr(client, method)(*args)

    expect_error(TransientError, attempt)

"""Network faults: an endpoint that never answers, and a reply lost after the server acted.

Both need ``Harness.fault_client_options`` (and ``fault_upstream_url`` for the second);
without them the tests skip as a counted harness limitation. A service whose client makes
no network call (``Harness.makes_network_calls``) has them reported as not applicable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud_common.contract_tests._session import ContractSession, not_applicable_without_network
from cloud_common.contract_tests.checks import expect_error
from cloud_common.contract_tests.faults import ActedThenResetProxy, Blackhole, Forwarded
from cloud_common.contract_tests.harness import FunctionBundle, Harness
from cloud_common.core import (
    CloudCompute,
    CloudError,
    CloudServerless,
    CloudStorage,
    RetryPolicy,
    TimeoutError,  # noqa: A004 - the core one
)

DEADLINE = 3.0
RETRY = RetryPolicy(deadline=DEADLINE, max_attempts=3, backoff_base=0.1, backoff_cap=0.5)
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


REPLAY_RETRY = RetryPolicy(deadline=60, max_attempts=3, backoff_base=0.1, backoff_cap=0.5)
"""Behind the proxy the fake really acts (an emulator's first call may be slow): the
deadline is not what those tests measure."""


def _options(
    harness: Harness, service: str, url: str, retry: RetryPolicy = RETRY
) -> dict[str, Any]:
    not_applicable_without_network(harness, service)
    options = harness.fault_client_options(service, url)
    if options is None:
        pytest.skip("harness limitation: fault_client_options() is None")
    return {**options, "retry": retry}


# -- an endpoint that accepts and never answers ------------------------------------------------

NEVER_ANSWERED: dict[str, tuple[str, Callable[[Any, Harness], Any]]] = {
    "storage-download": ("storage", lambda s, h: s.download_file("contract-silent", "k")),
    "storage-upload": ("storage", lambda s, h: s.upload_file("contract-silent", "k", b"x")),
    "storage-list-buckets": ("storage", lambda s, h: s.list_buckets()),
    "compute-list-instances": ("compute", lambda c, h: c.list_instances()),
    "compute-create-instance": (
        "compute",
        lambda c, h: c.create_instance("vm", *h.instance_args()),
    ),
    "serverless-invoke": ("serverless", lambda f, h: f.invoke_function("contract-fn", {})),
    "serverless-list-functions": ("serverless", lambda f, h: f.list_functions()),
}


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    with Blackhole() as hole:
        yield hole


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, id=case, marks=pytest.mark.capability(service))
        for case, (service, _) in NEVER_ANSWERED.items()
    ],
)
def test_a_call_to_an_endpoint_that_never_answers_times_out_within_the_deadline(
    contract: ContractSession, harness: Harness, blackhole: Blackhole, case: str
) -> None:
    service, call = NEVER_ANSWERED[case]
    client = contract.build(
        service, harness.credentials(), _options(harness, service, blackhole.url)
    )
    try:
        started = time.monotonic()
        err = expect_error(TimeoutError, lambda: call(client, harness))
        elapsed = time.monotonic() - started
    finally:
        client.close()
    assert blackhole.connections >= 1, (
        "the client never connected to the endpoint fault_client_options() named"
    )
    assert elapsed <= 1.5 * DEADLINE, (
        f"TimeoutError after {elapsed:.1f}s: the {DEADLINE:g}s deadline (RetryPolicy.deadline) "
        "was not kept"
    )
    assert "\n" not in str(err)


# -- the server acted, then the reply was lost: no replay ---------------------------------------


@pytest.fixture
def proxy(harness: Harness, request: pytest.FixtureRequest) -> Iterator[ActedThenResetProxy]:
    service = request.node.callspec.params["service"]
    not_applicable_without_network(harness, service)
    upstream = harness.fault_upstream_url(service)
    if upstream is None:
        pytest.skip("harness limitation: fault_upstream_url() is None")
    with ActedThenResetProxy(upstream) as running:
        yield running


def _replays(forwarded: list[Forwarded]) -> list[Forwarded]:
    """Requests that repeat (same method and path) the request whose reply was lost."""
    reset = [f for f in forwarded if f.reset]
    assert reset, "no request reached the fault: fault_client_options() does not route there"
    first = reset[0]
    later = forwarded[forwarded.index(first) + 1 :]
    return [f for f in later if (f.method, f.path) == (first.method, first.path)]


def _check_no_replay(
    proxy: ActedThenResetProxy, harness: Harness, operation: str, call: Callable[[], Any]
) -> None:
    proxy.clear()
    proxy.arm(1, MUTATING)
    try:
        call()
    except CloudError:
        pass  # the outcome is unknown to the caller: an error is the honest answer
    finally:
        proxy.disarm()
    replays = _replays(proxy.forwarded)
    if replays and not harness.idempotency_token_sent(operation):
        pytest.fail(
            f"{operation} was sent again after the service had acted on it "
            f"({len(replays) + 1} x {replays[0].method} {replays[0].path.split('?')[0]}), "
            "without an idempotency token",
            pytrace=False,
        )


@pytest.mark.capability("storage")
@pytest.mark.parametrize("service", ["storage"])
def test_an_upload_whose_reply_is_lost_is_not_replayed(
    contract: ContractSession,
    harness: Harness,
    proxy: ActedThenResetProxy,
    storage: CloudStorage,
    bucket: str,
    service: str,
) -> None:
    client = contract.build(
        service, harness.credentials(), _options(harness, service, proxy.url, REPLAY_RETRY)
    )
    assert isinstance(client, CloudStorage)
    try:
        _check_no_replay(
            proxy, harness, "upload", lambda: client.upload_file(bucket, "once.bin", b"once")
        )
    finally:
        client.close()
    assert storage.download_file(bucket, "once.bin") == b"once", "the service had acted"


@pytest.mark.capability("serverless")
@pytest.mark.parametrize("service", ["serverless"])
def test_an_invocation_whose_reply_is_lost_is_not_replayed(
    contract: ContractSession,
    harness: Harness,
    proxy: ActedThenResetProxy,
    function_name: str,
    service: str,
) -> None:
    client = contract.build(
        service, harness.credentials(), _options(harness, service, proxy.url, REPLAY_RETRY)
    )
    assert isinstance(client, CloudServerless)
    try:
        _check_no_replay(
            proxy, harness, "invoke", lambda: client.invoke_function(function_name, {"a": 1})
        )
    finally:
        client.close()


@pytest.mark.capability("serverless")
@pytest.mark.parametrize("service", ["serverless"])
def test_a_create_function_whose_reply_is_lost_is_not_replayed(
    contract: ContractSession,
    harness: Harness,
    proxy: ActedThenResetProxy,
    serverless: CloudServerless,
    function_bundle: FunctionBundle,
    unique: Callable[[str], str],
    service: str,
) -> None:
    client = contract.build(
        service, harness.credentials(), _options(harness, service, proxy.url, REPLAY_RETRY)
    )
    assert isinstance(client, CloudServerless)
    name, b = unique("fn"), function_bundle
    try:
        _check_no_replay(
            proxy,
            harness,
            "create_function",
            lambda: client.create_function(name, b.runtime, b.handler, str(Path(b.code_path))),
        )
    finally:
        client.close()
        contract.client("serverless", record=False).delete_function(name)


@pytest.mark.capability("compute")
@pytest.mark.parametrize("service", ["compute"])
def test_a_create_instance_whose_reply_is_lost_is_not_replayed(
    contract: ContractSession,
    harness: Harness,
    proxy: ActedThenResetProxy,
    unique: Callable[[str], str],
    service: str,
) -> None:
    client = contract.build(
        service, harness.credentials(), _options(harness, service, proxy.url, REPLAY_RETRY)
    )
    assert isinstance(client, CloudCompute)
    name = unique("vm")
    instance_type, image_id = harness.instance_args()
    try:
        _check_no_replay(
            proxy,
            harness,
            "create_instance",
            lambda: client.create_instance(name, instance_type, image_id),
        )
    finally:
        client.close()
        main = contract.client("compute", record=False)
        for vm in main.list_instances():
            if vm["name"] == name:
                main.terminate_instance(vm["id"])

"""Virtual machines on the Resource Manager fake: paging, long-running operations, states."""

from __future__ import annotations

import time
import uuid

import pytest

from cloud_common.azure._errors import translate
from cloud_common.azure.testing import AzureHarness
from cloud_common.core import (
    CloudCompute,
    ConflictError,
    InstanceState,
    RateLimitedError,
    RetryPolicy,
    TimeoutError,  # noqa: A004
    ValidationError,
    get_compute_client,
)

SIZE, IMAGE = "Standard_B1s", "Canonical:ubuntu-24_04-lts:server:latest"


def _name() -> str:
    return f"vm-{uuid.uuid4().hex[:10]}"


def test_list_follows_next_link_across_pages(compute: CloudCompute, harness: AzureHarness) -> None:
    names = [_name() for _ in range(5)]
    for name in names:
        compute.create_instance(name, SIZE, IMAGE)
    listed = {i["name"]: i for i in compute.list_instances()}
    assert set(names) <= set(listed), "every page of nextLink was read"
    assert harness.arm.page_size < len(listed)
    assert all(listed[n]["status"] == "running" for n in names)
    for name in names:
        assert compute.terminate_instance(name) is True
    assert not set(names) & {i["name"] for i in compute.list_instances()}


def test_create_waits_for_the_operation_and_reports_the_native_state(
    compute: CloudCompute, harness: AzureHarness
) -> None:
    name = _name()
    created = compute.create_instance(name, SIZE, IMAGE, tags={"team": "a"})
    assert created["status"] == InstanceState.RUNNING.value
    meta = created["metadata"]
    assert meta["native_state"] == "ProvisioningState/succeeded PowerState/running"
    assert (meta["vm_size"], meta["image"]) == (SIZE, IMAGE)
    assert created["tags"] == {"team": "a"}
    assert created["region"] == "eastus"
    polled = [p for m, p in harness.arm.requests if "/operations/" in p]
    assert polled, "the create was waited through Azure-AsyncOperation polling"
    compute.terminate_instance(name)


def test_power_off_mode_stops_without_deallocating(harness: AzureHarness) -> None:
    options = {**harness.client_options("compute"), "stop_mode": "power_off"}
    with get_compute_client(harness.credentials(), **options) as compute:
        name = _name()
        compute.create_instance(name, SIZE, IMAGE)
        assert compute.stop_instance(name) is True
        stopped = compute.get_instance(name)
        assert stopped["status"] == "stopped"
        assert stopped["metadata"]["power_state"] == "stopped"
        compute.terminate_instance(name)


def test_an_operation_past_the_deadline_raises_timeout(harness: AzureHarness) -> None:
    options = {
        **harness.client_options("compute"),
        "retry": RetryPolicy(max_attempts=1, deadline=0.5),
    }
    with get_compute_client(harness.credentials(), **options) as compute:
        name = _name()
        compute.create_instance(name, SIZE, IMAGE)
        harness.arm.operation_polls = 10_000  # the stop never completes
        try:
            with pytest.raises(TimeoutError, match="still running"):
                compute.stop_instance(name)
        finally:
            harness.arm.operation_polls = 1
        compute.terminate_instance(name)


def test_arm_error_bodies_become_core_errors(compute: CloudCompute, harness: AzureHarness) -> None:
    with pytest.raises(ValidationError, match="InvalidParameter: .*vmSize"):
        compute.create_instance(_name(), "m5.large", IMAGE)
    name = _name()
    compute.create_instance(name, SIZE, IMAGE)
    assert harness.hold_instance_state(name, "stopping")
    from azure.core.exceptions import ResourceExistsError

    with pytest.raises(ResourceExistsError) as raw:  # azure-core's class for any 409
        compute.driver.start_instance(name)
    assert isinstance(translate(raw.value), ConflictError), "the ARM code decides, not the class"
    assert compute.start_instance(name) is False
    compute.terminate_instance(name)


def test_bad_arguments_are_refused_before_any_call(harness: AzureHarness) -> None:
    options = {**harness.client_options("compute"), "subnet_id": None}
    with get_compute_client(harness.credentials(), **options) as compute:
        before = len(harness.arm.requests)
        with pytest.raises(ValidationError, match="image URN"):
            compute.create_instance(_name(), SIZE, "ubuntu")
        with pytest.raises(ValidationError, match="subnet_id"):
            compute.create_instance(_name(), SIZE, IMAGE)
        with pytest.raises(ValidationError, match="unknown keyword"):
            compute.create_instance(_name(), SIZE, IMAGE, key_name="x")
        assert len(harness.arm.requests) == before


def test_throttling_is_retried_after_retry_after(
    compute: CloudCompute, harness: AzureHarness
) -> None:
    harness.arm.inject(429, "TooManyRequests", retry_after=1)
    started = time.monotonic()
    assert isinstance(compute.list_instances(), list)
    assert time.monotonic() - started >= 0.9, "Retry-After: 1 was honoured"


def test_throttling_past_the_attempts_raises_rate_limited(harness: AzureHarness) -> None:
    options = {**harness.client_options("compute"), "retry": RetryPolicy(max_attempts=2)}
    with get_compute_client(harness.credentials(), **options) as compute:
        harness.arm.inject(429, "TooManyRequests", retry_after=0)
        harness.arm.inject(429, "TooManyRequests", retry_after=0)
        with pytest.raises(RateLimitedError):
            compute.list_instances()

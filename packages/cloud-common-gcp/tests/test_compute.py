"""Compute Engine against the stateful REST fake (operations, pagination, errors)."""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Iterable
from typing import cast

import pytest
from google.cloud import compute_v1

from cloud_common.core import (
    AlreadyExistsError,
    CloudCredentials,
    InstanceNotFoundError,
    InstanceState,
    PermissionDeniedError,
    RetryPolicy,
    TimeoutError,  # noqa: A004
    ValidationError,
)
from cloud_common.gcp import GCEComputeClient
from cloud_common.gcp._states import GCE_STATES, instance_state
from cloud_common.gcp.testing import GcpFake

ZONE = "us-central1-a"


def test_every_gce_status_is_mapped() -> None:
    statuses = cast(Iterable[enum.Enum], compute_v1.Instance.Status)  # a proto-plus enum
    native = {s.name for s in statuses} - {"UNDEFINED_STATUS"}
    assert native <= set(GCE_STATES), f"unmapped: {native - set(GCE_STATES)}"
    assert instance_state("TERMINATED") is InstanceState.STOPPED
    assert instance_state("SOMETHING_NEW") is InstanceState.UNKNOWN


@pytest.mark.parametrize("status", [*sorted(GCE_STATES), "SOMETHING_NEW"])
def test_status_reaches_the_caller_normalised(
    compute: GCEComputeClient, fake: GcpFake, status: str
) -> None:
    fake.add_instance(ZONE, "vm-s")
    fake.set_instance_status(ZONE, "vm-s", status)
    got = compute.get_instance(f"{ZONE}/vm-s")
    assert got["status"] == instance_state(status).value
    assert got["metadata"]["native_state"] == status
    assert [i["status"] for i in compute.list_instances()] == [got["status"]]


def test_create_instance_sends_a_real_insert_and_waits(
    compute: GCEComputeClient, fake: GcpFake
) -> None:
    fake.op_polls = 3
    got = compute.create_instance(
        "vm-1", "e2-small", "debian-cloud/debian-12", tags={"env": "test"},
        startup_script="echo hi", metadata={"k": "v"},
    )  # fmt: skip
    assert got["id"] == f"{ZONE}/vm-1"
    assert got["status"] == "running"
    assert got["tags"] == {"env": "test"}
    assert got["metadata"]["instance_type"] == "e2-small"
    assert got["metadata"]["image"] == "projects/debian-cloud/global/images/family/debian-12"
    assert got["metadata"]["private_ip"] and got["metadata"]["public_ip"]
    waits = [p for m, p in fake.requests if p.endswith("/wait")]
    assert len(waits) == 3, "polled the zone operation on the configured endpoint"
    stored = fake.instance(ZONE, "vm-1")
    assert stored is not None
    assert {i["key"]: i["value"] for i in stored["metadata"]["items"]} == {
        "k": "v",
        "startup-script": "echo hi",
    }
    with pytest.raises(AlreadyExistsError):
        compute.create_instance("vm-1", "e2-small", "debian-cloud/debian-12")


@pytest.mark.parametrize(
    ("name", "kwargs", "problem"),
    [
        ("Bad_Name", {}, "name"),
        ("vm-2", {"colour": "red"}, "colour"),
        ("vm-2", {"disk_size_gb": "big"}, "disk_size_gb"),
        ("vm-2", {"external_ip": 1}, "external_ip"),
        ("vm-2", {"tags": {"env": 1}}, "tags"),
    ],
)
def test_create_instance_checks_its_arguments_before_calling(
    compute: GCEComputeClient, fake: GcpFake, name: str, kwargs: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        compute.create_instance(name, "e2-small", "img", **kwargs)
    assert fake.requests == []


def test_an_image_that_does_not_exist_is_a_validation_error(compute: GCEComputeClient) -> None:
    with pytest.raises(ValidationError, match="does-not-exist"):
        compute.create_instance("vm-i", "e2-small", "debian-cloud/does-not-exist")


def test_a_failed_operation_raises_its_error(compute: GCEComputeClient) -> None:
    with pytest.raises(PermissionDeniedError, match="QUOTA_EXCEEDED"):
        compute.create_instance("vm-q", "quota-exceeded-16", "debian-cloud/debian-12")


def test_stop_start_wait_on_operations(compute: GCEComputeClient, fake: GcpFake) -> None:
    fake.add_instance(ZONE, "vm-1")
    assert compute.stop_instance(f"{ZONE}/vm-1") is True
    assert compute.get_instance("vm-1")["metadata"]["native_state"] == "TERMINATED"
    assert compute.stop_instance("vm-1") is True  # already stopped
    assert compute.start_instance("vm-1") is True
    assert compute.get_instance("vm-1")["status"] == "running"
    assert compute.start_instance("vm-1") is True  # already running
    verbs = [p.rsplit("/", 1)[-1] for m, p in fake.requests if m == "POST" and "/instances/" in p]
    assert verbs == ["stop", "start"]


def test_suspended_instances_are_resumed(compute: GCEComputeClient, fake: GcpFake) -> None:
    fake.add_instance(ZONE, "vm-1", status="SUSPENDED")
    assert compute.start_instance("vm-1") is True
    assert compute.get_instance("vm-1")["metadata"]["native_state"] == "RUNNING"


@pytest.mark.parametrize(
    ("status", "call"),
    [
        ("STOPPING", "start_instance"),
        ("SUSPENDING", "start_instance"),
        ("STAGING", "stop_instance"),
        ("PROVISIONING", "stop_instance"),
    ],
)
def test_transitions_that_cannot_happen_yet_are_false_with_one_warning(
    compute: GCEComputeClient,
    fake: GcpFake,
    caplog: pytest.LogCaptureFixture,
    status: str,
    call: str,
) -> None:
    fake.add_instance(ZONE, "vm-1", status=status)
    caplog.set_level(logging.WARNING)
    assert getattr(compute, call)("vm-1") is False
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert status in caplog.records[0].getMessage()


def test_deletion_protection_makes_terminate_false(
    compute: GCEComputeClient, fake: GcpFake, caplog: pytest.LogCaptureFixture
) -> None:
    fake.add_instance(ZONE, "vm-p")["deletionProtection"] = True
    caplog.set_level(logging.WARNING)
    assert compute.terminate_instance("vm-p") is False
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert fake.instance(ZONE, "vm-p") is not None


def test_unknown_ids(compute: GCEComputeClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    assert compute.start_instance("nope") is False
    assert compute.stop_instance(f"{ZONE}/nope") is False
    assert len(caplog.records) == 2
    assert compute.terminate_instance("nope") is True
    assert compute.terminate_instance("1234567") is True
    with pytest.raises(InstanceNotFoundError):
        compute.get_instance("nope")


def test_terminate_waits_and_the_instance_vanishes(
    compute: GCEComputeClient, fake: GcpFake
) -> None:
    fake.add_instance(ZONE, "vm-1")
    fake.op_polls = 2
    assert compute.terminate_instance(f"{ZONE}/vm-1") is True
    assert fake.instance(ZONE, "vm-1") is None
    assert compute.terminate_instance(f"{ZONE}/vm-1") is True
    gone = compute.wait_for_state(f"{ZONE}/vm-1", "terminated", 5)
    assert gone["status"] == "terminated"
    with pytest.raises(InstanceNotFoundError):
        compute.get_instance(f"{ZONE}/vm-1")


def test_waiting_for_terminated_ends_when_the_instance_vanishes(
    compute: GCEComputeClient, fake: GcpFake
) -> None:
    fake.add_instance(ZONE, "vm-1", status="STOPPING")
    deleted = threading.Timer(0.2, fake.compute.instances.pop, ((ZONE, "vm-1"),))
    deleted.start()
    try:
        got = compute.wait_for_state(f"{ZONE}/vm-1", "terminated", 5, poll_interval=0.05)
    finally:
        deleted.join()
    assert (got["id"], got["status"]) == (f"{ZONE}/vm-1", "terminated")


def test_instance_ids_in_every_form(compute: GCEComputeClient, fake: GcpFake) -> None:
    inst = fake.add_instance("europe-west1-b", "vm-eu")
    for iid in (
        "europe-west1-b/vm-eu",
        inst["selfLink"],
        "projects/cc-test/zones/europe-west1-b/instances/vm-eu",
        inst["id"],
    ):
        assert compute.get_instance(iid)["id"] == "europe-west1-b/vm-eu"
    with pytest.raises(ValidationError):
        compute.get_instance("Not An Id")


def test_list_instances_uses_aggregated_list_pages(
    plain_creds: CloudCredentials, fake: GcpFake
) -> None:
    compute = GCEComputeClient(plain_creds, endpoint_url=fake.url, page_size=2)
    for i in range(3):
        fake.add_instance(ZONE, f"vm-{i}")
    for i in range(2):
        fake.add_instance("europe-west1-b", f"eu-{i}")
    ids = sorted(i["id"] for i in compute.list_instances())
    assert ids == sorted(
        [f"{ZONE}/vm-{i}" for i in range(3)] + [f"europe-west1-b/eu-{i}" for i in range(2)]
    )
    pages = [p for m, p in fake.requests if p.endswith("/aggregated/instances")]
    assert len(pages) == 3


def test_an_operation_past_the_deadline_times_out(
    plain_creds: CloudCredentials, fake: GcpFake
) -> None:
    compute = GCEComputeClient(
        plain_creds, endpoint_url=fake.url, retry=RetryPolicy(deadline=0.3, backoff_base=0.001)
    )
    fake.add_instance(ZONE, "vm-1")
    fake.op_polls = 10**9
    with pytest.raises(TimeoutError):
        compute.stop_instance("vm-1")


def test_empty_project_lists_nothing(compute: GCEComputeClient) -> None:
    assert compute.list_instances() == []

"""ComputeClient: shapes, InstanceState values and every row of the bool table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloud_common.contract_tests._session import ContractSession
from cloud_common.contract_tests.checks import (
    assert_resource,
    expect_error,
    one_warning,
    wait_for_status,
)
from cloud_common.contract_tests.harness import Harness
from cloud_common.core import (
    AuthenticationError,
    Capability,
    CloudCompute,
    CloudCredentials,
    InstanceNotFoundError,
    PermissionDeniedError,
    ResourceType,
    ValidationError,
)

pytestmark = pytest.mark.capability("compute")

UNKNOWN_ID = "i-0000000000cc0000"


def _read(contract: ContractSession, instance_id: str) -> dict[str, Any] | None:
    """The instance as the provider reports it now (None: gone). Not a test call."""
    client = contract.client("compute", record=False)
    if contract.info.supports(Capability.GET_INSTANCE):
        try:
            found: dict[str, Any] = client.get_instance(instance_id)
        except InstanceNotFoundError:
            return None
        return found
    for item in client.list_instances():
        if item["id"] == instance_id:
            return item
    return None


def _wait(contract: ContractSession, instance_id: str, *states: str) -> dict[str, Any] | None:
    return wait_for_status(
        lambda: _read(contract, instance_id), set(states), contract.harness.state_timeout
    )


def test_create_instance_returns_a_compute_resource(
    compute: CloudCompute, harness: Harness, unique: Callable[[str], str], contract: ContractSession
) -> None:
    name = unique("vm")
    instance_type, image_id = harness.instance_args()
    created = compute.create_instance(name, instance_type, image_id)
    assert_resource(created, contract.provider_id, ResourceType.COMPUTE)
    assert created["name"] == name
    assert created["status"] in ("pending", "running")
    values = [str(v) for v in created["metadata"].values()]
    assert any(instance_type in v for v in values), "metadata names the instance type"


def test_list_instances_includes_the_new_instance(
    compute: CloudCompute, instance: dict[str, Any], contract: ContractSession
) -> None:
    listed = compute.list_instances()
    assert isinstance(listed, list)
    for item in listed:
        assert_resource(item, contract.provider_id, ResourceType.COMPUTE)
    assert instance["id"] in [i["id"] for i in listed]


def test_lifecycle_stop_start_terminate_and_each_twice(
    compute: CloudCompute, instance: dict[str, Any], contract: ContractSession
) -> None:
    iid = instance["id"]
    _wait(contract, iid, "running")
    assert compute.start_instance(iid) is True, "already running: the state holds"
    assert compute.stop_instance(iid) is True
    _wait(contract, iid, "stopped")
    assert compute.stop_instance(iid) is True, "already stopped: the state holds"
    assert compute.start_instance(iid) is True
    _wait(contract, iid, "running")
    assert compute.terminate_instance(iid) is True
    _wait(contract, iid, "terminating", "terminated", "gone")
    assert compute.terminate_instance(iid) is True, "already terminated: the state holds"


def test_start_and_stop_of_a_terminated_instance_are_false_with_one_warning(
    compute: CloudCompute,
    instance: dict[str, Any],
    contract: ContractSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    iid = instance["id"]
    assert compute.terminate_instance(iid) is True
    _wait(contract, iid, "terminated", "gone")
    with one_warning(caplog):
        assert compute.start_instance(iid) is False
    with one_warning(caplog):
        assert compute.stop_instance(iid) is False


def test_unknown_id_start_and_stop_are_false_terminate_is_true(
    compute: CloudCompute, caplog: pytest.LogCaptureFixture
) -> None:
    with one_warning(caplog):
        assert compute.start_instance(UNKNOWN_ID) is False
    with one_warning(caplog):
        assert compute.stop_instance(UNKNOWN_ID) is False
    assert compute.terminate_instance(UNKNOWN_ID) is True, "an id it cannot find is gone"


def test_start_while_stopping_is_false(
    compute: CloudCompute,
    instance: dict[str, Any],
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not harness.hold_instance_state(instance["id"], "stopping"):
        pytest.skip("harness limitation: hold_instance_state() cannot hold 'stopping'")
    with one_warning(caplog):
        assert compute.start_instance(instance["id"]) is False
    assert compute.stop_instance(instance["id"]) is True, "stopping: the stop holds"


def test_stop_while_pending_is_false(
    compute: CloudCompute,
    instance: dict[str, Any],
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not harness.hold_instance_state(instance["id"], "pending"):
        pytest.skip("harness limitation: hold_instance_state() cannot hold 'pending'")
    with one_warning(caplog):
        assert compute.stop_instance(instance["id"]) is False
    assert compute.start_instance(instance["id"]) is True, "pending: the start holds"


@pytest.mark.parametrize("call", ["start_instance", "stop_instance", "terminate_instance"])
@pytest.mark.parametrize("bad_id", ["", "   ", None, 42])
def test_invalid_ids_raise_validation_error(compute: CloudCompute, call: str, bad_id: Any) -> None:
    expect_error(ValidationError, lambda: getattr(compute, call)(bad_id))


@pytest.mark.parametrize("arg", [0, 1, 2])
def test_create_instance_with_empty_arguments_raises_validation_error(
    compute: CloudCompute, harness: Harness, arg: int
) -> None:
    args = ["name", *harness.instance_args()]
    args[arg] = ""
    expect_error(ValidationError, lambda: compute.create_instance(*args))


@pytest.mark.capability("compute.get_instance")
def test_get_instance_returns_the_same_shape(
    compute: CloudCompute, instance: dict[str, Any], contract: ContractSession
) -> None:
    got = compute.get_instance(instance["id"])
    assert_resource(got, contract.provider_id, ResourceType.COMPUTE)
    assert (got["id"], got["name"]) == (instance["id"], instance["name"])
    expect_error(InstanceNotFoundError, lambda: compute.get_instance(UNKNOWN_ID))


@pytest.mark.capability("compute.wait_for_state")
def test_wait_for_state_returns_the_instance_in_that_state(
    compute: CloudCompute, instance: dict[str, Any], harness: Harness
) -> None:
    iid = instance["id"]
    assert (
        compute.wait_for_state(iid, "running", harness.state_timeout, poll_interval=0.2)["status"]
        == "running"
    )
    assert compute.stop_instance(iid) is True
    stopped = compute.wait_for_state(iid, "stopped", harness.state_timeout, poll_interval=0.2)
    assert stopped["status"] == "stopped"
    expect_error(ValidationError, lambda: compute.wait_for_state(iid, "sleeping", 1))


@pytest.mark.parametrize(
    "call",
    ["list_instances", "start", "stop", "terminate", "terminate-unknown", "create_instance"],
)
def test_bad_credentials_raise_an_auth_error(
    contract: ContractSession,
    harness: Harness,
    bad_credentials: CloudCredentials,
    instance: dict[str, Any],
    unique: Callable[[str], str],
    call: str,
) -> None:
    iid = instance["id"]
    calls: dict[str, Callable[[CloudCompute], Any]] = {
        "list_instances": lambda c: c.list_instances(),
        "start": lambda c: c.start_instance(iid),
        "stop": lambda c: c.stop_instance(iid),
        "terminate": lambda c: c.terminate_instance(iid),
        "terminate-unknown": lambda c: c.terminate_instance(UNKNOWN_ID),
        "create_instance": lambda c: c.create_instance(unique("vm"), *harness.instance_args()),
    }

    def attempt() -> Any:
        client = contract.build("compute", bad_credentials, harness.bad_client_options("compute"))
        return calls[call](client)

    expect_error((AuthenticationError, PermissionDeniedError), attempt)
    _wait(contract, iid, "pending", "running")  # a refused call changes nothing

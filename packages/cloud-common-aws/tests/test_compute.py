"""EC2ComputeClient against moto (server mode, so held states and faults work)."""

from __future__ import annotations

import base64
import logging

import botocore.session
import pytest

from cloud_common.aws._compute import EC2_STATES, instance_state
from cloud_common.aws.testing import MotoServer
from cloud_common.core import (
    CloudCompute,
    InstanceNotFoundError,
    InstanceState,
    TimeoutError,  # noqa: A004
    ValidationError,
)

AMI = "ami-12345678"


def test_every_ec2_state_of_the_api_model_is_mapped() -> None:
    model = botocore.session.get_session().get_service_model("ec2")
    native_states = model.shape_for("InstanceStateName").enum
    assert sorted(native_states) == sorted(EC2_STATES)
    expected = {
        "pending": InstanceState.PENDING,
        "running": InstanceState.RUNNING,
        "stopping": InstanceState.STOPPING,
        "stopped": InstanceState.STOPPED,
        "shutting-down": InstanceState.TERMINATING,
        "terminated": InstanceState.TERMINATED,
    }
    assert {state: instance_state(state) for state in native_states} == expected
    assert instance_state("rebooting-someday") is InstanceState.UNKNOWN


def test_create_instance_passes_every_option(server: MotoServer, compute: CloudCompute) -> None:
    ec2 = server.boto3_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    ec2.create_key_pair(KeyName="kp")
    created = compute.create_instance(
        "web-1",
        "t3.micro",
        AMI,
        tags={"team": "blue"},
        key_name="kp",
        security_group_ids=[group],
        subnet_id=subnet,
        user_data="#!/bin/sh\necho hi\n",
    )
    assert created["name"] == "web-1"
    assert created["resource_type"] == "compute"
    assert created["provider"] == "aws"
    assert created["tags"] == {"Name": "web-1", "team": "blue"}
    assert created["status"] in ("pending", "running")
    meta = created["metadata"]
    assert meta["native_state"] in ("pending", "running")
    assert (meta["instance_type"], meta["image_id"], meta["key_name"]) == ("t3.micro", AMI, "kp")
    assert meta["subnet_id"] == subnet
    assert meta["security_group_ids"] == [group]
    attribute = ec2.describe_instance_attribute(InstanceId=created["id"], Attribute="userData")
    assert base64.b64decode(attribute["UserData"]["Value"]) == b"#!/bin/sh\necho hi\n"


def test_unknown_create_arguments_are_refused_before_any_request(
    server: MotoServer, compute: CloudCompute
) -> None:
    before = len(server.faults.requests)
    with pytest.raises(ValidationError, match="colour"):
        compute.create_instance("x", "t3.micro", AMI, colour="red")
    with pytest.raises(ValidationError, match="tags"):
        compute.create_instance("x", "t3.micro", AMI, tags=["a"])
    assert len(server.faults.requests) == before


def test_lifecycle_and_idempotence(compute: CloudCompute) -> None:
    instance = compute.create_instance("life", "t3.micro", AMI)
    iid = instance["id"]
    assert compute.wait_for_state(iid, "running", 5, poll_interval=0.01)["status"] == "running"
    assert compute.start_instance(iid) is True  # already running
    assert compute.stop_instance(iid) is True
    assert compute.get_instance(iid)["status"] == "stopped"
    assert compute.stop_instance(iid) is True  # already stopped
    assert compute.start_instance(iid) is True
    assert compute.terminate_instance(iid) is True
    assert compute.terminate_instance(iid) is True
    gone = compute.get_instance(iid)
    assert (gone["status"], gone["metadata"]["native_state"]) == ("terminated", "terminated")
    assert any(i["id"] == iid for i in compute.list_instances())


def test_start_of_a_terminated_instance_is_false_with_a_warning(
    compute: CloudCompute, caplog: pytest.LogCaptureFixture
) -> None:
    iid = compute.create_instance("t", "t3.micro", AMI)["id"]
    compute.terminate_instance(iid)
    caplog.set_level(logging.WARNING)
    assert compute.start_instance(iid) is False  # moto itself would restart it
    assert compute.stop_instance(iid) is False
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    assert compute.get_instance(iid)["status"] == "terminated"


def test_start_while_stopping_and_stop_while_pending_are_false(
    server: MotoServer, compute: CloudCompute
) -> None:
    iid = compute.create_instance("held", "t3.micro", AMI)["id"]
    assert server.hold_instance_state(iid, "pending")
    assert compute.stop_instance(iid) is False
    assert compute.start_instance(iid) is True
    assert server.hold_instance_state(iid, "stopping")
    assert compute.start_instance(iid) is False
    assert compute.stop_instance(iid) is True
    assert compute.get_instance(iid)["status"] == "stopping"


@pytest.mark.parametrize("instance_id", ["i-0123456789abcdef0", "does-not-exist"])
def test_unknown_ids(
    compute: CloudCompute, instance_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert compute.terminate_instance(instance_id) is True
    assert compute.start_instance(instance_id) is False
    assert compute.stop_instance(instance_id) is False
    with pytest.raises(InstanceNotFoundError):
        compute.get_instance(instance_id)


def test_termination_protection_is_false_with_a_warning(
    server: MotoServer, compute: CloudCompute, caplog: pytest.LogCaptureFixture
) -> None:
    iid = compute.create_instance("protected", "t3.micro", AMI)["id"]
    body = (
        b"<Response><Errors><Error><Code>OperationNotPermitted</Code><Message>The instance "
        b"may not be terminated. Modify its 'disableApiTermination' instance attribute and "
        b"try again.</Message></Error></Errors><RequestID>r</RequestID></Response>"
    )
    server.faults.add(action="TerminateInstances", status=400, body=body)
    caplog.set_level(logging.WARNING)
    assert compute.terminate_instance(iid) is False
    assert "OperationNotPermitted" in caplog.records[-1].getMessage()
    assert compute.get_instance(iid)["status"] != "terminated"


def test_wait_for_state_times_out(server: MotoServer, compute: CloudCompute) -> None:
    iid = compute.create_instance("slow", "t3.micro", AMI)["id"]
    server.hold_instance_state(iid, "pending")
    with pytest.raises(TimeoutError, match="pending"):
        compute.wait_for_state(iid, InstanceState.RUNNING, 0.2, poll_interval=0.05)


def test_wait_for_terminated_returns_the_terminated_instance(compute: CloudCompute) -> None:
    iid = compute.create_instance("doomed", "t3.micro", AMI)["id"]
    assert compute.terminate_instance(iid) is True
    done = compute.wait_for_state(iid, "terminated", 1, poll_interval=0.05)
    assert (done["id"], done["status"]) == (iid, "terminated")


def test_waiting_on_an_unknown_instance_is_instance_not_found(compute: CloudCompute) -> None:
    with pytest.raises(InstanceNotFoundError):
        compute.wait_for_state("i-0123456789abcdef0", "running", 1, poll_interval=0.05)
    # an instance that is gone counts as terminated
    gone = compute.wait_for_state("i-0123456789abcdef0", "terminated", 1, poll_interval=0.05)
    assert (gone["id"], gone["status"]) == ("i-0123456789abcdef0", "terminated")


def test_list_instances_is_empty_without_instances(compute: CloudCompute) -> None:
    assert compute.list_instances() == []

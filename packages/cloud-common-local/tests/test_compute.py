"""The simulated fleet: EC2's lifecycle rules, the catalogue, persistence across processes."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from cloud_common.core import (
    CloudCompute,
    CloudCredentials,
    InstanceNotFoundError,
    InstanceState,
    ValidationError,
    get_compute_client,
)
from cloud_common.local import IMAGES, INSTANCE_TYPES, NATIVE_STATES, LocalComputeClient

TYPE, IMAGE = "local.small", "img-ubuntu-24.04"


def status(compute: CloudCompute, instance_id: str) -> str:
    return str(compute.get_instance(instance_id)["status"])


@pytest.fixture
def sticky(creds: CloudCredentials) -> CloudCompute:
    """Transitional states last an hour: every rule about them is observable."""
    return get_compute_client(creds, transition_seconds=3600)


def test_every_native_state_is_mapped() -> None:
    assert set(NATIVE_STATES) == {
        "pending", "running", "stopping", "stopped", "shutting-down", "terminated",
    }  # fmt: skip
    assert {s.value for s in NATIVE_STATES.values()} == {
        s.value for s in InstanceState if s is not InstanceState.UNKNOWN
    }


def test_lifecycle(compute: CloudCompute) -> None:
    created = compute.create_instance("web", TYPE, IMAGE, tags={"env": "test"})
    iid = created["id"]
    assert iid.startswith("i-")
    assert (created["status"], created["metadata"]["native_state"]) == ("pending", "pending")
    assert created["resource_type"] == "compute" and created["provider"] == "local"
    assert created["tags"] == {"env": "test"}
    assert created["metadata"]["instance_type"] == TYPE and created["metadata"]["image_id"] == IMAGE
    assert status(compute, iid) == "running"  # settles on the next read
    assert compute.stop_instance(iid) is True
    assert compute.stop_instance(iid) is True
    assert status(compute, iid) == "stopped"
    assert compute.start_instance(iid) is True
    assert compute.wait_for_state(iid, InstanceState.RUNNING, timeout=5)["status"] == "running"
    assert compute.start_instance(iid) is True  # already running
    assert compute.terminate_instance(iid) is True
    assert compute.get_instance(iid)["metadata"]["native_state"] == "terminated"
    assert compute.terminate_instance(iid) is True
    assert [i["id"] for i in compute.list_instances()] == [iid]
    json.dumps(compute.list_instances())


def test_rules_of_transitional_states(
    sticky: CloudCompute, caplog: pytest.LogCaptureFixture
) -> None:
    iid = sticky.create_instance("vm", TYPE, IMAGE)["id"]
    caplog.clear()
    assert sticky.stop_instance(iid) is False  # pending: cannot stop yet
    assert [r.levelno for r in caplog.records if r.levelno >= logging.WARNING] == [logging.WARNING]
    assert sticky.start_instance(iid) is True  # pending counts as started
    assert status(sticky, iid) == "pending"


def test_rules_with_settled_states(
    creds: CloudCredentials, compute: CloudCompute, root: Path
) -> None:
    iid = compute.create_instance("vm", TYPE, IMAGE)["id"]
    compute.stop_instance(iid)  # running -> stopping
    sticky = get_compute_client(creds, transition_seconds=3600)
    assert status(sticky, iid) == "stopping"
    assert sticky.start_instance(iid) is False  # stopping: cannot start yet
    assert sticky.stop_instance(iid) is True
    assert sticky.terminate_instance(iid) is True
    assert status(sticky, iid) == "terminating"
    assert sticky.get_instance(iid)["metadata"]["native_state"] == "shutting-down"
    assert sticky.start_instance(iid) is False
    assert sticky.stop_instance(iid) is False
    assert status(compute, iid) == "terminated"
    assert compute.start_instance(iid) is False
    assert compute.stop_instance(iid) is False


def test_unknown_ids(compute: CloudCompute, caplog: pytest.LogCaptureFixture) -> None:
    caplog.clear()
    assert compute.start_instance("i-00000000000000000") is False
    assert compute.stop_instance("i-00000000000000000") is False
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    assert compute.terminate_instance("i-00000000000000000") is True
    with pytest.raises(InstanceNotFoundError):
        compute.get_instance("i-00000000000000000")


def test_catalogue_is_checked(compute: CloudCompute) -> None:
    with pytest.raises(ValidationError, match="local.small"):
        compute.create_instance("vm", "t3.micro", IMAGE)
    with pytest.raises(ValidationError, match="img-debian-12"):
        compute.create_instance("vm", TYPE, "ami-12345678")
    with pytest.raises(ValidationError, match="unknown keyword"):
        compute.create_instance("vm", TYPE, IMAGE, colour="red")
    assert compute.list_instances() == []
    for type_ in INSTANCE_TYPES:
        for image in IMAGES:
            assert compute.create_instance("ok", type_, image)["status"] == "pending"


def test_terminated_instances_are_forgotten_after_retention(creds: CloudCredentials) -> None:
    compute = get_compute_client(creds, terminated_retention=0)
    iid = compute.create_instance("vm", TYPE, IMAGE)["id"]
    compute.terminate_instance(iid)
    assert status(compute, iid) == "terminated"
    assert compute.list_instances() == []


def test_state_survives_a_new_process(root: Path, compute: CloudCompute, run_python: Any) -> None:
    iid = compute.create_instance("persist", TYPE, IMAGE)["id"]
    compute.stop_instance(iid)
    done = run_python(
        """
        import sys, json
        from cloud_common.local import LocalComputeClient
        client = LocalComputeClient(root=sys.argv[1])
        print(json.dumps(client.get_instance(sys.argv[2])))
        created = client.create_instance("from-child", "local.nano", "img-debian-12")
        print(created["id"])
        """,
        str(root),
        iid,
    )
    assert done.returncode == 0, done.stderr
    seen, child_id = done.stdout.splitlines()
    assert json.loads(seen)["status"] == "stopped"
    fresh = LocalComputeClient(root=root)
    assert fresh.get_instance(child_id)["name"] == "from-child"
    assert {i["id"] for i in fresh.list_instances()} == {iid, child_id}


def test_concurrent_processes(root: Path, compute: CloudCompute) -> None:
    import subprocess
    import sys

    script = """
import sys
from cloud_common.local import LocalComputeClient
client = LocalComputeClient(root=sys.argv[1])
ids = [client.create_instance(f"p{sys.argv[2]}-{n}", "local.micro", "img-alpine-3.20")["id"] for n in range(15)]
for iid in ids:
    assert client.stop_instance(iid), iid
    assert client.start_instance(iid), iid
print(len(ids))
"""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(root), str(n)], stdout=subprocess.PIPE, text=True
        )
        for n in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4
    assert outputs == ["15\n"] * 4
    instances = compute.list_instances()
    assert len(instances) == 60 and len({i["id"] for i in instances}) == 60
    assert {i["status"] for i in instances} == {"running"}

"""Every call bounded by one deadline across botocore's attempts (backoff included), and
no replay of a call AWS may already have acted on: against a socket that accepts and never
answers, and moto behind faults that reset the connection before or after moto acted."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cloud_common.aws.testing import MotoServer
from cloud_common.contract_tests.faults import Blackhole
from cloud_common.core import (
    CloudCredentials,
    CloudServerless,
    CloudStorage,
    ProviderUnavailableError,
    RetryPolicy,
    TimeoutError,  # noqa: A004
    Timeouts,
    get_compute_client,
    get_serverless_client,
    get_storage_client,
    set_defaults,
)

QUICK = RetryPolicy(max_attempts=10, backoff_base=0.01, backoff_cap=0.01, deadline=1.5)


def test_a_never_answering_endpoint_ends_at_the_deadline_with_the_last_attempt_cut_short(
    silent: Blackhole, silent_creds: CloudCredentials
) -> None:
    client = get_storage_client(silent_creds, retry=QUICK, timeouts=Timeouts(read=1.0))
    client.native  # noqa: B018 - build the boto3 client before the clock starts
    started = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        client.list_buckets()
    took = time.monotonic() - started
    assert 1.4 < took < 2.2  # one deadline, not 10 attempts x 1 s
    assert silent.connections == 2  # the second attempt got the 0.5 s left
    assert "1.5 s deadline" in str(info.value)
    assert "\n" not in str(info.value)


def test_an_upload_ends_at_the_deadline_though_s3_first_waits_for_100_continue(
    silent: Blackhole, silent_creds: CloudCredentials
) -> None:
    client = get_storage_client(silent_creds, retry=RetryPolicy(deadline=1.5))
    client.native  # noqa: B018 - build the boto3 client before the clock starts
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.upload_file("cc-silent", "k", b"x")  # never replayed: one attempt
    assert 1.4 < time.monotonic() - started < 2.2
    assert silent.connections == 1


def test_process_wide_defaults_bound_a_client_built_without_options(
    silent: Blackhole, silent_creds: CloudCredentials
) -> None:
    set_defaults(retry=RetryPolicy(deadline=1.0), timeouts=Timeouts(read=5.0))
    try:
        client = get_storage_client(silent_creds)
    finally:
        set_defaults()
    client.native  # noqa: B018 - build the boto3 client before the clock starts
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.create_bucket("cc-never-answered")
    assert time.monotonic() - started < 1.6


def test_an_invocation_is_sent_once_and_its_timeout_replaces_the_deadline(
    silent: Blackhole, silent_creds: CloudCredentials
) -> None:
    client = get_serverless_client(silent_creds, retry=QUICK, timeouts=Timeouts(read=0.3))
    client.native  # noqa: B018 - build the boto3 client before the clock starts
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="0.8 s deadline"):
        client.invoke_function("fn", {}, timeout=0.8)
    took = time.monotonic() - started
    assert 0.7 < took < 1.4  # the read waits for the call's timeout, not Timeouts.read
    assert silent.connections == 1  # a sent Invoke is never replayed


def test_backoff_counts_against_the_deadline(server: MotoServer, bucket: str) -> None:
    slow = RetryPolicy(max_attempts=10, backoff_base=0.4, backoff_cap=0.4, jitter=False)
    policy = RetryPolicy(**{**slow.__dict__, "deadline": 1.0})
    server.faults.add(method="GET", path=f"^/{bucket}/k$", status=503, times=99)
    with get_storage_client(server.credentials(), retry=policy) as s3:
        started = time.monotonic()
        with pytest.raises(TimeoutError) as info:
            s3.download_file(bucket, "k")
    assert time.monotonic() - started < 1.2
    assert server.faults.count("GET", f"^/{bucket}/k$") == 3  # 0 s, 0.4 s, 0.8 s
    assert str(info.value).endswith(
        "1 s deadline (RetryPolicy.deadline); the last attempt failed with SlowDown (HTTP 503)"
    )


@pytest.fixture
def counting_function(serverless: CloudServerless, tmp_path: Path) -> Path:
    """A function that appends a line to ``event["path"]`` each time it runs."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "count.py").write_text(
        "def handler(event, context):\n"
        "    with open(event['path'], 'a') as f:\n"
        "        f.write('ran\\n')\n"
        "    return {'ok': True}\n"
    )
    serverless.create_function("counter", "python3.12", "count.handler", str(code))
    return tmp_path / "runs.log"


def test_an_invocation_that_ran_is_not_replayed_after_a_reset(
    server: MotoServer, serverless: CloudServerless, counting_function: Path
) -> None:
    path = "/invocations$"
    server.faults.add(method="POST", path=path, reset=True, after=True)
    with pytest.raises(ProviderUnavailableError):
        serverless.invoke_function("counter", {"path": str(counting_function)})
    assert counting_function.read_text() == "ran\n"
    assert server.faults.count("POST", path) == 1


def test_an_invocation_refused_before_running_is_retried(
    server: MotoServer, serverless: CloudServerless, counting_function: Path
) -> None:
    server.faults.add(
        method="POST", path="/invocations$", status=429, code="TooManyRequestsException"
    )
    assert serverless.invoke_function("counter", {"path": str(counting_function)}) == {"ok": True}
    assert counting_function.read_text() == "ran\n"
    assert server.faults.count("POST", "/invocations$") == 2


def test_a_create_function_that_took_effect_is_not_replayed(
    server: MotoServer, serverless: CloudServerless, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return event\n")
    server.faults.add(method="POST", path="/functions$", reset=True, after=True)
    with pytest.raises(ProviderUnavailableError):  # not AlreadyExistsError from a replay
        serverless.create_function("made", "python3.12", "app.handler", str(tmp_path))
    assert server.faults.count("POST", "/functions$") == 1
    assert serverless.get_function("made")["name"] == "made"


def test_a_launch_whose_answer_was_lost_is_retried_with_the_same_client_token(
    server: MotoServer, creds: CloudCredentials
) -> None:
    server.faults.add(action="RunInstances", reset=True, after=True)
    with get_compute_client(creds, retry=RetryPolicy(backoff_base=0.01, backoff_cap=0.01)) as ec2:
        launched = ec2.create_instance("one", "t3.micro", "ami-12345678")
        assert [i["id"] for i in ec2.list_instances()] == [launched["id"]]
    tokens = server.faults.form_values("RunInstances", "ClientToken")
    assert len(tokens) == 2
    assert tokens[0] == tokens[1] != ""


def test_a_reset_fault_closes_the_connection_without_any_response(server: MotoServer) -> None:
    import http.client

    server.faults.add(method="GET", path="^/$", reset=True)
    host, port = server.endpoint.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/")
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        conn.getresponse()
    conn.close()


def test_an_upload_whose_answer_was_lost_is_not_replayed(
    server: MotoServer, storage: CloudStorage, bucket: str
) -> None:
    path = f"^/{bucket}/once$"
    server.faults.add(method="PUT", path=path, reset=True, after=True)
    with pytest.raises(ProviderUnavailableError):
        storage.upload_file(bucket, "once", b"once")
    assert server.faults.count("PUT", path) == 1
    assert storage.download_file(bucket, "once") == b"once"  # moto had stored it

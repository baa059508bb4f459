"""Every call bounded by one deadline; no replay once Google may have acted; one client
shared by threads."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cloud_common.contract_tests.faults import ActedThenResetProxy, Blackhole
from cloud_common.core import (
    CloudCredentials,
    CloudStorage,
    ProviderUnavailableError,
    RetryPolicy,
    TimeoutError,  # noqa: A004
    get_compute_client,
    get_serverless_client,
    get_storage_client,
    set_defaults,
)
from cloud_common.gcp.testing import GcpFake, GcsEmulator

DEADLINE = 1.5
ACTED = f"acted-{uuid.uuid4().hex[:8]}"
REPLAYED = f"replayed-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    with Blackhole() as hole:
        yield hole


def _timed(call: Callable[[], Any]) -> tuple[TimeoutError, float]:
    start = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        call()
    return info.value, time.monotonic() - start


@pytest.mark.parametrize(
    ("service", "call"),
    [
        ("storage", lambda c: c.list_buckets()),
        ("storage", lambda c: c.download_file("bucket-1", "k")),
        ("storage", lambda c: list(c.list_objects("bucket-1"))),
        ("compute", lambda c: c.list_instances()),
        ("serverless", lambda c: c.list_functions()),
    ],
)
def test_a_never_answering_endpoint_ends_within_the_deadline(
    blackhole: Blackhole, plain_creds: CloudCredentials, service: str, call: Any
) -> None:
    build = {
        "storage": get_storage_client,
        "compute": get_compute_client,
        "serverless": get_serverless_client,
    }[service]
    client = build(plain_creds, endpoint_url=blackhole.url, retry=RetryPolicy(deadline=DEADLINE))
    err, took = _timed(lambda: call(client))
    assert DEADLINE * 0.9 <= took <= DEADLINE * 1.5
    assert str(err).count("\n") == 0
    assert "1.5 s deadline (RetryPolicy.deadline)" in str(err)
    assert blackhole.connections >= 1


def test_the_process_wide_default_deadline_applies(
    blackhole: Blackhole, plain_creds: CloudCredentials
) -> None:
    set_defaults(retry=RetryPolicy(deadline=1.0))
    try:
        client = get_storage_client(plain_creds, endpoint_url=blackhole.url)
    finally:
        set_defaults()
    _, took = _timed(client.list_buckets)
    assert took <= 1.5


def test_an_invocation_timeout_bounds_the_whole_call(
    blackhole: Blackhole, plain_creds: CloudCredentials
) -> None:
    client = get_serverless_client(plain_creds, endpoint_url=blackhole.url)
    err, took = _timed(lambda: client.invoke_function("fn", {}, timeout=1.0))
    assert took <= 1.5
    assert "the invocation's timeout" in str(err)


def test_an_upload_that_reached_cloud_storage_is_not_replayed(
    emulator: GcsEmulator, plain_creds: CloudCredentials
) -> None:
    direct = get_storage_client(plain_creds, endpoint_url=emulator.url)
    direct.create_bucket(ACTED)
    with ActedThenResetProxy(emulator.url) as proxy:
        client = get_storage_client(plain_creds, endpoint_url=proxy.url)
        proxy.arm(1, frozenset({"POST"}))
        with pytest.raises(ProviderUnavailableError, match="reset"):
            client.upload_file(ACTED, "k", b"once")
        posts = [f for f in proxy.forwarded if f.method == "POST"]
        assert len(posts) == 1 and posts[0].reset
    assert direct.download_file(ACTED, "k") == b"once"


def test_a_deletion_whose_answer_was_lost_is_replayed_and_done(
    emulator: GcsEmulator, plain_creds: CloudCredentials
) -> None:
    direct = get_storage_client(plain_creds, endpoint_url=emulator.url)
    direct.create_bucket(REPLAYED)
    direct.upload_file(REPLAYED, "k", b"x")
    with ActedThenResetProxy(emulator.url) as proxy:
        client = get_storage_client(plain_creds, endpoint_url=proxy.url)
        proxy.arm(1, frozenset({"DELETE"}))
        assert client.delete_file(REPLAYED, "k") is True
        assert len([f for f in proxy.forwarded if f.method == "DELETE"]) == 2
    assert not direct.object_exists(REPLAYED, "k")


def test_an_instance_insert_replayed_after_a_lost_answer_creates_one_instance(
    fake: GcpFake, plain_creds: CloudCredentials
) -> None:
    with ActedThenResetProxy(fake.url) as proxy:
        compute = get_compute_client(plain_creds, endpoint_url=proxy.url)
        proxy.arm(1, frozenset({"POST"}))
        created = compute.create_instance("vm-once", "e2-micro", "debian-cloud/debian-12")
        inserts = [f for f in proxy.forwarded if f.path.split("?")[0].endswith("/instances")]
    assert created["name"] == "vm-once"
    assert len(inserts) == 2 and inserts[0].same_request(inserts[1])
    assert [i["name"] for i in compute.list_instances()] == ["vm-once"]


def test_one_storage_client_shared_by_8_threads(storage: CloudStorage, bucket: str) -> None:
    def work(n: int) -> bytes:
        key = f"t{n}/obj"
        storage.upload_file(bucket, key, f"data-{n}".encode() * 100)
        data = storage.download_file(bucket, key)
        assert storage.stat_object(bucket, key).size == len(data)
        assert [o.key for o in storage.list_objects(bucket, f"t{n}/")] == [key]
        return data

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(32)))
    assert results == [f"data-{n}".encode() * 100 for n in range(32)]
    assert len(list(storage.list_objects(bucket))) == 32


def test_one_serverless_client_shared_by_8_threads(
    fake: GcpFake, plain_creds: CloudCredentials, tmp_path: Path
) -> None:
    (tmp_path / "h.py").write_text("def handler(event, context):\n    return event\n")
    client = get_serverless_client(plain_creds, endpoint_url=fake.url)
    client.create_function("echo", "python3.12", "h.handler", str(tmp_path))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: client.invoke_function("echo", {"n": n}), range(24)))
    assert answers == [{"n": n} for n in range(24)]


def test_create_function_is_not_replayed_once_sent(
    fake: GcpFake, plain_creds: CloudCredentials, tmp_path: Path
) -> None:
    (tmp_path / "h.py").write_text("def handler(event, context):\n    return event\n")
    with ActedThenResetProxy(fake.url) as proxy:
        client = get_serverless_client(plain_creds, endpoint_url=proxy.url)
        proxy.arm(1, frozenset({"POST"}))  # generateUploadUrl acted, its answer lost
        with pytest.raises(ProviderUnavailableError):
            client.create_function("fn-a", "python3.12", "h.handler", str(tmp_path))
        assert len([f for f in proxy.forwarded if f.method == "POST"]) == 1
    direct = get_serverless_client(plain_creds, endpoint_url=fake.url)
    fake.fail_next("POST", r"/functions$", reset=True)  # the create itself
    with pytest.raises(ProviderUnavailableError):
        direct.create_function("fn-b", "python3.12", "h.handler", str(tmp_path))
    assert len([p for m, p in fake.requests if m == "POST" and p.endswith("/functions")]) == 1

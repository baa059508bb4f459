"""The contract harness: real OAuth flows against the fake, bad keys refused everywhere."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud_common.contract_tests.faults import ActedThenResetProxy
from cloud_common.core import (
    AuthenticationError,
    ProviderUnavailableError,
    TransientError,
    get_compute_client,
    get_provider,
    get_serverless_client,
    get_storage_client,
)
from cloud_common.gcp.testing import GcpHarness, GcsEmulator


@pytest.fixture(scope="module")
def harness() -> Iterator[GcpHarness]:
    h = GcpHarness()
    h.start()
    try:
        yield h
    finally:
        h.stop()


def test_the_provider_names_this_harness() -> None:
    assert get_provider("gcp").harness == "cloud_common.gcp.testing:GcpHarness"


def test_good_credentials_get_tokens_and_work(harness: GcpHarness, tmp_path: Path) -> None:
    creds = harness.credentials()
    storage = get_storage_client(creds, **harness.client_options("storage"))
    name = harness.unique_name()
    assert storage.create_bucket(name) is True
    url = storage.generate_presigned_url(name, "k", 60)
    assert harness.gate is not None and url.startswith(harness.gate.url)
    compute = get_compute_client(creds, **harness.client_options("compute"))
    made = compute.create_instance(harness.unique_name("vm"), *harness.instance_args())
    assert made["status"] == "running"
    functions = get_serverless_client(creds, **harness.client_options("serverless"))
    bundle = harness.function_bundle(tmp_path)
    fn = functions.create_function(
        harness.unique_name("fn"), bundle.runtime, bundle.handler, bundle.code_path
    )
    assert functions.invoke_function(fn["name"], {"a": 1}) == {"a": 1}
    assert harness.fake is not None
    auth = {
        h.get("Authorization", "")[:7]
        for (_, path), h in zip(harness.fake.requests, harness.fake.headers, strict=True)
        if path != "/token" and not path.startswith("/upload/")  # token grant, signed upload
    }
    assert auth == {"Bearer "}, "every call to the fake carried a token"


def test_an_untrusted_key_is_refused_by_every_service(harness: GcpHarness) -> None:
    bad = harness.bad_credentials()
    assert bad is not None
    storage = get_storage_client(bad, **harness.bad_client_options("storage"))
    compute = get_compute_client(bad, **harness.bad_client_options("compute"))
    functions = get_serverless_client(bad, **harness.bad_client_options("serverless"))
    for call in (storage.list_buckets, compute.list_instances, functions.list_functions):
        with pytest.raises(AuthenticationError) as info:
            call()
        text = str(info.value)  # one line, no tuple or JSON dump, no URL
        assert not any(part in text for part in ("\n", "('", "{", "http")), text


def test_unreachable_endpoints_raise_transient_errors(harness: GcpHarness) -> None:
    for build, service, call in (
        (get_storage_client, "storage", "list_buckets"),
        (get_compute_client, "compute", "list_instances"),
        (get_serverless_client, "serverless", "list_functions"),
    ):
        options = harness.unreachable_client_options(service)
        assert options is not None
        with pytest.raises(TransientError):
            getattr(build(harness.credentials(), **options), call)()


@pytest.mark.parametrize("memory", [True, False])
def test_the_emulator_hands_out_working_credentials(memory: bool) -> None:
    with GcsEmulator(memory=memory) as emulator:
        creds = emulator.credentials()
        assert creds.metadata["endpoint_url"] == emulator.url
        storage = get_storage_client(creds)
        assert storage.create_bucket("from-helper") is True
        storage.upload_file("from-helper", "k", b"kept")
        assert storage.download_file("from-helper", "k") == b"kept"
        folder = emulator.data_dir
        if memory or emulator.backend != "fake-gcs-server":
            assert folder is None
        else:
            assert folder is not None
            assert any(p.is_file() for p in Path(folder).rglob("*"))
    assert emulator.data_dir is None


def test_invocations_through_a_fault_endpoint_go_through_it(
    harness: GcpHarness, tmp_path: Path
) -> None:
    upstream = harness.fault_upstream_url("serverless")
    assert upstream is not None and harness.idempotency_token_sent("create_instance")
    assert not harness.idempotency_token_sent("invoke")
    with ActedThenResetProxy(upstream) as proxy:
        options = harness.fault_client_options("serverless", proxy.url)
        assert options is not None and "retry" not in options
        functions = get_serverless_client(harness.credentials(), **options)
        bundle = harness.function_bundle(tmp_path)
        name = harness.unique_name("fn")
        functions.create_function(name, bundle.runtime, bundle.handler, bundle.code_path)
        proxy.clear()
        proxy.arm(1, frozenset({"POST"}))
        with pytest.raises(ProviderUnavailableError):
            functions.invoke_function(name, {"once": True})
        runs = [f for f in proxy.forwarded if f.path.startswith("/run/")]
        assert len(runs) == 1 and runs[0].reset


def test_a_second_project_keeps_its_buckets_apart(
    harness: GcpHarness, caplog: pytest.LogCaptureFixture
) -> None:
    other = harness.other_credentials()
    assert other is not None and other.project_id != harness.credentials().project_id
    mine = get_storage_client(harness.credentials(), **harness.client_options("storage"))
    theirs = get_storage_client(other, **harness.client_options("storage"))
    name, own = harness.unique_name(), harness.unique_name()
    assert theirs.create_bucket(name) is True
    assert mine.create_bucket(own) is True
    assert name in theirs.list_buckets() and own not in theirs.list_buckets()
    assert own in mine.list_buckets() and name not in mine.list_buckets()
    caplog.set_level(logging.WARNING)
    assert mine.create_bucket(name) is False  # the name is global, the bucket theirs
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    mine.upload_file(own, "k", b"through the proxy")
    assert mine.download_file(own, "k") == b"through the proxy"

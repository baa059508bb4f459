"""The contract harness: real OAuth flows against the fake, bad keys refused everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud_common.core import (
    AuthenticationError,
    TransientError,
    get_compute_client,
    get_provider,
    get_serverless_client,
    get_storage_client,
)
from cloud_common.gcp.testing import GcpHarness


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
        with pytest.raises(AuthenticationError):
            call()


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

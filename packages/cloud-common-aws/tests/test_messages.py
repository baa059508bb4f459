"""Errors in the words every provider uses, one line: network failures and missing
resources, through the public clients against moto and never-answering servers."""

from __future__ import annotations

import socket

import pytest

from cloud_common.aws.testing import MotoServer
from cloud_common.contract_tests.faults import Blackhole
from cloud_common.core import (
    CloudCredentials,
    CloudServerless,
    CloudStorage,
    NotFoundError,
    ProviderUnavailableError,
    RetryPolicy,
    TimeoutError,  # noqa: A004
    Timeouts,
    get_compute_client,
    get_storage_client,
)

ONCE = RetryPolicy(max_attempts=1)


def test_network_failures_read_as_one_line_in_every_providers_words(
    server: MotoServer, silent: Blackhole, silent_creds: CloudCredentials
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    refused = get_storage_client(server.credentials(), retry=ONCE, endpoint_url=closed)
    with pytest.raises(ProviderUnavailableError) as info:
        refused.list_buckets()
    assert str(info.value) == f"[aws] list_buckets: could not reach {closed}: connection refused"

    server.faults.add(method="GET", path="^/$", reset=True)
    with pytest.raises(ProviderUnavailableError) as info:
        get_storage_client(server.credentials(), retry=ONCE).list_buckets()
    assert str(info.value) == (
        f"[aws] list_buckets: could not reach {server.endpoint}: the connection was reset"
    )

    silent_client = get_storage_client(silent_creds, retry=ONCE, timeouts=Timeouts(read=0.2))
    with pytest.raises(TimeoutError) as timed_out:
        silent_client.list_buckets()
    assert str(timed_out.value) == (
        f"[aws] list_buckets: no answer from {silent.url} in time (Timeouts.read)"
    )


def test_missing_resources_read_in_every_providers_words(
    storage: CloudStorage,
    bucket: str,
    serverless: CloudServerless,
    creds: CloudCredentials,
) -> None:
    seen = []
    for call in (
        lambda: storage.download_file(bucket, "absent.txt"),
        lambda: storage.download_file("cc-no-such-bucket-here", "k"),
        lambda: storage.stat_object(bucket, "absent.txt"),
        lambda: serverless.get_function("nope"),
        lambda: get_compute_client(creds).get_instance("i-0123456789abcdef0"),
    ):
        with pytest.raises(NotFoundError) as info:
            call()
        seen.append(info.value.message)
    assert seen == [
        "no object 'absent.txt' (NoSuchKey, AWS GetObject)",  # S3 names no bucket here
        "bucket 'cc-no-such-bucket-here' does not exist (NoSuchBucket, AWS GetObject)",
        "the object does not exist (HTTP 404, AWS HeadObject)",
        "no function 'nope' (ResourceNotFoundException, AWS GetFunction)",
        "no instance 'i-0123456789abcdef0' (InvalidInstanceID.NotFound, AWS DescribeInstances)",
    ]

"""Faults between the client and a real Azurite: retries by the SDK's own retry policy,
``Retry-After`` honoured, resets retried, slow replies cut by the read timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from cloud_common.azure import BlobStorageClient
from cloud_common.azure.testing import AzureHarness, FaultProxy
from cloud_common.core import (
    CloudStorage,
    RateLimitedError,
    RetryPolicy,
    TimeoutError,  # noqa: A004
    Timeouts,
    TransientError,
)


@pytest.fixture
def proxy(harness: AzureHarness) -> Iterator[FaultProxy]:
    server = FaultProxy(harness.azurite.port, retry_after=1, delay=3.0)
    yield server
    server.close()


def _client(
    harness: AzureHarness, proxy: FaultProxy, attempts: int = 3, read: float = 10.0
) -> CloudStorage:
    return BlobStorageClient(
        harness.credentials(),
        endpoint_url=proxy.url(f"/{harness.azurite.account}"),
        retry=RetryPolicy(max_attempts=attempts, backoff_base=0.01, backoff_cap=0.02),
        timeouts=Timeouts(connect=2, read=read),
    )


def test_a_503_with_retry_after_is_retried_after_the_wait(
    harness: AzureHarness, proxy: FaultProxy
) -> None:
    proxy.inject("503")
    with _client(harness, proxy) as storage:
        started = time.monotonic()
        assert storage.create_bucket("after-busy") is True
        elapsed = time.monotonic() - started
    assert proxy.connections == 2
    assert elapsed >= 0.9, f"Retry-After: 1 was not honoured (retried after {elapsed:.2f}s)"


def test_a_reset_read_is_retried(harness: AzureHarness, proxy: FaultProxy) -> None:
    with BlobStorageClient(harness.credentials()) as direct:
        assert direct.create_bucket("after-reset") is True
        direct.upload_file("after-reset", "k", b"survived a reset")
        proxy.inject("reset")
        with _client(harness, proxy) as storage:
            assert storage.download_file("after-reset", "k") == b"survived a reset"
        assert proxy.connections == 2


def test_a_write_whose_reply_was_lost_is_not_replayed(
    harness: AzureHarness, proxy: FaultProxy
) -> None:
    with BlobStorageClient(harness.credentials()) as direct:
        assert direct.create_bucket("lost-reply") is True
        proxy.inject("reset")
        with _client(harness, proxy) as storage, pytest.raises(TransientError):
            storage.upload_file("lost-reply", "k", b"maybe written")
        assert proxy.connections == 1, "the service may have acted: no second PUT"


def test_a_server_that_never_answers_ends_at_the_deadline(
    harness: AzureHarness, proxy: FaultProxy
) -> None:
    proxy.inject("hang", "hang", "hang")
    storage = BlobStorageClient(
        harness.credentials(),
        endpoint_url=proxy.url(f"/{harness.azurite.account}"),
        retry=RetryPolicy(max_attempts=3, backoff_base=0.05, backoff_cap=0.1, deadline=1.5),
    )  # default timeouts: 10 s connect, 60 s read
    with storage:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            storage.list_buckets()
        elapsed = time.monotonic() - started
    assert elapsed < 3.0, f"the 1.5 s deadline was not kept ({elapsed:.1f}s)"


def test_busy_on_every_attempt_raises_rate_limited(
    harness: AzureHarness, proxy: FaultProxy
) -> None:
    proxy.inject("503", "503")
    with _client(harness, proxy, attempts=2) as storage:
        with pytest.raises(RateLimitedError) as caught:  # ServerBusy: Azure's throttling
            storage.list_buckets()
    assert caught.value.operation == "list_buckets"
    assert proxy.connections == 2, "max_attempts=2: two attempts, no more"


def test_a_slow_reply_is_cut_by_the_read_timeout(harness: AzureHarness, proxy: FaultProxy) -> None:
    proxy.inject("slow")
    with _client(harness, proxy, attempts=1, read=0.5) as storage:
        started = time.monotonic()
        with pytest.raises(TransientError):
            storage.list_buckets()
        assert time.monotonic() - started < 2.5, "the read timeout did not cut the wait"

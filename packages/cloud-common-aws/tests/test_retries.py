"""Faults in front of moto: retried per RetryPolicy by botocore itself, or a TransientError
after the policy's attempts, with nothing half-written. botocore's sleep is recorded."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud_common.aws import S3StorageClient
from cloud_common.aws.testing import Fault, MotoServer
from cloud_common.core import (
    CloudStorage,
    ObjectNotFoundError,
    ProviderUnavailableError,
    RateLimitedError,
    RetryPolicy,
    TimeoutError,  # noqa: A004
    Timeouts,
    TransientError,
    get_storage_client,
)

MiB = 1024 * 1024
POLICY = RetryPolicy(max_attempts=4, backoff_base=0.25, backoff_cap=0.6, jitter=False)


@pytest.fixture
def s3(server: MotoServer) -> Iterator[CloudStorage]:
    with get_storage_client(server.credentials(), retry=POLICY) as client:
        yield client


@pytest.fixture
def key_path(bucket: str) -> str:
    return f"^/{bucket}/k$"


def test_slowdown_then_500_then_success(
    server: MotoServer, s3: CloudStorage, bucket: str, key_path: str, sleeps: list[float]
) -> None:
    s3.upload_file(bucket, "k", b"payload")
    server.faults.add(method="GET", path=key_path, status=503, code="SlowDown")
    server.faults.add(method="GET", path=key_path, status=500, code="InternalError")
    assert s3.download_file(bucket, "k") == b"payload"
    assert server.faults.count("GET", key_path) == 3
    assert sleeps == [0.25, 0.5]  # the policy's backoff (base, doubled), not botocore's


def test_the_cap_bounds_each_backoff(
    server: MotoServer, s3: CloudStorage, bucket: str, key_path: str, sleeps: list[float]
) -> None:
    s3.upload_file(bucket, "k", b"payload")
    server.faults.add(method="GET", path=key_path, status=503, times=3)
    assert s3.download_file(bucket, "k") == b"payload"
    assert sleeps == [0.25, 0.5, 0.6]


def test_a_put_that_keeps_failing_ends_in_a_transient_error_and_writes_nothing(
    server: MotoServer, s3: CloudStorage, bucket: str, key_path: str, sleeps: list[float]
) -> None:
    server.faults.add(method="PUT", path=key_path, status=503, code="SlowDown", times=99)
    with pytest.raises(RateLimitedError) as info:
        s3.upload_file(bucket, "k", b"never")
    assert info.value.retryable is True
    assert isinstance(info.value, TransientError)
    assert server.faults.count("PUT", key_path) == POLICY.max_attempts
    assert len(sleeps) == POLICY.max_attempts - 1
    server.faults.clear()
    assert s3.object_exists(bucket, "k") is False


def test_internal_errors_exhausted_are_provider_unavailable(
    server: MotoServer, s3: CloudStorage, bucket: str, key_path: str, sleeps: list[float]
) -> None:
    server.faults.add(method="GET", path=key_path, status=500, code="InternalError", times=99)
    with pytest.raises(ProviderUnavailableError):
        s3.download_file(bucket, "k")
    assert server.faults.count("GET", key_path) == POLICY.max_attempts


def test_a_connection_reset_is_retried(
    server: MotoServer, s3: CloudStorage, bucket: str, key_path: str, sleeps: list[float]
) -> None:
    s3.upload_file(bucket, "k", b"payload")
    server.faults.add(method="GET", path=key_path, reset=True)
    assert s3.download_file(bucket, "k") == b"payload"
    assert server.faults.count("GET", key_path) == 2


def test_resets_exhausted_are_provider_unavailable(
    server: MotoServer, s3: CloudStorage, bucket: str, key_path: str, sleeps: list[float]
) -> None:
    server.faults.add(method="PUT", path=key_path, reset=True, times=99)
    with pytest.raises(ProviderUnavailableError):
        s3.upload_file(bucket, "k", b"never")
    server.faults.clear()
    assert s3.object_exists(bucket, "k") is False


def test_a_slow_reply_times_out_and_is_retried(
    server: MotoServer, bucket: str, key_path: str, sleeps: list[float]
) -> None:
    with get_storage_client(
        server.credentials(), retry=POLICY, timeouts=Timeouts(connect=2, read=0.3)
    ) as s3:
        s3.upload_file(bucket, "k", b"payload")
        server.faults.add(method="GET", path=key_path, delay=0.8)
        assert s3.download_file(bucket, "k") == b"payload"
        server.faults.add(method="GET", path=key_path, delay=0.8, times=2)
        with (
            get_storage_client(
                server.credentials(),
                retry=RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01),
                timeouts=Timeouts(connect=2, read=0.3),
            ) as impatient,
            pytest.raises(TimeoutError),
        ):
            impatient.download_file(bucket, "k")


def test_a_multipart_upload_survives_a_failed_part(
    server: MotoServer, bucket: str, sleeps: list[float]
) -> None:
    data = os.urandom(11 * MiB)
    server.faults.add(Fault(method="PUT", path=f"^/{bucket}/big$", status=503))
    with S3StorageClient(
        server.credentials(), retry=POLICY, part_size=5 * MiB, multipart_threshold=5 * MiB
    ) as s3:
        s3.upload_stream(bucket, "big", io.BytesIO(data))
        assert s3.download_file(bucket, "big") == data
    assert len(server.faults.hits) == 1


def test_a_multipart_upload_that_fails_leaves_no_object_and_no_open_upload(
    server: MotoServer, bucket: str, raw_s3: Any, tmp_path: Path, sleeps: list[float]
) -> None:
    source = tmp_path / "src"
    source.write_bytes(os.urandom(11 * MiB))
    # parts are PUT /bucket/big?partNumber=..; fail every attempt of them
    server.faults.add(
        method="PUT", path=f"^/{bucket}/big$", status=500, code="InternalError", times=999
    )
    with S3StorageClient(
        server.credentials(), retry=POLICY, part_size=5 * MiB, multipart_threshold=5 * MiB
    ) as s3:
        with pytest.raises(ProviderUnavailableError):
            s3.upload_stream(bucket, "big", source)
        server.faults.clear()
        with pytest.raises(ObjectNotFoundError):
            s3.stat_object(bucket, "big")
    assert raw_s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_a_download_that_fails_leaves_no_partial_file(
    server: MotoServer,
    s3: CloudStorage,
    bucket: str,
    key_path: str,
    tmp_path: Path,
    sleeps: list[float],
) -> None:
    s3.upload_file(bucket, "k", b"payload")
    (tmp_path / "out").write_bytes(b"old content")
    server.faults.add(method="GET", path=key_path, status=503, times=99)
    with pytest.raises(TransientError):
        s3.download_stream(bucket, "k", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (tmp_path / "out").read_bytes() == b"old content"


def test_one_attempt_means_no_retry(
    server: MotoServer, bucket: str, key_path: str, sleeps: list[float]
) -> None:
    with get_storage_client(server.credentials(), retry=RetryPolicy(max_attempts=1)) as s3:
        s3.upload_file(bucket, "k", b"payload")
        server.faults.add(method="GET", path=key_path, status=503)
        with pytest.raises(RateLimitedError):
            s3.download_file(bucket, "k")
    assert server.faults.count("GET", key_path) == 1
    assert sleeps == []

"""upload_stream / download_stream: paths, file objects, byte ranges."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest

from cloud_common.contract_tests.checks import expect_error
from cloud_common.core import CloudStorage, ObjectNotFoundError, ValidationError

DATA = random.Random(4).randbytes(3 * 1024 * 1024 + 17)
BIG = random.Random(5).randbytes(12 * 1024 * 1024 + 3)  # past common multipart thresholds


@pytest.mark.capability("storage", "storage.upload_stream")
def test_upload_stream_from_a_path_and_a_file_object(
    storage: CloudStorage, bucket: str, tmp_path: Path
) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(DATA)
    storage.upload_stream(bucket, "from-path", source, content_type="application/x-test")
    storage.upload_stream(bucket, "from-str-path", str(source))
    storage.upload_stream(bucket, "from-file", io.BytesIO(DATA))
    for key in ("from-path", "from-str-path", "from-file"):
        assert storage.download_file(bucket, key) == DATA, key


@pytest.mark.capability("storage", "storage.upload_stream", "storage.download_stream")
def test_a_large_object_streams_both_ways(
    storage: CloudStorage, bucket: str, tmp_path: Path
) -> None:
    storage.upload_stream(bucket, "big", io.BytesIO(BIG))
    dest = tmp_path / "big.out"
    assert storage.download_stream(bucket, "big", dest) == len(BIG)
    assert dest.read_bytes() == BIG


@pytest.mark.capability("storage", "storage.download_stream")
def test_download_stream_to_a_path_and_a_file_object(
    storage: CloudStorage, bucket: str, tmp_path: Path
) -> None:
    storage.upload_file(bucket, "obj", DATA)
    dest = tmp_path / "out.bin"
    assert storage.download_stream(bucket, "obj", dest) == len(DATA)
    assert dest.read_bytes() == DATA
    buffer = io.BytesIO()
    assert storage.download_stream(bucket, "obj", buffer) == len(DATA)
    assert buffer.getvalue() == DATA


@pytest.mark.capability("storage", "storage.download_stream")
@pytest.mark.parametrize(
    "byte_range",
    [(0, 0), (0, 9), (5, 9), (1024, 1024 * 1024), (len(DATA) - 1, None), (100, None), (0, None)],
)
def test_byte_ranges_are_inclusive(
    storage: CloudStorage, bucket: str, byte_range: tuple[int, int | None]
) -> None:
    storage.upload_file(bucket, "ranged", DATA)
    first, last = byte_range
    wanted = DATA[first : None if last is None else last + 1]
    buffer = io.BytesIO()
    assert storage.download_stream(bucket, "ranged", buffer, byte_range=byte_range) == len(wanted)
    assert buffer.getvalue() == wanted


@pytest.mark.capability("storage", "storage.download_stream")
def test_a_range_past_the_end_is_clamped(storage: CloudStorage, bucket: str) -> None:
    storage.upload_file(bucket, "short", b"0123456789")
    buffer = io.BytesIO()
    assert storage.download_stream(bucket, "short", buffer, byte_range=(5, 1000)) == 5
    assert buffer.getvalue() == b"56789"


@pytest.mark.capability("storage", "storage.download_stream")
@pytest.mark.parametrize("byte_range", [(10, None), (50, 60), (-1, 5), (5, 4), ("0", 1)])
def test_bad_ranges_raise_validation_error(
    storage: CloudStorage, bucket: str, byte_range: Any, tmp_path: Path
) -> None:
    storage.upload_file(bucket, "short", b"0123456789")
    dest = tmp_path / "never.bin"
    expect_error(
        ValidationError,
        lambda: storage.download_stream(bucket, "short", dest, byte_range=byte_range),
    )
    assert not dest.exists(), "a failed download leaves no file behind"


@pytest.mark.capability("storage", "storage.download_stream")
def test_download_stream_of_a_missing_object_raises_and_leaves_no_file(
    storage: CloudStorage, bucket: str, tmp_path: Path
) -> None:
    dest = tmp_path / "missing.bin"
    expect_error(ObjectNotFoundError, lambda: storage.download_stream(bucket, "nope", dest))
    assert not dest.exists()

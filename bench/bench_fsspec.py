"""cloud-common-fsspec against s3fs on the same moto server, in the same run.

Rows: reading one 256 MiB object sequentially (``open`` then ``read(8 MiB)`` to the end,
each library's default block size and readahead cache) and reading 1,000 objects of 1 KiB
(``fs.cat(paths)``: our 8 threads, s3fs's asyncio gather). Three rounds, interleaved
(ours, s3fs, s3fs, ours...), median.

s3fs depends on aiobotocore, which pins botocore below the version this workspace pins
(boto3/botocore 1.44.8), so s3fs is not in the development environment. Point
``CLOUD_COMMON_BENCH_S3FS_PYTHON`` at the python of a separate virtualenv holding s3fs
(``python -m venv /tmp/s3fs && /tmp/s3fs/bin/pip install s3fs``): its half runs in that
interpreter, against the same server, in the same run. Without it (and without s3fs
importable here) the rows carry no baseline and say why. ``quick=True``: 16 MiB and 100
objects, one round.

Usage: ``python bench/bench_fsspec.py [--quick]`` or ``hatch run bench fsspec``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

ACCESS_KEY = "AKIABENCHMARK0000000"
SECRET_KEY = "bench-secret-key-value"
REGION = "us-east-1"
BUCKET = "bench-fsspec"
MiB = 1024 * 1024
READ_CHUNK = 8 * MiB
S3FS_PYTHON = "CLOUD_COMMON_BENCH_S3FS_PYTHON"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("moto server did not start")


def _measure(fs: Any, big: str, small: list[str]) -> dict[str, float]:
    """Seconds for the two workloads on ``fs`` (any fsspec filesystem), connected first."""
    fs.ls(BUCKET)  # connection set up, credentials resolved: not part of the timing
    fs.invalidate_cache()
    start = time.perf_counter()
    total = 0
    with fs.open(big, "rb") as f:
        while chunk := f.read(READ_CHUNK):
            total += len(chunk)
    sequential = time.perf_counter() - start
    start = time.perf_counter()
    got = fs.cat(small)
    many = time.perf_counter() - start
    if not total or len(got) != len(small):
        raise RuntimeError("a benchmark read came back short")
    return {"sequential": sequential, "small": many}


def _s3fs(endpoint: str) -> Any:
    s3fs = importlib.import_module("s3fs")
    return s3fs.S3FileSystem(
        key=ACCESS_KEY,
        secret=SECRET_KEY,
        endpoint_url=endpoint,
        client_kwargs={"region_name": REGION},
        skip_instance_cache=True,
    )


def _child(endpoint: str, big: str, small_json: str) -> None:
    """In the s3fs interpreter: one round of s3fs, printed as JSON."""
    fs = _s3fs(endpoint)
    print(json.dumps(_measure(fs, big, json.loads(small_json))))


def _s3fs_round(endpoint: str, big: str, small: list[str]) -> dict[str, float] | None:
    python = os.environ.get(S3FS_PYTHON)
    if python:
        out = subprocess.run(
            [python, __file__, "_child", endpoint, big, json.dumps(small)],
            capture_output=True,
            text=True,
            check=True,
        )
        result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
        return result
    if importlib.util.find_spec("s3fs") is not None:
        return _measure(_s3fs(endpoint), big, small)
    return None


def run(quick: bool) -> list[dict[str, Any]]:
    from cloud_common.fsspec import CloudFileSystem

    size = 16 * MiB if quick else 256 * MiB
    count = 100 if quick else 1000
    rounds = 1 if quick else 3
    proc, endpoint = _start_moto()
    try:
        ours = CloudFileSystem(
            "aws",
            key=ACCESS_KEY,
            secret=SECRET_KEY,
            region=REGION,
            endpoint_url=endpoint,
            skip_instance_cache=True,
        )
        ours.mkdir(BUCKET)
        block = os.urandom(MiB)
        with ours.open(f"{BUCKET}/big.bin", "wb") as f:
            for _ in range(size // MiB):
                f.write(block)
        small = [f"{BUCKET}/small/{i:04d}.bin" for i in range(count)]
        ours.pipe({path: os.urandom(1024) for path in small})
        big = f"{BUCKET}/big.bin"
        mine: list[dict[str, float]] = []
        theirs: list[dict[str, float]] = []
        for i in range(rounds):
            first_ours = i % 2 == 0
            if first_ours:
                mine.append(_measure(ours, big, small))
            other = _s3fs_round(endpoint, big, small)
            if other is not None:
                theirs.append(other)
            if not first_ours:
                mine.append(_measure(ours, big, small))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    note = (
        ""
        if theirs
        else (
            "s3fs not measured: its aiobotocore 3.10 pins botocore>=1.43.115,<1.43.118 (this workspace "
            f"pins 1.44.8); set {S3FS_PYTHON} to a venv's python that has s3fs"
        )
    )
    rows = []
    for workload, name in (
        ("sequential", f"fsspec: read {size // MiB} MiB sequentially (moto)"),
        ("small", f"fsspec: cat {count} objects of 1 KiB (moto)"),
    ):
        row: dict[str, Any] = {
            "name": name,
            "ours": statistics.median(r[workload] for r in mine),
            "unit": "s",
            "baseline_name": "s3fs",
        }
        if theirs:
            row["baseline"] = statistics.median(r[workload] for r in theirs)
        if note:
            row["note"] = note
        rows.append(row)
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        _child(*sys.argv[2:])
    else:
        for row in run("--quick" in sys.argv):
            print(row)

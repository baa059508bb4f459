"""cloud-common-aws against raw boto3 on the same moto server, in the same run.

The moto server runs as its own process (``python -m moto.server -H 127.0.0.1 -p PORT``):
it keeps about 5x an object in memory, so the client's memory is measured alone.

Small objects: 500 put / get / delete of 1 KiB through ``get_storage_client`` (guard
included) vs ``put_object`` / ``get_object`` / ``delete_object`` of a boto3 client with the
same botocore config; interleaved per operation, three rounds, median. Streaming: 1 GiB
``upload_stream`` / ``download_stream`` of binary files vs ``upload_fileobj`` /
``download_fileobj`` (same part size and concurrency), each in its own child process so its
peak RSS (``VmHWM``) is its own; uploads alternate (raw, ours, ours, raw), one object
on the server at a time. ``quick=True``: 50 operations and 20 MiB, one run each.

Worst case (``--worst-case``, about 2 minutes): ``list_buckets`` and ``invoke_function``
with the default options against a 127.0.0.1 socket that accepts connections and never
answers: seconds until the call gives up, and how many attempts reached the socket.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

ACCESS_KEY = "AKIABENCHMARK0000000"
SECRET_KEY = "bench-secret-key-value"
MiB = 1024 * 1024


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


def _creds(endpoint: str) -> Any:
    from cloud_common.core import CloudCredentials, CloudProvider

    return CloudCredentials(
        CloudProvider.AWS,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        metadata={"endpoint_url": endpoint},
    )


def _raw_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    # What a careful boto3 user would write: the same settings cloud-common derives.
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 5},
        connect_timeout=10,
        read_timeout=60,
        signature_version="s3v4",
        s3={"addressing_style": "path"},
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=config,
    )


def _small(endpoint: str, count: int) -> list[dict[str, Any]]:
    from cloud_common.core import get_storage_client

    ours = get_storage_client(_creds(endpoint))
    raw = _raw_client(endpoint)
    bucket = f"bench-{uuid.uuid4().hex[:10]}"
    ours.create_bucket(bucket)
    payload = os.urandom(1024)
    ops = ("put", "get", "delete")
    rounds: dict[str, list[float]] = {f"{w}_{op}": [] for w in ("ours", "raw") for op in ops}
    clock = time.perf_counter
    for round_no in range(3):
        total = dict.fromkeys(rounds, 0.0)
        for op in ops:
            for i in range(count):
                key = f"r{round_no}/o{i:04d}"
                if op == "put":
                    steps = [
                        (
                            "raw",
                            lambda k=key: raw.put_object(
                                Bucket=bucket, Key="raw/" + k, Body=payload
                            ),
                        ),
                        ("ours", lambda k=key: ours.upload_file(bucket, "ours/" + k, payload)),
                    ]
                elif op == "get":
                    steps = [
                        (
                            "raw",
                            lambda k=key: raw.get_object(Bucket=bucket, Key="raw/" + k)[
                                "Body"
                            ].read(),
                        ),
                        ("ours", lambda k=key: ours.download_file(bucket, "ours/" + k)),
                    ]
                else:
                    steps = [
                        ("raw", lambda k=key: raw.delete_object(Bucket=bucket, Key="raw/" + k)),
                        ("ours", lambda k=key: ours.delete_file(bucket, "ours/" + k)),
                    ]
                ordered: Sequence[tuple[str, Callable[..., object]]] = (
                    steps if i % 2 else steps[::-1]
                )
                for who, step in ordered:
                    started = clock()
                    step()
                    total[f"{who}_{op}"] += clock() - started
        for name, seconds in total.items():
            rounds[name].append(seconds)
    ours.close()
    rows = []
    for op in ops:
        ours_ms = statistics.median(rounds[f"ours_{op}"]) / count * 1000
        raw_ms = statistics.median(rounds[f"raw_{op}"]) / count * 1000
        rows.append(
            {
                "name": f"s3 {op} 1 KiB x{count}",
                "ours": ours_ms,
                "unit": "ms/op",
                "baseline": raw_ms,
                "baseline_name": f"boto3 {op}_object",
                "note": "median of 3 interleaved rounds",
            }
        )
    return rows


def _child(
    who: str, direction: str, endpoint: str, bucket: str, key: str, path: str, part: str
) -> None:
    """Run one streamed transfer in this (child) process; print seconds and peak RSS."""
    from boto3.s3.transfer import TransferConfig

    part_size = int(part)
    if who == "ours":
        from cloud_common.core import get_storage_client

        client = get_storage_client(
            _creds(endpoint), part_size=part_size, multipart_threshold=part_size
        )
        client.list_buckets()  # connect before timing
        started = time.perf_counter()
        if direction == "up":
            with open(path, "rb") as source:
                client.upload_stream(bucket, key, source)
        else:
            with open(path, "wb") as dest:
                client.download_stream(bucket, key, dest)
    else:
        raw = _raw_client(endpoint)
        raw.list_buckets()
        config = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size)
        started = time.perf_counter()
        if direction == "up":
            with open(path, "rb") as source:
                raw.upload_fileobj(source, bucket, key, Config=config)
        else:
            with open(path, "wb") as dest:
                raw.download_fileobj(bucket, key, dest, Config=config)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mib": _peak_rss_mib()}))


def _peak_rss_mib() -> float:
    """This process's peak RSS. On Linux ``VmHWM``: ``ru_maxrss`` survives ``exec`` and
    would report the (bigger) parent's peak for a freshly spawned child."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "_child", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _write_source(path: str, size: int) -> None:
    block = os.urandom(MiB)
    with open(path, "wb") as handle:
        for _ in range(size // MiB):
            handle.write(block)


# Upload: the defaults of both (8 MiB parts, 10 in flight). Download: 16 MiB parts for both,
# because moto reads the whole object for every ranged GET (quadratic in the part count):
# with 8 MiB parts a 1 GiB download measures moto (~5 MiB/s), not the client.
UP_PART = 8 * MiB
DOWN_PART = 16 * MiB


def _streaming(endpoint: str, size: int, quick: bool) -> list[dict[str, Any]]:
    raw = _raw_client(endpoint)
    bucket = f"bench-{uuid.uuid4().hex[:10]}"
    raw.create_bucket(Bucket=bucket)
    label = f"{size // MiB} MiB" if size < 1024 * MiB else f"{size // (1024 * MiB)} GiB"
    runs: dict[str, list[dict[str, float]]] = {}
    up_order = ("raw", "ours") if quick else ("raw", "ours", "ours", "raw")
    down_order = ("raw", "ours") if quick else ("ours", "raw")
    with tempfile.TemporaryDirectory(prefix="bench-aws-") as tmp:
        source = os.path.join(tmp, "source.bin")
        target = os.path.join(tmp, "target.bin")
        _write_source(source, size)
        raw.put_object(Bucket=bucket, Key="warm-up", Body=os.urandom(MiB))
        for who in up_order:  # one object at a time: moto holds ~5x an object in memory
            key = f"{who}.bin"
            result = _run_child(who, "up", endpoint, bucket, key, source, str(UP_PART))
            runs.setdefault(f"{who}_up", []).append(result)
            if raw.head_object(Bucket=bucket, Key=key)["ContentLength"] != size:
                raise RuntimeError(f"{who}: uploaded the wrong size")
            raw.delete_object(Bucket=bucket, Key=key)
        with open(source, "rb") as handle:
            raw.upload_fileobj(handle, bucket, "down.bin")
        for who in down_order:
            result = _run_child(who, "down", endpoint, bucket, "down.bin", target, str(DOWN_PART))
            runs.setdefault(f"{who}_down", []).append(result)
            if os.path.getsize(target) != size:
                raise RuntimeError(f"{who}: downloaded {os.path.getsize(target)} bytes of {size}")
            os.unlink(target)
        raw.delete_object(Bucket=bucket, Key="down.bin")
    rows = []
    for direction, what, part in (
        ("up", "upload_fileobj", UP_PART),
        ("down", "download_fileobj", DOWN_PART),
    ):
        ours, base = runs[f"ours_{direction}"], runs[f"raw_{direction}"]
        rows.append(
            {
                "name": f"s3 stream {direction} {label}",
                "ours": statistics.mean(size / MiB / r["seconds"] for r in ours),
                "unit": "MiB/s",
                "baseline": statistics.mean(size / MiB / r["seconds"] for r in base),
                "baseline_name": f"boto3 {what}",
                "higher_is_better": True,
                "note": f"{part // MiB} MiB parts, mean of {len(ours)}",
            }
        )
        rows.append(
            {
                "name": f"s3 stream {direction} {label} peak RSS",
                "ours": max(r["peak_mib"] for r in ours),
                "unit": "MiB",
                "baseline": max(r["peak_mib"] for r in base),
                "baseline_name": f"boto3 {what}",
                "note": "client process only (moto runs separately)",
            }
        )
    return rows


def _worst_case() -> list[dict[str, Any]]:
    """Calls with the defaults against a socket that accepts and never answers."""
    import threading

    from cloud_common.core import (
        CloudCredentials,
        CloudProvider,
        RetryPolicy,
        get_serverless_client,
        get_storage_client,
    )

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(silent.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    creds = CloudCredentials(
        CloudProvider.AWS,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region="us-east-1",
        metadata={"endpoint_url": f"http://127.0.0.1:{silent.getsockname()[1]}"},
    )
    calls: dict[str, Callable[[], object]] = {
        "list_buckets": lambda: get_storage_client(creds).list_buckets(),
        "invoke_function": lambda: get_serverless_client(creds).invoke_function("f", {}),
    }
    rows = []
    for name, call in calls.items():
        held.clear()
        started = time.perf_counter()
        try:
            call()
        except Exception as exc:  # the failure is what is measured
            failure = type(exc).__name__
        else:
            failure = "none"
        rows.append(
            {
                "name": f"{name}, never-answering endpoint, default options",
                "ours": round(time.perf_counter() - started, 1),
                "unit": "s",
                "baseline": RetryPolicy().deadline,
                "baseline_name": "RetryPolicy.deadline",
                "note": f"{len(held)} attempt(s), raised {failure}",
            }
        )
    silent.close()
    return rows


def run(quick: bool) -> list[dict[str, Any]]:
    proc, endpoint = _start_moto()
    try:
        rows = _small(endpoint, 50 if quick else 500)
        rows += _streaming(endpoint, 20 * MiB if quick else 1024 * MiB, quick)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        _child(*sys.argv[2:])
    elif "--worst-case" in sys.argv:
        for row in _worst_case():
            print(row)
    else:
        for row in run("--quick" in sys.argv):
            print(row)

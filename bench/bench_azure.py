"""cloud-common-azure against raw azure-storage-blob on the same Azurite, in the same run.

Azurite (the pinned npm package, in memory) runs as its own Node.js process, so the
client's memory is measured alone. Small objects: 500 put / get / delete of 1 KiB through
``get_storage_client`` (every rule of the contract included) vs ``upload_blob`` /
``download_blob().readall()`` / ``delete_blob`` of a ``BlobServiceClient`` with the same
transfer sizes; interleaved per operation, three rounds, median. Streaming: 256 MiB
``upload_stream`` / ``download_stream`` of binary files vs ``upload_blob`` /
``download_blob().readinto`` (4 MiB blocks, 4 in flight for both), each in its own child
process so its peak RSS (``VmHWM``) is its own; uploads alternate (raw, ours, ours, raw).
``quick=True``: 50 operations and 20 MiB, one run each. Without Azurite (``npm ci`` in
``packages/cloud-common-azure/azurite``) it reports nothing.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

MiB = 1024 * 1024
BLOCK = 4 * MiB
CONCURRENCY = 4


def _raw_client(conn: str) -> Any:
    from azure.storage.blob import BlobServiceClient

    # What a careful azure-storage-blob user would write: the sizes cloud-common uses.
    return BlobServiceClient.from_connection_string(
        conn,
        max_block_size=BLOCK,
        max_single_put_size=2 * BLOCK,
        max_single_get_size=BLOCK,
        max_chunk_get_size=BLOCK,
    )


def _creds(account: str, key: str, endpoint: str) -> Any:
    from cloud_common.core import CloudCredentials, CloudProvider

    return CloudCredentials(
        CloudProvider.AZURE,
        access_key=account,
        secret_key=key,
        region="eastus",
        metadata={"endpoint_url": endpoint},
    )


def _small(conn: str, creds: Any, count: int) -> list[dict[str, Any]]:
    from cloud_common.core import get_storage_client

    ours = get_storage_client(creds)
    raw = _raw_client(conn)
    bucket = f"bench-{uuid.uuid4().hex[:10]}"
    ours.create_bucket(bucket)
    container = raw.get_container_client(bucket)
    payload = os.urandom(1024)
    ops = ("put", "get", "delete")
    rounds: dict[str, list[float]] = {f"{w}_{op}": [] for w in ("ours", "raw") for op in ops}
    clock = time.perf_counter
    for round_no in range(3):
        total = dict.fromkeys(rounds, 0.0)
        for op in ops:
            for i in range(count):
                key = f"r{round_no}/o{i:04d}"
                steps: list[tuple[str, Callable[..., object]]]
                if op == "put":
                    steps = [
                        (
                            "raw",
                            lambda k=key: container.upload_blob(
                                "raw/" + k, payload, overwrite=True
                            ),
                        ),
                        ("ours", lambda k=key: ours.upload_file(bucket, "ours/" + k, payload)),
                    ]
                elif op == "get":
                    steps = [
                        ("raw", lambda k=key: container.download_blob("raw/" + k).readall()),
                        ("ours", lambda k=key: ours.download_file(bucket, "ours/" + k)),
                    ]
                else:
                    steps = [
                        ("raw", lambda k=key: container.delete_blob("raw/" + k)),
                        ("ours", lambda k=key: ours.delete_file(bucket, "ours/" + k)),
                    ]
                for who, step in steps if i % 2 else steps[::-1]:
                    started = clock()
                    step()
                    total[f"{who}_{op}"] += clock() - started
        for name, seconds in total.items():
            rounds[name].append(seconds)
    ours.delete_bucket(bucket)
    ours.close()
    raw.close()
    rows = []
    for op, what in zip(ops, ("upload_blob", "download_blob", "delete_blob"), strict=True):
        rows.append(
            {
                "name": f"blob {op} 1 KiB x{count}",
                "ours": statistics.median(rounds[f"ours_{op}"]) / count * 1000,
                "unit": "ms/op",
                "baseline": statistics.median(rounds[f"raw_{op}"]) / count * 1000,
                "baseline_name": f"azure-storage-blob {what}",
                "note": "median of 3 interleaved rounds",
            }
        )
    return rows


def _child(who: str, direction: str, conn: str, creds_json: str, bucket: str, path: str) -> None:
    """Run one streamed transfer in this (child) process; print seconds and peak RSS."""
    key = f"{who}.bin" if direction == "up" else "down.bin"
    if who == "ours":
        from cloud_common.core import get_storage_client

        account, secret, endpoint = json.loads(creds_json)
        client = get_storage_client(
            _creds(account, secret, endpoint), block_size=BLOCK, max_concurrency=CONCURRENCY
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
        raw = _raw_client(conn)
        raw.get_account_information()
        blob = raw.get_blob_client(bucket, key)
        started = time.perf_counter()
        if direction == "up":
            with open(path, "rb") as source:
                blob.upload_blob(source, overwrite=True, max_concurrency=CONCURRENCY)
        else:
            with open(path, "wb") as dest:
                blob.download_blob(max_concurrency=CONCURRENCY).readinto(dest)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mib": _peak_rss_mib()}))


def _peak_rss_mib() -> float:
    """This process's peak RSS (``VmHWM`` on Linux: ``ru_maxrss`` survives ``exec``)."""
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


def _streaming(conn: str, creds_json: str, size: int, quick: bool) -> list[dict[str, Any]]:
    raw = _raw_client(conn)
    bucket = f"bench-{uuid.uuid4().hex[:10]}"
    raw.create_container(bucket)
    label = f"{size // MiB} MiB"
    runs: dict[str, list[dict[str, float]]] = {}
    up_order = ("raw", "ours") if quick else ("raw", "ours", "ours", "raw")
    down_order = ("raw", "ours") if quick else ("ours", "raw", "raw", "ours")
    with tempfile.TemporaryDirectory(prefix="bench-azure-") as tmp:
        source = os.path.join(tmp, "source.bin")
        target = os.path.join(tmp, "target.bin")
        block = os.urandom(MiB)
        with open(source, "wb") as handle:
            for _ in range(size // MiB):
                handle.write(block)
        for who in up_order:  # one object at a time: Azurite keeps them in memory
            result = _run_child(who, "up", conn, creds_json, bucket, source)
            runs.setdefault(f"{who}_up", []).append(result)
            blob = raw.get_blob_client(bucket, f"{who}.bin")
            if blob.get_blob_properties().size != size:
                raise RuntimeError(f"{who}: uploaded the wrong size")
            blob.delete_blob()
        with open(source, "rb") as handle:
            raw.get_blob_client(bucket, "down.bin").upload_blob(handle, max_concurrency=CONCURRENCY)
        for who in down_order:
            result = _run_child(who, "down", conn, creds_json, bucket, target)
            runs.setdefault(f"{who}_down", []).append(result)
            if os.path.getsize(target) != size:
                raise RuntimeError(f"{who}: downloaded {os.path.getsize(target)} bytes of {size}")
            os.unlink(target)
    raw.delete_container(bucket)
    raw.close()
    rows = []
    for direction, what in (("up", "upload_blob"), ("down", "download_blob().readinto")):
        ours, base = runs[f"ours_{direction}"], runs[f"raw_{direction}"]
        rows.append(
            {
                "name": f"blob stream {direction} {label}",
                "ours": statistics.mean(size / MiB / r["seconds"] for r in ours),
                "unit": "MiB/s",
                "baseline": statistics.mean(size / MiB / r["seconds"] for r in base),
                "baseline_name": f"azure-storage-blob {what}",
                "higher_is_better": True,
                "note": f"4 MiB blocks, {CONCURRENCY} in flight, mean of {len(ours)}",
            }
        )
        rows.append(
            {
                "name": f"blob stream {direction} {label} peak RSS",
                "ours": max(r["peak_mib"] for r in ours),
                "unit": "MiB",
                "baseline": max(r["peak_mib"] for r in base),
                "baseline_name": f"azure-storage-blob {what}",
                "note": "client process only (Azurite runs separately)",
            }
        )
    return rows


def run(quick: bool) -> list[dict[str, Any]]:
    from cloud_common.azure.testing import Azurite, azurite_command

    if azurite_command() is None:
        print("# bench_azure: Azurite is not installed (npm ci), nothing measured", file=sys.stderr)
        return []
    azurite = Azurite()
    azurite.start()
    try:
        creds = azurite.credentials()
        creds_json = json.dumps([azurite.account, azurite.key, azurite.endpoint_url])
        conn = azurite.connection_string()
        rows = _small(conn, creds, 50 if quick else 500)
        rows += _streaming(conn, creds_json, 20 * MiB if quick else 256 * MiB, quick)
    finally:
        azurite.stop()
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        _child(*sys.argv[2:])
    else:
        for row in run("--quick" in sys.argv):
            print(row)

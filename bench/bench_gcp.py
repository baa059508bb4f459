"""cloud-common-gcp against raw google-cloud-storage on the same emulator, same run.

Small objects: 500 uploads and 500 downloads of 1 KiB through ``get_storage_client``
(guard included) vs ``Blob.upload_from_string`` / ``download_as_bytes``; three interleaved
rounds, median. Streaming: 1 GiB ``upload_stream`` / ``download_stream`` vs
``upload_from_filename`` / ``download_to_filename``, each in its own child process so its
peak RSS (``ru_maxrss``) is measured alone; the emulator (fake-gcs-server, filesystem
backend) runs as a separate process. ``quick=True``: 50 objects and 32 MiB.
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

PROJECT = "bench-project"


def _creds(endpoint: str) -> Any:
    from cloud_common.core import CloudCredentials, CloudProvider

    return CloudCredentials(
        CloudProvider.GCP,
        region="us-central1",
        project_id=PROJECT,
        metadata={"endpoint_url": endpoint},
    )


def _raw_client(endpoint: str) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": endpoint},
    )


def _small(endpoint: str, count: int) -> list[dict[str, Any]]:
    from cloud_common.core import get_storage_client

    ours = get_storage_client(_creds(endpoint))
    raw = _raw_client(endpoint)
    bucket = f"bench-{uuid.uuid4().hex[:10]}"
    ours.create_bucket(bucket)
    raw_bucket = raw.bucket(bucket)
    payload = os.urandom(1024)
    times: dict[str, list[float]] = {"ours_up": [], "raw_up": [], "ours_down": [], "raw_down": []}
    clock = time.perf_counter
    for round_no in range(3):
        # Interleaved per operation (order alternating), so server-side drift as objects
        # accumulate hits both clients alike.
        total = dict.fromkeys(times, 0.0)
        for i in range(count):
            key = f"r{round_no}/o{i:04d}"
            steps: list[tuple[str, Callable[[str], object]]] = [
                ("raw_up", lambda k: raw_bucket.blob("raw/" + k).upload_from_string(payload)),
                ("ours_up", lambda k: ours.upload_file(bucket, "ours/" + k, payload)),
            ]
            for name, step in steps if i % 2 else steps[::-1]:
                started = clock()
                step(key)
                total[name] += clock() - started
        for i in range(count):
            key = f"r{round_no}/o{i:04d}"
            steps = [
                ("raw_down", lambda k: raw_bucket.blob("raw/" + k).download_as_bytes()),
                ("ours_down", lambda k: ours.download_file(bucket, "ours/" + k)),
            ]
            for name, step in steps if i % 2 else steps[::-1]:
                started = clock()
                step(key)
                total[name] += clock() - started
        for name, value in total.items():
            times[name].append(value)
    med = {k: statistics.median(v) for k, v in times.items()}
    ours.close()
    note = "median of 3 rounds, calls interleaved, emulator subprocess"
    return [
        {
            "name": f"{count} small uploads (1 KiB)",
            "ours": med["ours_up"],
            "unit": "s",
            "baseline": med["raw_up"],
            "baseline_name": "google-cloud-storage",
            "note": note,
        },
        {
            "name": f"{count} small downloads (1 KiB)",
            "ours": med["ours_down"],
            "unit": "s",
            "baseline": med["raw_down"],
            "baseline_name": "google-cloud-storage",
            "note": note,
        },
    ]


def _child(mode: str, endpoint: str, bucket: str, path: str) -> None:
    """One streaming transfer in a fresh process; prints seconds and peak RSS (MB).

    Imports and client construction happen before the clock starts.
    """
    if mode.startswith("ours"):
        from cloud_common.core import get_storage_client

        client = get_storage_client(_creds(endpoint))
        client.native  # noqa: B018 - builds the SDK client before timing
        started = time.perf_counter()
        if mode == "ours_up":
            client.upload_stream(bucket, "ours.bin", path)
        else:
            client.download_stream(bucket, "ours.bin", path)
    else:
        blob = _raw_client(endpoint).bucket(bucket).blob("raw.bin")
        started = time.perf_counter()
        if mode == "raw_up":
            blob.upload_from_filename(path)
        else:
            blob.download_to_filename(path)
    elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "rss_mb": rss_mb}))


def _run_child(mode: str, endpoint: str, bucket: str, path: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), mode, endpoint, bucket, path],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _streams(endpoint: str, size: int) -> list[dict[str, Any]]:
    from cloud_common.core import get_storage_client

    bucket = f"bench-{uuid.uuid4().hex[:10]}"
    get_storage_client(_creds(endpoint)).create_bucket(bucket)
    with tempfile.TemporaryDirectory(prefix="cc-bench-gcp-") as folder:
        src = os.path.join(folder, "src.bin")
        block = os.urandom(1 << 20)
        with open(src, "wb") as handle:
            for _ in range(size >> 20):
                handle.write(block)
        results: dict[str, dict[str, float]] = {}
        for mode in ("raw_up", "ours_up"):
            results[mode] = _run_child(mode, endpoint, bucket, src)
        for mode in ("raw_down", "ours_down"):
            dest = os.path.join(folder, mode + ".bin")
            results[mode] = _run_child(mode, endpoint, bucket, dest)
            if os.path.getsize(dest) != size:
                raise RuntimeError(f"{mode}: downloaded {os.path.getsize(dest)} bytes of {size}")
            os.unlink(dest)
    mib = size / (1 << 20)
    label = f"{mib / 1024:g} GiB" if size >= 1 << 30 else f"{mib:g} MiB"
    rows: list[dict[str, Any]] = []
    for direction, ours_api, raw_api in (
        ("up", "upload_stream", "upload_from_filename"),
        ("down", "download_stream", "download_to_filename"),
    ):
        ours, raw = results[f"ours_{direction}"], results[f"raw_{direction}"]
        rows.append(
            {
                "name": f"{label} {ours_api} throughput",
                "ours": mib / ours["seconds"],
                "unit": "MiB/s",
                "baseline": mib / raw["seconds"],
                "baseline_name": f"google-cloud-storage {raw_api}",
                "higher_is_better": True,
            }
        )
        rows.append(
            {
                "name": f"{label} {ours_api} peak RSS",
                "ours": ours["rss_mb"],
                "unit": "MB",
                "baseline": raw["rss_mb"],
                "baseline_name": f"google-cloud-storage {raw_api}",
                "note": "client process, imports included; target < 200 MB",
            }
        )
    return rows


def run(quick: bool) -> list[dict[str, Any]]:
    from cloud_common.gcp.testing import GcsEmulator

    emulator = GcsEmulator("auto", memory=False).start()
    try:
        rows = _small(emulator.url, 50 if quick else 500)
        rows += _streams(emulator.url, (32 << 20) if quick else (1 << 30))
    finally:
        emulator.stop()
    if emulator.backend != "fake-gcs-server":
        for row in rows:
            row["note"] = (row.get("note", "") + "; in-process gcp-storage-emulator").lstrip("; ")
    return rows


if __name__ == "__main__":
    _child(*sys.argv[1:5])

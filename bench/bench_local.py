"""The local provider: streaming throughput and memory, and small-object operations per second.

Streaming: a 256 MiB file through ``upload_stream`` then ``download_stream``, against
``shutil.copyfile`` of the same file (and ``copyfile`` + ``fsync``, the same durability as the
default ``upload_stream``). Each transfer runs in a fresh interpreter, so its peak RSS is its
own. Small objects: 10,000 puts, one full listing and 10,000 reads through the registry's
client, against the same work on plain files. ``quick`` uses 16 MiB and 500 objects.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

MIB = 1 << 20

_CHILD = textwrap.dedent(
    """
    import json, os, resource, shutil, sys, time
    mode, src, work = sys.argv[1], sys.argv[2], sys.argv[3]
    result = {}
    if mode.startswith("copyfile"):
        start = time.perf_counter()
        shutil.copyfile(src, work + "/out.bin")
        if mode == "copyfile+fsync":
            fd = os.open(work + "/out.bin", os.O_RDONLY); os.fsync(fd); os.close(fd)
        result["seconds"] = time.perf_counter() - start
    else:
        from cloud_common.core import CloudCredentials, CloudProvider, get_storage_client
        creds = CloudCredentials(CloudProvider.LOCAL, metadata={"root": work + "/root"})
        client = get_storage_client(creds, durable=(mode != "upload-nosync"))
        start = time.perf_counter()
        if mode == "download":
            client.download_stream("bench", "stored.bin", work + "/out.bin")
        else:
            client.upload_stream("bench", "uploaded.bin", src)  # a new object each run
        result["seconds"] = time.perf_counter() - start
    try:  # VmHWM is this program's own peak; ru_maxrss also counts the parent before exec
        with open("/proc/self/status") as status:
            hwm = next(line for line in status if line.startswith("VmHWM:"))
        result["rss_mb"] = int(hwm.split()[1]) / 1024
    except OSError:
        result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
    """
)


def _child(mode: str, src: Path, work: Path) -> dict[str, float]:
    # Outputs of the run before are removed first: replacing a file makes ext4 flush the
    # new one at rename (auto_da_alloc), which would time the file system, not the copy.
    for leftover in (work / "out.bin", work / "root/storage/buckets/bench/uploaded.bin"):
        if leftover.exists():
            leftover.unlink()
    os.sync()  # every run starts with no dirty pages left by the one before
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(src), str(work)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def _streaming(size_mib: int, rounds: int) -> list[dict[str, Any]]:
    from cloud_common.core import CloudCredentials, CloudProvider, get_storage_client

    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        src = Path(tmp) / "source.bin"
        with open(src, "wb") as handle:
            block = os.urandom(MIB)
            for _ in range(size_mib):
                handle.write(block)
        work = Path(tmp) / "work"
        creds = CloudCredentials(CloudProvider.LOCAL, metadata={"root": str(work / "root")})
        setup = get_storage_client(creds)
        setup.create_bucket("bench")
        setup.upload_stream("bench", "stored.bin", src)
        stored = work / "root" / "storage" / "buckets" / "bench" / "stored.bin"
        runs: dict[str, list[dict[str, float]]] = {
            m: [] for m in ("copyfile", "copyfile+fsync", "upload", "upload-nosync", "download")
        }
        for _ in range(rounds):  # interleaved, so drift hits every contender alike
            for mode, results in runs.items():
                results.append(_child(mode, src, work))
        copy_stored = [_child("copyfile", stored, work)["seconds"] for _ in range(rounds)]

    def median(mode: str) -> float:
        return statistics.median(r["seconds"] for r in runs[mode])

    label = f"{size_mib} MiB"
    return [
        {
            "name": f"upload_stream {label} (fsync, default)",
            "ours": median("upload"),
            "unit": "s",
            "baseline": median("copyfile+fsync"),
            "baseline_name": "copyfile+fsync",
        },
        {
            "name": f"upload_stream {label} (fsync) vs plain copy",
            "ours": median("upload"),
            "unit": "s",
            "baseline": median("copyfile"),
            "baseline_name": "shutil.copyfile",
            "note": "fsync waits for the disk; copyfile does not",
        },
        {
            "name": f"upload_stream {label} (durable=False)",
            "ours": median("upload-nosync"),
            "unit": "s",
            "baseline": median("copyfile"),
            "baseline_name": "shutil.copyfile",
        },
        {
            "name": f"download_stream {label}",
            "ours": median("download"),
            "unit": "s",
            "baseline": statistics.median(copy_stored),
            "baseline_name": "shutil.copyfile",
            "note": "copyfile of the stored object's file",
        },
        {
            "name": f"peak RSS, streaming {label}",
            "ours": max(
                r["rss_mb"] for m in ("upload", "upload-nosync", "download") for r in runs[m]
            ),
            "unit": "MB",
            "baseline": max(r["rss_mb"] for r in runs["copyfile"]),
            "baseline_name": "copyfile process",
            "note": "target < 100 MB",
        },
    ]


def _small_objects(count: int) -> list[dict[str, Any]]:
    from cloud_common.core import CloudCredentials, CloudProvider, get_storage_client

    payloads = [f"object {n} ".encode() * 8 for n in range(count)]
    keys = [f"dir{n % 50:02d}/object-{n:06d}.txt" for n in range(count)]
    with tempfile.TemporaryDirectory(prefix="bench-local-small-") as tmp:
        creds = CloudCredentials(CloudProvider.LOCAL, metadata={"root": f"{tmp}/root"})
        client = get_storage_client(creds)
        client.create_bucket("bench")
        started = time.perf_counter()
        for key, data in zip(keys, payloads, strict=True):
            client.upload_file("bench", key, data, "text/plain")
        put = count / (time.perf_counter() - started)
        started = time.perf_counter()
        listed = sum(1 for _ in client.list_objects("bench"))
        listing = listed / (time.perf_counter() - started)
        started = time.perf_counter()
        for key in keys:
            client.download_file("bench", key)
        read = count / (time.perf_counter() - started)

        plain = Path(tmp) / "plain"
        started = time.perf_counter()
        for key, data in zip(keys, payloads, strict=True):
            path = plain / key
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp_path = path.with_name(f".{path.name}.tmp")
            with open(tmp_path, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_path, path)
        plain_put = count / (time.perf_counter() - started)
        started = time.perf_counter()
        plain_listed = sum(
            1 for p in sorted(plain.rglob("*")) if p.is_file() and p.stat().st_size >= 0
        )
        plain_list = plain_listed / (time.perf_counter() - started)
        started = time.perf_counter()
        for key in keys:
            (plain / key).read_bytes()
        plain_read = count / (time.perf_counter() - started)
    assert listed == count == plain_listed
    return [
        {
            "name": f"put {count:,} small objects",
            "ours": put,
            "unit": "ops/s",
            "baseline": plain_put,
            "baseline_name": "write+fsync+rename",
            "higher_is_better": True,
        },
        {
            "name": f"list {count:,} objects (with etag, type, metadata)",
            "ours": listing,
            "unit": "obj/s",
            "baseline": plain_list,
            "baseline_name": "sorted rglob+stat",
            "higher_is_better": True,
        },
        {
            "name": f"read {count:,} small objects",
            "ours": read,
            "unit": "ops/s",
            "baseline": plain_read,
            "baseline_name": "Path.read_bytes",
            "higher_is_better": True,
        },
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows for bench/run.py (see its docstring)."""
    if quick:
        return _streaming(16, 1) + _small_objects(300)
    return _streaming(256, 3) + _small_objects(10_000)


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row)

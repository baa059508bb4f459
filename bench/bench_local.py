"""The local provider: streaming throughput and memory, and small-object operations per second.

Streaming: a 256 MiB file through ``upload_stream`` then ``download_stream``, against
``shutil.copyfile`` of the same file (and ``copyfile`` + ``fsync``, the same durability as the
default ``upload_stream``). Each transfer runs in a fresh interpreter, so its peak RSS is its
own. Small objects (1 KiB): puts, reads and a listing of 1,000 keys through the registry's
client against obstore's ``LocalStore``, fsspec's ``LocalFileSystem`` and plain files (the
median of 7 rounds). ``quick`` uses 16 MiB and 200 objects.
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
from collections.abc import Sequence
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


def _median_ms(samples: list[float], count: int) -> float:
    return statistics.median(samples) / count * 1e3


def _small_objects(count: int, rounds: int) -> list[dict[str, Any]]:
    """1 KiB objects, ms per call, the median of ``rounds`` rounds: cloud-common through the
    registry's client against obstore's ``LocalStore``, fsspec's ``LocalFileSystem`` and
    plain files, interleaved round by round. Every round writes new keys (replacing a file
    makes ext4 flush it at rename, which would time the file system for all alike)."""
    # Pinned in the development workspace (hatch.toml); typed as Any where absent.
    import fsspec  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import obstore  # type: ignore[import-not-found,unused-ignore]
    from obstore.store import LocalStore  # type: ignore[import-not-found,unused-ignore]

    from cloud_common.core import CloudCredentials, CloudProvider, get_storage_client

    data = os.urandom(1024)
    names = [f"object-{n:06d}.bin" for n in range(count)]
    times: dict[str, list[float]] = {}

    def timed(label: str, work: Any) -> None:
        started = time.perf_counter()
        work()
        times.setdefault(label, []).append(time.perf_counter() - started)

    with tempfile.TemporaryDirectory(prefix="bench-local-small-") as tmp:
        creds = CloudCredentials(CloudProvider.LOCAL, metadata={"root": f"{tmp}/root"})
        durable = get_storage_client(creds)
        fast = get_storage_client(creds, durable=False)
        fast.create_bucket("bench")
        os.mkdir(f"{tmp}/obstore")
        store = LocalStore(f"{tmp}/obstore")
        fs = fsspec.filesystem("file")
        plain = f"{tmp}/plain"
        os.mkdir(plain)

        def plain_put(folder: str, sync: bool) -> None:
            os.mkdir(folder)
            for name in names:
                if sync:
                    part = f"{folder}/.{name}.tmp"
                    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    os.write(fd, data)
                    os.fsync(fd)
                    os.close(fd)
                    os.replace(part, f"{folder}/{name}")
                else:
                    with open(f"{folder}/{name}", "wb") as handle:
                        handle.write(data)

        def plain_get(folder: str) -> None:
            for name in names:
                with open(f"{folder}/{name}", "rb") as handle:
                    handle.read()

        def plain_list(folder: str) -> None:
            with os.scandir(folder) as entries:
                found = sorted((e.name, e.stat().st_size, e.stat().st_mtime) for e in entries)
            assert len(found) == count

        def one_round(p: str) -> None:
            timed("cc put", lambda: [fast.upload_file("bench", f"{p}/{n}", data) for n in names])
            timed("obstore put", lambda: [obstore.put(store, f"{p}/{n}", data) for n in names])
            fs.mkdir(f"{tmp}/fsspec/{p}")
            timed(
                "fsspec put", lambda: [fs.pipe_file(f"{tmp}/fsspec/{p}/{n}", data) for n in names]
            )
            timed("plain put", lambda: plain_put(f"{plain}/{p}", False))
            timed(
                "cc durable put",
                lambda: [durable.upload_file("bench", f"d{p}/{n}", data) for n in names],
            )
            timed("plain durable put", lambda: plain_put(f"{plain}/d{p}", True))
            timed("cc get", lambda: [fast.download_file("bench", f"{p}/{n}") for n in names])
            timed("obstore get", lambda: [obstore.get(store, f"{p}/{n}").bytes() for n in names])
            timed("fsspec get", lambda: [fs.cat_file(f"{tmp}/fsspec/{p}/{n}") for n in names])
            timed("plain get", lambda: plain_get(f"{plain}/{p}"))
            timed("cc list", lambda: _expect(count, list(fast.list_objects("bench", f"{p}/"))))
            timed("obstore list", lambda: _expect(count, obstore.list(store, p).collect()))
            timed("fsspec list", lambda: _expect(count, fs.ls(f"{tmp}/fsspec/{p}", detail=True)))
            timed("plain list", lambda: plain_list(f"{plain}/{p}"))

        for r in range(rounds):
            one_round(f"r{r}")

    def ms(label: str, per: int = count) -> float:
        return _median_ms(times[label], per)

    rows: list[dict[str, Any]] = []
    for op, per, title in (
        ("put", count, "put 1 KiB (durable=False)"),
        ("get", count, "get 1 KiB"),
        ("list", 1, f"list {count:,} keys"),
    ):
        for other, target in (("obstore", " (target <= 1.5)"), ("fsspec", ""), ("plain", "")):
            rows.append(
                {
                    "name": f"{title} vs {other}",
                    "ours": ms(f"cc {op}", per),
                    "unit": "ms",
                    "baseline": ms(f"{other} {op}", per),
                    "baseline_name": {
                        "obstore": "obstore LocalStore",
                        "fsspec": "fsspec LocalFileSystem",
                        "plain": "open().write/read, scandir",
                    }[other],
                    "note": f"ms per {'call' if per > 1 else 'listing'}{target}",
                }
            )
    rows.append(
        {
            "name": "put 1 KiB (fsync, default)",
            "ours": ms("cc durable put"),
            "unit": "ms",
            "baseline": ms("plain durable put"),
            "baseline_name": "write+fsync+rename",
            "note": "ms per call (target <= 1.5)",
        }
    )
    return rows


def _expect(count: int, found: Sequence[Any]) -> None:
    assert len(found) == count, len(found)


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows for bench/run.py (see its docstring)."""
    if quick:
        return _streaming(16, 1) + _small_objects(200, 3)
    return _streaming(256, 3) + _small_objects(1_000, 7)


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(row)

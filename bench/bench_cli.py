"""``cloud-common cp -r`` from a local folder to S3 (moto's server), against the transfer code
``aws s3 cp --recursive`` runs (s3transfer's TransferManager, 10 concurrent requests), in the same run.

Rows: 1,000 small objects (1-16 KiB), and one 256 MiB object (multipart). Both sides talk to
the same moto server through the aws provider's contract-test harness.

    python bench/bench_cli.py [--quick]      # standalone
    ./dev bench cli                          # a row of the table of bench/run.py
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

JOBS = 10  # aws s3 cp's default max_concurrent_requests


@contextlib.contextmanager
def _moto() -> Iterator[tuple[Any, dict[str, str]]]:
    """The aws harness, started: (its credentials, its environment for the command)."""
    from cloud_common.core import get_provider

    info = get_provider("aws")
    if info.harness is None:
        raise RuntimeError("the aws provider declares no harness")
    module, _, name = info.harness.partition(":")
    harness = getattr(importlib.import_module(module), name)()
    harness.start()
    try:
        creds = harness.credentials()
        endpoint = creds.metadata.get("endpoint_url") or harness.client_options("storage").get(
            "endpoint_url"
        )
        env = {
            "AWS_ACCESS_KEY_ID": creds.access_key or "",
            "AWS_SECRET_ACCESS_KEY": creds.secret_key or "",
            "AWS_REGION": creds.region,
            "AWS_ENDPOINT_URL": str(endpoint),
        }
        yield creds, env
    finally:
        harness.stop()


def _boto3_client(env: dict[str, str]) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    )


def _aws_s3_cp(client: Any, folder: Path, bucket: str, prefix: str) -> None:
    """What ``aws s3 cp --recursive`` does: every file submitted to one s3transfer
    TransferManager, 10 requests in flight, 8 MiB parts."""
    from s3transfer.manager import TransferConfig, TransferManager

    config = TransferConfig(max_request_concurrency=JOBS, multipart_chunksize=8 * 1024 * 1024)
    with TransferManager(client, config) as manager:
        futures = [
            manager.upload(str(p), bucket, prefix + p.relative_to(folder).as_posix())
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        ]
        for future in futures:
            future.result()


def _ours(folder: Path, bucket: str, prefix: str, env: dict[str, str]) -> None:
    from cloud_common.cli import main

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # one "copied" line per object
            status = main(["cp", "-r", str(folder), f"s3://{bucket}/{prefix}", "-j", str(JOBS)])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if status != 0:
        raise RuntimeError(f"cloud-common cp exited {status}")


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(quick: bool) -> list[dict[str, Any]]:
    count = 100 if quick else 1000
    big = (16 if quick else 256) * 1024 * 1024
    rows: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        small = work / "small"
        for i in range(count):
            path = small / f"d{i % 10}" / f"f{i:04d}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(1024 * (1 + i % 16)))
        large = work / "large"
        large.mkdir()
        with open(large / "big.bin", "wb") as f:
            for _ in range(big // (8 * 1024 * 1024)):
                f.write(os.urandom(8 * 1024 * 1024))
        warm = work / "warm"
        warm.mkdir()
        (warm / "w.txt").write_bytes(b"warm")
        with _moto() as (_, env):
            client = _boto3_client(env)
            client.create_bucket(Bucket="bench-cli-warm")
            _ours(warm, "bench-cli-warm", "w/", env)  # imports and first connections
            _aws_s3_cp(client, warm, "bench-cli-warm", "b/")
            for label, folder in ((f"{count} small objects", small), ("one big object", large)):
                bucket = f"bench-cli-{uuid.uuid4().hex[:10]}"
                client.create_bucket(Bucket=bucket)
                base = _timed(lambda f=folder, b=bucket: _aws_s3_cp(client, f, b, "base/"))
                ours = _timed(lambda f=folder, b=bucket: _ours(f, b, "ours/", env))
                size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
                rows.append(
                    {
                        "name": f"cp -r local->s3(moto): {label} ({size / 2**20:.0f} MiB)",
                        "ours": ours,
                        "unit": "s",
                        "baseline": base,
                        "baseline_name": "boto3 S3Transfer (aws s3 cp)",
                    }
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="100 objects and 16 MiB")
    args = parser.parse_args(argv)
    for row in run(args.quick):
        ratio = row["ours"] / row["baseline"]
        print(
            f"{row['name']:<52} ours {row['ours']:7.2f} s   "
            f"{row['baseline_name']} {row['baseline']:7.2f} s   ratio {ratio:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

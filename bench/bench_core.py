"""Cost of ``import cloud_common.core`` + ``available_providers()`` in a fresh interpreter."""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
from typing import Any

OURS = "import cloud_common.core as c; ids = [p.id for p in c.available_providers()]"
BASELINES = {"boto3": "import boto3", "google.cloud.storage": "import google.cloud.storage"}


def _timed(statement: str, runs: int) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(samples) * 1000


def run(quick: bool) -> list[dict[str, Any]]:
    runs = 5 if quick else 21
    ours = _timed(OURS, runs)
    rows: list[dict[str, Any]] = [
        {
            "name": "import core + available_providers()",
            "ours": ours,
            "unit": "ms",
            "note": f"median of {runs}",
        }
    ]
    for module, statement in BASELINES.items():
        if importlib.util.find_spec(module.split(".")[0]) is not None:
            rows.append(
                {
                    "name": "import core + discovery vs SDK import",
                    "ours": ours,
                    "baseline": _timed(statement, runs),
                    "baseline_name": f"`{statement}`",
                    "unit": "ms",
                }
            )
    return rows

"""Cost of ``import cloud_common.core`` + ``available_providers()`` in a fresh interpreter."""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
from typing import Any

OURS = "import cloud_common.core as c; ids = [p.id for p in c.available_providers()]"
SPEC_STDLIB = "import abc, dataclasses, datetime, enum, logging, typing"
"""What the spec's own definitions force on any implementation (dataclass models, enums,
typing, datetime fields, the logging requirement, ABCs): the floor. Target <= 1.3x."""
BASELINES = {
    "obstore": "import obstore",
    "opendal": "import opendal",
    "boto3": "import boto3",
    "google.cloud.storage": "import google.cloud.storage",
}


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
    rows.append(
        {
            "name": "import core + discovery vs the spec's stdlib",
            "ours": ours,
            "baseline": _timed(SPEC_STDLIB, runs),
            "baseline_name": f"`{SPEC_STDLIB}`",
            "unit": "ms",
            "note": "target <= 1.3",
        }
    )
    for module, statement in BASELINES.items():
        if importlib.util.find_spec(module.split(".")[0]) is not None:
            rows.append(
                {
                    "name": f"import core + discovery vs {module}",
                    "ours": ours,
                    "baseline": _timed(statement, runs),
                    "baseline_name": f"`{statement}`",
                    "unit": "ms",
                }
            )
    return rows

"""scripts/contract.py: one pytest process per provider, reports in a folder, exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "contract.py"
ACME_SRC = REPO / "examples" / "thirdparty-provider" / "src"


def _contract(variants: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    paths = [str(variants), str(Path(__file__).parent), str(ACME_SRC)]
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_runs_each_named_provider_and_writes_its_report(variants: Path, tmp_path: Path) -> None:
    proc = _contract(
        variants, "acme", "acme-liar", "--report-dir", str(tmp_path), "--", "-k", "exists"
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    ok = json.loads((tmp_path / "acme.json").read_text())
    liar = json.loads((tmp_path / "acme-liar.json").read_text())
    assert ok["exitstatus"] == 0 and ok["totals"]["passed"] >= 1
    assert liar["exitstatus"] == 1 and liar["totals"]["failed"] >= 1
    summary = proc.stdout[proc.stdout.index("contract suite summary") :]
    assert "\nacme " in summary and "passed" in summary and "contract 0.3" in summary
    assert "acme-liar" in summary and "FAILED" in summary


def test_a_named_provider_whose_harness_cannot_start_fails(variants: Path, tmp_path: Path) -> None:
    proc = _contract(
        variants,
        "acme",
        "--report-dir",
        str(tmp_path),
        "--",
        "--cloud-harness",
        "broken_acme:BrokenStartHarness",
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    report = json.loads((tmp_path / "acme.json").read_text())
    assert report["harness_error"] == "RuntimeError: the emulator binary is missing"

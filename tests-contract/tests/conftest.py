"""Fixtures of the suite's self-tests: run the suite in a fresh pytest process, as a user
would, against installed (broken) plugins, and read its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ACME_SRC = REPO / "examples" / "thirdparty-provider" / "src"


@dataclass
class Run:
    """What one run of the suite produced."""

    returncode: int
    output: str
    report: dict[str, Any] | None

    def outcome(self, name_part: str) -> set[str]:
        """Outcomes of the tests whose node id contains ``name_part``."""
        assert self.report is not None, self.output[-3000:]
        return {t["outcome"] for t in self.report["tests"] if name_part in t["nodeid"]}

    def failed(self) -> list[str]:
        assert self.report is not None, self.output[-3000:]
        return [t["nodeid"] for t in self.report["tests"] if t["outcome"] == "failed"]


def install_variants(folder: Path) -> Path:
    """Make every broken Acme variant an installed plugin: a ``*.dist-info`` in ``folder``."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ACME_SRC))
    try:
        import broken_acme

        text = broken_acme.entry_points_txt()
    finally:
        sys.path.remove(str(HERE))
        sys.path.remove(str(ACME_SRC))
        sys.modules.pop("broken_acme", None)
    dist = folder / "acme_variants-0.0.1.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-variants\nVersion: 0.0.1\n")
    (dist / "entry_points.txt").write_text(text)
    return folder


def run_suite(
    cwd: Path,
    provider: str,
    *args: str,
    plugins: Path | None = None,
    timeout: float = 300,
    report_option: bool = True,
) -> Run:
    """``python -m pytest --cloud-provider PROVIDER ARGS`` in ``cwd``; the report is parsed."""
    report = cwd / f"report-{provider}.json"
    env = dict(os.environ)
    paths = [str(p) for p in (plugins, HERE, ACME_SRC) if p is not None]
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-q",
                "--show-capture=no",
                "--cloud-provider",
                provider,
                *(["--cloud-report", str(report)] if report_option else []),
                *args,
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return Run(-1, f"timed out after {timeout}s: {exc.stdout!r} {exc.stderr!r}", None)
    data = json.loads(report.read_text()) if report.exists() else None
    return Run(proc.returncode, proc.stdout + proc.stderr, data)


@pytest.fixture(scope="session")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the dist-info that installs every broken Acme variant."""
    return install_variants(tmp_path_factory.mktemp("plugins"))


@pytest.fixture(scope="session")
def suite_runner() -> Any:
    """``run_suite(cwd, provider, *args, plugins=...)`` as a fixture (test modules cannot
    import the conftest under ``--import-mode=importlib``)."""
    return run_suite

"""Fixtures of the suite's self-tests: run the suite in a fresh pytest process, as a user
would, against installed (broken) plugins, and read its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
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


def _dist_info(folder: Path, name: str, version: str, entry_points: str) -> None:
    dist = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text(entry_points)


def _broken_acme() -> Any:
    sys.path[:0] = [str(HERE), str(ACME_SRC)]
    try:
        with warnings.catch_warnings():  # acme-legacy declares bucket_rules="s3", as 0.2 did
            warnings.simplefilter("ignore", DeprecationWarning)
            import broken_acme

        return broken_acme
    finally:
        sys.path.remove(str(HERE))
        sys.path.remove(str(ACME_SRC))


def install_variants(folder: Path) -> Path:
    """Make installed plugins in ``folder`` (a ``*.dist-info`` each): the Acme example
    (``acme``), the frozen 0.2 Acme (``acme-legacy``) and every broken variant."""
    group = "[cloud_common.providers]\n"
    _dist_info(folder, "acme-cloud-provider", "0.2.0", group + "acme = acme_cloud._info:PROVIDER\n")
    _dist_info(folder, "acme-legacy", "0.2.0", group + "acme-legacy = acme_legacy._info:PROVIDER\n")
    broken = _broken_acme()
    try:
        _dist_info(folder, "acme-variants", "0.0.1", broken.entry_points_txt(broken.VARIANTS))
    finally:
        _forget("broken_acme", "acme_legacy")
    return folder


def install_incompatible(folder: Path) -> Path:
    """Installed plugins in ``folder`` that declare contracts this core does not load."""
    broken = _broken_acme()
    try:
        _dist_info(
            folder, "acme-incompatible", "0.0.1", broken.entry_points_txt(broken.INCOMPATIBLE)
        )
        return folder
    finally:
        _forget("broken_acme", "acme_legacy")


def _forget(*packages: str) -> None:
    """Drop the self-tests' own modules imported above: their folder is not on this
    process's path (``acme_cloud`` stays: the example's own tests may use it)."""
    for name in list(sys.modules):
        if name.split(".")[0] in packages:
            del sys.modules[name]


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
    """A folder holding the dist-infos of acme, acme-legacy and every broken variant."""
    return install_variants(tmp_path_factory.mktemp("plugins"))


@pytest.fixture(scope="session")
def incompatible(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the dist-info of Acme providers for contracts 0.1 and 1.0."""
    return install_incompatible(tmp_path_factory.mktemp("incompatible"))


@pytest.fixture(scope="session")
def suite_runner() -> Any:
    """``run_suite(cwd, provider, *args, plugins=...)`` as a fixture (test modules cannot
    import the conftest under ``--import-mode=importlib``)."""
    return run_suite

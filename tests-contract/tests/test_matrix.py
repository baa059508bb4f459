"""The docs' compatibility matrix (docs/hooks/compat.py) rendered from real suite reports."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "docs" / "hooks" / "compat.py"


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compat_hook", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_keeps_its_marker() -> None:
    assert _hook().MARKER in (REPO / "docs" / "compatibility.md").read_text(encoding="utf-8")


def test_the_matrix_shows_each_providers_totals_capabilities_and_skips(
    tmp_path: Path, suite_runner: Any, variants: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = str(REPO / "tests-contract" / "src" / "cloud_common" / "contract_tests" / "suite")
    suite_runner(tmp_path, "acme", f"{s}/test_storage_objects.py", plugins=variants)
    suite_runner(tmp_path, "acme-nobadcreds", "-k", "bad_credentials", plugins=variants)
    (tmp_path / "junk.json").write_text("[1, 2]")
    hook = _hook()
    reports = hook.load_reports(tmp_path)
    assert [r["provider"] for r in reports] == ["acme", "acme-nobadcreds"]
    monkeypatch.setenv("CLOUD_COMMON_CONTRACT_REPORTS", str(tmp_path))
    page = hook.on_page_markdown(
        f"# Matrix\n\n{hook.MARKER}\n", page=None, config={"config_file_path": None}, files=None
    )
    text = hook.render(reports)
    assert page == f"# Matrix\n\n{text}\n"
    acme = json.loads((tmp_path / "report-acme.json").read_text())
    totals = acme["totals"]
    assert f"| {totals['passed']} | {totals['failed']} | {totals['skipped']} | ✅ passed |" in text
    assert "| `storage.copy_file` | ✅ passed" in text
    assert "`acme-nobadcreds`: 15 tests: harness limitation: bad_credentials() is None" in text
    assert "`acme`: none" in text
    assert "No contract reports" in hook.render([])

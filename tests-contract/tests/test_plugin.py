"""The plugin itself: inert by default, found from an empty directory, options and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloud_common.contract_tests._session import SUITE_DIR


def test_without_a_provider_the_plugin_is_inert(tmp_path: Path, suite_runner: Any) -> None:
    (tmp_path / "test_mine.py").write_text("def test_mine():\n    assert True\n")
    run = suite_runner(tmp_path, "", plugins=None)
    assert run.returncode == 0, run.output
    assert "1 passed" in run.output
    assert "contract suite" not in run.output
    assert run.report is None


def test_an_inert_run_over_the_suite_folder_collects_nothing(
    tmp_path: Path, suite_runner: Any
) -> None:
    run = suite_runner(tmp_path, "", str(SUITE_DIR))
    assert run.returncode == 5, run.output  # pytest: no tests collected


def test_an_empty_directory_runs_the_whole_suite(
    tmp_path: Path, suite_runner: Any, variants: Path
) -> None:
    run = suite_runner(tmp_path, "acme", "-k", "provider_info or round_trips", plugins=variants)
    assert run.returncode == 0, run.output[-3000:]
    nodeids = [t["nodeid"] for t in run.report["tests"]]
    assert any("test_provider.py" in n for n in nodeids)
    assert any("test_storage_data.py" in n for n in nodeids)


def test_naming_a_suite_module_runs_only_that_module(
    tmp_path: Path, suite_runner: Any, variants: Path
) -> None:
    run = suite_runner(tmp_path, "acme", str(SUITE_DIR / "test_provider.py"), plugins=variants)
    assert run.returncode == 0, run.output[-3000:]
    files = {t["nodeid"].split("::")[0].rsplit("/", 1)[-1] for t in run.report["tests"]}
    assert files == {"test_provider.py"}
    assert len(run.report["tests"]) == len(set(t["nodeid"] for t in run.report["tests"]))


def test_the_ini_options_work_like_the_command_line(
    tmp_path: Path, suite_runner: Any, variants: Path
) -> None:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\ncloud_provider = acme\ncloud_strict = true\ncloud_max_skips = 3\n"
        "cloud_harness = broken_acme:NoBadCredentialsHarness\ncloud_report = ini-report.json\n"
    )
    run = suite_runner(tmp_path, "", "-k", "bad_credentials", plugins=variants, report_option=False)
    assert run.returncode == 1, run.output[-3000:]
    assert (tmp_path / "ini-report.json").exists(), run.output[-3000:]
    report = json.loads((tmp_path / "ini-report.json").read_text())
    assert report["provider"] == "acme" and report["strict"] is True
    assert report["harness"] == "broken_acme:NoBadCredentialsHarness"
    assert report["max_skips"] == 3
    assert {t["outcome"] for t in report["tests"]} == {"skipped"}, "harness limitations"
    assert report["totals"]["skipped"] > 3, "so the run fails on cloud_max_skips"


def test_network_rows_of_a_client_without_network_are_not_applicable_not_skipped(
    tmp_path: Path, suite_runner: Any, variants: Path
) -> None:
    args = ["--cloud-strict", "--cloud-max-skips", "0", "-k", "unreachable"]
    run = suite_runner(
        tmp_path, "acme", "--cloud-harness", "broken_acme:NoNetworkHarness", *args, plugins=variants
    )
    assert run.returncode == 0, run.output[-3000:]
    assert run.outcome("[storage]") == {"not_applicable"}
    assert run.outcome("[compute]") == {"passed"}, "only the service the hook names"
    assert run.report["totals"]["not_applicable"] == 1
    assert run.report["totals"]["skipped"] == run.report["declared_skips"] == 0
    assert list(run.report["not_applicable_reasons"].values()) == [1]
    assert run.report["capabilities"]["storage"]["status"] == "not applicable"
    assert "1x not applicable: the storage client makes no network call" in run.output


def test_an_unknown_provider_is_a_usage_error(tmp_path: Path, suite_runner: Any) -> None:
    run = suite_runner(tmp_path, "no-such-cloud")
    assert run.returncode == 4, run.output
    assert "no provider 'no-such-cloud' is installed" in run.output


def test_a_harness_that_cannot_start_is_reported(
    tmp_path: Path, suite_runner: Any, variants: Path
) -> None:
    run = suite_runner(
        tmp_path, "acme", "--cloud-harness", "broken_acme:BrokenStartHarness", plugins=variants
    )
    assert run.returncode == 4, run.output
    assert "the emulator binary is missing" in run.output
    assert run.report["harness_error"] == "RuntimeError: the emulator binary is missing"


def test_a_harness_must_subclass_harness(tmp_path: Path, suite_runner: Any, variants: Path) -> None:
    run = suite_runner(
        tmp_path, "acme", "--cloud-harness", "broken_acme:NotAHarness", plugins=variants
    )
    assert run.returncode == 4
    assert "is not a subclass of cloud_common.contract_tests.Harness" in run.output
    run = suite_runner(tmp_path, "acme", "--cloud-harness", "no_such_module:H", plugins=variants)
    assert run.returncode == 4
    assert "cannot import" in run.report["harness_error"]
    assert "cannot import the contract-test harness no_such_module:H" in run.output

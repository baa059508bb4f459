"""Run the contract suite once per provider, each in its own pytest process.

    python scripts/contract.py                 # every installed first-party provider
    python scripts/contract.py --all           # every installed provider with a harness
    python scripts/contract.py local acme      # just these (third-party ids too)
    python scripts/contract.py --strict aws    # strict mode
    python scripts/contract.py --strict --max-skips 5   # CI: strict, <= 5 declared skips each
    python scripts/contract.py local -- -k storage -x   # after --: extra pytest arguments

Reports go to ``--report-dir`` (default ``build/contract``, where the docs build reads them
for the compatibility matrix), one ``<id>.json`` each. Without ids, a provider whose harness cannot start (its ``testing`` extra is not installed, say) is
listed as not run; a named provider that cannot start counts as a failure. Exit status: 0
when every run passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
USAGE_ERROR = 4


def _installed(every: bool) -> list[str]:
    """Installed providers that name a harness: first-party ones, or ``every`` one."""
    from cloud_common.core import available_providers, broken_providers  # noqa: PLC0415

    for broken in broken_providers():
        print(f"note: provider plugin {broken.name!r} is unusable: {broken.reason}")
    return [
        p.id
        for p in available_providers()
        if p.harness and (every or (p.distribution or "").startswith("cloud-common-"))
    ]


def _suite_dir() -> Path:
    from cloud_common.contract_tests._session import SUITE_DIR  # noqa: PLC0415

    return SUITE_DIR


def _run(
    provider: str, report: Path, strict: bool, max_skips: int | None, extra: list[str]
) -> tuple[int, float]:
    report.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--cloud-provider",
        provider,
        "--cloud-report",
        str(report),
        *(["--cloud-strict"] if strict else []),
        *(["--cloud-max-skips", str(max_skips)] if max_skips is not None else []),
        *extra,
        str(_suite_dir()),
    ]
    print(f"\n=== contract suite: {provider} ===\n$ {' '.join(command)}", flush=True)
    started = time.monotonic()
    code = subprocess.call(command, cwd=ROOT)
    return code, time.monotonic() - started


def _read(report: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args:
        extra = args[args.index("--") + 1 :]
        args = args[: args.index("--")]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "providers", nargs="*", help="provider ids (default: installed first-party)"
    )
    parser.add_argument("--strict", action="store_true", help="pass --cloud-strict")
    parser.add_argument(
        "--all", action="store_true", help="every installed provider with a harness"
    )
    parser.add_argument(
        "--max-skips", type=int, default=None, help="pass --cloud-max-skips N to each run"
    )
    parser.add_argument(
        "--report-dir", type=Path, default=ROOT / "build" / "contract", help="where reports go"
    )
    options = parser.parse_args(args)
    named = bool(options.providers)
    providers = options.providers or _installed(options.all)
    if not providers:
        print("no provider with a contract-test harness is installed")
        return 1
    options.report_dir.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str]] = []
    failed = False
    for provider in providers:
        report_path = options.report_dir / f"{provider}.json"
        code, seconds = _run(provider, report_path, options.strict, options.max_skips, extra)
        report = _read(report_path)
        if code == USAGE_ERROR and report is not None and report.get("harness_error") and not named:
            rows.append((provider, "not run", f"harness cannot start: {report['harness_error']}"))
            continue
        totals = report["totals"] if report else {}
        contract = f"contract {report['contract_version']}, " if report else ""
        detail = (
            f"{contract}{totals.get('passed', 0)} passed, {totals.get('failed', 0)} failed, "
            f"{totals.get('skipped', 0)} skipped, {totals.get('not_applicable', 0)} not "
            f"applicable in {seconds:.1f}s"
        )
        for reason, count in (report or {}).get("skip_reasons", {}).items():
            detail += f"\n{'':31}skipped {count}x: {reason}"
        for reason, count in (report or {}).get("not_applicable_reasons", {}).items():
            detail += f"\n{'':31}{count}x {reason}"
        rows.append((provider, "passed" if code == 0 else f"FAILED (exit {code})", detail))
        failed = failed or code != 0
    print("\n=== contract suite summary ===")
    for provider, status, detail in rows:
        print(f"{provider:12} {status:18} {detail}")
    print(f"reports: {options.report_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

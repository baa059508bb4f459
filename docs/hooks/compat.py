"""mkdocs hook: the compatibility matrix page from the contract suite's JSON reports.

``docs/compatibility.md`` holds the marker ``<!-- contract-matrix -->``; at build time it is
replaced by tables made from every ``*.json`` report in ``build/contract/`` (what
``python scripts/contract.py --strict`` writes), or the folder named by
``$CLOUD_COMMON_CONTRACT_REPORTS``. Without reports the page says how to produce them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["MARKER", "load_reports", "on_page_markdown", "render"]

MARKER = "<!-- contract-matrix -->"
_MARK = {"passed": "✅ passed", "failed": "❌ failed", "skipped": "⏭ skipped"}


def load_reports(folder: Path) -> list[dict[str, Any]]:
    """The readable reports in ``folder``, by provider id."""
    reports = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("provider") and "totals" in data:
            reports.append(data)
    return sorted(reports, key=lambda r: str(r["provider"]))


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(reports: list[dict[str, Any]]) -> str:
    """Markdown tables: one row per provider, then capability x provider, then skips."""
    if not reports:
        return (
            "!!! note\n    No contract reports were found when these docs were built. Run "
            "`python scripts/contract.py --strict` (reports go to `build/contract/`), then "
            "build the docs again.\n"
        )
    lines = [
        "| provider | distribution | contract | strict | passed | failed | skipped | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        t = r["totals"]
        dist = f"{r.get('distribution') or '-'} {r.get('provider_version') or ''}".strip()
        if r.get("harness_error"):
            result = f"harness could not start: {r['harness_error']}"
        else:
            result = "✅ passed" if r.get("exitstatus") == 0 else "❌ failed"
        lines.append(
            f"| `{_cell(r['provider'])}` {_cell(r.get('display_name') or '')} | {_cell(dist)} "
            f"| {_cell(r.get('contract_version'))} | {'yes' if r.get('strict') else 'no'} "
            f"| {t.get('passed', 0)} | {t.get('failed', 0)} | {t.get('skipped', 0)} "
            f"| {_cell(result)} |"
        )
    caps = sorted({c for r in reports for c in r.get("capabilities", {})})
    ids = [str(r["provider"]) for r in reports]
    lines += ["", "| capability | " + " | ".join(f"`{i}`" for i in ids) + " |"]
    lines.append("|---|" + "---|" * len(ids))
    for cap in caps:
        cells = []
        for r in reports:
            row = r.get("capabilities", {}).get(cap)
            if row is None:
                cells.append("—")
                continue
            text = _MARK.get(row["status"], row["status"])
            counts = f" ({row['passed']}/{row['passed'] + row['failed'] + row['skipped']})"
            cells.append(text + counts + ("" if row.get("declared") else ", not declared"))
        lines.append(f"| `{cap}` | " + " | ".join(cells) + " |")
    lines += ["", "Skips, by reason (a harness limitation is the fake's, not the provider's):", ""]
    for r in reports:
        reasons = r.get("skip_reasons") or {}
        if not reasons:
            lines.append(f"- `{r['provider']}`: none")
            continue
        for reason, count in reasons.items():
            lines.append(f"- `{r['provider']}`: {count} tests: {_cell(reason)}")
    stamp = max(str(r.get("finished_at") or "") for r in reports)
    lines += ["", f"Latest run: {stamp or 'unknown'}."]
    return "\n".join(lines) + "\n"


def _folder(config: Any) -> Path:
    env = os.environ.get("CLOUD_COMMON_CONTRACT_REPORTS")
    if env:
        return Path(env)
    config_file = config.get("config_file_path") if hasattr(config, "get") else None
    root = Path(config_file).parent if config_file else Path.cwd()
    return root / "build" / "contract"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any, **_: Any) -> str:
    """mkdocs event: fill the marker of the compatibility page."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render(load_reports(_folder(config))))

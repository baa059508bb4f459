"""The JSON report of one run: provider, versions, and capability → passed/failed/skipped
(and not applicable)."""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cloud_common.core import ProviderInfo

__all__ = ["REPORT_FORMAT", "Outcome", "Report"]

REPORT_FORMAT = 2
"""Version of the report's layout; bumped when a field changes meaning (2: the outcome
``not_applicable``, counted apart from skips, and ``not_applicable_reasons``)."""


def _version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


@dataclass
class Outcome:
    """One test's result."""

    nodeid: str
    capabilities: list[str]
    outcome: str  # passed | failed | skipped | not_applicable
    reason: str | None = None


@dataclass
class Report:
    """Collects outcomes during the run; ``write`` saves the JSON file."""

    provider_id: str
    info: ProviderInfo | None
    strict: bool
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    harness: str | None = None
    harness_error: str | None = None
    undeclared_calls: list[dict[str, Any]] = field(default_factory=list)
    unmarked_calls: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    max_skips: int | None = None
    declared_skips: int = 0

    def limitations(self) -> dict[str, int]:
        """``{reason: tests}`` of the skips caused by the harness (reason "harness
        limitation: ...")."""
        counts: dict[str, int] = {}
        for o in self.outcomes.values():
            if o.outcome == "skipped" and (o.reason or "").startswith("harness limitation:"):
                counts[o.reason or ""] = counts.get(o.reason or "", 0) + 1
        return dict(sorted(counts.items()))

    def skip_reasons(self) -> dict[str, int]:
        """``{reason: tests}`` of every skip."""
        counts: dict[str, int] = {}
        for o in self.outcomes.values():
            if o.outcome == "skipped":
                counts[o.reason or ""] = counts.get(o.reason or "", 0) + 1
        return dict(sorted(counts.items()))

    def not_applicable(self) -> dict[str, int]:
        """``{reason: tests}`` of the rows that cannot apply to the provider (not skips)."""
        counts: dict[str, int] = {}
        for o in self.outcomes.values():
            if o.outcome == "not_applicable":
                counts[o.reason or ""] = counts.get(o.reason or "", 0) + 1
        return dict(sorted(counts.items()))

    def record(self, outcome: Outcome) -> None:
        """Keep the worst outcome of a test's phases (failed > skipped > not_applicable >
        passed)."""
        rank = {"passed": 0, "not_applicable": 1, "skipped": 2, "failed": 3}
        old = self.outcomes.get(outcome.nodeid)
        if old is None or rank[outcome.outcome] > rank[old.outcome]:
            self.outcomes[outcome.nodeid] = outcome

    def by_capability(self) -> dict[str, dict[str, Any]]:
        """``{capability: {"status", "passed", "failed", "skipped", "not_applicable",
        "declared", "skip_reasons"}}``; status ``not applicable`` when every row of the
        capability was."""
        declared = set(self.info.capabilities) if self.info else set()
        table: dict[str, dict[str, Any]] = {}
        for outcome in self.outcomes.values():
            for cap in outcome.capabilities:
                row = table.setdefault(
                    cap,
                    {
                        "passed": 0,
                        "failed": 0,
                        "skipped": 0,
                        "not_applicable": 0,
                        "skip_reasons": [],
                    },
                )
                row[outcome.outcome] += 1
                if outcome.outcome == "skipped" and outcome.reason not in row["skip_reasons"]:
                    row["skip_reasons"].append(outcome.reason)
        for cap, row in table.items():
            row["declared"] = cap in declared
            if row["failed"]:
                row["status"] = "failed"
            elif row["passed"]:
                row["status"] = "passed"
            elif row["not_applicable"] and not row["skipped"]:
                row["status"] = "not applicable"
            else:
                row["status"] = "skipped"
        return dict(sorted(table.items()))

    def to_dict(self, exitstatus: int | None) -> dict[str, Any]:
        info = self.info
        totals = {"passed": 0, "failed": 0, "skipped": 0, "not_applicable": 0}
        for outcome in self.outcomes.values():
            totals[outcome.outcome] += 1
        return {
            "format": REPORT_FORMAT,
            "provider": self.provider_id,
            "display_name": info.display_name if info else None,
            "distribution": info.distribution if info else None,
            "provider_version": info.version if info else None,
            "contract_version": info.contract_version if info else None,
            "declared_capabilities": sorted(info.capabilities) if info else [],
            "harness": self.harness,
            "harness_error": self.harness_error,
            "strict": self.strict,
            "versions": {
                "cloud-common-core": _version("cloud-common-core"),
                "cloud-common-contract-tests": _version("cloud-common-contract-tests"),
                "pytest": _version("pytest"),
                "python": platform.python_version(),
                "platform": sys.platform,
            },
            "started_at": self.started.isoformat(),
            "finished_at": datetime.now(timezone.utc).isoformat(),
            "exitstatus": exitstatus,
            "totals": totals,
            "max_skips": self.max_skips,
            "declared_skips": self.declared_skips,
            "skip_reasons": self.skip_reasons(),
            "harness_limitations": self.limitations(),
            "not_applicable_reasons": self.not_applicable(),
            "capabilities": self.by_capability(),
            "undeclared_calls": self.undeclared_calls,
            "unmarked_calls": self.unmarked_calls,
            "violations": self.violations,
            "leftovers": self.leftovers,
            "tests": [
                {
                    "nodeid": o.nodeid,
                    "capabilities": o.capabilities,
                    "outcome": o.outcome,
                    "reason": o.reason,
                }
                for o in self.outcomes.values()
            ],
        }

    def write(self, path: Path, exitstatus: int | None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(exitstatus), indent=2) + "\n", encoding="utf-8")

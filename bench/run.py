"""Run the benchmarks and print one table: ``hatch run bench [--quick] [NAME ...]``.

Each ``bench/bench_<name>.py`` has ``run(quick: bool) -> list[Row]``; a Row is a dict:
``name`` (str), ``ours`` (float), ``unit`` (str), optional ``baseline`` (float, measured in
the same run), ``baseline_name`` (str), ``higher_is_better`` (bool, default False), ``note``.
The ratio column is always "how many times the baseline's cost we pay": ours/baseline for
times and sizes, baseline/ours for rates (``higher_is_better``). 1.05 means 5 % worse.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _ratio(row: dict[str, Any]) -> float | None:
    base = row.get("baseline")
    ours = row["ours"]
    if not base or not ours:
        return None
    return float(base / ours if row.get("higher_is_better") else ours / base)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    files = sorted(HERE.glob("bench_*.py"))
    if args.names:
        files = [f for f in files if f.stem.removeprefix("bench_") in args.names]
    rows: list[dict[str, Any]] = []
    for path in files:
        started = time.perf_counter()
        for row in _load(path).run(args.quick):
            row.setdefault("suite", path.stem.removeprefix("bench_"))
            rows.append(row)
        print(f"# {path.stem}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    header = f"{'suite':<8} {'benchmark':<46} {'ours':>12} {'baseline':>12} {'ratio':>7}  unit   vs"
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = _ratio(row)
        base = row.get("baseline")
        print(
            f"{row['suite']:<8} {row['name']:<46} {row['ours']:>12.4g} "
            f"{(f'{base:.4g}' if base else '-'):>12} {(f'{ratio:.3f}' if ratio else '-'):>7}  "
            f"{row['unit']:<6} {row.get('baseline_name', '')}"
            + (f"  ({row['note']})" if row.get("note") else "")
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

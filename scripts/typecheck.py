"""Type-check everything with ``mypy --strict``: every distribution's sources, the example
provider, examples, benchmarks, root tests, and each distribution's own tests.

Distributions are found from the workspace (``packages/*``, ``tests-contract``,
``examples/*``), so a new provider needs no change here. Each folder of tests is checked in
its own mypy run, with that folder as a package base: several of them have a
``conftest.py``, and one mypy run cannot hold two modules of the same name.

Usage: ``python scripts/typecheck.py [FOLDER ...]`` (default: everything).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def distributions() -> list[Path]:
    """Every folder with a ``pyproject.toml`` below packages/, examples/, and the suite."""
    found = [p.parent for p in sorted(ROOT.glob("packages/*/pyproject.toml"))]
    found += [ROOT / "tests-contract"]
    found += [p.parent for p in sorted(ROOT.glob("examples/*/pyproject.toml"))]
    return found


def sources() -> list[Path]:
    return [d / "src" for d in distributions() if (d / "src").is_dir()]


def mypy(targets: list[Path], extra_path: list[Path]) -> int:
    env = dict(os.environ)
    env["MYPYPATH"] = os.pathsep.join(str(p) for p in [*extra_path, *sources()])
    shown = " ".join(str(t.relative_to(ROOT)) for t in targets)
    print(f"mypy {shown}", flush=True)
    command = [sys.executable, "-m", "mypy", *(str(t) for t in targets)]
    return subprocess.call(command, cwd=ROOT, env=env)


def main(argv: list[str]) -> int:
    wanted = {Path(a).resolve() for a in argv}

    def selected(path: Path) -> bool:
        return not wanted or any(path == w or w in path.parents for w in wanted)

    runs: list[tuple[list[Path], list[Path]]] = []
    main_targets = [p for p in sources() if selected(p)]
    main_targets += [
        p
        for p in (ROOT / "tests", ROOT / "bench", *sorted(ROOT.glob("examples/*.py")))
        if p.exists() and selected(p)
    ]
    if main_targets:
        runs.append((main_targets, []))
    for dist in distributions():
        tests = dist / "tests"
        if tests.is_dir() and selected(tests):
            runs.append(([tests], [tests]))
    status = 0
    for targets, extra in runs:
        status |= mypy(targets, extra)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

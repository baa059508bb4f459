"""Every Python snippet in the README and the docs runs and type-checks, as a user would
paste it.

Each fenced ``python`` block of ``README.md``, ``docs/**/*.md``, the distributions'
``README.md`` files and ``CONTRIBUTING.md`` is one program. All of them are checked
together with ``mypy --strict``; each is run in a fresh interpreter whose environment points
the providers at servers on 127.0.0.1 (moto for AWS, a GCS emulator for Google Cloud, a
temporary root for local), the way a user's environment points them at a cloud.

A block preceded by ``<!-- snippet: typecheck-only (reason) -->`` is type-checked but not
run (a driver skeleton, a fragment of a class); the reason is required.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[1]
_FENCE = re.compile(
    r"(?P<marker><!--\s*snippet:\s*(?P<mode>[\w-]+)\s*(?P<why>\([^)]*\))?\s*-->\s*\n)?"
    r"^```python[^\n]*\n(?P<code>.*?)^```",
    re.M | re.S,
)


class Snippet(NamedTuple):
    source: Path
    line: int
    code: str
    run: bool

    @property
    def name(self) -> str:
        return f"{self.source.relative_to(REPO)}:{self.line}"


def _documents() -> list[Path]:
    found = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").rglob("*.md"))]
    found += sorted(REPO.glob("packages/*/README.md"))
    found += [*sorted(REPO.glob("examples/*/README.md")), REPO / "tests-contract" / "README.md"]
    return [p for p in found if p.is_file()]


def _snippets() -> list[Snippet]:
    snippets = []
    for doc in _documents():
        text = doc.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            mode = match.group("mode")
            if mode not in (None, "typecheck-only"):
                raise AssertionError(f"{doc}: unknown snippet mode {mode!r}")
            if mode and not match.group("why"):
                raise AssertionError(f"{doc}: 'snippet: {mode}' needs a (reason)")
            line = text.count("\n", 0, match.start("code")) + 1
            snippets.append(Snippet(doc, line, match.group("code"), run=mode is None))
    return snippets


SNIPPETS = _snippets()


def test_there_are_snippets_to_check() -> None:
    assert len(SNIPPETS) >= 5


def test_every_snippet_type_checks_strictly(tmp_path: Path) -> None:
    files = []
    for i, snippet in enumerate(SNIPPETS):
        path = tmp_path / f"snippet_{i:03d}.py"
        path.write_text(snippet.code, encoding="utf-8")
        files.append(path)
    examples = os.pathsep.join(str(p) for p in sorted(REPO.glob("examples/*/src")))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", str(tmp_path / ".mypy_cache"), *map(str, files)],
        check=False, capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "MYPYPATH": examples},
    )  # fmt: skip
    report = result.stdout
    for i, snippet in enumerate(SNIPPETS):
        report = report.replace(f"snippet_{i:03d}.py:", f"{snippet.name} +")
    assert result.returncode == 0, report


@pytest.fixture(scope="session")
def cloud_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment variables pointing every first-party provider at a local server."""
    import socket

    from gcp_storage_emulator.server import create_server
    from moto.server import ThreadedMotoServer

    root = tmp_path_factory.mktemp("local-root")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        gcs_port = probe.getsockname()[1]
    gcs = create_server("127.0.0.1", gcs_port, in_memory=True)
    gcs.start()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(root),
        "CLOUD_COMMON_LOCAL_ROOT": str(root / "data"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{gcs_port}",
        "GOOGLE_CLOUD_PROJECT": "docs-project",
        "CLOUD_COMMON_DEADLINE": "20",
    }
    try:
        yield env
    finally:
        gcs.stop()
        moto.stop()


def _installed_example(snippet: Snippet, site: Path) -> list[str]:
    """For a snippet of ``examples/<name>/``: that example on the path with its entry points
    declared in a dist-info folder, as ``pip install ./examples/<name>`` would leave it."""
    parts = snippet.source.relative_to(REPO).parts
    if parts[0] != "examples" or len(parts) < 3:
        return []
    example = REPO / parts[0] / parts[1]
    text = (example / "pyproject.toml").read_text(encoding="utf-8")
    entry_points = text.split('[project.entry-points."cloud_common.providers"]', 1)[1]
    lines = [line for line in entry_points.split("[", 1)[0].splitlines() if "=" in line]
    info = site / f"{parts[1].replace('-', '_')}-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {parts[1]}\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(
        "[cloud_common.providers]\n" + "\n".join(line.replace('"', "") for line in lines) + "\n"
    )
    return [str(site), str(example / "src")]


@pytest.mark.parametrize("snippet", [s for s in SNIPPETS if s.run], ids=lambda s: s.name)
def test_every_snippet_runs(
    snippet: Snippet, cloud_environment: dict[str, str], tmp_path: Path
) -> None:
    env = dict(cloud_environment)
    extra = _installed_example(snippet, tmp_path / "site")
    if extra:
        env["PYTHONPATH"] = os.pathsep.join(extra)
    result = subprocess.run(
        [sys.executable, "-c", snippet.code],
        check=False, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, f"{snippet.name} failed:\n{result.stderr[-3000:]}"

"""The README's first command keeps working: examples/quickstart.py runs and cleans up."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).resolve().parents[3] / "examples" / "quickstart.py"


@pytest.mark.skipif(not QUICKSTART.exists(), reason="run from a checkout with examples/")
def test_quickstart_runs_and_leaves_nothing_behind() -> None:
    before = set(Path(tempfile.gettempdir()).glob("cloud-common-quickstart-*"))
    done = subprocess.run(
        [sys.executable, str(QUICKSTART)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in [
        "fetched over HTTP -> b'Hello from cloud-common!\\n'",
        "download_file -> b'uploaded with a presigned PUT'",
        "delete_bucket -> True",
        "now terminated",
        "'message': 'Hello, newcomer!'",
        "done in",
    ]:
        assert expected in out, out
    assert "X-Local-Signature" not in out
    assert set(Path(tempfile.gettempdir()).glob("cloud-common-quickstart-*")) == before


@pytest.mark.skipif(not QUICKSTART.exists(), reason="run from a checkout with examples/")
def test_quickstart_with_a_kept_root(tmp_path: Path) -> None:
    root = tmp_path / "kept"
    done = subprocess.run(
        [sys.executable, str(QUICKSTART), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (root / "compute" / "instances.sqlite3").exists()

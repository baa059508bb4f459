"""The command works with any provider through the portable clients: here one registered
at run time that declares only the spec's calls and list_objects (no stat, no streams)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from clihelpers import Provider, run
from clitestprovider import PROVIDER

from cloud_common.cli._transfer import SMALL
from cloud_common.core import register, unregister


@pytest.fixture
def memo() -> Iterator[None]:
    register(PROVIDER)
    yield
    unregister(PROVIDER.id)


@pytest.mark.usefixtures("memo")
def test_a_spec_only_provider_gets_every_storage_command(local: Provider, tmp_path: Path) -> None:
    shapes = json.loads(run(["providers", "--json"], local).stdout)["providers"]
    memo = next(p for p in shapes if p["id"] == "memo")
    assert (memo["url_schemes"], memo["services"]) == (["memo"], {"storage": ["list_objects"]})
    big = os.urandom(SMALL + 1)  # above the one-request size: no upload_stream to fall to
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "big.bin").write_bytes(big)
    (tmp_path / "up" / "note.txt").write_bytes(b"note")

    assert run(["mb", "memo://box"], local).exit_code == 0
    up = run(["cp", "-r", str(tmp_path / "up"), "memo://box/in/"], local)
    assert up.exit_code == 0, up.stderr
    assert run(["ls", "memo://box"], local).stdout == "memo://box/in/\n"
    assert run(["cat", "memo://box/in/note.txt"], local).stdout == "note"

    down = run(["cp", "-r", "memo://box/in", str(tmp_path / "down")], local)
    assert down.exit_code == 0, down.stderr
    assert (tmp_path / "down" / "big.bin").read_bytes() == big

    bucket = f"memo-{os.getpid()}"
    assert local.storage.create_bucket(bucket)
    across = run(["cp", "memo://box/in/big.bin", f"local://{bucket}/"], local)
    assert across.exit_code == 0, across.stderr
    assert local.storage.download_file(bucket, "big.bin") == big

    unsupported = run(["stat", "memo://box/in/note.txt"], local)
    assert unsupported.exit_code == 2
    assert "stat_object" in unsupported.stderr

"""The command on the other providers: Azure (Azurite) and the example third-party provider
(``examples/thirdparty-provider``, id ``acme``), each through its own contract-test harness,
with no change to either."""

from __future__ import annotations

import importlib
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from clihelpers import Provider, run, start

from cloud_common.core import available_providers, register, unregister

ACME_SRC = Path(__file__).resolve().parents[3] / "examples" / "thirdparty-provider" / "src"


@pytest.fixture(scope="module")
def azure() -> Iterator[Provider]:
    yield from start("azure")


@pytest.fixture(scope="module")
def acme() -> Iterator[Provider]:
    sys.path.insert(0, str(ACME_SRC))
    registered = "acme" not in {p.id for p in available_providers()}
    if registered:
        register(importlib.import_module("acme_cloud._info").PROVIDER)
    try:
        yield from start("acme")
    finally:
        if registered:
            unregister("acme")
        sys.path.remove(str(ACME_SRC))


def _tour(provider: Provider, tmp_path: Path, bucket: str) -> None:
    """mb, cp -r up, ls -l, cat, stat --json, cp -r down, rm -r, rb on one provider."""
    url = f"{provider.scheme}://{bucket}"
    (tmp_path / "up" / "sub").mkdir(parents=True)
    (tmp_path / "up" / "a.txt").write_bytes(b"alpha")
    (tmp_path / "up" / "sub" / "b.json").write_bytes(b'{"b": 1}')
    assert run(["mb", url], provider).exit_code == 0
    up = run(["cp", "-r", str(tmp_path / "up"), f"{url}/in/"], provider)
    assert up.exit_code == 0, up.stderr
    listing = run(["ls", "-r", f"{url}/in/"], provider)
    assert listing.stdout.split() == [f"{url}/in/a.txt", f"{url}/in/sub/b.json"], listing.stderr
    assert run(["cat", f"{url}/in/a.txt"], provider).stdout == "alpha"
    stat = run(["stat", "--json", f"{url}/in/sub/b.json"], provider)
    assert '"size": 8' in stat.stdout, stat.stderr
    down = run(["cp", "-r", f"{url}/in", str(tmp_path / "down")], provider)
    assert down.exit_code == 0, down.stderr
    assert (tmp_path / "down" / "sub" / "b.json").read_bytes() == b'{"b": 1}'
    assert run(["rm", "-r", f"{url}/in/"], provider).exit_code == 0
    assert run(["rb", url], provider).exit_code == 0
    assert bucket not in run(["ls", f"{provider.scheme}://"], provider).stdout


def test_the_command_on_azure(azure: Provider, tmp_path: Path) -> None:
    _tour(azure, tmp_path, "cli-azure")
    azure.storage.create_bucket("cli-azure-sas")
    azure.storage.upload_file("cli-azure-sas", "k.txt", b"signed")
    link = run(["presign", "--expires", "60", "az://cli-azure-sas/k.txt"], azure)
    assert link.exit_code == 0, link.stderr
    with urllib.request.urlopen(link.stdout.strip(), timeout=30) as answer:  # Azurite checks it
        assert answer.read() == b"signed"


def test_the_command_on_the_third_party_example(acme: Provider, tmp_path: Path) -> None:
    _tour(acme, tmp_path, "cli-acme")

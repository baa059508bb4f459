"""Contract versions: a provider written for a contract this core does not load is skipped
at discovery with one WARNING that says what to change, and the suite refuses to run it.
(That a 0.2 provider loads and passes unchanged is ``acme-legacy`` in ``test_teeth.py``.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cloud_common.core import CONTRACT_VERSION

HERE = Path(__file__).resolve().parent
ACME_SRC = HERE.parents[1] / "examples" / "thirdparty-provider" / "src"

DISCOVER = """
import json, logging
logging.basicConfig(level=logging.WARNING, format="%(levelname)s|%(name)s|%(message)s")
from cloud_common.core import available_providers, broken_providers
print(json.dumps({
    "ids": [p.id for p in available_providers()],
    "broken": {b.name: b.reason for b in broken_providers()},
}))
"""


@pytest.fixture(scope="module")
def discovery(incompatible: Path) -> tuple[dict[str, Any], list[str]]:
    """What discovery reports, and the WARNING lines it logged, with the 0.1 and 1.0 Acme
    providers installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(incompatible), str(HERE), str(ACME_SRC)])
    proc = subprocess.run(
        [sys.executable, "-c", DISCOVER],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARNING|")]
    return json.loads(proc.stdout), warnings


@pytest.mark.parametrize(("provider", "version"), [("acme-v01", "0.1"), ("acme-v10", "1.0")])
def test_a_provider_of_another_contract_is_skipped_with_one_warning_saying_what_to_change(
    discovery: tuple[dict[str, Any], list[str]], provider: str, version: str
) -> None:
    found, warnings = discovery
    assert provider not in found["ids"]
    mine = [w for w in warnings if repr(provider) in w]
    assert len(mine) == 1, warnings
    for text in (mine[0], found["broken"][provider]):
        assert f"targets contract {version}" in text
        assert f"install a release of the provider written for contract {CONTRACT_VERSION}" in text


def test_the_suite_refuses_a_provider_of_another_contract(
    tmp_path: Path, suite_runner: Any, incompatible: Path
) -> None:
    run = suite_runner(tmp_path, "acme-v01", plugins=incompatible)
    assert run.returncode == 4, run.output[-3000:]
    assert "provider 'acme-v01' is unusable" in run.output
    assert "targets contract 0.1" in run.output

"""Packaging of the whole repository, from built wheels as users get them.

Every distribution's wheel is a proper PEP 420 portion; the meta distribution's extras pull
in one cloud's SDK and not the other's; a plugin installed from a wheel into a fresh
virtualenv (not editable) is discovered, and a broken one is reported."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = sorted(
    [p.parent for p in REPO.glob("packages/*/pyproject.toml")] + [REPO / "tests-contract"]
)

tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")


def _pyproject(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((folder / "pyproject.toml").read_text("utf-8"))
    project: dict[str, Any] = data["project"]
    return project


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


# provider id -> (its distribution, the third-party distributions it depends on), found
# from the workspace: every distribution declaring a cloud_common.providers entry point.
PROVIDERS: dict[str, tuple[str, set[str]]] = {
    pid: (
        project["name"],
        {
            _name(r)
            for r in project.get("dependencies", [])
            if not _name(r).startswith("cloud-common")
        },
    )
    for project in map(_pyproject, DISTRIBUTIONS)
    for pid in project.get("entry-points", {}).get("cloud_common.providers", {})
}
ROOT = _pyproject(REPO)
BASE = {_name(r) for r in ROOT["dependencies"]}
EXTRAS = sorted(e for e in ROOT.get("optional-dependencies", {}) if e in PROVIDERS)


def build_wheel(project: Path, out: Path) -> Path:
    before = set(out.glob("*.whl"))
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=project,
        check=True,
        capture_output=True,
    )
    (wheel,) = set(out.glob("*.whl")) - before
    return wheel


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    built = {project.name: build_wheel(project, out) for project in DISTRIBUTIONS}
    built["cloud-common"] = build_wheel(REPO, out)
    return built


def _resolve(requirement: str, wheels: dict[str, Path], tmp_path: Path) -> set[str]:
    """The distributions pip would install for ``requirement`` into an empty environment."""
    report = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
         "--find-links", str(wheels["cloud-common-core"].parent), "--report", str(report), requirement],
        check=True,
        capture_output=True,
    )  # fmt: skip
    items = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"].lower().replace("_", "-") for item in items}


def test_every_provider_outside_the_base_install_has_an_extra() -> None:
    optional = {pid for pid, (dist, _) in PROVIDERS.items() if dist not in BASE}
    assert optional <= set(EXTRAS), "each provider needs an extra in the root pyproject.toml"
    assert "aws" in EXTRAS and "gcp" in EXTRAS


@pytest.mark.parametrize("extra", EXTRAS)
def test_an_extra_installs_its_provider_and_nothing_of_the_others(
    wheels: dict[str, Path], tmp_path: Path, extra: str
) -> None:
    dist, sdks = PROVIDERS[extra]
    names = _resolve(f"cloud-common[{extra}]", wheels, tmp_path)
    assert {dist, "cloud-common", *BASE} | sdks <= names
    others = {
        name
        for pid, (other, other_sdks) in PROVIDERS.items()
        if pid != extra and other not in BASE
        for name in {other} | (other_sdks - sdks)
    }
    assert not names & others, sorted(names & others)


def test_every_wheel_is_a_namespace_portion_with_py_typed(wheels: dict[str, Path]) -> None:
    assert "cloud-common-core" in wheels and "tests-contract" in wheels
    meta = zipfile.ZipFile(wheels["cloud-common"]).namelist()
    version = ROOT["version"]
    assert not [n for n in meta if not n.startswith(f"cloud_common-{version}.dist-info/")], meta
    for project, wheel in wheels.items():
        if project == "cloud-common":
            continue
        names = zipfile.ZipFile(wheel).namelist()
        code = [n for n in names if n.startswith("cloud_common/")]
        assert "cloud_common/__init__.py" not in names, project
        assert code, project
        subpackage = code[0].split("/")[1]
        assert all(n.split("/")[1] == subpackage for n in code), (
            f"{project} ships more than one subpackage"
        )
        assert f"cloud_common/{subpackage}/py.typed" in names, project


PLUGIN_PYPROJECT = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
[project]
name = "{dist}"
version = "1.0.0"
dependencies = ["cloud-common-core"]
[project.entry-points."cloud_common.providers"]
{pid} = "{module}:PROVIDER"
[tool.hatch.build.targets.wheel]
packages = ["{module}"]
"""

GOOD_PLUGIN = """
from typing import Any
from cloud_common.core import ProviderInfo, StorageClient

class Storage(StorageClient):
    def __init__(self, credentials: Any = None, **options: Any) -> None: pass
    def list_buckets(self): return ["from-wheel"]
    def create_bucket(self, name): return True
    def upload_file(self, bucket, key, data, content_type=None): return f"wp://{bucket}/{key}"
    def download_file(self, bucket, key): return b""
    def delete_file(self, bucket, key): return True
    def generate_presigned_url(self, bucket, key, expires_in=3600): return "http://127.0.0.1/"

PROVIDER = ProviderInfo("wheelplug", "Wheel plugin", "0.2", {"storage": "wheelplug_pkg:Storage"}, ("wp",))
"""


def _plugin(tmp: Path, dist: str, module: str, pid: str, source: str) -> Path:
    project = tmp / dist
    (project / module).mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        PLUGIN_PYPROJECT.format(dist=dist, pid=pid, module=module)
    )
    (project / module / "__init__.py").write_text(textwrap.dedent(source))
    return project


def test_a_plugin_wheel_in_a_fresh_venv_is_discovered_and_a_broken_one_reported(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    out = wheels["cloud-common-core"].parent
    build_wheel(_plugin(tmp_path, "wheelplug", "wheelplug_pkg", "wheelplug", GOOD_PLUGIN), out)
    build_wheel(
        _plugin(tmp_path, "brokenplug", "brokenplug_pkg", "brokenplug", "import no_such_sdk\n"), out
    )
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-index", "--find-links", str(out),
         "cloud-common-core", "wheelplug", "brokenplug"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    code = (
        "import json, logging, cloud_common.core as c\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "s = c.get_storage_client('wheelplug')\n"
        "print(json.dumps({'ids': [p.id for p in c.available_providers()],"
        " 'broken': [[b.name, b.distribution, b.reason] for b in c.broken_providers()],"
        " 'buckets': s.list_buckets(), 'editable': c.__file__}))\n"
    )
    run = subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    result = json.loads(run.stdout)
    assert "wheelplug" in result["ids"] and result["buckets"] == ["from-wheel"]
    assert str(env) in result["editable"]  # core came from the wheel, not the checkout
    [[name, dist, reason]] = result["broken"]
    assert (name, dist) == ("brokenplug", "brokenplug") and "no_such_sdk" in reason
    assert "skipping provider plugin 'brokenplug'" in run.stderr  # the one WARNING

#!/usr/bin/env bash
# The third-party check: does the contract suite work for a provider written outside this
# repository, installed the way a stranger installs it?
#
#   1. build wheels of cloud-common-core, cloud-common-contract-tests and the example
#      provider (examples/thirdparty-provider: distribution acme-cloud-provider);
#   2. install them into a fresh venv (pytest from the package index, our three only from
#      the wheels just built: --no-index --find-links);
#   3. from an empty directory, run `pytest --cloud-provider acme --cloud-strict`;
#   4. run the example's own tests against the installed wheel.
#
# Usage: scripts/thirdparty-check.sh [REPORT.json]   (PYTHON=python3.12 to pick the interpreter)
# Works from a clean clone; leaves nothing behind but the report, if asked for one.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
REPORT="${1:-}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/thirdparty-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n=== %s\n' "$*"; }

step "building wheels into $WORK/wheels"
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$WORK/wheels" \
  "$ROOT/packages/cloud-common-core" \
  "$ROOT/tests-contract" \
  "$ROOT/examples/thirdparty-provider"
ls -1 "$WORK/wheels"

step "installing into a fresh venv, as a stranger would"
"$PYTHON" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
"$VPY" -m pip install --quiet --disable-pip-version-check "pytest>=8"
"$VPY" -m pip install --quiet --disable-pip-version-check --no-index \
  --find-links "$WORK/wheels" "acme-cloud-provider[testing]"
"$VPY" -m pip list --disable-pip-version-check 2>/dev/null | grep -Ei "cloud-common|acme|pytest"

step "checking the installed layout"
"$VPY" - <<'PY'
import importlib.util
import pathlib

import cloud_common.contract_tests
import cloud_common.core
from cloud_common.core import available_providers

for module in (cloud_common.core, cloud_common.contract_tests):
    assert "site-packages" in module.__file__, f"{module.__name__} is not installed: {module.__file__}"
namespace = pathlib.Path(cloud_common.core.__file__).parent.parent
assert not (namespace / "__init__.py").exists(), "cloud_common must stay a namespace package"
assert importlib.util.find_spec("acme_cloud") is not None
ids = [p.id for p in available_providers()]
assert "acme" in ids, f"acme is not discovered: {ids}"
print("providers:", ", ".join(ids))
PY

step "running the contract suite against acme (strict) from an empty directory"
mkdir "$WORK/empty"
cd "$WORK/empty"
set +e
"$VPY" -m pytest -p no:cacheprovider -q --show-capture=no \
  --cloud-provider acme --cloud-strict --cloud-report "$WORK/acme.json"
status=$?
set -e
if [[ -n "$REPORT" ]]; then
  mkdir -p "$(dirname "$REPORT")"
  [[ -f "$WORK/acme.json" ]] && cp "$WORK/acme.json" "$REPORT"
  echo "report: $REPORT"
fi
if [[ $status -ne 0 ]]; then
  echo "thirdparty-check: the contract suite failed against acme (exit $status)" >&2
  exit "$status"
fi

step "running the example's own tests against the installed wheel"
cp -r "$ROOT/examples/thirdparty-provider/tests" "$WORK/acme-tests"
"$VPY" -m pytest -p no:cacheprovider -q "$WORK/acme-tests"
echo "thirdparty-check: OK"

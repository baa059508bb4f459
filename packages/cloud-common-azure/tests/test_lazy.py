"""Importing the provider and discovering it import no Azure SDK."""

from __future__ import annotations

import subprocess
import sys


def test_import_and_discovery_import_no_sdk() -> None:
    code = (
        "import sys, cloud_common.azure\n"
        "from cloud_common.core import get_provider\n"
        "info = get_provider('azure')\n"
        "assert info.supports('storage.presign_put')\n"
        "loaded = sorted(m for m in sys.modules if m == 'azure' or m.startswith('azure.'))\n"
        "print(loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"

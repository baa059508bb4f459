"""Importing core and discovering providers imports no cloud SDK."""

from __future__ import annotations

import json
import subprocess
import sys

SDKS = ("boto3", "botocore", "google", "azure", "requests", "s3transfer")


def test_import_and_discovery_import_no_sdk() -> None:
    code = (
        "import sys, json\n"
        "import cloud_common.core as core\n"
        "ids = [p.id for p in core.available_providers()]\n"
        f"print(json.dumps([ids, sorted(m for m in sys.modules if m.split('.')[0] in {SDKS!r})]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    ids, sdk_modules = json.loads(out)
    assert sdk_modules == [], f"discovering {ids} imported {sdk_modules}"

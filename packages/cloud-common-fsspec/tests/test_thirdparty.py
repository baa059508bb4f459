"""The example third-party provider (``examples/thirdparty-provider``, id ``acme``) works
through the bridge as it is: the bridge only uses core's portable client."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cloud_common.contract_tests import Harness
from cloud_common.core import available_providers, register, unregister
from cloud_common.fsspec import CloudFileSystem

ACME_SRC = Path(__file__).resolve().parents[3] / "examples" / "thirdparty-provider" / "src"


@pytest.fixture(scope="module")
def acme_options() -> Iterator[dict[str, Any]]:
    """The acme provider (registered from its source tree unless installed) and its
    harness's storage_options."""
    sys.path.insert(0, str(ACME_SRC))
    registered = False
    try:
        if "acme" not in {p.id for p in available_providers()}:
            register(importlib.import_module("acme_cloud._info").PROVIDER)
            registered = True
        harness: Harness = importlib.import_module("acme_cloud.testing").AcmeHarness()
        harness.start()
        creds = harness.credentials()
        try:
            yield {
                "access_key": creds.access_key,
                "secret_key": creds.secret_key,
                **harness.client_options("storage"),
            }
        finally:
            harness.stop()
    finally:
        if registered:
            unregister("acme")
        sys.path.remove(str(ACME_SRC))


def test_acme_through_the_bridge(acme_options: dict[str, Any]) -> None:
    fs = CloudFileSystem("acme", skip_instance_cache=True, **acme_options)
    fs.mkdir("acme-bucket")
    data = bytes(range(256)) * 40_000  # ~10 MiB: streamed in blocks
    with fs.open("acme-bucket/data/blob.bin", "wb", block_size=4 * 2**20) as f:
        f.write(data)
    assert fs.cat_file("acme-bucket/data/blob.bin", 1000, 2000) == data[1000:2000]
    assert fs.ls("acme-bucket", detail=False) == ["acme-bucket/data"]
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    url = "cloudcommon://acme/acme-bucket/data/t.csv"
    frame.to_csv(url, index=False, storage_options=acme_options)
    pd.testing.assert_frame_equal(pd.read_csv(url, storage_options=acme_options), frame)
    assert fs.find("acme-bucket") == ["acme-bucket/data/blob.bin", "acme-bucket/data/t.csv"]
    with pytest.raises(FileNotFoundError):
        fs.cat("acme-bucket/data/absent")
    fs.rm("acme-bucket", recursive=True)
    assert "acme-bucket" not in fs.ls("", detail=False, refresh=True)

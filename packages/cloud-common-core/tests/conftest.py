from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import cc_core_testprovider

from cloud_common.core import register, unregister


@pytest.fixture
def memtest() -> Iterator[str]:
    """Register the in-memory provider as "memtest" for one test."""
    cc_core_testprovider.BUCKETS.clear()
    cc_core_testprovider.INSTANCES.clear()
    register(cc_core_testprovider.info(), replace=True)
    yield "memtest"
    unregister("memtest")
    cc_core_testprovider.BUCKETS.clear()
    cc_core_testprovider.INSTANCES.clear()

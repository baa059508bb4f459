"""Fixtures: each provider's contract-test harness (local, moto's server, the GCS
emulator), started once per session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clihelpers import Provider, start


@pytest.fixture(scope="session")
def local() -> Iterator[Provider]:
    yield from start("local")


@pytest.fixture(scope="session")
def aws() -> Iterator[Provider]:
    yield from start("aws")


@pytest.fixture(scope="session")
def gcp() -> Iterator[Provider]:
    yield from start("gcp")

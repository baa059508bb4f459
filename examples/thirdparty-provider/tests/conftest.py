"""Acme's tests run from a checkout too: the example is not part of the development
workspace, so its source goes on the path and its ProviderInfo is registered when no
installed copy provides the entry point."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if importlib.util.find_spec("acme_cloud") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


@pytest.fixture(autouse=True, scope="session")
def _acme_provider() -> Iterator[None]:
    from acme_cloud._info import PROVIDER

    from cloud_common.core import available_providers, register, unregister

    if any(p.id == PROVIDER.id for p in available_providers()):
        yield
        return
    register(PROVIDER)
    yield
    unregister(PROVIDER.id)

"""The pytest plugin entry point (inert until ``--cloud-provider`` is given)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cloud-common", "cloud-common contract suite")
    group.addoption("--cloud-provider", default=None, help="run the contract suite against this provider id")
    parser.addini("cloud_provider", "provider id the contract suite runs against", default="")

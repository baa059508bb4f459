"""The pytest plugin entry point (``pytest11``): inert until a provider is named.

``pytest --cloud-provider ID`` (or ``cloud_provider = ID`` in the ini file) adds the suite's
test modules to the run, wherever pytest is started, and runs them against that provider.
Options:

``--cloud-provider ID``        provider id (ini ``cloud_provider``)
``--cloud-harness MOD:CLASS``  harness to use instead of ``ProviderInfo.harness`` (ini ``cloud_harness``)
``--cloud-strict``             fail skipped tests of declared capabilities (except harness
                               limitations, which are counted), calls outside the declared
                               ones and leftovers (ini ``cloud_strict``)
``--cloud-max-skips N``        fail the run when more than N tests of declared capabilities
                               skipped (ini ``cloud_max_skips``; default: no limit)
``--cloud-report FILE``        write the JSON report there (ini ``cloud_report``, relative to
                               the ini file)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_common.contract_tests._session import SESSION_KEY, SUITE_DIR, ContractSession, in_suite

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_ignore_collect",
    "pytest_unconfigure",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cloud-common", "cloud-common contract suite")
    group.addoption(
        "--cloud-provider",
        default=None,
        metavar="ID",
        help="run the cloud-common contract suite against this installed provider id",
    )
    group.addoption(
        "--cloud-harness",
        default=None,
        metavar="MODULE:CLASS",
        help="contract-test harness to use instead of the one named by the provider",
    )
    group.addoption(
        "--cloud-strict",
        action="store_true",
        default=None,
        help="fail when a test of a declared capability skips (a harness limitation is "
        "counted instead), when a call needs an undeclared capability, or when created "
        "resources are left behind",
    )
    group.addoption(
        "--cloud-max-skips",
        default=None,
        type=int,
        metavar="N",
        help="fail the run when more than N tests of declared capabilities skipped "
        "(harness limitations included)",
    )
    group.addoption(
        "--cloud-report",
        default=None,
        metavar="FILE",
        help="write the JSON report (provider, versions, capability results) to FILE",
    )
    parser.addini("cloud_provider", "provider id the contract suite runs against", default="")
    parser.addini("cloud_harness", "contract-test harness 'module:Class'", default="")
    parser.addini("cloud_strict", "strict mode of the contract suite", type="bool", default=False)
    parser.addini("cloud_report", "path of the contract suite's JSON report", default="")
    parser.addini("cloud_max_skips", "most suite tests that may skip (empty: no limit)", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "capability(*names): the provider capabilities a contract test needs "
        "(cloud_common.core.Capability values); the test skips when one is not declared",
    )
    provider = config.getoption("cloud_provider") or config.getini("cloud_provider")
    if not provider:
        return
    harness = config.getoption("cloud_harness") or config.getini("cloud_harness") or None
    strict = config.getoption("cloud_strict")
    if strict is None:
        strict = bool(config.getini("cloud_strict"))
    report: Path | None = None
    if config.getoption("cloud_report"):
        report = Path(config.getoption("cloud_report")).resolve()
    elif config.getini("cloud_report"):
        base = config.inipath.parent if config.inipath else config.rootpath
        report = (base / str(config.getini("cloud_report"))).resolve()
    max_skips = config.getoption("cloud_max_skips")
    if max_skips is None and str(config.getini("cloud_max_skips")).strip():
        try:
            max_skips = int(str(config.getini("cloud_max_skips")).strip())
        except ValueError as exc:
            raise pytest.UsageError(f"cloud_max_skips must be an int: {exc}") from exc
    session = ContractSession(
        config,
        str(provider).strip(),
        str(harness).strip() if harness else None,
        bool(strict),
        report,
        max_skips=max_skips,
    )
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "cloud_common_contract_session")
    from cloud_common.contract_tests import _fixtures  # noqa: PLC0415 - only when active

    config.pluginmanager.register(_fixtures, "cloud_common_contract_fixtures")
    if not any(_targets_suite(arg) for arg in config.args):
        config.args.append(str(SUITE_DIR))


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None and session.started:  # the run ended before sessionfinish
        session.harness.stop()
        session.started = False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave the suite's modules alone unless a provider is named."""
    if SESSION_KEY not in config.stash and in_suite(collection_path):
        return True
    return None


def _targets_suite(arg: str) -> bool:
    path = Path(arg.split("::", 1)[0])
    if not path.exists():
        return False
    return in_suite(path) or SUITE_DIR.is_relative_to(path.resolve())

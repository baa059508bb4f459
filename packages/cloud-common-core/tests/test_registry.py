"""Discovery, lookup, conflicts, broken plugins and contract versions."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import cc_core_testprovider
import pytest

from cloud_common.core import (
    CloudCredentials,
    CloudError,
    CloudProvider,
    NotSupportedError,
    PluginError,
    ProviderInfo,
    ProviderNotFoundError,
    ValidationError,
    available_providers,
    broken_providers,
    get_provider,
    get_serverless_client,
    get_storage_client,
    register,
    reload_providers,
)

SECRET = "sk-very-secret-0123456789"
MEMTEST = CloudProvider("memtest")


def _dist(root: Path, name: str, entry_points: str) -> None:
    info = root / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path where tests plant distributions and their modules."""
    monkeypatch.syspath_prepend(str(tmp_path))
    reload_providers()
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("ccplug_")]:
        del sys.modules[name]
    monkeypatch.undo()
    reload_providers()


def _plant_good(site: Path, dist: str, module: str, pid: str = "plugged") -> None:
    (site / f"{module}.py").write_text(
        f"from cc_core_testprovider import info\nPROVIDER = info({pid!r})\n",
        encoding="utf-8",
    )
    _dist(site, dist, f"[cloud_common.providers]\n{pid} = {module}:PROVIDER\n")


def test_discovery_finds_a_plugin_by_entry_point(site: Path) -> None:
    _plant_good(site, "plugged-dist", "ccplug_good")
    info = get_provider("plugged")
    assert info.distribution == "plugged-dist" and info.version == "1.0"
    assert "plugged" in [p.id for p in available_providers()]


def test_broken_plugins_are_skipped_with_one_warning_and_listed(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _plant_good(site, "plugged-dist", "ccplug_good")
    (site / "ccplug_bad.py").write_text("raise ImportError('missing sdk')\n", encoding="utf-8")
    (site / "ccplug_wrong.py").write_text("PROVIDER = 42\n", encoding="utf-8")
    (site / "ccplug_old.py").write_text(
        "from cc_core_testprovider import info\nfrom dataclasses import replace\n"
        "PROVIDER = replace(info('oldie'), contract_version='0.1')\n",
        encoding="utf-8",
    )
    _dist(site, "bad-dist", "[cloud_common.providers]\nbad = ccplug_bad:PROVIDER\n")
    _dist(site, "wrong-dist", "[cloud_common.providers]\nwrong = ccplug_wrong:PROVIDER\n")
    _dist(site, "old-dist", "[cloud_common.providers]\noldie = ccplug_old:PROVIDER\n")
    with caplog.at_level(logging.WARNING, logger="cloud_common"):
        ids = [p.id for p in available_providers()]
    assert "plugged" in ids and not {"bad", "wrong", "oldie"} & set(ids)
    reasons = {b.name: (b.distribution, b.reason) for b in broken_providers()}
    assert reasons["bad"][0] == "bad-dist"
    assert "ImportError: missing sdk" in reasons["bad"][1]
    assert "not a ProviderInfo" in reasons["wrong"][1]
    assert "contract 0.1" in reasons["oldie"][1] and "install a release" in reasons["oldie"][1]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 3
    with pytest.raises(PluginError, match="missing sdk"):
        get_provider("bad")


def test_two_plugins_with_one_id_name_both_distributions(site: Path) -> None:
    _plant_good(site, "first-dist", "ccplug_one", "twin")
    _plant_good(site, "second-dist", "ccplug_two", "twin")
    with pytest.raises(PluginError, match="first-dist.*second-dist"):
        get_provider("twin")
    assert "twin" not in [p.id for p in available_providers()]
    register(cc_core_testprovider.info("twin"), replace=True)
    assert get_provider("twin").distribution is None  # the explicit choice wins


def test_register_refuses_to_shadow_without_replace(memtest: str) -> None:
    with pytest.raises(PluginError, match="replace=True"):
        register(cc_core_testprovider.info(memtest))
    register(cc_core_testprovider.info(memtest), replace=True)


def test_unknown_provider_and_missing_service() -> None:
    with pytest.raises(ProviderNotFoundError, match="cloud-common-nosuch"):
        get_provider("nosuch")
    with pytest.raises(ValidationError, match="services"):
        ProviderInfo("x", "X", "0.2", {"database": "a:B"})


def test_a_whole_scenario_at_debug_leaves_no_secret_in_any_record(
    memtest: str, caplog: pytest.LogCaptureFixture
) -> None:
    creds = CloudCredentials(
        MEMTEST, "AKIDSCENARIO", SECRET, metadata={"session_token": "tok-123456"}
    )
    with caplog.at_level(logging.DEBUG):
        storage = get_storage_client(creds)
        storage.create_bucket("bucket-one")
        storage.upload_file("bucket-one", "k", b"v")
        storage.download_file("bucket-one", "k")
        storage.delete_file("bucket-one", "k")
        storage.delete_file("no-such-bucket", "k")  # a soft failure: one WARNING
        with pytest.raises(CloudError):
            storage.download_file("bucket-one", "k")
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage()
        assert SECRET not in text and "AKIDSCENARIO" not in text and "tok-123456" not in text


def test_invoke_timeout_passes_through_only_to_providers_that_take_it(memtest: str) -> None:
    serverless = get_serverless_client(MEMTEST)
    with pytest.raises(NotSupportedError, match="per-call timeout"):
        serverless.invoke_function("f", {}, timeout=5)
    with pytest.raises(ValidationError, match="timeout"):
        serverless.invoke_function("f", {}, timeout=0)
    with pytest.raises(ValidationError, match="JSON"):
        serverless.invoke_function("f", {"when": object()})
    assert serverless.invoke_function("f", {"a": 1}) == {"a": 1}

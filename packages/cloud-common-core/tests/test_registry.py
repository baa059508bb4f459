"""Discovery, lookup, conflicts, broken plugins and the guard around handed-out clients."""

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
    NotSupportedError,
    PluginError,
    ProviderInfo,
    ProviderNotFoundError,
    ValidationError,
    available_providers,
    broken_providers,
    get_compute_client,
    get_provider,
    get_serverless_client,
    get_storage_client,
    open_storage,
    register,
    reload_providers,
)

SECRET = "sk-very-secret-0123456789"


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
    assert "contract 0.1" in reasons["oldie"][1]
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


def test_clients_are_built_lazily_with_credentials_and_options(memtest: str) -> None:
    creds = CloudCredentials(memtest, "ak", SECRET, metadata={"endpoint": "http://127.0.0.1:1"})
    storage = get_storage_client(creds, custom=1)
    assert type(storage).__name__ == "GuardedStorageClient"
    assert storage.create_bucket("bucket-one") is True
    assert storage.upload_file("bucket-one", "a b/ü.txt", b"data") == "mem://bucket-one/a b/ü.txt"
    assert storage.download_file("bucket-one", "a b/ü.txt") == b"data"
    assert [o.key for o in storage.list_objects("bucket-one")] == ["a b/ü.txt"]
    assert get_compute_client(memtest).terminate_instance("i-1") is True
    assert get_serverless_client(memtest).invoke_function("f", {"a": 1}) == {"a": 1}
    client, bucket, key = open_storage("mem://bucket-one/a b/ü.txt", creds)
    assert (bucket, key) == ("bucket-one", "a b/ü.txt") and client.download_file(
        bucket, key
    ) == b"data"


def test_guard_validates_before_the_provider_sees_anything(memtest: str) -> None:
    storage = get_storage_client(memtest)
    with pytest.raises(ValidationError) as info:
        storage.upload_file("Bad_Bucket", "k", b"x")
    assert (info.value.provider, info.value.operation) == (memtest, "upload_file")
    for call in [
        lambda: storage.upload_file("bucket-one", "", b"x"),
        lambda: storage.upload_file("bucket-one", "k", "not bytes"),  # type: ignore[arg-type]
        lambda: storage.generate_presigned_url("bucket-one", "k", expires_in=0),
        lambda: storage.generate_presigned_url("bucket-one", "k", method="DELETE"),
    ]:
        with pytest.raises(ValidationError):
            call()
    assert cc_core_testprovider.BUCKETS == {}


def test_guard_refuses_undeclared_extensions(memtest: str) -> None:
    storage = get_storage_client(memtest)
    with pytest.raises(NotSupportedError, match="storage.copy_file"):
        storage.copy_file("bucket-one", "a", "bucket-one", "b")
    with pytest.raises(NotSupportedError, match="storage.presign_put"):
        storage.generate_presigned_url("bucket-one", "k", method="PUT")
    with pytest.raises(NotSupportedError, match="user_metadata"):
        storage.upload_file("bucket-one", "k", b"x", metadata={"a": "b"})
    with pytest.raises(NotSupportedError, match="storage.presign_put"):
        storage.generate_presigned_url("bucket-one", "k", content_type="text/plain")


def test_guard_keeps_a_careless_provider_in_the_contract(caplog: pytest.LogCaptureFixture) -> None:
    register(cc_core_testprovider.info("careless", storage="CarelessStorage"), replace=True)
    storage = get_storage_client(CloudCredentials("careless", "ak", SECRET))
    with pytest.raises(CloudError) as info:
        storage.download_file("bucket-one", "k")
    assert isinstance(info.value.__cause__, KeyError)
    assert SECRET not in str(info.value) and info.value.provider == "careless"
    with caplog.at_level(logging.WARNING):
        assert storage.delete_file("bucket-one", "k") is True  # absent object: the state holds
    with pytest.raises(CloudError, match="promises bool"):
        storage.create_bucket("bucket-one")


def test_a_whole_scenario_at_debug_leaves_no_secret_in_any_record(
    memtest: str, caplog: pytest.LogCaptureFixture
) -> None:
    creds = CloudCredentials(
        memtest, "AKIDSCENARIO", SECRET, metadata={"session_token": "tok-123456"}
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
    serverless = get_serverless_client(memtest)
    with pytest.raises(NotSupportedError, match="per-call timeout"):
        serverless.invoke_function("f", {}, timeout=5)
    with pytest.raises(ValidationError, match="timeout"):
        serverless.invoke_function("f", {}, timeout=0)
    assert serverless.invoke_function("f", {"a": 1}) == {"a": 1}

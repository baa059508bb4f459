"""Accounts of a local root: open without any, keys required (and checked first) with one."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from cloud_common.core import (
    AuthenticationError,
    CloudCredentials,
    CloudProvider,
    ValidationError,
    get_compute_client,
    get_serverless_client,
    get_storage_client,
)
from cloud_common.local import LocalStorageClient, add_account, serve_in_thread


@pytest.fixture(autouse=True)
def _no_keys_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLOUD_COMMON_LOCAL_ACCESS_KEY", "CLOUD_COMMON_LOCAL_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


def _creds(
    root: Path, access_key: str | None = None, secret_key: str | None = None
) -> CloudCredentials:
    return CloudCredentials(
        CloudProvider.LOCAL, access_key, secret_key, metadata={"root": str(root)}
    )


def test_a_root_without_accounts_stays_open(root: Path) -> None:
    storage = get_storage_client(_creds(root, "anything", "at-all-here"))
    assert storage.create_bucket("open-bucket") is True
    assert get_storage_client(_creds(root)).list_buckets() == ["open-bucket"]


def test_with_an_account_only_its_keys_build_a_client(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    get_storage_client(_creds(root)).create_bucket("kept")
    access_key, secret_key = add_account(root)
    other_key, other_secret = add_account(root)
    caplog.set_level(logging.DEBUG)
    for creds in (_creds(root, access_key, secret_key), _creds(root, other_key, other_secret)):
        assert get_storage_client(creds).list_buckets() == ["kept"]
        get_compute_client(creds).list_instances()
        get_serverless_client(creds).list_functions()
    refused = [
        _creds(root),
        _creds(root, access_key, other_secret),  # keys of two different accounts
        _creds(root, access_key, secret_key[:-1]),
        _creds(root, "CCL" + "0" * 20, secret_key),
    ]
    for creds in refused:
        for factory in (get_storage_client, get_compute_client, get_serverless_client):
            with pytest.raises(AuthenticationError) as caught:
                factory(creds)
            text = f"{caught.value} {caught.value!r}"
            assert secret_key not in text and access_key not in text
            assert caught.value.provider == "local"
    with pytest.raises(AuthenticationError):
        LocalStorageClient(root=root)  # the public class: no keys in the environment
    assert all(secret_key not in r.getMessage() for r in caplog.records)


def test_keys_come_from_the_environment(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    access_key, secret_key = add_account(root)
    monkeypatch.setenv("CLOUD_COMMON_LOCAL_ROOT", str(root))
    monkeypatch.setenv("CLOUD_COMMON_LOCAL_ACCESS_KEY", access_key)
    monkeypatch.setenv("CLOUD_COMMON_LOCAL_SECRET_KEY", secret_key)
    assert get_storage_client("local").list_buckets() == []
    monkeypatch.setenv("CLOUD_COMMON_LOCAL_SECRET_KEY", "not-the-secret-key")
    with pytest.raises(AuthenticationError):
        get_storage_client("local")


def test_only_a_salted_hash_is_stored(root: Path) -> None:
    access_key, secret_key = add_account(root)
    add_account(root)
    path = root / "accounts"
    text = path.read_text(encoding="utf-8")
    assert secret_key not in text
    accounts = json.loads(text)["accounts"]
    assert accounts[0]["access_key"] == access_key
    assert len({a["salt"] for a in accounts}) == 2
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_linked_or_broken_accounts_file_is_refused(root: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text('{"format": 1, "accounts": []}', encoding="utf-8")
    os.symlink(elsewhere, root / "accounts")
    with pytest.raises(ValidationError, match="link"):
        get_storage_client(_creds(root))
    with pytest.raises(ValidationError, match="link"):
        add_account(root)
    (root / "accounts").unlink()
    (root / "accounts").write_text("not json", encoding="utf-8")
    with pytest.raises(ValidationError, match="not an accounts file"):
        get_storage_client(_creds(root))


def test_the_presign_server_of_a_root_with_accounts_needs_keys(root: Path) -> None:
    access_key, secret_key = add_account(root)
    with pytest.raises(AuthenticationError):
        serve_in_thread(root)
    with serve_in_thread(root, credentials=_creds(root, access_key, secret_key)) as server:
        assert server.base_url.startswith("http://127.0.0.1:")

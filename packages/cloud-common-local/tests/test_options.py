"""How local clients are built: the declaration, options, credentials and the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloud_common.core import (
    CONTRACT_VERSION,
    DEFAULT_BUCKET_RULES,
    Capability,
    CloudCompute,
    CloudCredentials,
    CloudProvider,
    CloudServerless,
    CloudStorage,
    ValidationError,
    get_compute_client,
    get_provider,
    get_serverless_client,
    get_storage_client,
)
from cloud_common.local import (
    DEFAULT_PRESIGN_BASE_URL,
    LocalComputeClient,
    LocalOptions,
    LocalServerlessClient,
    LocalStorageClient,
)


def test_provider_declaration() -> None:
    info = get_provider(CloudProvider.LOCAL)
    assert info.contract_version == CONTRACT_VERSION
    assert info.url_schemes == ("local",)
    assert info.bucket_rules == DEFAULT_BUCKET_RULES and info.filesystem_keys
    assert info.options_class() is LocalOptions
    assert info.harness == "cloud_common.local.testing:LocalHarness"
    for cap in Capability:  # object_exists and wait_for_state: derived by core
        assert info.supports(cap) is (cap is not Capability.NATIVE), cap


def test_registry_and_public_classes_are_the_same_client(
    creds: CloudCredentials, root: Path
) -> None:
    storage = get_storage_client(creds)
    compute = get_compute_client(creds)
    serverless = get_serverless_client(creds)
    assert type(storage) is LocalStorageClient and isinstance(storage, CloudStorage)
    assert type(compute) is LocalComputeClient and isinstance(compute, CloudCompute)
    assert type(serverless) is LocalServerlessClient and isinstance(serverless, CloudServerless)
    assert isinstance(storage, LocalStorageClient)
    for client in (storage, LocalStorageClient(creds), LocalStorageClient(root=root)):
        assert client.root == root.resolve()
        with pytest.raises(ValidationError) as info:
            client.upload_file("bkt", "../escape", b"x")
        assert (info.value.provider, info.value.operation) == ("local", "upload_file")
    assert not (root.parent / "escape").exists()


def test_one_options_type_for_every_service(root: Path) -> None:
    options = LocalOptions(root=str(root), durable=False, transition_seconds=5, invoke_timeout=2)
    storage = get_storage_client(CloudProvider.LOCAL, options)
    assert isinstance(storage, LocalStorageClient) and storage.root == root.resolve()
    assert LocalComputeClient(None, options).root == root.resolve()
    assert LocalServerlessClient(options=options, invoke_timeout=3).root == root.resolve()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("durable", "yes"),
        ("root", 42),
        ("transition_seconds", -1),
        ("terminated_retention", float("inf")),
        ("invoke_timeout", 0),
        ("invoke_timeout", 86401),
        ("endpoint_url", "ftp://127.0.0.1:21"),
        ("colour", "red"),
    ],
)
def test_bad_options_are_refused_by_name(root: Path, option: str, value: object) -> None:
    kwargs: dict[str, Any] = {"root": root, option: value}
    with pytest.raises(ValidationError, match=option):
        get_storage_client(CloudProvider.LOCAL, **kwargs)
    assert list(root.iterdir()) == []


def test_root_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLOUD_COMMON_LOCAL_ROOT", str(tmp_path / "envroot"))
    assert CloudCredentials.from_env("local").metadata["root"] == str(tmp_path / "envroot")
    assert get_storage_client("local").create_bucket("from-env")
    assert (tmp_path / "envroot" / "storage" / "buckets" / "from-env").is_dir()
    explicit = LocalStorageClient(CloudCredentials(CloudProvider.LOCAL))  # no root: env
    assert explicit.root == (tmp_path / "envroot").resolve()


def test_option_and_metadata_root_win_over_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, creds: CloudCredentials, root: Path
) -> None:
    monkeypatch.setenv("CLOUD_COMMON_LOCAL_ROOT", str(tmp_path / "envroot"))
    assert LocalStorageClient(creds).root == root.resolve()
    assert LocalStorageClient(creds, root=tmp_path / "opt").root == (tmp_path / "opt").resolve()
    assert not (tmp_path / "envroot").exists()


def test_an_unusable_root_is_a_validation_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(ValidationError, match="root"):
        LocalStorageClient(root=tmp_path / "file")


def presign_base(client: CloudStorage) -> str:
    return client.generate_presigned_url("bkt", "k").split("/bkt/")[0]


def test_where_presigned_urls_point(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    monkeypatch.delenv("CLOUD_COMMON_LOCAL_PRESIGN_URL", raising=False)
    assert presign_base(LocalStorageClient(root=root)) == DEFAULT_PRESIGN_BASE_URL
    monkeypatch.setenv("CLOUD_COMMON_LOCAL_PRESIGN_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("CLOUD_COMMON_LOCAL_ROOT", str(root))
    assert presign_base(get_storage_client("local")) == "http://127.0.0.1:1"
    creds = CloudCredentials(
        CloudProvider.LOCAL, metadata={"root": str(root), "endpoint_url": "http://127.0.0.1:2/"}
    )
    assert presign_base(LocalStorageClient(creds)) == "http://127.0.0.1:2"
    assert presign_base(LocalStorageClient(creds, endpoint_url="http://h:3")) == "http://h:3"
    bad = CloudCredentials(CloudProvider.LOCAL, metadata={"endpoint_url": "127.0.0.1:4"})
    with pytest.raises(ValidationError, match="endpoint_url"):
        LocalStorageClient(bad, root=root)


def test_former_presign_base_url_names_still_work(root: Path) -> None:
    with pytest.warns(DeprecationWarning, match="endpoint_url"):
        client = get_storage_client(CloudProvider.LOCAL, root=root, presign_base_url="http://o:5")
    assert presign_base(client) == "http://o:5"
    old = CloudCredentials(
        CloudProvider.LOCAL, metadata={"root": str(root), "presign_base_url": "http://m:6"}
    )
    with pytest.warns(DeprecationWarning, match="endpoint_url"):
        client = LocalStorageClient(old)
    assert presign_base(client) == "http://m:6"

"""Acme's own tests: its behaviour beyond the contract (the contract suite covers the rest)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from acme_cloud import AcmeCloud, AcmeOptions, Gateway
from acme_cloud._info import PROVIDER
from acme_cloud._storage import AcmeStorageDriver

from cloud_common.core import (
    AuthenticationError,
    CloudCredentials,
    CloudProvider,
    CloudStorage,
    ValidationError,
    get_compute_client,
    get_storage_client,
)


@pytest.fixture
def cloud(tmp_path: Path) -> AcmeCloud:
    return AcmeCloud.create(tmp_path / "acme")


def _creds(keys: tuple[str, str]) -> CloudCredentials:
    return CloudCredentials(CloudProvider("acme"), access_key=keys[0], secret_key=keys[1])


def test_a_tampered_presigned_url_is_refused(cloud: AcmeCloud) -> None:
    gateway = Gateway(cloud).start()
    try:
        storage = get_storage_client(
            _creds(cloud.add_account("me")), root=str(cloud.root), gateway_url=gateway.url
        )
        storage.create_bucket("photos")
        storage.upload_file("photos", "cat.jpg", b"meow", "image/jpeg")
        url = storage.generate_presigned_url("photos", "cat.jpg", 60)
        with urllib.request.urlopen(url) as response:
            assert response.read() == b"meow"
            assert response.headers["Content-Type"] == "image/jpeg"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url.replace("cat.jpg", "dog.jpg"))
        assert refused.value.code == 403
    finally:
        gateway.stop()


def test_accounts_do_not_see_each_others_instances(cloud: AcmeCloud) -> None:
    mine = get_compute_client(_creds(cloud.add_account("me")), root=str(cloud.root))
    theirs = get_compute_client(_creds(cloud.add_account("them")), root=str(cloud.root))
    created = mine.create_instance("vm", "acme.small", "acme-linux-1", tags={"team": "a"})
    assert [(i["id"], i["tags"]) for i in mine.list_instances()] == [(created["id"], {"team": "a"})]
    assert theirs.list_instances() == []
    assert theirs.stop_instance(created["id"]) is False


def test_a_wrong_secret_is_an_authentication_error(cloud: AcmeCloud) -> None:
    access_key, _ = cloud.add_account("me")
    storage = get_storage_client(_creds((access_key, "not-the-secret")), root=str(cloud.root))
    with pytest.raises(AuthenticationError):
        storage.list_buckets()


def test_credentials_and_root_come_from_the_declared_environment(
    cloud: AcmeCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    access_key, secret_key = cloud.add_account("me")
    monkeypatch.setenv("ACME_ACCESS_KEY_ID", access_key)
    monkeypatch.setenv("ACME_SECRET_ACCESS_KEY", secret_key)
    monkeypatch.setenv("ACME_CLOUD_ROOT", str(cloud.root))
    storage = get_storage_client("acme")
    assert storage.create_bucket("from-env") is True
    assert storage.list_buckets() == ["from-env"]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"endpoint_url": "ftp://127.0.0.1:1"}, "endpoint_url"),
        ({"gateway_url": "127.0.0.1:1"}, "gateway_url"),
        ({"root": 5}, "root"),
        ({"bucket": "x"}, "bucket"),
    ],
)
def test_bad_options_are_refused_naming_them(
    cloud: AcmeCloud, options: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        get_storage_client(_creds(cloud.add_account("me")), **{"root": str(cloud.root), **options})


class AcmeStorage(CloudStorage):
    """A public, constructible class, as docs/plugin-authors.md shows it."""

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        options: AcmeOptions | None = None,
        **kwargs: Any,
    ) -> None:
        opts = AcmeOptions.resolve(options, kwargs)
        creds = credentials or CloudCredentials.from_env(CloudProvider("acme"))
        super().__init__(AcmeStorageDriver(creds, opts), PROVIDER, creds)


def test_a_public_class_applies_the_same_rules_as_the_registry(cloud: AcmeCloud) -> None:
    storage = AcmeStorage(_creds(cloud.add_account("me")), root=str(cloud.root))
    with pytest.raises(ValidationError, match="bucket"):
        storage.create_bucket("Not_Valid")
    assert storage.create_bucket("photos") is True
    assert storage.upload_file("photos", "k", b"x") == "acme://photos/k"
    assert storage.object_exists("photos", "k") is True

"""Acme's own tests (its behaviour beyond the contract; the contract suite covers the rest)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from acme_cloud import AcmeCloud, Gateway

from cloud_common.core import (
    AuthenticationError,
    CloudCredentials,
    CloudProvider,
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
    created = mine.create_instance("vm", "acme.small", "acme-linux-1")
    assert [i["id"] for i in mine.list_instances()] == [created["id"]]
    assert theirs.list_instances() == []
    assert theirs.stop_instance(created["id"]) is False


def test_a_wrong_secret_is_an_authentication_error(cloud: AcmeCloud) -> None:
    access_key, _ = cloud.add_account("me")
    storage = get_storage_client(_creds((access_key, "not-the-secret")), root=str(cloud.root))
    with pytest.raises(AuthenticationError):
        storage.list_buckets()

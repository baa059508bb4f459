"""No bucket name or key reaches outside the root, links planted inside it included."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cloud_common.core import CloudStorage, ValidationError
from cloud_common.local import LocalStorageClient

ESCAPES = ["../escape", "a/../../escape", "/etc/passwd", "a//b", "./a", "a/.", "a\\..\\b", "a\x00b"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("key", ESCAPES)
def test_escaping_keys_are_refused(
    storage: CloudStorage, bucket: str, root: Path, outside: Path, key: str
) -> None:
    before = snapshot(outside)
    calls: list[Callable[[], object]] = [
        lambda: storage.upload_file(bucket, key, b"x"),
        lambda: storage.upload_stream(bucket, key, io.BytesIO(b"x")),
        lambda: storage.download_file(bucket, key),
        lambda: storage.stat_object(bucket, key),
        lambda: storage.delete_file(bucket, key),
        lambda: storage.copy_file(bucket, key, bucket, "k"),
        lambda: storage.generate_presigned_url(bucket, key),
    ]
    for call in calls:
        with pytest.raises(ValidationError):
            call()
    assert snapshot(outside) == before
    assert not (root.parent / "escape").exists()


@pytest.mark.parametrize("key", ESCAPES)
def test_escaping_keys_refused_without_the_registry(root: Path, outside: Path, key: str) -> None:
    client = LocalStorageClient(root=root)
    client.create_bucket("bkt")
    with pytest.raises(ValidationError):
        client.upload_file("bkt", key, b"x")
    with pytest.raises(ValidationError):
        client.download_file("bkt", key)
    assert not (root.parent / "escape").exists()


@pytest.mark.parametrize("name", ["..", ".", "a/b", "/abs", "a\x00b", "../outside"])
def test_escaping_bucket_names_are_refused(
    storage: CloudStorage, root: Path, outside: Path, name: str
) -> None:
    before = snapshot(outside)
    with pytest.raises(ValidationError):
        storage.create_bucket(name)
    with pytest.raises(ValidationError):
        storage.upload_file(name, "k", b"x")
    with pytest.raises(ValidationError):
        storage.delete_bucket(name)
    assert snapshot(outside) == before


def test_planted_folder_link_is_never_followed(
    storage: CloudStorage, bucket: str, root: Path, outside: Path
) -> None:
    os.symlink(outside, root / "storage" / "buckets" / bucket / "evil")
    before = snapshot(outside)
    with pytest.raises(ValidationError):
        storage.upload_file(bucket, "evil/new.txt", b"planted")
    with pytest.raises(ValidationError):
        storage.upload_stream(bucket, "evil/new.txt", io.BytesIO(b"planted"))
    with pytest.raises(ValidationError):
        storage.download_file(bucket, "evil/secret.txt")
    with pytest.raises(ValidationError):
        storage.copy_file(bucket, "evil/secret.txt", bucket, "stolen")
    with pytest.raises(ValidationError):
        storage.delete_file(bucket, "evil/secret.txt")
    with pytest.raises(ValidationError):
        list(storage.list_objects(bucket, "evil/"))
    assert [o.key for o in storage.list_objects(bucket)] == []  # links are not objects
    assert snapshot(outside) == before


def test_planted_file_link_is_never_followed(
    storage: CloudStorage, bucket: str, root: Path, outside: Path
) -> None:
    os.symlink(outside / "secret.txt", root / "storage" / "buckets" / bucket / "link")
    with pytest.raises(ValidationError):
        storage.download_file(bucket, "link")
    with pytest.raises(ValidationError):
        storage.object_exists(bucket, "link")
    storage.upload_file(bucket, "link", b"stored in place of the link")  # never through it
    assert (outside / "secret.txt").read_bytes() == b"outside the root"
    assert not (root / "storage" / "buckets" / bucket / "link").is_symlink()
    assert storage.download_file(bucket, "link") == b"stored in place of the link"


def test_planted_bucket_link_is_never_followed(
    storage: CloudStorage, root: Path, outside: Path
) -> None:
    assert storage.list_buckets() == []  # the store's folders exist from the first call on
    os.symlink(outside, root / "storage" / "buckets" / "linked")
    before = snapshot(outside)
    with pytest.raises(ValidationError):
        storage.upload_file("linked", "k", b"x")
    with pytest.raises(ValidationError):
        storage.download_file("linked", "secret.txt")
    with pytest.raises(ValidationError):
        storage.create_bucket("linked")
    with pytest.raises(ValidationError):
        storage.delete_bucket("linked")
    assert "linked" not in storage.list_buckets()
    assert snapshot(outside) == before

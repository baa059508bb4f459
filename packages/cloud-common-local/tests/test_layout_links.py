"""Links planted at the provider's own paths are never followed: nothing outside changes.

Hypothesis plants symbolic links (to a sentinel folder holding day-old files, or to a
sentinel file) at any combination of the layout's internal paths, on a fresh root or on
one in use, then drives every storage call and presigning. The sentinel tree must come out
byte for byte, time for time, the same, and no outside name may show up in a listing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cloud_common.core import CloudError, CloudStorage, ValidationError  # noqa: E402
from cloud_common.local import LocalStorageClient  # noqa: E402

INTERNAL = [
    "storage",
    "storage/buckets",
    "storage/tmp",
    "storage/layout",
    "storage/meta",
    "storage/locks",
    "storage/etags",
    "storage/buckets/bkt",
    "storage/buckets/bkt/dir",
    "storage/buckets/bkt/dir/obj",
    "presign.key",
]
DAY_OLD = time.time() - 2 * 86400
OUTSIDE_NAMES = {"old.txt", "inner", "inner/", "inner/old.bin", "layout", "object", "bkt/object"}


def _sentinel(base: Path) -> Path:
    folder = base / "sentinel"
    (folder / "inner").mkdir(parents=True)
    for name in ("old.txt", "inner/old.bin", "bkt", "layout"):
        path = folder / name
        if name == "bkt":
            path.mkdir()
            path = path / "object"
        path.write_bytes(f"sentinel {name}".encode() * 40)
        os.utime(path, (DAY_OLD, DAY_OLD))
    return folder


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st_ = path.lstat()
            data = path.read_bytes() if path.is_file() else b"<dir>"
            found[str(path.relative_to(folder))] = (data, st_.st_mtime_ns, st_.st_mode)
    return found


def _prepare(root: Path) -> None:
    client = LocalStorageClient(root=root, endpoint_url="http://127.0.0.1:9")
    client.create_bucket("bkt")
    client.upload_file("bkt", "dir/obj", b"inside", "text/plain")
    client.generate_presigned_url("bkt", "dir/obj")
    client.close()


def _plant(root: Path, rel: str, sentinel: Path) -> bool:
    path = root / rel
    if any(parent.is_symlink() for parent in [path, *path.parents] if root in parent.parents):
        return False  # an ancestor is a link already: planting would write outside
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True)
    target = sentinel / "old.txt" if rel.endswith(("layout", ".key", "obj")) else sentinel
    os.symlink(target, path)
    return True


def _names(result: object) -> set[str]:
    """Bucket names or keys in a call's result (nothing for other results)."""
    if not isinstance(result, list):
        return set()
    return {item if isinstance(item, str) else item.key for item in result}


def _calls(storage: CloudStorage) -> list[Callable[[], object]]:
    return [
        storage.list_buckets,
        lambda: storage.create_bucket("bkt"),
        lambda: storage.create_bucket("other"),
        lambda: storage.upload_file("bkt", "dir/obj", b"written"),
        lambda: storage.upload_file("bkt", "dir/new", b"written"),
        lambda: storage.download_file("bkt", "dir/obj"),
        lambda: storage.download_file("bkt", "object"),
        lambda: storage.stat_object("bkt", "dir/obj"),
        lambda: list(storage.list_objects("bkt")),
        lambda: list(storage.list_objects("bkt", "dir/", delimiter="/")),
        lambda: storage.copy_file("bkt", "dir/obj", "bkt", "copied"),
        lambda: storage.generate_presigned_url("bkt", "dir/obj"),
        lambda: storage.delete_file("bkt", "dir/obj"),
        lambda: storage.delete_file("bkt", "object"),
        lambda: storage.delete_bucket("bkt"),
        lambda: storage.delete_bucket("other"),
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    planted=st.lists(st.sampled_from(INTERNAL), min_size=1, max_size=4, unique=True),
    used=st.booleans(),
)
def test_links_at_internal_paths_change_nothing_outside(planted: list[str], used: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="cc-links-") as tmp:
        base = Path(tmp)
        sentinel = _sentinel(base)
        root = base / "root"
        root.mkdir()
        if used:
            _prepare(root)
        before = _snapshot(sentinel)
        if not any([_plant(root, rel, sentinel) for rel in planted]):
            return
        outcomes: list[str] = []
        try:
            storage: CloudStorage = LocalStorageClient(root=root, endpoint_url="http://127.0.0.1:9")
        except ValidationError:
            outcomes.append("refused")
        else:
            for call in _calls(storage):
                try:
                    result = call()
                except ValidationError as exc:
                    outcomes.append(f"refused: {exc}")
                except CloudError:
                    outcomes.append("error")
                else:
                    outcomes.append("ok")
                    assert not _names(result) & OUTSIDE_NAMES, (planted, result)
            storage.close()
        assert _snapshot(sentinel) == before, (planted, used, outcomes)
        unclear = [o for o in outcomes if o.startswith("refused: ") and "link" not in o]
        assert unclear == [], "a refusal must name the link"


def test_a_linked_tmp_folder_is_refused_before_any_sweep(tmp_path: Path) -> None:
    """The data-loss case of issue 11: the day-old sweep must not run in a link's target."""
    sentinel = _sentinel(tmp_path)
    root = tmp_path / "root"
    (root / "storage" / "buckets").mkdir(parents=True)
    os.symlink(sentinel, root / "storage" / "tmp")
    before = _snapshot(sentinel)
    with pytest.raises(ValidationError, match=r"storage/tmp is a symbolic link"):
        LocalStorageClient(root=root).list_buckets()
    assert _snapshot(sentinel) == before


def test_a_folder_of_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a folder's owner needs root")
    root = tmp_path / "root"
    (root / "storage" / "buckets").mkdir(parents=True)
    os.chown(root / "storage" / "buckets", 12345, 12345)
    with pytest.raises(ValidationError, match="belongs to user id 12345"):
        LocalStorageClient(root=root).list_buckets()


def test_a_linked_presign_key_is_never_the_secret(tmp_path: Path) -> None:
    sentinel = _sentinel(tmp_path)
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(sentinel / "old.txt", root / "presign.key")
    client = LocalStorageClient(root=root)
    client.create_bucket("bkt")
    with pytest.raises(ValidationError, match="presign.key"):
        client.generate_presigned_url("bkt", "k")

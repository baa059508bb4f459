"""list_objects: every object once, sorted, across pages, with prefix and delimiter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cloud_common.contract_tests.checks import expect_error
from cloud_common.core import BucketNotFoundError, CloudStorage, ObjectInfo, ValidationError

pytestmark = pytest.mark.capability("storage", "storage.list_objects")

TREE = {
    "a.txt": b"a",
    "b/1.txt": b"b1",
    "b/2.txt": b"b22",
    "b/c/3.txt": b"b333",
    "b/c/4.txt": b"b4444",
    "d/5.txt": b"d55555",
    "e.txt": b"",
    "logs/2026/01.log": b"x" * 10,
    "logs/2026/02.log": b"y" * 11,
    "logs/2027/01.log": b"z" * 12,
    "logsX.txt": b"not under logs/",
}


@pytest.fixture
def tree(storage: CloudStorage, bucket: str) -> str:
    for key, data in TREE.items():
        storage.upload_file(bucket, key, data)
    return bucket


def _keys(items: list[ObjectInfo]) -> list[str]:
    return [i.key for i in items]


def test_an_empty_bucket_lists_nothing(storage: CloudStorage, bucket: str) -> None:
    assert list(storage.list_objects(bucket)) == []


def test_lists_every_object_once_sorted_with_sizes(storage: CloudStorage, tree: str) -> None:
    items = list(storage.list_objects(tree))
    assert all(isinstance(i, ObjectInfo) for i in items)
    assert _keys(items) == sorted(TREE), "every object exactly once, sorted by key"
    for item in items:
        assert item.size == len(TREE[item.key]), f"{item.key}: size {item.size}"
        assert item.is_prefix is False
        assert item.etag is None or (isinstance(item.etag, str) and not item.etag.startswith('"'))
        assert item.last_modified is None or item.last_modified.tzinfo is not None


@pytest.mark.parametrize("page_size", [1, 2, 3, 1000])
def test_pagination_returns_every_object_once(
    storage: CloudStorage, tree: str, page_size: int
) -> None:
    assert _keys(list(storage.list_objects(tree, page_size=page_size))) == sorted(TREE)


def test_more_objects_than_a_page_holds(storage: CloudStorage, bucket: str) -> None:
    keys = [f"many/{i:03d}" for i in range(25)]
    for key in keys:
        storage.upload_file(bucket, key, key.encode())
    assert _keys(list(storage.list_objects(bucket, page_size=4))) == keys
    assert _keys(list(storage.list_objects(bucket, "many/01", page_size=3))) == keys[10:20]


def test_the_result_is_a_lazy_iterator(storage: CloudStorage, tree: str) -> None:
    result = storage.list_objects(tree, page_size=2)
    assert isinstance(result, Iterator), (
        "list_objects returns an iterator, pages fetched as consumed"
    )
    first = next(result)
    assert first.key == sorted(TREE)[0]


@pytest.mark.parametrize(
    "prefix",
    ["logs/", "logs", "b/c/", "b/c/3", "no-such-prefix/", "a.txt", ""],
)
def test_prefix_selects_exactly_the_keys_starting_with_it(
    storage: CloudStorage, tree: str, prefix: str
) -> None:
    wanted = sorted(k for k in TREE if k.startswith(prefix))
    assert _keys(list(storage.list_objects(tree, prefix))) == wanted
    assert _keys(list(storage.list_objects(tree, prefix, page_size=1))) == wanted


def _rollup(prefix: str) -> list[tuple[str, bool]]:
    seen: dict[str, bool] = {}
    for key in sorted(TREE):
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        if "/" in rest:
            seen[prefix + rest.split("/", 1)[0] + "/"] = True
        else:
            seen[key] = False
    return sorted(seen.items())


@pytest.mark.parametrize("prefix", ["", "b/", "logs/", "logs/2026/", "d"])
@pytest.mark.parametrize("page_size", [1, 1000])
def test_delimiter_rolls_up_common_prefixes(
    storage: CloudStorage, tree: str, prefix: str, page_size: int
) -> None:
    items = list(storage.list_objects(tree, prefix, delimiter="/", page_size=page_size))
    got = sorted((i.key, i.is_prefix) for i in items)
    assert got == _rollup(prefix), "objects directly under the prefix, each sub-prefix once"
    for item in items:
        if item.is_prefix:
            assert item.key.endswith("/") and item.size == 0


def test_listing_a_missing_bucket_raises_bucket_not_found(
    storage: CloudStorage, unique: Callable[[str], str]
) -> None:
    expect_error(BucketNotFoundError, lambda: list(storage.list_objects(unique("cct"))))


@pytest.mark.parametrize(
    "kwargs", [{"page_size": 0}, {"page_size": 1001}, {"delimiter": ""}, {"prefix": 5}]
)
def test_invalid_arguments_raise_validation_error(
    storage: CloudStorage, bucket: str, kwargs: dict[str, Any]
) -> None:
    expect_error(ValidationError, lambda: list(storage.list_objects(bucket, **kwargs)))


def test_a_deleted_object_is_no_longer_listed(storage: CloudStorage, tree: str) -> None:
    assert storage.delete_file(tree, "b/2.txt") is True
    assert "b/2.txt" not in _keys(list(storage.list_objects(tree)))


# Keys whose order a careless provider gets wrong: upper before lower case (not case-folded),
# '-' < '.' < '/' < '_' by byte, a precomposed é after every ASCII letter, and characters
# past the Basic Multilingual Plane after those inside it (UTF-8 byte order).
ORDER_KEYS = [
    "B.txt",
    "a b.txt",
    "a-b.txt",
    "a.b.txt",
    "a/b.txt",
    "a_b.txt",
    "a.txt",
    "b.txt",
    "Z.txt",
    "e\u0301.txt",
    "\u00e9.txt",
    "\uff21.txt",
    "\U0001f600.txt",
    "~.txt",
]
UPLOAD_ORDER = [ORDER_KEYS[i] for i in (7, 12, 0, 5, 10, 2, 13, 9, 4, 1, 11, 6, 3, 8)]


def test_objects_uploaded_in_any_order_list_in_key_order(
    storage: CloudStorage, bucket: str
) -> None:
    assert sorted(UPLOAD_ORDER) == sorted(ORDER_KEYS) and sorted(ORDER_KEYS) != UPLOAD_ORDER
    for key in UPLOAD_ORDER:
        storage.upload_file(bucket, key, key.encode())
    for page_size in (None, 3):
        listed = _keys(list(storage.list_objects(bucket, page_size=page_size)))
        assert listed == sorted(ORDER_KEYS), (
            f"page_size={page_size}: listed in {listed}, not in key order (UTF-8 bytes)"
        )

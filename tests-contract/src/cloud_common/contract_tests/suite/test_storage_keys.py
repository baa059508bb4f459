"""Distinct keys stay distinct objects: a provider must not normalise keys.

Each pair differs in a way a careless provider merges (spaces vs underscores, URL
escapes, case, Unicode normal forms, doubled or trailing slashes). Both objects must
survive upload, list, stat, download and delete on their own. A provider whose key rules
refuse one of the pair (``ValidationError``) merges nothing and passes.
"""

from __future__ import annotations

import pytest

from cloud_common.core import CloudStorage, ObjectNotFoundError, ValidationError

pytestmark = pytest.mark.capability("storage")

PAIRS = {
    "space-underscore": ("a b.txt", "a_b.txt"),
    "space-plus": ("a b.txt", "a+b.txt"),
    "space-escaped": ("a b.txt", "a%20b.txt"),
    "case": ("Report.txt", "report.txt"),
    "nfc-nfd": ("caf\u00e9.txt", "cafe\u0301.txt"),
    "trailing-slash": ("dir/", "dir"),
    "double-slash": ("a//b.txt", "a/b.txt"),
    "dot-segment": ("a/./b.txt", "a/b.txt"),
}


def _upload_pair(storage: CloudStorage, bucket: str, pair: str) -> tuple[str, str] | None:
    first, second = PAIRS[pair]
    try:
        storage.upload_file(bucket, first, b"first")
        storage.upload_file(bucket, second, b"second object")
    except ValidationError:
        return None  # refused by the provider's key rules: nothing is merged
    return first, second


@pytest.mark.parametrize("pair", list(PAIRS))
def test_keys_a_careless_provider_would_merge_stay_distinct(
    storage: CloudStorage, bucket: str, pair: str
) -> None:
    keys = _upload_pair(storage, bucket, pair)
    if keys is None:
        return
    first, second = keys
    assert storage.download_file(bucket, first) == b"first", f"{first!r} was overwritten"
    assert storage.download_file(bucket, second) == b"second object"
    assert storage.delete_file(bucket, first) is True
    assert storage.download_file(bucket, second) == b"second object", (
        f"deleting {first!r} removed {second!r}"
    )
    with pytest.raises(ObjectNotFoundError):
        storage.download_file(bucket, first)


@pytest.mark.capability("storage.list_objects", "storage.stat_object")
@pytest.mark.parametrize("pair", list(PAIRS))
def test_keys_a_careless_provider_would_merge_list_and_stat_apart(
    storage: CloudStorage, bucket: str, pair: str
) -> None:
    keys = _upload_pair(storage, bucket, pair)
    if keys is None:
        return
    first, second = keys
    listed = sorted(o.key for o in storage.list_objects(bucket))
    assert listed == sorted(keys), f"listed {listed}"
    assert storage.stat_object(bucket, first).size == len(b"first")
    assert storage.stat_object(bucket, second).size == len(b"second object")

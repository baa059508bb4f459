"""StorageClient: every row of DESIGN section 4 for the spec's six methods."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloud_common.contract_tests._session import ContractSession
from cloud_common.contract_tests.checks import expect_error, one_warning
from cloud_common.contract_tests.harness import Harness
from cloud_common.core import (
    AuthenticationError,
    BucketNotFoundError,
    CloudCredentials,
    CloudStorage,
    ObjectNotFoundError,
    PermissionDeniedError,
    ProviderInfo,
    ValidationError,
    parse_object_url,
)

pytestmark = pytest.mark.capability("storage")

AUTH_ERRORS = (AuthenticationError, PermissionDeniedError)


# -- list_buckets ----------------------------------------------------------------------------


def test_list_buckets_returns_names_including_a_new_bucket(
    storage: CloudStorage, bucket: str
) -> None:
    names = storage.list_buckets()
    assert isinstance(names, list)
    assert all(isinstance(n, str) for n in names)
    assert bucket in names


def test_list_buckets_shows_only_the_callers_buckets(
    storage: CloudStorage,
    other_storage: CloudStorage,
    bucket: str,
    unique: Callable[[str], str],
) -> None:
    theirs = unique("cct")
    assert other_storage.create_bucket(theirs) is True
    assert theirs in other_storage.list_buckets()
    mine = storage.list_buckets()
    assert bucket in mine
    assert theirs not in mine, "list_buckets shows a bucket of another account"


# -- create_bucket ---------------------------------------------------------------------------


def test_create_bucket_is_true_and_true_again_when_it_is_yours(
    storage: CloudStorage, unique: Callable[[str], str]
) -> None:
    name = unique("cct")
    assert storage.create_bucket(name) is True
    assert storage.create_bucket(name) is True, "already exists and is yours: the state holds"
    assert name in storage.list_buckets()


def test_create_bucket_taken_by_another_account_is_false_with_one_warning(
    storage: CloudStorage,
    other_storage: CloudStorage,
    harness: Harness,
    unique: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = unique("cct")
    assert other_storage.create_bucket(name) is True
    if not harness.bucket_names_are_global():
        # names belong to one account: the other account's bucket is not in the way
        assert storage.create_bucket(name) is True
        storage.upload_file(name, "mine", b"main account")
        expect_error(ObjectNotFoundError, lambda: other_storage.download_file(name, "mine"))
        return
    with one_warning(caplog):
        assert storage.create_bucket(name) is False


@pytest.mark.parametrize(
    "name", ["", "ab", "UPPER-case", "under_score!", "a" * 64, "-leading", "192.168.1.1"]
)
def test_create_bucket_with_invalid_name_raises_validation_error(
    storage: CloudStorage, name: str
) -> None:
    expect_error(ValidationError, lambda: storage.create_bucket(name))


# -- upload_file / download_file -----------------------------------------------------------------


def test_upload_returns_the_canonical_url(
    storage: CloudStorage, bucket: str, provider_info: ProviderInfo
) -> None:
    url = storage.upload_file(bucket, "dir/file.txt", b"hello", "text/plain")
    parsed = parse_object_url(url)
    assert parsed.scheme in provider_info.url_schemes, f"{url}: scheme not declared"
    assert (parsed.bucket, parsed.key) == (bucket, "dir/file.txt")


def test_upload_then_download_returns_the_same_bytes(storage: CloudStorage, bucket: str) -> None:
    storage.upload_file(bucket, "k", b"contract")
    assert storage.download_file(bucket, "k") == b"contract"


def test_upload_overwrites_an_existing_object(storage: CloudStorage, bucket: str) -> None:
    storage.upload_file(bucket, "k", b"first version")
    storage.upload_file(bucket, "k", b"second")
    assert storage.download_file(bucket, "k") == b"second"


def test_download_of_a_missing_object_raises_object_not_found(
    storage: CloudStorage, bucket: str
) -> None:
    expect_error(ObjectNotFoundError, lambda: storage.download_file(bucket, "no/such/key"))


def test_download_from_a_missing_bucket_raises_bucket_not_found(
    storage: CloudStorage, unique: Callable[[str], str]
) -> None:
    expect_error(BucketNotFoundError, lambda: storage.download_file(unique("cct"), "k"))


def test_upload_to_a_missing_bucket_raises_bucket_not_found(
    storage: CloudStorage, unique: Callable[[str], str]
) -> None:
    expect_error(BucketNotFoundError, lambda: storage.upload_file(unique("cct"), "k", b"x"))


@pytest.mark.parametrize("key", ["", "line\nbreak", "nul\x00byte", "k" * 1025])
def test_invalid_keys_raise_validation_error(storage: CloudStorage, bucket: str, key: str) -> None:
    expect_error(ValidationError, lambda: storage.upload_file(bucket, key, b"x"))
    expect_error(ValidationError, lambda: storage.download_file(bucket, key))
    expect_error(ValidationError, lambda: storage.delete_file(bucket, key))


def test_upload_of_non_bytes_raises_validation_error(storage: CloudStorage, bucket: str) -> None:
    text: Any = "text, not bytes"
    expect_error(ValidationError, lambda: storage.upload_file(bucket, "k", text))


# -- delete_file -----------------------------------------------------------------------------


def test_delete_file_is_true_and_the_object_is_gone(storage: CloudStorage, bucket: str) -> None:
    storage.upload_file(bucket, "gone.txt", b"x")
    assert storage.delete_file(bucket, "gone.txt") is True
    expect_error(ObjectNotFoundError, lambda: storage.download_file(bucket, "gone.txt"))


def test_delete_file_leaves_other_objects(storage: CloudStorage, bucket: str) -> None:
    storage.upload_file(bucket, "keep.txt", b"keep")
    storage.upload_file(bucket, "drop.txt", b"drop")
    assert storage.delete_file(bucket, "drop.txt") is True
    assert storage.download_file(bucket, "keep.txt") == b"keep"


def test_delete_file_is_true_when_already_absent(storage: CloudStorage, bucket: str) -> None:
    assert storage.delete_file(bucket, "never-existed") is True
    storage.upload_file(bucket, "twice", b"x")
    assert storage.delete_file(bucket, "twice") is True
    assert storage.delete_file(bucket, "twice") is True


def test_delete_file_in_a_missing_bucket_is_false_with_one_warning(
    storage: CloudStorage, unique: Callable[[str], str], caplog: pytest.LogCaptureFixture
) -> None:
    name = unique("cct")
    with one_warning(caplog):
        assert storage.delete_file(name, "k") is False


# -- generate_presigned_url --------------------------------------------------------------------


@pytest.mark.parametrize("expires_in", [0, -1, 604801, 10**9, "60", 1.5, True, None])
def test_presigned_url_expiry_out_of_bounds_raises_validation_error(
    storage: CloudStorage, bucket: str, expires_in: Any
) -> None:
    expect_error(ValidationError, lambda: storage.generate_presigned_url(bucket, "k", expires_in))


@pytest.mark.parametrize("expires_in", [1, 3600, 604800])
def test_presigned_url_accepts_the_bounds(
    storage: CloudStorage, bucket: str, expires_in: int
) -> None:
    storage.upload_file(bucket, "k", b"x")
    url = storage.generate_presigned_url(bucket, "k", expires_in)
    assert isinstance(url, str)
    assert url.startswith(("http://", "https://")), url


# -- credentials --------------------------------------------------------------------------------


def _bad(contract: ContractSession, harness: Harness, creds: CloudCredentials) -> CloudStorage:
    return contract.build("storage", creds, harness.bad_client_options("storage"))


@pytest.mark.parametrize(
    "call",
    [
        "list_buckets",
        "create_bucket",
        "upload_file",
        "download_file",
        "delete_file",
    ],
)
def test_bad_credentials_raise_an_auth_error(
    contract: ContractSession,
    harness: Harness,
    bad_credentials: CloudCredentials,
    bucket: str,
    storage: CloudStorage,
    unique: Callable[[str], str],
    call: str,
) -> None:
    storage.upload_file(bucket, "k", b"x")
    calls: dict[str, Callable[[CloudStorage], Any]] = {
        "list_buckets": lambda c: c.list_buckets(),
        "create_bucket": lambda c: c.create_bucket(unique("cct")),
        "upload_file": lambda c: c.upload_file(bucket, "k2", b"x"),
        "download_file": lambda c: c.download_file(bucket, "k"),
        "delete_file": lambda c: c.delete_file(bucket, "k"),
    }
    expect_error(AUTH_ERRORS, lambda: calls[call](_bad(contract, harness, bad_credentials)))
    assert storage.download_file(bucket, "k") == b"x", "a refused call must change nothing"

"""The portable clients apply every rule of the contract around a provider's driver."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import cc_core_testprovider as mem
import pytest

from cloud_common.core import (
    BucketNotFoundError,
    ClientOptions,
    CloudCompute,
    CloudCredentials,
    CloudError,
    CloudProvider,
    CloudStorage,
    InstanceNotFoundError,
    NotSupportedError,
    ObjectNotFoundError,
    TimeoutError,  # noqa: A004
    ValidationError,
    get_compute_client,
    get_provider,
    get_serverless_client,
    get_storage_client,
    open_storage,
    register,
    unregister,
)

SECRET = "sk-very-secret-0123456789"
MEMTEST = CloudProvider("memtest")


@pytest.fixture
def storage(memtest: str) -> Iterator[CloudStorage]:
    with get_storage_client(CloudCredentials(MEMTEST, "AKIDMEM", SECRET)) as client:
        assert client.create_bucket("bucket-one") is True
        yield client


@pytest.fixture
def compute(memtest: str) -> CloudCompute:
    mem.INSTANCES.clear()
    return get_compute_client(MEMTEST)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_factories_return_the_portable_types(memtest: str) -> None:
    storage = get_storage_client(MEMTEST)
    assert type(storage) is CloudStorage and storage.provider_info is get_provider(MEMTEST)
    assert "storage.object_exists" in storage.capabilities  # derived from stat_object
    assert type(get_compute_client(MEMTEST)) is CloudCompute
    assert "compute.wait_for_state" in get_compute_client(MEMTEST).capabilities
    serverless = get_serverless_client(MEMTEST)
    assert serverless.invoke_function("f", {"a": [1, None]}) == {"a": [1, None]}


def test_the_bool_table_logs_exactly_one_warning_per_false(
    storage: CloudStorage, caplog: pytest.LogCaptureFixture
) -> None:
    storage.upload_file("bucket-one", "k", b"v")
    mem.LOCKED.add("locked")
    try:
        storage.upload_file("bucket-one", "locked", b"v")
        with caplog.at_level(logging.DEBUG):
            assert storage.delete_file("bucket-one", "k") is True
            assert storage.delete_file("bucket-one", "k") is True  # absent: the state holds
            assert _warnings(caplog) == []
            assert storage.delete_file("no-such-bucket", "k") is False
            assert len(_warnings(caplog)) == 1
            assert storage.delete_file("bucket-one", "locked") is False
            assert storage.create_bucket("taken-name") is False
        assert len(_warnings(caplog)) == 3
        assert "retention lock" in _warnings(caplog)[1]
    finally:
        mem.LOCKED.clear()


def test_a_false_from_a_driver_is_logged_once_by_core_and_not_again_for_a_02_driver(
    compute: CloudCompute, caplog: pytest.LogCaptureFixture
) -> None:
    instance = compute.create_instance("vm-1", "small", "img")
    assert instance["status"] == "pending"
    with caplog.at_level(logging.WARNING):
        assert compute.stop_instance("vm-1") is False
    assert len(_warnings(caplog)) == 1
    register(mem.legacy_info(), replace=True)
    try:
        legacy = get_compute_client(CloudProvider("memold"), region="x")
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert legacy.stop_instance("vm-1") is False
        assert _warnings(caplog) == ["cannot stop vm-1"]
    finally:
        unregister("memold")


def test_terminate_of_an_unknown_id_is_true_and_start_of_a_terminated_one_false(
    compute: CloudCompute, caplog: pytest.LogCaptureFixture
) -> None:
    assert compute.terminate_instance("i-unknown") is True
    compute.create_instance("vm-2", "small", "img")
    assert compute.terminate_instance("vm-2") is True
    with caplog.at_level(logging.WARNING):
        assert compute.start_instance("vm-2") is False
        assert compute.start_instance("i-unknown") is False
    assert len(_warnings(caplog)) == 2


def test_wait_for_state_polls_get_instance(compute: CloudCompute) -> None:
    compute.create_instance("vm-3", "small", "img")
    assert compute.wait_for_state("vm-3", "running", 5, poll_interval=0.001)["status"] == "running"
    with pytest.raises(TimeoutError, match="wanted 'stopped'") as info:
        compute.wait_for_state("vm-3", "stopped", 0.01, poll_interval=0.001)
    assert info.value.retryable is True and info.value.provider == "memtest"
    with pytest.raises(InstanceNotFoundError):
        compute.wait_for_state("i-none", "running", 1, poll_interval=0.001)
    gone = compute.wait_for_state("i-none", "terminated", 1, poll_interval=0.001)
    assert (gone["id"], gone["status"], gone["metadata"]["gone"]) == ("i-none", "terminated", True)
    for bad in (0, -1, float("nan"), True, "5"):
        with pytest.raises(ValidationError, match="timeout"):
            compute.wait_for_state("vm-3", "running", bad)  # type: ignore[arg-type]


def test_data_calls_raise_and_missing_buckets_read_as_missing_objects(
    storage: CloudStorage,
) -> None:
    with pytest.raises(ObjectNotFoundError):
        storage.download_file("bucket-one", "absent")
    with pytest.raises(BucketNotFoundError) as info:
        storage.download_file("no-such-bucket", "k")
    assert info.value.provider == "memtest" and info.value.operation == "download_file"
    assert info.value.resource == "mem://no-such-bucket/k"
    with pytest.raises(ObjectNotFoundError, match="bucket does not exist"):
        storage.stat_object("no-such-bucket", "k")
    assert storage.object_exists("no-such-bucket", "k") is False
    assert storage.object_exists("bucket-one", "absent") is False
    storage.upload_file("bucket-one", "there", b"x")
    assert storage.object_exists("bucket-one", "there") is True


def test_uploads_return_the_canonical_url_whatever_the_driver_says(
    storage: CloudStorage, tmp_path: Path
) -> None:
    assert storage.upload_file("bucket-one", "a b/ü?.txt", b"d") == "mem://bucket-one/a b/ü?.txt"
    source = tmp_path / "src.bin"
    source.write_bytes(b"from a file")
    assert storage.upload_stream("bucket-one", "s", source) == "mem://bucket-one/s"
    assert storage.upload_stream("bucket-one", "t", io.BytesIO(b"stream")) == "mem://bucket-one/t"
    assert storage.download_file("bucket-one", "s") == b"from a file"


def test_bad_arguments_fail_before_the_driver_is_called(
    storage: CloudStorage, tmp_path: Path
) -> None:
    calls: list[Callable[[], object]] = [
        lambda: storage.upload_file("Bad_Bucket", "k", b"x"),
        lambda: storage.upload_file("bucket-one", "", b"x"),
        lambda: storage.upload_file("bucket-one", "k", "text"),  # type: ignore[arg-type]
        lambda: storage.upload_file("bucket-one", "k", b"x", "text/plain\r\nX-Evil: 1"),
        lambda: storage.generate_presigned_url("bucket-one", "k", expires_in=0),
        lambda: storage.generate_presigned_url("bucket-one", "k", expires_in=True),
        lambda: storage.generate_presigned_url("bucket-one", "k", method="DELETE"),
        lambda: storage.list_objects("bucket-one", page_size=True),
        lambda: storage.download_stream("bucket-one", "k", io.BytesIO(), byte_range=(0, True)),
        lambda: storage.upload_stream("bucket-one", "k", tmp_path / "missing"),
        lambda: storage.upload_stream("bucket-one", "k", 42),  # type: ignore[arg-type]
        lambda: storage.download_stream("bucket-one", "k", tmp_path / "no" / "dir.bin"),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.provider == "memtest"
    assert mem.BUCKETS == {"bucket-one": {}}


def test_undeclared_extensions_are_refused(storage: CloudStorage) -> None:
    with pytest.raises(NotSupportedError, match="storage.copy_file"):
        storage.copy_file("bucket-one", "a", "bucket-one", "b")
    with pytest.raises(NotSupportedError, match="storage.presign_put"):
        storage.generate_presigned_url("bucket-one", "k", method="PUT")
    with pytest.raises(NotSupportedError, match="user_metadata"):
        storage.upload_file("bucket-one", "k", b"x", metadata={"a": "b"})


def test_a_path_is_written_atomically_and_left_absent_on_failure(
    storage: CloudStorage, tmp_path: Path
) -> None:
    storage.upload_file("bucket-one", "ok", b"0123456789")
    storage.upload_file("bucket-one", "fail-midway", b"0123456789")
    dest = tmp_path / "out.bin"
    assert storage.download_stream("bucket-one", "ok", dest) == 10
    assert dest.read_bytes() == b"0123456789"
    with pytest.raises(CloudError):
        storage.download_stream("bucket-one", "fail-midway", dest)
    assert dest.read_bytes() == b"0123456789"  # the old file, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_listing_is_lazy_and_checked(memtest: str) -> None:
    register(mem.info("careless", storage="CarelessStorage"), replace=True)
    try:
        storage = get_storage_client(CloudCredentials(CloudProvider("careless"), "ak", SECRET))
        listing = storage.list_objects("no-such-bucket")  # nothing is called yet
        with pytest.raises(CloudError, match="after 'b'"):
            list(listing)
        with pytest.raises(CloudError) as info:
            storage.download_file("bucket-one", "k")
        assert isinstance(info.value.__cause__, KeyError) and SECRET not in str(info.value)
        with pytest.raises(CloudError, match="promises bool"):
            storage.create_bucket("bucket-one")
    finally:
        unregister("careless")
    regular = get_storage_client(MEMTEST)
    with pytest.raises(BucketNotFoundError):
        next(regular.list_objects("no-such-bucket"))


def test_list_buckets_is_sorted(storage: CloudStorage) -> None:
    storage.create_bucket("bucket-zzz")
    assert storage.list_buckets() == ["bucket-one", "bucket-zzz"]


def test_options_are_typed_and_checked(memtest: str) -> None:
    client = get_storage_client(MEMTEST, page=5, endpoint_url="http://127.0.0.1:1")
    options = cast(mem.MemoryStorage, client.driver).options
    assert isinstance(options, mem.MemOptions) and options.page == 5
    with pytest.raises(ValidationError, match=r"unknown option 'pgae'.*'page'"):
        get_storage_client(MEMTEST, pgae=5)
    with pytest.raises(ValidationError, match="option page=True is invalid"):
        get_storage_client(MEMTEST, page=True)
    with pytest.raises(ValidationError, match="endpoint_url"):
        get_storage_client(MEMTEST, endpoint_url="127.0.0.1:1")
    with pytest.warns(DeprecationWarning, match="retry_policy") as warned:
        get_storage_client(MEMTEST, retry_policy=None)
    assert warned[0].filename == __file__  # points at the user's line, not at core
    with pytest.raises(ValidationError, match="MemOptions"):
        get_storage_client(MEMTEST, ClientOptions())
    assert (
        cast(
            mem.MemoryStorage, get_storage_client(MEMTEST, mem.MemOptions(page=7)).driver
        ).options.page
        == 7
    )


def test_open_storage_finds_the_provider_by_scheme(storage: CloudStorage) -> None:
    storage.upload_file("bucket-one", "a/b.txt", b"data")
    client, bucket, key = open_storage("mem://bucket-one/a/b.txt")
    assert isinstance(client, CloudStorage)
    assert client.download_file(bucket, key) == b"data"


def test_from_env_reads_what_the_provider_declares(memtest: str) -> None:
    env = {
        "MEM_KEY": "AKID",
        "MEM_SECRET": SECRET,
        "MEM_URL": "http://h",
        "CLOUD_COMMON_MEMTEST_REGION": "r1",
    }
    creds = CloudCredentials.from_env(MEMTEST, env)
    assert (creds.access_key, creds.secret_key, creds.region) == ("AKID", SECRET, "r1")
    assert creds.metadata == {"endpoint_url": "http://h"}
    assert CloudCredentials.from_env(CloudProvider("nobody"), env).access_key is None


def test_a_02_provider_still_works_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.warns(DeprecationWarning, match="0.2 form"):
        old = mem.legacy_info()
    register(old, replace=True)
    try:
        storage = get_storage_client(CloudProvider("memold"), anything="goes")
        assert cast(mem.MemoryStorage, storage.driver).options == {
            "anything": "goes"
        }  # Class(credentials, **options)
        with pytest.raises(ValidationError, match="reserved"):
            storage.create_bucket("xn--bucket")  # the 0.2 "s3" rules still apply
        assert storage.create_bucket("old-bucket") is True
        assert storage.upload_file("old-bucket", "k", b"v") == "mem://old-bucket/k"
        with pytest.raises(ValidationError, match="keyword options"):
            get_storage_client(CloudProvider("memold"), mem.MemOptions())
    finally:
        unregister("memold")


def test_credentials_of_another_provider_are_refused(memtest: str) -> None:
    with pytest.raises(ValidationError, match="credentials are for provider 'aws'"):
        CloudStorage(
            mem.MemoryStorage(), get_provider(MEMTEST), CloudCredentials(CloudProvider.AWS)
        )


def test_portable_function_keywords_are_checked(memtest: str, tmp_path: Path) -> None:
    serverless = get_serverless_client(MEMTEST)
    for bad in ({"timeout": 0}, {"timeout": "3"}, {"memory_size": True}, {"memory_size": -1}):
        with pytest.raises(ValidationError, match=next(iter(bad))):
            serverless.create_function("f", "python3.12", "app.handler", tmp_path, **bad)
    created = serverless.create_function("f", "python3.12", "app.handler", tmp_path, timeout=3)
    assert created["code_path"] == str(tmp_path)  # os.PathLike accepted, str handed on


def test_a_driver_failing_in_its_constructor_gives_a_translated_scrubbed_error(
    memtest: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failure: list[Exception] = [mem.MemError("NoBucket"), KeyError(f"connecting with {SECRET}")]

    def explode(self: object, credentials: object = None, options: object = None) -> None:
        raise failure.pop(0)

    monkeypatch.setattr(mem.MemoryStorage, "__init__", explode)
    creds = CloudCredentials(MEMTEST, "AKIDMEM", SECRET)
    with pytest.raises(BucketNotFoundError) as info:  # translated by the provider's map
        get_storage_client(creds)
    assert info.value.operation == "get_storage_client"
    with pytest.raises(CloudError) as unknown:
        get_storage_client(creds)
    assert SECRET not in str(unknown.value) and isinstance(unknown.value.cause, KeyError)


class _ShortReads(io.RawIOBase):
    """A raw stream that hands out at most 3 bytes per read (as pipes and sockets may)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(min(3, len(buffer)))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_stream_with_short_reads_is_stored_whole(storage: CloudStorage) -> None:
    original = mem.MemoryStorage.upload_stream

    def one_read(
        self: mem.MemoryStorage, bucket: str, key: str, source: object, **kw: object
    ) -> str:
        data = source.read(1 << 20)  # type: ignore[attr-defined] # a driver trusting one read
        mem.BUCKETS[bucket][key] = data
        return ""

    mem.MemoryStorage.upload_stream = one_read  # type: ignore[method-assign]
    try:
        storage.upload_stream("bucket-one", "raw", _ShortReads(b"0123456789" * 100))
    finally:
        mem.MemoryStorage.upload_stream = original  # type: ignore[method-assign]
    assert storage.download_file("bucket-one", "raw") == b"0123456789" * 100


def test_a_function_error_without_status_gets_the_portable_one(
    memtest: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloud_common.core import FunctionInvocationError

    def failing(self: object, function_name: str, payload: object) -> dict[str, object]:
        kind = "Sandbox.Timedout" if function_name == "slow" else "ValueError"
        raise FunctionInvocationError("it failed", error_type=kind)

    monkeypatch.setattr(mem.MemoryServerless, "invoke_function", failing)
    serverless = get_serverless_client(MEMTEST)
    for name, status in (("slow", 504), ("broken", 500)):
        with pytest.raises(FunctionInvocationError) as info:
            serverless.invoke_function(name, {})
        assert info.value.status == status

"""What fsspec users rely on beyond the abstract suite: registration, storage_options,
errors, ranged reads, streamed writes, listings, pickling, and no secret in sight."""

from __future__ import annotations

import errno
import json
import logging
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fsspec
import pytest

from cloud_common.contract_tests import Harness
from cloud_common.core import CloudCredentials, CloudError, CloudProvider, get_storage_client
from cloud_common.fsspec import PROTOCOL, CloudFileSystem
from cloud_common.fsspec._upload import ChunkPipe, StreamedUpload, UploadAborted

MiB = 2**20


def pattern(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


# -- registration and options ---------------------------------------------------------------


def test_fsspec_finds_the_protocol_through_its_entry_point_without_an_import(
    tmp_path: Path,
) -> None:
    (tmp_path / "bkt").mkdir()
    code = (
        "import sys, fsspec\n"
        "with fsspec.open('cloudcommon://local/bkt/hello.txt', 'wb', metadata={'root': sys.argv[1]}) as f:\n"
        "    f.write(b'hi')\n"
        "fs, path = fsspec.core.url_to_fs('cloudcommon://local/bkt/hello.txt', metadata={'root': sys.argv[1]})\n"
        "print(type(fs).__module__, type(fs).__name__, path, fs.cat(path).decode())\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert run.stdout.split() == [
        "cloud_common.fsspec._filesystem",
        "CloudFileSystem",
        "bkt/hello.txt",
        "hi",
    ]
    assert fsspec.get_filesystem_class(PROTOCOL) is CloudFileSystem


def test_urls_name_the_provider_and_paths_drop_it(tmp_path: Path) -> None:
    fs, path = fsspec.core.url_to_fs(
        "cloudcommon://local/bkt/a/b.csv", metadata={"root": str(tmp_path)}
    )
    assert isinstance(fs, CloudFileSystem)
    assert (fs.provider, path) == ("local", "bkt/a/b.csv")
    assert fs.unstrip_protocol(path) == "cloudcommon://local/bkt/a/b.csv"
    assert CloudFileSystem._strip_protocol("cloudcommon://gcp/b/k/") == "b/k"


def test_credentials_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUD_COMMON_LOCAL_ROOT", str(tmp_path))
    fs = fsspec.filesystem(PROTOCOL, provider="local", skip_instance_cache=True)
    fs.mkdir("from-env")
    fs.pipe("from-env/k", b"v")
    direct = get_storage_client(
        CloudCredentials(CloudProvider.LOCAL, metadata={"root": str(tmp_path)})
    )
    assert direct.download_file("from-env", "k") == b"v"


def test_storage_options_override_the_environment_and_accept_fsspec_names(
    monkeypatch: pytest.MonkeyPatch, options_for: Callable[[str], dict[str, Any]]
) -> None:
    options = options_for("aws")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environment-secret-never-valid")
    short = {k: v for k, v in options.items() if k not in ("access_key", "secret_key")}
    fs = CloudFileSystem(
        "aws",
        key=options["access_key"],
        secret=options["secret_key"],
        skip_instance_cache=True,
        **short,
    )
    fs.ls("")  # the given key, not the environment's, reaches the server
    with pytest.raises(ValueError, match="'key' and 'access_key' set the same field"):
        CloudFileSystem("aws", key="a", access_key="b", skip_instance_cache=True)


def test_bad_options_are_named_without_their_value() -> None:
    with pytest.raises(ValueError, match="'secret_key' must be a str, not int"):
        CloudFileSystem("local", secret_key=12345678, skip_instance_cache=True)
    with pytest.raises(ValueError, match="needs a provider"):
        CloudFileSystem(skip_instance_cache=True)
    with pytest.raises(ValueError, match="no-such-cloud"):
        CloudFileSystem("no-such-cloud", skip_instance_cache=True)
    with pytest.raises(ValueError, match="no_such_option"):
        CloudFileSystem("local", no_such_option=1, skip_instance_cache=True)


# -- reads, writes, listings on every provider ----------------------------------------------


def test_ranged_reads_return_the_requested_bytes(fs: CloudFileSystem, bucket: str) -> None:
    data = pattern(3 * MiB + 17)
    fs.pipe(f"{bucket}/blob", data)
    assert fs.cat_file(f"{bucket}/blob", 5, 105) == data[5:105]
    assert fs.cat_file(f"{bucket}/blob", -10) == data[-10:]
    assert fs.cat_file(f"{bucket}/blob", len(data) + 5) == b""
    with fs.open(f"{bucket}/blob", "rb", block_size=MiB, cache_type="none") as f:
        f.seek(2 * MiB + 3)
        assert f.read(MiB) == data[2 * MiB + 3 : 3 * MiB + 3]
        assert f.read() == data[3 * MiB + 3 :]
        assert f.read(10) == b""
    with fs.open(f"{bucket}/blob", "rb", block_size=MiB, cache_type="bytes") as f:
        f.seek(-100, 2)
        assert f.read() == data[-100:]


def test_a_large_write_streams_in_blocks_and_an_exception_leaves_nothing(
    fs: CloudFileSystem, bucket: str
) -> None:
    data = pattern(12 * MiB + 1)
    with fs.open(f"{bucket}/big", "wb", block_size=5 * MiB) as f:
        for start in range(0, len(data), MiB):
            f.write(data[start : start + MiB])
    assert fs.info(f"{bucket}/big")["size"] == len(data)
    assert fs.cat(f"{bucket}/big") == data

    fs.pipe(f"{bucket}/kept", b"old")
    for key in ("kept", "absent"):
        with pytest.raises(RuntimeError), fs.open(f"{bucket}/{key}", "wb", block_size=5 * MiB) as f:
            f.write(pattern(11 * MiB))  # two blocks already handed to upload_stream
            raise RuntimeError("the writer failed")
    assert fs.cat(f"{bucket}/kept") == b"old"
    assert not fs.exists(f"{bucket}/absent")


def test_listings_info_find_glob(fs: CloudFileSystem, bucket: str) -> None:
    fs.pipe({f"{bucket}/a/1.csv": b"1", f"{bucket}/a/b/2.csv": b"22", f"{bucket}/c.txt": b"333"})
    assert fs.ls(bucket, detail=False) == [f"{bucket}/a", f"{bucket}/c.txt"]
    assert fs.info(f"{bucket}/a") == {"name": f"{bucket}/a", "size": 0, "type": "directory"}
    info = fs.info(f"{bucket}/a/b/2.csv")
    assert (info["type"], info["size"]) == ("file", 2)
    assert fs.find(bucket) == [f"{bucket}/a/1.csv", f"{bucket}/a/b/2.csv", f"{bucket}/c.txt"]
    assert fs.find(bucket, maxdepth=1) == [f"{bucket}/c.txt"]
    assert fs.glob(f"{bucket}/**/*.csv") == [f"{bucket}/a/1.csv", f"{bucket}/a/b/2.csv"]
    assert fs.glob(f"cloudcommon://{fs.provider}/{bucket}/*") == [f"{bucket}/a", f"{bucket}/c.txt"]
    assert fs.du(bucket) == 6
    fs.mv(f"{bucket}/a", f"{bucket}/z", recursive=True)
    assert fs.find(bucket) == [f"{bucket}/c.txt", f"{bucket}/z/1.csv", f"{bucket}/z/b/2.csv"]
    assert fs.modified(f"{bucket}/c.txt").tzinfo is not None


def test_errors_are_the_builtin_ones(fs: CloudFileSystem, bucket: str) -> None:
    with pytest.raises(FileNotFoundError) as missing:
        fs.cat(f"{bucket}/nope")
    assert missing.value.errno == errno.ENOENT
    assert isinstance(missing.value.__cause__, CloudError)
    with pytest.raises(FileNotFoundError):
        fs.info(f"{bucket}/nope")
    with pytest.raises(FileNotFoundError):
        fs.ls("ccfs-no-such-bucket-here")
    with pytest.raises(FileNotFoundError):
        fs.open(f"{bucket}/nope", "rb")
    fs.pipe(f"{bucket}/dir/inside", b"1")
    with pytest.raises(IsADirectoryError):
        fs.open(f"{bucket}/dir", "rb")
    fs.pipe(f"{bucket}/x", b"1")
    with pytest.raises(FileExistsError):
        fs.open(f"{bucket}/x", "xb")
    with pytest.raises(OSError, match="not empty") as full:
        fs.rmdir(bucket)
    assert full.value.errno == errno.ENOTEMPTY
    with pytest.raises(ValueError, match="key"):
        fs.pipe(f"{bucket}/bad\nkey", b"1")  # core's key rule, before any call


# -- credentials, pickling, secrets ----------------------------------------------------------


def test_refused_credentials_are_a_permission_error(
    harness_for: Callable[[str], Harness], options_for: Callable[[str], dict[str, Any]]
) -> None:
    harness = harness_for("aws")
    bad = harness.bad_credentials()
    assert bad is not None
    options = {**options_for("aws"), "access_key": bad.access_key, "secret_key": bad.secret_key}
    fs = CloudFileSystem("aws", skip_instance_cache=True, **options)
    with pytest.raises(PermissionError):
        fs.ls("")


def test_pickled_filesystems_work_and_no_secret_is_shown_or_logged(
    options_for: Callable[[str], dict[str, Any]],
    harness_for: Callable[[str], Harness],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secrets = harness_for("aws").secrets()
    assert secrets
    fs = CloudFileSystem("aws", skip_instance_cache=True, **options_for("aws"))
    with caplog.at_level(logging.DEBUG):
        copy = pickle.loads(pickle.dumps(fs))
        name = f"ccfs-{os.getpid()}-pickle"
        copy.mkdir(name)
        copy.pipe(f"{name}/k", b"v")
        assert fs.cat(f"{name}/k") == b"v"
        with pytest.raises(FileNotFoundError) as missing:
            copy.cat(f"{name}/absent")
        copy.rm(name, recursive=True)
    shown = [
        repr(fs),
        str(fs),
        json.dumps(fs.to_dict(include_password=False), default=str),
        str(missing.value),
        caplog.text,
    ]
    for secret in secrets:
        assert not [text for text in shown if secret in text]
    assert any(secret in json.dumps(fs.to_dict(), default=str) for secret in secrets)


def test_a_transaction_uploads_at_commit_and_nothing_on_failure(
    fs: CloudFileSystem, bucket: str
) -> None:
    with fs.transaction:
        with fs.open(f"{bucket}/t/a", "wb") as f:
            f.write(b"committed")
        assert not fs.exists(f"{bucket}/t/a")
    assert fs.cat(f"{bucket}/t/a") == b"committed"
    with pytest.raises(RuntimeError), fs.transaction:
        with fs.open(f"{bucket}/t/b", "wb") as f:
            f.write(b"discarded")
        raise RuntimeError("the job failed")
    assert not fs.exists(f"{bucket}/t/b")
    with pytest.raises(NotImplementedError, match="append"):
        fs.open(f"{bucket}/t/a", "ab")


def test_the_upload_pipe_never_reads_short_and_an_abort_fails_the_reader() -> None:
    received: list[bytes] = []

    def consume(source: ChunkPipe) -> None:
        while chunk := source.read(1000):
            received.append(chunk)

    upload = StreamedUpload(consume)
    for piece in (b"a" * 700, b"b" * 700, b"c" * 1601):
        upload.write(piece)
    upload.finish()
    assert [len(c) for c in received] == [1000, 1000, 1000, 1]
    assert b"".join(received) == b"a" * 700 + b"b" * 700 + b"c" * 1601

    failures: list[BaseException] = []

    def reader(source: ChunkPipe) -> None:
        try:
            source.read()
        except UploadAborted as exc:
            failures.append(exc)
            raise

    aborted = StreamedUpload(reader)
    aborted.write(b"partial")
    aborted.abort()
    assert len(failures) == 1

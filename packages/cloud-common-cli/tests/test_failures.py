"""Exit statuses and error lines: 2 for usage, 1 for failures, one line on stderr, no
traceback unless --debug; interrupted or failed copies leave nothing behind."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from clihelpers import Provider, clean_env, run

from cloud_common.cli._locations import Remote
from cloud_common.cli._pipe import Pipe
from cloud_common.cli._progress import Cancelled, Meter
from cloud_common.cli._transfer import SMALL, Job, copy_one
from cloud_common.core import CloudError


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ls", "nosuch://bucket/key"], "no installed provider handles nosuch:// URLs"),
        (["cat", "s3:/bucket/key"], "url 's3:/bucket/key' is invalid"),
        (["cat", "local://Bad_Bucket!/k"], "bucket"),
        (["instances", "ls", "--provider", "nosuch"], "no provider 'nosuch' is installed"),
        (["instances", "ls"], "needs --provider"),
        (["cp", "local://b/k"], "Missing argument 'DST'"),
        (["nosuch"], "No such command 'nosuch'"),
        (["presign", "local://b/k", "--expires", "0"], "--expires"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(
    local: Provider, args: list[str], message: str
) -> None:
    done = run(args, local, subprocess_=True)
    assert done.exit_code == 2, done
    assert message in done.stderr
    assert done.stderr.startswith("cloud-common: error: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_failure_is_one_line_exit_1_and_json_names_it(local: Provider) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:12]}"
    assert local.storage.create_bucket(bucket)
    done = run(["stat", f"local://{bucket}/missing.txt"], local, subprocess_=True)
    assert done.exit_code == 1
    assert done.stderr.startswith("cloud-common: error: [local] stat_object")
    assert done.stderr.count("\n") == 1
    as_json = run(["stat", f"local://{bucket}/missing.txt", "--json"], local)
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["error"]["type"] == "ObjectNotFoundError"
    debug = run(["--debug", "stat", f"local://{bucket}/missing.txt"], local, subprocess_=True)
    assert debug.exit_code == 1 and "Traceback" in debug.stderr


def test_no_secret_reaches_the_output_of_a_failure(aws: Provider) -> None:
    done = run(["ls", "s3://cli-no-such-bucket-here", "--debug"], aws, subprocess_=True)
    assert done.exit_code == 1
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"):
        assert aws.env[name] not in done.stderr + done.stdout


class _StopAfter(Meter):
    """A meter that interrupts the copy once ``limit`` bytes went through (as Ctrl-C)."""

    def __init__(self, limit: int) -> None:
        super().__init__(None, 1, show=False)
        self.limit = limit

    def advance(self, size: int) -> None:
        super().advance(size)
        if self.bytes_done >= self.limit:
            self.cancel()
            self.check()


def _remote(provider: Provider, bucket: str, key: str) -> Remote:
    return Remote(provider.storage, provider.id, provider.scheme, bucket, key)


@pytest.mark.parametrize("target", ["aws", "gcp"])
def test_an_interrupted_stream_between_providers_commits_no_object(
    local: Provider, request: pytest.FixtureRequest, target: str
) -> None:
    dst: Provider = request.getfixturevalue(target)
    src_bucket, dst_bucket = f"cli-{uuid.uuid4().hex[:12]}", f"cli-{uuid.uuid4().hex[:12]}"
    assert local.storage.create_bucket(src_bucket) and dst.storage.create_bucket(dst_bucket)
    # above SMALL: streamed through the pipe
    local.storage.upload_stream(src_bucket, "big.bin", io.BytesIO(os.urandom(SMALL + 2**20)))
    job = Job(_remote(local, src_bucket, "big.bin"), _remote(dst, dst_bucket, "big.bin"))
    with pytest.raises((Cancelled, CloudError, OSError)):
        copy_one(job, _StopAfter(1024 * 1024))
    assert not dst.storage.object_exists(dst_bucket, "big.bin")
    assert list(dst.storage.list_objects(dst_bucket)) == []


def test_an_interrupted_download_leaves_no_file(aws: Provider, tmp_path: Path) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:12]}"
    assert aws.storage.create_bucket(bucket)
    aws.storage.upload_file(bucket, "big.bin", os.urandom(6 * 1024 * 1024))
    target = tmp_path / "big.bin"
    with pytest.raises((Cancelled, CloudError, OSError)):
        copy_one(Job(_remote(aws, bucket, "big.bin"), str(target)), _StopAfter(1024 * 1024))
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_an_upload_exits_1_and_commits_nothing(aws: Provider) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:12]}"
    assert aws.storage.create_bucket(bucket)
    process = subprocess.Popen(
        [sys.executable, "-m", "cloud_common.cli", "cp", "-", f"s3://{bucket}/stdin.bin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(aws),
    )
    assert process.stdin is not None
    process.stdin.write(os.urandom(3 * 1024 * 1024))
    process.stdin.flush()
    time.sleep(1.0)  # the command is reading, waiting for more
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    process.stdin.close()
    assert process.wait(timeout=60) == 1
    assert process.stderr is not None
    err = process.stderr.read()
    process.stderr.close()
    assert process.stdout is not None
    process.stdout.close()
    assert b"interrupted" in err
    assert not aws.storage.object_exists(bucket, "stdin.bin")


def test_stdin_upload_completes_at_end_of_input(aws: Provider) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:12]}"
    assert aws.storage.create_bucket(bucket)
    done = subprocess.run(
        [sys.executable, "-m", "cloud_common.cli", "cp", "-", f"s3://{bucket}/in.json"],
        input=b'{"a": 1}',
        capture_output=True,
        env=clean_env(aws),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert aws.storage.download_file(bucket, "in.json") == b'{"a": 1}'
    assert aws.storage.stat_object(bucket, "in.json").content_type == "application/json"


def test_the_pipe_hands_a_download_failure_to_the_upload() -> None:
    pipe = Pipe(max_chunks=2)
    pipe.write(b"abc")
    pipe.fail(RuntimeError("source broke"))
    assert pipe.read(2) == b"ab"
    assert pipe.read(1) == b"c"
    with pytest.raises(OSError, match="source broke"):
        pipe.read(10)


def test_a_stopped_upload_unblocks_the_download() -> None:
    pipe = Pipe(max_chunks=1)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(100):
                pipe.write(b"x" * 1024)
        except BrokenPipeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    assert pipe.read(1024) == b"x" * 1024
    pipe.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(errors) == 1

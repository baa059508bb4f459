"""The storage commands against real servers: local, moto's S3 server, the GCS emulator."""

from __future__ import annotations

import io
import json
import os
import urllib.request
import uuid
from pathlib import Path

import pytest
from clihelpers import Provider, run

from cloud_common.cli._transfer import SMALL
from cloud_common.core import CloudStorage

KINDS = {
    ".txt": "text/plain",
    ".json": "application/json",
    ".png": "image/png",
    ".csv": "text/csv",
    ".html": "text/html",
}


def _bucket(provider: Provider) -> str:
    name = f"cli-{uuid.uuid4().hex[:12]}"
    assert provider.storage.create_bucket(name)
    return name


def _tree(root: Path, count: int) -> dict[str, bytes]:
    """``count`` files in nested folders, of sizes 0..~70 KiB and five content types."""
    files: dict[str, bytes] = {}
    suffixes = list(KINDS)
    for i in range(count):
        rel = f"d{i % 7}/sub{i % 3}/f{i:03d}{suffixes[i % len(suffixes)]}"
        data = (f"{i}:".encode() * (i * 53 + 1))[: i * 347]
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files[rel] = data
    return files


def _listing(storage: CloudStorage, bucket: str, prefix: str) -> dict[str, tuple[int, str | None]]:
    found = {}
    for info in storage.list_objects(bucket, prefix):
        stat = storage.stat_object(bucket, info.key)
        found[info.key[len(prefix) :]] = (stat.size, stat.content_type)
    return found


@pytest.mark.slow
def test_cp_r_of_200_objects_across_local_aws_and_gcp_keeps_sizes_and_types(
    local: Provider, aws: Provider, gcp: Provider, tmp_path: Path
) -> None:
    files = _tree(tmp_path / "src", 200)
    expected = {rel: (len(data), KINDS[Path(rel).suffix]) for rel, data in files.items()}
    lb, ab, gb = _bucket(local), _bucket(aws), _bucket(gcp)

    up = run(["cp", "-r", str(tmp_path / "src"), f"local://{lb}/in/", "--json"], local)
    assert up.exit_code == 0, up.stderr
    assert json.loads(up.stdout)["objects"] == 200

    # provider to provider, streamed: local -> aws (in a subprocess), aws -> gcp
    across = run(
        ["cp", "-r", f"local://{lb}/in", f"s3://{ab}/mid", "-j", "16"],
        local,
        aws,
        subprocess_=True,
    )
    assert across.exit_code == 0, across.stderr
    assert _listing(aws.storage, ab, "mid/") == expected
    to_gcp = run(["cp", "-r", f"s3://{ab}/mid/", f"gs://{gb}/out/", "--json"], aws, gcp)
    assert to_gcp.exit_code == 0, to_gcp.stderr
    report = json.loads(to_gcp.stdout)
    assert report["objects"] == 200
    assert report["bytes"] == sum(len(d) for d in files.values())
    assert _listing(gcp.storage, gb, "out/") == expected

    back = run(["cp", "-r", f"gs://{gb}/out", str(tmp_path / "back")], gcp)
    assert back.exit_code == 0, back.stderr
    for rel, data in files.items():
        assert (tmp_path / "back" / rel).read_bytes() == data, rel


def test_ls_stat_cat_rm_mb_rb_on_moto(aws: Provider, tmp_path: Path) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:12]}"
    made = run(["mb", f"s3://{bucket}", "--json"], aws)
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout) == {"bucket": bucket, "url": f"s3://{bucket}", "created": True}
    again = run(["mb", f"s3://{bucket}"], aws)  # yours already: the state holds
    assert (again.exit_code, again.stdout) == (0, f"bucket s3://{bucket} is ready\n")

    source = tmp_path / "report.json"
    source.write_bytes(b'{"ok": true}')
    assert run(["cp", str(source), f"s3://{bucket}/a/"], aws).exit_code == 0
    assert (
        run(["cp", str(source), f"s3://{bucket}/b.bin", "--content-type", "x/y"], aws).exit_code
        == 0
    )

    listed = run(["ls", f"s3://{bucket}", "--json"], aws)
    assert listed.exit_code == 0, listed.stderr
    shapes = json.loads(listed.stdout)
    assert [(i["key"], i["is_prefix"]) for i in shapes] == [("a/", True), ("b.bin", False)]
    library = aws.storage.stat_object(bucket, "a/report.json").to_dict()
    stat = json.loads(run(["stat", f"s3://{bucket}/a/report.json", "--json"], aws).stdout)
    assert stat == {**library, "url": f"s3://{bucket}/a/report.json"}
    assert stat["content_type"] == "application/json"
    assert aws.storage.stat_object(bucket, "b.bin").content_type == "x/y"

    long = run(["ls", "-l", "-r", f"s3://{bucket}"], aws)
    assert f"s3://{bucket}/a/report.json" in long.stdout
    assert "TOTAL: 2 objects, 24 bytes" in long.stdout

    assert run(["cat", f"s3://{bucket}/a/report.json"], aws).stdout == '{"ok": true}'
    buckets = json.loads(run(["ls", "s3://", "--json"], aws).stdout)
    assert {"bucket": bucket, "url": f"s3://{bucket}"} in buckets

    aws.storage.upload_file(bucket, "ab.txt", b"spared")
    spared = run(["rm", "-r", f"s3://{bucket}/a"], aws)  # the folder a/, not ab.txt
    assert spared.stdout == f"deleted s3://{bucket}/a/report.json\n"
    assert run(["cp", str(source), f"s3://{bucket}/a/"], aws).exit_code == 0

    full = run(["rb", f"s3://{bucket}"], aws)
    assert full.exit_code == 1 and "not empty" in full.stderr
    gone = run(["rm", "-r", f"s3://{bucket}", "--json"], aws)
    assert sorted(json.loads(gone.stdout)["deleted"]) == [
        f"s3://{bucket}/a/report.json",
        f"s3://{bucket}/ab.txt",
        f"s3://{bucket}/b.bin",
    ]
    assert run(["rb", f"s3://{bucket}"], aws).exit_code == 0
    assert bucket not in aws.storage.list_buckets()


def test_presign_get_and_put_urls_work_over_http(local: Provider) -> None:
    bucket = _bucket(local)
    local.storage.upload_file(bucket, "k.txt", b"signed", "text/plain")
    got = run(["presign", f"local://{bucket}/k.txt", "--expires", "60"], local)
    assert got.exit_code == 0, got.stderr
    with urllib.request.urlopen(got.stdout.strip(), timeout=10) as response:
        assert response.read() == b"signed"
    put = run(["presign", f"local://{bucket}/up.txt", "--method", "PUT", "--json"], local)
    shape = json.loads(put.stdout)
    assert shape["method"] == "PUT" and shape["expires_in"] == 3600
    request = urllib.request.Request(shape["url"], data=b"put!", method="PUT")
    with urllib.request.urlopen(request, timeout=10):
        pass
    assert local.storage.download_file(bucket, "up.txt") == b"put!"


def test_a_large_object_streams_between_providers_with_type_and_metadata(
    local: Provider, gcp: Provider
) -> None:
    src, dst = _bucket(local), _bucket(gcp)
    data = os.urandom(SMALL + 3 * 2**20 + 5)
    local.storage.upload_stream(
        src, "v.mp4", io.BytesIO(data), content_type="video/mp4", metadata={"take": "2"}
    )
    done = run(["cp", f"local://{src}/v.mp4", f"gs://{dst}/clips/"], local, gcp)
    assert done.exit_code == 0, done.stderr
    info = gcp.storage.stat_object(dst, "clips/v.mp4")
    assert (info.size, info.content_type, info.metadata) == (len(data), "video/mp4", {"take": "2"})
    assert gcp.storage.download_file(dst, "clips/v.mp4") == data


def test_download_to_a_folder_and_copy_within_one_provider(local: Provider, tmp_path: Path) -> None:
    bucket = _bucket(local)
    local.storage.upload_file(bucket, "x/data.csv", b"a,b\n", "text/csv", metadata={"team": "t"})
    done = run(["cp", f"local://{bucket}/x/data.csv", str(tmp_path)], local)
    assert done.exit_code == 0, done.stderr
    assert (tmp_path / "data.csv").read_bytes() == b"a,b\n"
    assert run(["cp", f"local://{bucket}/x/data.csv", f"local://{bucket}/y/"], local).exit_code == 0
    copy = local.storage.stat_object(bucket, "y/data.csv")
    assert (copy.content_type, copy.metadata) == ("text/csv", {"team": "t"})


def test_the_progress_bar_counts_every_byte_of_an_upload_and_a_download(
    aws: Provider, tmp_path: Path
) -> None:
    from cloud_common.cli._locations import Remote
    from cloud_common.cli._progress import Meter
    from cloud_common.cli._transfer import Job, copy_one

    bucket = _bucket(aws)
    data = os.urandom(SMALL + 2**20)
    (tmp_path / "big.bin").write_bytes(data)
    target = Remote(aws.storage, aws.id, aws.scheme, bucket, "big.bin")
    with Meter(len(data), 1, show=True) as meter:
        copied = copy_one(Job(str(tmp_path / "big.bin"), target, len(data)), meter)
    assert meter.bytes_done == copied.size == len(data)
    assert aws.storage.download_file(bucket, "big.bin") == data
    with Meter(len(data), 1, show=True) as meter:
        copy_one(Job(target, str(tmp_path / "back.bin")), meter)
    assert meter.bytes_done == len(data)
    assert (tmp_path / "back.bin").read_bytes() == data

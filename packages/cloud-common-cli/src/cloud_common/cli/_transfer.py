"""``cp``: what to copy (``plan``) and copying it (``run``), between local paths and any
provider's URLs, in either direction.

- local → provider: ``upload_stream`` from the open file (content type guessed from the
  name unless given);
- provider → local: ``download_stream`` into a temporary file beside the target, renamed
  on success and removed on failure (never a partial file under the target's name);
- provider → same provider: ``copy_file`` (server-side) when declared;
- provider → other provider: objects up to ``SMALL`` in one download and one upload;
  larger ones through ``download_stream`` into a bounded in-memory ``Pipe`` read by
  ``upload_stream`` in the same moment: no temporary copy; content type and metadata
  carried over; a failure on either side fails the upload, so no truncated object is
  committed.

``SRC`` ``-`` uploads standard input. ``-r`` copies every object under a prefix (or every file under a folder) with ``jobs``
parallel transfers.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Union

from cloud_common.cli._locations import Remote
from cloud_common.cli._pipe import Pipe
from cloud_common.cli._progress import CountingReader, CountingWriter, Meter
from cloud_common.core import (
    Capability,
    CloudError,
    CloudStorage,
    ObjectNotFoundError,
    ValidationError,
)

__all__ = ["Copied", "Job", "plan", "run"]

SMALL = 8 * 1024 * 1024
"""Files up to this size are uploaded in one request (``upload_file``), larger ones streamed."""

Place = Union[str, Remote]
"""A local path, or an object (or prefix) of a provider."""


@dataclass(frozen=True)
class Job:
    """One object or file to copy."""

    src: Place
    dst: Place
    size: int | None = None


@dataclass(frozen=True)
class Copied:
    """One completed copy (``to_dict`` is the ``--json`` shape of its line)."""

    src: str
    dst: str
    size: int
    content_type: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "dst": self.dst,
            "size": self.size,
            "content_type": self.content_type,
        }


def _show(place: Place) -> str:
    return place.url() if isinstance(place, Remote) else place


def _basename(place: Place) -> str:
    name = place.key.rstrip("/") if isinstance(place, Remote) else place.rstrip(os.sep)
    return name.rsplit("/", 1)[-1] if isinstance(place, Remote) else os.path.basename(name)


def _into(dst: Place, name: str) -> Place:
    """The target of a single copy: inside ``dst`` when it is a folder or prefix."""
    if isinstance(dst, Remote):
        if not dst.key or dst.key.endswith("/"):
            return dst.with_key(dst.key + name)
        return dst
    if os.path.isdir(dst) or dst.endswith(os.sep):
        return os.path.join(dst, name)
    return dst


def _folder(prefix: str) -> str:
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def _below(dst: Place, rel: str) -> Place:
    if isinstance(dst, Remote):
        return dst.with_key(_folder(dst.key) + rel)
    return os.path.join(dst, *rel.split("/"))


def plan(src: Place, dst: Place, *, recursive: bool) -> list[Job]:
    """The copies ``cp [-r] SRC DST`` makes.

    Raises:
        ValidationError: a folder or prefix without ``-r``, a missing local source.
        ObjectNotFoundError: ``-r`` found nothing to copy.
    """
    if not recursive:
        if src == "-":
            if not isinstance(dst, Remote) or not dst.key or dst.key.endswith("/"):
                raise ValidationError("cp - (standard input) needs an object URL as DST")
            return [Job(src, dst)]
        if isinstance(src, Remote):
            if not src.key or src.key.endswith("/"):
                raise ValidationError(f"{src.url()} is a bucket or prefix: use -r to copy it")
            return [Job(src, _into(dst, _basename(src)))]
        if os.path.isdir(src):
            raise ValidationError(f"{src!r} is a directory: use -r to copy it")
        if not os.path.isfile(src):
            raise ValidationError(f"{src!r} is not a file")
        return [Job(src, _into(dst, os.path.basename(src)), os.path.getsize(src))]
    jobs: list[Job] = []
    if isinstance(src, Remote):
        prefix = _folder(src.key)
        for info in src.client.list_objects(src.bucket, prefix):
            if info.is_prefix or info.key.endswith("/"):
                continue
            rel = info.key[len(prefix) :]
            jobs.append(Job(src.with_key(info.key), _below(dst, rel), info.size))
        if not jobs:
            raise ObjectNotFoundError(f"nothing to copy under {src.url(prefix)}")
        return jobs
    if not os.path.isdir(src):
        raise ValidationError(f"{src!r} is not a directory")
    for folder, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, src).replace(os.sep, "/")
            jobs.append(Job(path, _below(dst, rel), os.path.getsize(path)))
    if not jobs:
        raise ValidationError(f"{src!r} holds no files")
    return jobs


def _guess_type(name: str) -> str | None:
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed


@contextlib.contextmanager
def _atomic_file(path: str) -> Iterator[Any]:
    """A file written beside ``path`` and renamed onto it only on success."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temp = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as fileobj:
            yield fileobj
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _describe(src: Remote) -> tuple[int | None, str | None, dict[str, str]]:
    """Size, content type and metadata of a source object (None/{} when not declared)."""
    if not src.client.provider_info.supports(Capability.STAT_OBJECT):
        return None, None, {}
    info = src.client.stat_object(src.bucket, src.key)
    return info.size, info.content_type, dict(info.metadata)


def _stream_between(
    src: Remote, dst: Remote, meter: Meter, content_type: str | None, metadata: dict[str, str]
) -> int:
    pipe = Pipe()
    counter = CountingWriter(pipe, meter)
    failure: list[BaseException] = []

    def download() -> None:
        try:
            src.client.download_stream(src.bucket, src.key, counter)
        except BaseException as exc:  # noqa: BLE001 - handed to the upload side
            failure.append(exc)
            pipe.fail(exc)
        else:
            pipe.finish()

    worker = threading.Thread(target=download, name="cloud-common-cp-download", daemon=True)
    worker.start()
    extra: dict[str, Any] = {}
    if metadata and dst.client.provider_info.supports(Capability.USER_METADATA):
        extra["metadata"] = metadata
    try:
        dst.client.upload_stream(dst.bucket, dst.key, pipe, content_type=content_type, **extra)
    except BaseException:
        pipe.close()
        worker.join()
        if failure:
            raise failure[0] from None
        raise
    finally:
        pipe.close()
    worker.join()
    if failure:  # the upload cannot have ended normally, but never report a partial copy
        with contextlib.suppress(CloudError):
            dst.client.delete_file(dst.bucket, dst.key)
        raise failure[0]
    return counter.written


def _small_between(
    src: Remote, dst: Remote, meter: Meter, content_type: str | None, metadata: dict[str, str]
) -> int:
    """A small object between providers: one download, one upload, in memory."""
    meter.check()
    data = src.client.download_file(src.bucket, src.key)
    extra: dict[str, Any] = {}
    if metadata and dst.client.provider_info.supports(Capability.USER_METADATA):
        extra["metadata"] = metadata
    meter.check()
    dst.client.upload_file(dst.bucket, dst.key, data, content_type, **extra)
    meter.advance(len(data))
    return len(data)


def _streams(client: CloudStorage, capability: Capability) -> bool:
    return client.provider_info.supports(capability)


def _remote_to_remote(
    src: Remote, dst: Remote, meter: Meter, kind: str | None, info: tuple[Any, ...]
) -> int:
    size, src_type, metadata = info
    if (
        dst.client is src.client
        and _streams(src.client, Capability.COPY_FILE)
        and (kind == src_type)
    ):
        src.client.copy_file(src.bucket, src.key, dst.bucket, dst.key)
        written = size if size is not None else 0
        meter.advance(written)
        return int(written)
    can_stream = _streams(src.client, Capability.DOWNLOAD_STREAM) and _streams(
        dst.client, Capability.UPLOAD_STREAM
    )
    if (size is not None and size <= SMALL) or not can_stream:
        return _small_between(src, dst, meter, kind, metadata)
    return _stream_between(src, dst, meter, kind, metadata)


def _remote_to_local(src: Remote, dst: str, meter: Meter) -> int:
    with _atomic_file(dst) as fileobj:
        writer = CountingWriter(fileobj, meter)
        if _streams(src.client, Capability.DOWNLOAD_STREAM):
            src.client.download_stream(src.bucket, src.key, writer)
        else:  # a provider with the spec's calls only
            writer.write(src.client.download_file(src.bucket, src.key))
        return writer.written


def _local_to_remote(src: str, dst: Remote, meter: Meter, kind: str | None) -> int:
    size = os.path.getsize(src)
    if size <= SMALL or not _streams(dst.client, Capability.UPLOAD_STREAM):
        meter.check()
        with open(src, "rb") as fileobj:
            data = fileobj.read()
        dst.client.upload_file(dst.bucket, dst.key, data, kind)
        meter.advance(len(data))
        return len(data)
    if not meter.visible:
        # no bar to feed: hand the path over, so the provider may read parts in parallel
        meter.check()
        dst.client.upload_stream(dst.bucket, dst.key, src, content_type=kind)
        meter.advance(size)
        return size
    with open(src, "rb") as fileobj:
        reader = CountingReader(fileobj, meter)
        dst.client.upload_stream(dst.bucket, dst.key, reader, content_type=kind)
    return size


def _local_to_local(src: str, dst: str, meter: Meter) -> int:
    written = 0
    with open(src, "rb") as fileobj, _atomic_file(dst) as out:
        reader = CountingReader(fileobj, meter)
        while chunk := reader.read(1024 * 1024):
            out.write(chunk)
            written += len(chunk)
    return written


def copy_one(job: Job, meter: Meter, content_type: str | None = None) -> Copied:
    """Copy one object or file; nothing is left under the target's name on failure.

    Providers declaring only the spec's calls (no streams) are copied in memory with
    ``download_file`` / ``upload_file``.
    """
    src, dst = job.src, job.dst
    if isinstance(src, Remote):
        info = _describe(src)
        size, src_type, _ = info
        kind = content_type or src_type
        if isinstance(dst, Remote):
            written = _remote_to_remote(src, dst, meter, kind, info)
        else:
            written = _remote_to_local(src, dst, meter)
        if size is not None and written != size:
            raise CloudError(
                f"copied {written} bytes of {size} from {src.url()}: the source changed "
                "during the copy"
            )
        meter.file_done()
        return Copied(src.url(), _show(dst), written, kind)
    if src == "-":
        if not isinstance(dst, Remote):
            raise ValidationError("cp - (standard input) needs an object URL as DST")
        kind = content_type or _guess_type(dst.key)
        reader = CountingReader(sys.stdin.buffer, meter)
        dst.client.upload_stream(dst.bucket, dst.key, reader, content_type=kind)
        meter.file_done()
        return Copied("-", dst.url(), meter.bytes_done, kind)
    kind = content_type or _guess_type(src)
    if isinstance(dst, Remote):
        written = _local_to_remote(src, dst, meter, kind)
    else:
        written = _local_to_local(src, dst, meter)
    meter.file_done()
    return Copied(src, _show(dst), written, kind)


def run(
    jobs: list[Job],
    meter: Meter,
    *,
    parallel: int,
    content_type: str | None = None,
    on_done: Callable[[Copied], None] | None = None,
) -> list[Copied]:
    """Run the copies, ``parallel`` at a time; the first failure stops the rest.

    Raises:
        The first copy's error (the copies not yet started are not started; those
        running are cancelled at their next read or write).
    """
    done: list[Copied] = []
    if len(jobs) == 1 or parallel <= 1:
        for job in jobs:
            copied = copy_one(job, meter, content_type)
            done.append(copied)
            if on_done is not None:
                on_done(copied)
        return done
    pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="cloud-common-cp")
    futures: list[Future[Copied]] = []
    try:
        futures = [pool.submit(copy_one, job, meter, content_type) for job in jobs]
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            for future in finished:
                error = future.exception()
                if error is not None:
                    raise error
                copied = future.result()
                done.append(copied)
                if on_done is not None:
                    on_done(copied)
    except BaseException:
        meter.cancel()
        for future in futures:
            future.cancel()
        raise
    finally:
        pool.shutdown(wait=True)
    return done

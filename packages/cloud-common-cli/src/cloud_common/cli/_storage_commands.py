"""The storage commands: ``ls cp cat stat rm mb rb presign``."""

from __future__ import annotations

import base64
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import click

from cloud_common.cli._locations import Remote, is_url, local_path, remote, scheme_only
from cloud_common.cli._options import current_session, shared_options
from cloud_common.cli._output import human_size, print_json
from cloud_common.cli._progress import Meter
from cloud_common.cli._transfer import Copied, Place, plan, run
from cloud_common.core import Capability, CloudError, ObjectInfo, ValidationError

__all__ = ["STORAGE_COMMANDS"]


def _object_url(text: str, command: str) -> Remote:
    where = remote(current_session(), text)
    if not where.key or where.key.endswith("/"):
        raise ValidationError(f"{command} needs an object URL (scheme://bucket/key), got {text!r}")
    return where


def _bucket_url(text: str, command: str) -> Remote:
    where = remote(current_session(), text)
    if where.key.strip("/"):
        raise ValidationError(f"{command} needs a bucket URL (scheme://bucket), got {text!r}")
    return where


def _change_bucket(
    url: str,
    command: str,
    field: str,
    change: Callable[[Remote], bool],
    *,
    refused: str,
    done: str,
) -> None:
    """Run ``mb`` / ``rb``: report ``{"bucket", "url", field}`` as JSON or ``done``; the
    contract's ``False`` (``refused``) is an error. The messages may use ``{bucket}`` and
    ``{url}``."""
    session = current_session()
    where = _bucket_url(url, command)
    changed = change(where)
    names = {"bucket": where.bucket, "url": where.url("")}
    if session.json:
        print_json({**names, field: changed})
    if not changed:
        raise CloudError(refused.format(**names))
    if not session.json:
        click.echo(done.format(**names))


def _date(info: ObjectInfo) -> str:
    return info.last_modified.strftime("%Y-%m-%d %H:%M:%S") if info.last_modified else "-"


@click.command("ls")
@click.argument("url", required=False)
@click.option("-l", "--long", "long_", is_flag=True, help="Show sizes and dates.")
@click.option("-r", "--recursive", is_flag=True, help="Every object under the prefix.")
@shared_options
def ls_command(url: str | None, long_: bool, recursive: bool) -> None:
    """List buckets (no URL, or SCHEME://), or the objects and prefixes under URL.

    \b
    cloud-common ls --provider aws     the buckets of aws
    cloud-common ls s3://              the same
    cloud-common ls -l s3://bucket/logs/
    """
    session = current_session()
    scheme = scheme_only(url) if url else None
    if url is None or scheme is not None:
        if scheme is not None:
            pid = session.provider_for_scheme(scheme).id
        else:
            pid = session.required_provider()
        client = session.storage(pid)
        info = client.provider_info
        names = client.list_buckets()
        urls = [f"{info.url_scheme}://{name}" for name in names]
        if session.json:
            print_json([{"bucket": n, "url": u} for n, u in zip(names, urls, strict=True)])
        else:
            for u in urls:
                click.echo(u)
        return
    where = remote(session, url)
    items = list(
        where.client.list_objects(where.bucket, where.key, delimiter=None if recursive else "/")
    )
    if session.json:
        print_json([{**i.to_dict(), "url": where.url(i.key)} for i in items])
        return
    total = 0
    for item in items:
        shown = where.url(item.key)
        if not long_:
            click.echo(shown)
        elif item.is_prefix:
            click.echo(f"{'PRE':>12}  {'':19}  {shown}")
        else:
            total += item.size
            click.echo(f"{item.size:>12}  {_date(item)}  {shown}")
    if long_:
        objects = sum(1 for i in items if not i.is_prefix)
        click.echo(f"TOTAL: {objects} objects, {total} bytes ({human_size(total)})")


def _place(text: str) -> Place:
    if text == "-":
        return text
    return remote(current_session(), text) if is_url(text) else local_path(text)


@click.command("cp")
@click.argument("src")
@click.argument("dst")
@click.option("-r", "--recursive", is_flag=True, help="Copy every object under SRC.")
@click.option("--content-type", metavar="TYPE", help="Content type of the copies.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Parallel transfers with -r.",
)
@shared_options
def cp_command(src: str, dst: str, recursive: bool, content_type: str | None, jobs: int) -> None:
    """Copy between local paths and any provider's URLs, in either direction
    (SRC "-" uploads standard input).

    Provider to provider streams through memory (no temporary file). A copy that fails
    or is interrupted leaves nothing under the target's name.
    """
    session = current_session()
    source, target = _place(src), _place(dst)
    providers = {p.provider for p in (source, target) if isinstance(p, Remote)}
    if session.endpoint_url and len(providers) > 1:
        raise ValidationError(
            "--endpoint-url applies to one provider and this copy involves "
            f"{' and '.join(sorted(providers))}: set each provider's endpoint in the "
            "environment instead"
        )
    jobs_list = plan(source, target, recursive=recursive)
    sizes = [j.size for j in jobs_list]
    total = sum(s for s in sizes if s is not None) if None not in sizes else None
    show = sys.stderr.isatty() and not session.json
    printed: list[Copied] = []

    def report(copied: Copied) -> None:
        printed.append(copied)
        if not session.json and not show:
            click.echo(f"copied {copied.src} -> {copied.dst} ({copied.size} bytes)")

    meter = Meter(total, len(jobs_list), show=show)
    with meter:
        done = run(jobs_list, meter, parallel=jobs, content_type=content_type, on_done=report)
    if session.json:
        print_json(
            {
                "copied": [c.to_dict() for c in done],
                "objects": len(done),
                "bytes": sum(c.size for c in done),
            }
        )
    elif show:
        size = sum(c.size for c in done)
        click.echo(f"copied {len(done)} objects, {size} bytes ({human_size(size)})")


@click.command("cat")
@click.argument("url")
@shared_options
def cat_command(url: str) -> None:
    """Write an object's bytes to stdout."""
    session = current_session()
    where = _object_url(url, "cat")
    if session.json:
        data = where.client.download_file(where.bucket, where.key)
        print_json(
            {
                "url": where.url(),
                "size": len(data),
                "content_base64": base64.b64encode(data).decode("ascii"),
            }
        )
        return
    out = sys.stdout.buffer
    if where.client.provider_info.supports(Capability.DOWNLOAD_STREAM):
        where.client.download_stream(where.bucket, where.key, out)
    else:  # a provider with the spec's calls only
        out.write(where.client.download_file(where.bucket, where.key))
    out.flush()


@click.command("stat")
@click.argument("url")
@shared_options
def stat_command(url: str) -> None:
    """Size, etag, content type, date and metadata of one object."""
    session = current_session()
    where = _object_url(url, "stat")
    info = where.client.stat_object(where.bucket, where.key)
    data = {**info.to_dict(), "url": where.url()}
    if session.json:
        print_json(data)
        return
    click.echo(f"url:           {data['url']}")
    click.echo(f"size:          {info.size} ({human_size(info.size)})")
    click.echo(f"content_type:  {info.content_type or '-'}")
    click.echo(f"etag:          {info.etag or '-'}")
    click.echo(f"last_modified: {data['last_modified'] or '-'}")
    for name, value in sorted(info.metadata.items()):
        click.echo(f"metadata.{name}: {value}")


@click.command("rm")
@click.argument("url")
@click.option("-r", "--recursive", is_flag=True, help="Delete every object under the prefix.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=8, show_default=True)
@shared_options
def rm_command(url: str, recursive: bool, jobs: int) -> None:
    """Delete an object, or with -r every object under a prefix (the bucket stays)."""
    session = current_session()
    where = remote(session, url)
    if recursive:
        # a prefix is a folder: rm -r s3://b/data spares s3://b/database.txt
        prefix = where.key if not where.key or where.key.endswith("/") else where.key + "/"
        keys = [i.key for i in where.client.list_objects(where.bucket, prefix) if not i.is_prefix]
    else:
        where = _object_url(url, "rm")
        keys = [where.key]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda k: where.client.delete_file(where.bucket, k), keys))
    failed = [where.url(k) for k, ok in zip(keys, results, strict=True) if not ok]
    deleted = [where.url(k) for k, ok in zip(keys, results, strict=True) if ok]
    if session.json:
        print_json({"deleted": deleted, "failed": failed})
    else:
        for shown in deleted:
            click.echo(f"deleted {shown}")
    if failed:
        raise CloudError(f"could not delete {len(failed)} object(s), first: {failed[0]}")


@click.command("mb")
@click.argument("url")
@shared_options
def mb_command(url: str) -> None:
    """Create a bucket (done, exit 0, when it already exists and is yours)."""
    _change_bucket(
        url,
        "mb",
        "created",
        lambda where: where.client.create_bucket(where.bucket),
        refused="bucket name {bucket!r} is taken (by another account)",
        done="bucket {url} is ready",
    )


@click.command("rb")
@click.argument("url")
@shared_options
def rb_command(url: str) -> None:
    """Delete an empty bucket."""
    _change_bucket(
        url,
        "rb",
        "deleted",
        lambda where: where.client.delete_bucket(where.bucket),
        refused="bucket {url} is not empty (rm -r it first)",
        done="deleted {url}",
    )


@click.command("presign")
@click.argument("url")
@click.option(
    "--expires",
    type=click.IntRange(1, 604800),
    default=3600,
    show_default=True,
    help="Seconds the URL is valid.",
)
@click.option(
    "--method",
    type=click.Choice(["GET", "PUT"], case_sensitive=False),
    default="GET",
    show_default=True,
)
@click.option("--content-type", metavar="TYPE", help="With PUT: the type the uploader must send.")
@shared_options
def presign_command(url: str, expires: int, method: str, content_type: str | None) -> None:
    """Print a URL that lets anyone holding it GET (or PUT) the object for a while."""
    session = current_session()
    where = _object_url(url, "presign")
    extra: dict[str, Any] = {"method": method.upper()}
    if content_type is not None:
        extra["content_type"] = content_type
    signed = where.client.generate_presigned_url(where.bucket, where.key, expires, **extra)
    if session.json:
        print_json(
            {
                "url": signed,
                "object": where.url(),
                "method": method.upper(),
                "expires_in": expires,
            }
        )
    else:
        click.echo(signed)


STORAGE_COMMANDS = [
    ls_command,
    cp_command,
    cat_command,
    stat_command,
    rm_command,
    mb_command,
    rb_command,
    presign_command,
]

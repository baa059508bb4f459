"""``cloud-common functions ls|deploy|invoke|rm`` on the ``--provider``."""

from __future__ import annotations

import json
from typing import Any

import click

from cloud_common.cli._options import current_session, shared_options
from cloud_common.cli._output import print_json, print_table
from cloud_common.core import CloudError, ValidationError

__all__ = ["functions_group"]


@click.group("functions")
@shared_options
def functions_group() -> None:
    """Serverless functions of the --provider (or CLOUD_COMMON_PROVIDER)."""


def _field(item: dict[str, Any], name: str) -> Any:
    """A field of a ``CloudResource`` dict, at its top level or in its metadata."""
    metadata = item.get("metadata")
    if name in item:
        return item[name]
    return metadata.get(name, "") if isinstance(metadata, dict) else ""


@functions_group.command("ls")
@shared_options
def functions_ls() -> None:
    """List functions."""
    session = current_session()
    items = session.serverless().list_functions()
    if session.json:
        print_json(items)
        return
    rows = [
        [
            str(f.get("name", "")),
            str(_field(f, "runtime")),
            str(_field(f, "handler")),
            str(f.get("status", "")),
        ]
        for f in items
    ]
    print_table("functions", ["name", "runtime", "handler", "status"], rows)


@functions_group.command("deploy")
@click.argument("name")
@click.option("--runtime", required=True, metavar="RUNTIME", help="e.g. python3.12")
@click.option("--handler", required=True, metavar="MODULE.FUNC", help="e.g. main.handler")
@click.option(
    "--code",
    "code_path",
    required=True,
    type=click.Path(exists=True),
    help="A folder or .zip with the code.",
)
@shared_options
def functions_deploy(name: str, runtime: str, handler: str, code_path: str) -> None:
    """Create a function from local code."""
    session = current_session()
    created = session.serverless().create_function(name, runtime, handler, code_path)
    if session.json:
        print_json(created)
    else:
        click.echo(f"deployed {created.get('name', name)}")


def _payload(text: str | None, path: str | None) -> dict[str, Any]:
    if text is not None and path is not None:
        raise click.UsageError("give --payload or --payload-file, not both")
    if path is not None:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    if text is None:
        return {}
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"the payload is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise ValidationError("the payload must be a JSON object")
    return payload


@functions_group.command("invoke")
@click.argument("name")
@click.option("--payload", metavar="JSON", help="The event, a JSON object (default {}).")
@click.option("--payload-file", type=click.Path(exists=True, dir_okay=False))
@shared_options
def functions_invoke(name: str, payload: str | None, payload_file: str | None) -> None:
    """Invoke a function and print what it returned (as JSON)."""
    session = current_session()
    result = session.serverless().invoke_function(name, _payload(payload, payload_file))
    print_json(result)


@functions_group.command("rm")
@click.argument("name")
@shared_options
def functions_rm(name: str) -> None:
    """Delete a function."""
    session = current_session()
    ok = session.serverless().delete_function(name)
    if session.json:
        print_json({"name": name, "deleted": ok})
    if not ok:
        raise CloudError(f"could not delete function {name}")
    if not session.json:
        click.echo(f"deleted {name}")

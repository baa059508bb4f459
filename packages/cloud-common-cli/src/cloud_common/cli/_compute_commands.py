"""``cloud-common instances ls|create|start|stop|terminate`` on the ``--provider``."""

from __future__ import annotations

from typing import Any

import click

from cloud_common.cli._options import current_session, shared_options
from cloud_common.cli._output import print_json, print_table
from cloud_common.core import CloudError, ValidationError

__all__ = ["instances_group"]


def _field(item: dict[str, Any], name: str) -> Any:
    """A field of a ``CloudResource`` dict, at its top level or in its metadata."""
    metadata = item.get("metadata")
    if name in item:
        return item[name]
    return metadata.get(name, "") if isinstance(metadata, dict) else ""


def _tags(values: tuple[str, ...]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for value in values:
        name, sep, tag = value.partition("=")
        if not sep or not name:
            raise ValidationError(f"--tag {value!r} is invalid: expected NAME=VALUE")
        tags[name] = tag
    return tags


@click.group("instances")
@shared_options
def instances_group() -> None:
    """Compute instances of the --provider (or CLOUD_COMMON_PROVIDER)."""


@instances_group.command("ls")
@shared_options
def instances_ls() -> None:
    """List instances."""
    session = current_session()
    items = session.compute().list_instances()
    if session.json:
        print_json(items)
        return
    rows = [
        [
            str(i.get("id", "")),
            str(i.get("name", "")),
            str(i.get("status", "")),
            str(_field(i, "instance_type")),
            str(i.get("region", "")),
        ]
        for i in items
    ]
    print_table("instances", ["id", "name", "status", "type", "region"], rows)


@instances_group.command("create")
@click.argument("name")
@click.option("--type", "instance_type", required=True, metavar="TYPE", help="Instance type.")
@click.option("--image", "image_id", required=True, metavar="IMAGE", help="Image id.")
@click.option("--tag", "tags", multiple=True, metavar="NAME=VALUE", help="A tag (repeatable).")
@click.option("--wait", is_flag=True, help="Wait until the instance is running.")
@click.option("--timeout", type=click.FloatRange(0.1), default=300.0, show_default=True)
@shared_options
def instances_create(
    name: str, instance_type: str, image_id: str, tags: tuple[str, ...], wait: bool, timeout: float
) -> None:
    """Create (and start) an instance."""
    session = current_session()
    compute = session.compute()
    extra: dict[str, Any] = {"tags": _tags(tags)} if tags else {}
    created = compute.create_instance(name, instance_type, image_id, **extra)
    if wait:
        created = compute.wait_for_state(str(created["id"]), "running", timeout)
    if session.json:
        print_json(created)
    else:
        click.echo(f"{created['id']}\t{created.get('status', '')}")


def _transition(verb: str, instance_id: str) -> None:
    session = current_session()
    compute = session.compute()
    call = {
        "start": compute.start_instance,
        "stop": compute.stop_instance,
        "terminate": compute.terminate_instance,
    }[verb]
    ok = call(instance_id)
    if session.json:
        print_json({"id": instance_id, "action": verb, "ok": ok})
    if not ok:
        raise CloudError(
            f"could not {verb} instance {instance_id}: it is in a state that refuses it"
        )
    if not session.json:
        click.echo(f"{verb}: {instance_id}")


@instances_group.command("start")
@click.argument("instance_id")
@shared_options
def instances_start(instance_id: str) -> None:
    """Start a stopped instance."""
    _transition("start", instance_id)


@instances_group.command("stop")
@click.argument("instance_id")
@shared_options
def instances_stop(instance_id: str) -> None:
    """Stop a running instance."""
    _transition("stop", instance_id)


@instances_group.command("terminate")
@click.argument("instance_id")
@shared_options
def instances_terminate(instance_id: str) -> None:
    """Terminate an instance for good."""
    _transition("terminate", instance_id)

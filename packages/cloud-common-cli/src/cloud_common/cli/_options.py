"""The flags every command accepts, before or after its own arguments.

``cloud-common --json ls s3://b`` and ``cloud-common ls s3://b --json`` mean the same:
each flag is declared on the group and on every command, and sets the invocation's one
``Session``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from cloud_common.cli._session import Session

__all__ = ["current_session", "shared_options"]

F = TypeVar("F", bound=Callable[..., Any])


def current_session() -> Session:
    """The ``Session`` of the running invocation (created on first use)."""
    root = click.get_current_context().find_root()
    session = root.meta.get("cloud_common.session")
    if not isinstance(session, Session):
        session = Session()
        root.meta["cloud_common.session"] = session
    return session


def _setter(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        # a flag left out keeps what the group level (or the environment) set
        if value is not None and value is not False:
            setattr(current_session(), name, value)

    return store


def _debug(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value:
        current_session().debug = True
        logging.basicConfig(
            level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
        )


def shared_options(func: F) -> F:
    """Add ``--provider --region --profile --endpoint-url --json --debug`` to a command."""
    options = [
        click.option(
            "--provider",
            envvar="CLOUD_COMMON_PROVIDER",
            metavar="ID",
            help="Provider id (aws, gcp, local, ...): for commands without a URL, or to "
            "pick one of several providers of a URL scheme. Env: CLOUD_COMMON_PROVIDER.",
            expose_value=False,
            callback=_setter("provider"),
        ),
        click.option(
            "--region",
            metavar="REGION",
            help="Region, instead of the environment's.",
            expose_value=False,
            callback=_setter("region"),
        ),
        click.option(
            "--profile",
            metavar="NAME",
            help="Named profile of the provider's SDK, instead of the environment's.",
            expose_value=False,
            callback=_setter("profile"),
        ),
        click.option(
            "--endpoint-url",
            metavar="URL",
            help="Where the provider's API answers (an emulator, a private endpoint).",
            expose_value=False,
            callback=_setter("endpoint_url"),
        ),
        click.option(
            "--json",
            "json_output",
            is_flag=True,
            default=None,
            help="Print the result as JSON on stdout (shapes: docs/cli.md).",
            expose_value=False,
            callback=_setter("json"),
        ),
        click.option(
            "--debug",
            is_flag=True,
            default=None,
            help="Show tracebacks and the library's debug log on stderr.",
            expose_value=False,
            callback=_debug,
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func

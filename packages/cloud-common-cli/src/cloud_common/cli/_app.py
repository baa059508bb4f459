"""The ``cloud-common`` command: its group, exit statuses and error lines.

Exit status: 0 done; 1 failed (the cloud refused, a transfer broke, interrupted); 2 usage
(bad flags or arguments, a malformed URL or bucket name, no installed provider for a
scheme or id, a call the provider does not offer). A failure prints one line on stderr,
``cloud-common: error: ...`` (and ``{"error": {...}}`` on stdout with ``--json``); the
traceback only with ``--debug``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from typing import Any, NoReturn

import click

from cloud_common.cli.__about__ import __version__
from cloud_common.cli._compute_commands import instances_group
from cloud_common.cli._options import current_session, shared_options
from cloud_common.cli._output import print_json
from cloud_common.cli._progress import Cancelled
from cloud_common.cli._providers_command import providers_command
from cloud_common.cli._serverless_commands import functions_group
from cloud_common.cli._storage_commands import STORAGE_COMMANDS
from cloud_common.core import (
    CloudError,
    NotSupportedError,
    PluginError,
    ProviderNotFoundError,
    ValidationError,
)

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "cli", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

_USAGE_ERRORS = (ValidationError, ProviderNotFoundError, PluginError, NotSupportedError)


def _interrupted(error: BaseException | None) -> bool:
    """Ctrl-C, possibly wrapped by the library as the cause of a ``CloudError``."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, (KeyboardInterrupt, Cancelled)):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _fail(error: BaseException, status: int) -> NoReturn:
    session = current_session()
    if _interrupted(error):
        text = "interrupted; nothing partial was left behind"
    elif isinstance(error, CloudError):
        text = str(error)
    elif isinstance(error, OSError):
        text = f"{error.strerror or error}" + (f": {error.filename!r}" if error.filename else "")
    else:
        text = f"{type(error).__name__}: {error}"
    if session.debug:
        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    if session.json:
        print_json({"error": {"type": type(error).__name__, "message": text, "exit": status}})
    click.echo(f"cloud-common: error: {text}", err=True)
    raise click.exceptions.Exit(status)


def _usage(error: click.UsageError) -> NoReturn:
    if error.ctx is not None and type(error).__name__ == "NoArgsIsHelpError":
        click.echo(error.ctx.get_help(), err=True)  # a group named alone: its help
        raise click.exceptions.Exit(EXIT_USAGE)
    where = error.ctx.command_path if error.ctx is not None else "cloud-common"
    click.echo(f"cloud-common: error: {error.format_message()} (see: {where} --help)", err=True)
    raise click.exceptions.Exit(EXIT_USAGE)


class _Commands(click.Group):
    """The root group: turns every failure into its exit status and one line."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            _usage(exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except click.UsageError as exc:
            _usage(exc)
        except click.ClickException:
            raise
        except BrokenPipeError:
            # the reader of stdout went away (| head): stop quietly, as cat does
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(EXIT_FAILED) from None
        except _USAGE_ERRORS as exc:
            _fail(exc, EXIT_USAGE)
        except (CloudError, OSError, Cancelled, KeyboardInterrupt) as exc:
            _fail(exc, EXIT_FAILED)
        except Exception as exc:  # noqa: BLE001 - one line, never a raw traceback
            _fail(exc, EXIT_FAILED)
        finally:
            current_session().close()


@click.group(
    "cloud-common",
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "-V", "--version", prog_name="cloud-common")
@shared_options
def cli() -> None:
    """Object storage, compute and serverless on any installed cloud-common provider.

    URLs name objects on any provider: s3://bucket/key, gs://bucket/key,
    local://bucket/key... Credentials come from the environment, as each provider
    declares (AWS_PROFILE, GOOGLE_APPLICATION_CREDENTIALS...); no flag takes a secret.
    """


for _command in [providers_command, *STORAGE_COMMANDS, instances_group, functions_group]:
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Run ``cloud-common`` with ``argv`` (default: the process's); return the exit status."""
    try:
        status = cli.main(args=argv, prog_name="cloud-common", standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_FAILED
    except click.exceptions.Abort:
        click.echo("cloud-common: error: interrupted", err=True)
        return EXIT_FAILED
    return status if isinstance(status, int) else EXIT_OK

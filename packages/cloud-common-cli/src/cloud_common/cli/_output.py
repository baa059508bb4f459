"""Printing results: JSON (``--json``), plain lines, and rich tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["human_size", "print_json", "print_table", "stdout_console"]


def print_json(data: Any) -> None:
    """One JSON document on stdout (sorted keys, ISO dates, non-ASCII kept)."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str))
    sys.stdout.write("\n")
    sys.stdout.flush()


def human_size(size: int) -> str:
    """``1536`` → ``1.5 KiB``; bytes below 1 KiB as an integer."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


def stdout_console() -> Console:
    """A console on stdout; never wraps or crops what goes into a pipe."""
    return Console(soft_wrap=True, highlight=False)


def print_table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table for people on a terminal; tab-separated lines when stdout is a pipe."""
    if not sys.stdout.isatty():
        for row in rows:
            sys.stdout.write("\t".join(row) + "\n")
        sys.stdout.flush()
        return
    table = Table(title=title, show_lines=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    stdout_console().print(table)

"""Where the local provider keeps its data, and how its own folders are opened: never
through a symbolic link, and only when they belong to the current user."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from pathlib import Path

from cloud_common.core import CloudCredentials, ValidationError

__all__ = [
    "ENV_ROOT",
    "FOLDER_FLAGS",
    "NOFOLLOW",
    "default_root",
    "open_folder",
    "open_root",
    "resolve_root",
]

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
"""Flags of every folder the provider opens below its root: never through a link."""

ENV_ROOT = "CLOUD_COMMON_LOCAL_ROOT"
"""Environment variable naming the root directory (below ``metadata["root"]``)."""


def default_root() -> Path:
    """The per-user data directory: ``$XDG_DATA_HOME/cloud-common/local`` on Linux,
    ``~/Library/Application Support/cloud-common/local`` on macOS, ``%LOCALAPPDATA%`` on
    Windows."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "cloud-common" / "local"


def resolve_root(credentials: CloudCredentials | None, root: str | os.PathLike[str] | None) -> Path:
    """Pick the root (option, then ``metadata["root"]``, then ``$CLOUD_COMMON_LOCAL_ROOT``,
    then ``default_root()``), create it (mode 0700) and return its real path."""
    chosen: str | os.PathLike[str] | None = root
    if chosen is None and credentials is not None:
        chosen = credentials.metadata.get("root") or None
    if chosen is None:
        chosen = os.environ.get(ENV_ROOT) or None
    path = Path(chosen).expanduser() if chosen is not None else default_root()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(
            f"root {str(path)!r} is unusable: {exc.strerror or exc}", provider="local"
        ) from exc
    if not path.is_dir():
        raise ValidationError(f"root {str(path)!r} is not a directory", provider="local")
    return Path(os.path.realpath(path))


def open_root(root: Path) -> int:
    """Open the (resolved) root folder once; every path below it is then opened relative
    to this handle."""
    return os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))


def open_folder(parent: int, name: str, where: str, *, create: bool = True) -> int:
    """Open the provider's own folder ``name`` of the open folder ``parent`` (created, mode
    0700, when absent and ``create``).

    Raises:
        ValidationError: it is a symbolic link, not a folder, or not the current user's
            (named by ``where``, its path).
        FileNotFoundError: absent and not ``create``.
    """
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o700, dir_fd=parent)
    try:
        fd = os.open(name, FOLDER_FLAGS, dir_fd=parent)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise
        mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a folder"
        raise ValidationError(
            f"{where} is {kind}: the local provider never follows a link or uses a file in "
            "its own layout; move it away",
            provider="local",
        ) from None
    owner = os.fstat(fd).st_uid
    if hasattr(os, "geteuid") and owner != os.geteuid():
        os.close(fd)
        raise ValidationError(
            f"{where} belongs to user id {owner}, not to the current user "
            f"({os.geteuid()}): the local provider refuses to use it",
            provider="local",
        )
    return fd

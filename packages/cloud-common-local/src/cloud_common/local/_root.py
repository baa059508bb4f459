"""Where the local provider keeps its data, and paths below it that cannot escape it."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from cloud_common.core import CloudCredentials, ValidationError

__all__ = [
    "ENV_ROOT",
    "check_segment",
    "default_root",
    "ensure_dir",
    "inside",
    "resolve_root",
]

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


def check_segment(segment: str, what: str) -> str:
    """Refuse a path segment that could name anything but a child of its directory."""
    if (
        not segment
        or segment in (".", "..")
        or "/" in segment
        or "\\" in segment
        or "\x00" in segment
    ):
        raise ValidationError(f"{what} {segment!r} is invalid: it would leave its directory")
    return segment


def inside(base: Path, segments: Iterable[str], what: str) -> Path:
    """``base / segments`` after checking that no segment escapes and that no existing
    component below ``base`` is a symbolic link (the provider never follows a link planted
    inside its root).

    Raises:
        ValidationError: a segment escapes, or a component is a link or a special file.
    """
    path = base
    exists = True
    for segment in segments:
        path = path / check_segment(segment, what)
        if not exists:
            continue
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            exists = False
            continue
        except NotADirectoryError:
            exists = False
            continue
        if stat.S_ISLNK(mode):
            raise ValidationError(
                f"{what} reaches {segment!r}, a symbolic link inside the local root: "
                "links are never followed"
            )
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            raise ValidationError(f"{what} reaches {segment!r}, which is not a file or folder")
    return path


def ensure_dir(base: Path, segments: Iterable[str], what: str) -> Path:
    """Create the folders ``base / segments`` one by one (``base`` must exist), refusing links.

    Raises:
        FileNotFoundError: ``base`` vanished.
        NotADirectoryError: a segment exists as a file.
        ValidationError: a segment is a link.
    """
    path = base
    for segment in segments:
        path = path / check_segment(segment, what)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                raise ValidationError(
                    f"{what} reaches {segment!r}, a symbolic link inside the local root: "
                    "links are never followed"
                ) from None
            if not stat.S_ISDIR(mode):
                raise NotADirectoryError(str(path)) from None
    return path

"""Folder operations relative to open folder handles, never through a symbolic link."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator

from cloud_common.core import ValidationError
from cloud_common.local._root import FOLDER_FLAGS

__all__ = ["LINK_ERRNOS", "Chain", "holds_file", "open_child", "remove_tree"]

LINK_ERRNOS = (errno.ELOOP, errno.ENOTDIR, errno.EMLINK)
"""What ``open(O_NOFOLLOW | O_DIRECTORY)`` of a link or a file fails with."""


def open_child(parent: int, name: str, what: str, *, create: bool) -> int:
    """Open the folder ``name`` of ``parent`` (made first with ``create``).

    Raises:
        ValidationError: ``name`` is a symbolic link (``what`` names the argument).
        NotADirectoryError: ``name`` is a file.
        FileNotFoundError: ``name`` (or ``parent``, deleted meanwhile) is absent.
    """
    try:
        return os.open(name, FOLDER_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o700, dir_fd=parent)
        return open_child(parent, name, what, create=False)
    except OSError as exc:
        if exc.errno not in LINK_ERRNOS:
            raise
        mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
        if stat.S_ISLNK(mode):
            raise ValidationError(
                f"{what} reaches {name!r}, a symbolic link inside the local root: links are "
                "never followed"
            ) from None
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", name) from None


class Chain:
    """Open handles of a folder and its parents below one base folder, closed together."""

    def __init__(self, base: int) -> None:
        self.fds = [base]
        self._owned: list[int] = []

    @property
    def last(self) -> int:
        return self.fds[-1]

    def descend(self, parts: list[str], what: str, *, create: bool) -> Chain:
        for part in parts:
            fd = open_child(self.last, part, what, create=create)
            self._owned.append(fd)
            self.fds.append(fd)
        return self

    def close(self) -> None:
        for fd in self._owned:
            os.close(fd)
        self._owned.clear()

    def __enter__(self) -> Chain:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _entries(fd: int) -> Iterator[os.DirEntry[str]]:
    with os.scandir(fd) as entries:
        yield from entries


def holds_file(fd: int) -> bool:
    """True when a regular file lies anywhere below the open folder ``fd``."""
    for entry in _entries(fd):
        if entry.is_file(follow_symlinks=False):
            return True
        if entry.is_dir(follow_symlinks=False):
            try:
                sub = os.open(entry.name, FOLDER_FLAGS, dir_fd=fd)
            except OSError:
                continue
            try:
                if holds_file(sub):
                    return True
            finally:
                os.close(sub)
    return False


def remove_tree(parent: int, name: str) -> None:
    """Remove ``name`` of ``parent`` and everything below it; a link is removed, never
    followed. Best effort: what cannot be removed stays."""
    try:
        fd = os.open(name, FOLDER_FLAGS, dir_fd=parent)
    except OSError as exc:
        if exc.errno in LINK_ERRNOS:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=parent)
        return
    try:
        for entry in _entries(fd):
            if entry.is_dir(follow_symlinks=False):
                remove_tree(fd, entry.name)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.name, dir_fd=fd)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(name, dir_fd=parent)

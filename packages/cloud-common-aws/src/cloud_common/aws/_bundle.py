"""A function's code as a deployment zip, built deterministically in memory.

The same directory always gives the same bytes (sorted entries, fixed timestamps and
permissions), so a redeploy of unchanged code uploads an identical package.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile

from cloud_common.core import ValidationError

__all__ = ["MAX_DIRECT_UPLOAD", "MAX_UNZIPPED", "build_bundle"]

MAX_DIRECT_UPLOAD = 50 * 1024 * 1024
"""Lambda's limit for a zip sent in the CreateFunction request (50 MiB)."""
MAX_UNZIPPED = 250 * 1024 * 1024
"""Lambda's limit for the unzipped deployment package (250 MiB)."""

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP_DIRS = frozenset({"__pycache__", ".git", ".hg", ".svn", ".mypy_cache", ".pytest_cache"})
_SKIP_SUFFIXES = (".pyc", ".pyo")


def _too_big(what: str, size: int, limit: int) -> ValidationError:
    return ValidationError(
        f"code_path {what} is {size / 2**20:.1f} MiB, over Lambda's {limit // 2**20} MiB limit "
        "for a direct upload; trim the bundle (dependencies in a layer) or deploy it from S3 "
        "or as a container image with the native client",
        operation="create_function",
    )


def _entries(root: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(_SKIP_SUFFIXES):
                continue
            path = os.path.join(directory, name)
            arcname = os.path.relpath(path, root).replace(os.sep, "/")
            found.append((arcname, path))
    return sorted(found)


def _add(archive: zipfile.ZipFile, arcname: str, path: str) -> int:
    mode = os.stat(path).st_mode
    info = zipfile.ZipInfo(arcname, date_time=_EPOCH)
    executable = bool(mode & stat.S_IXUSR)
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so the permissions are honoured
    with open(path, "rb") as source, archive.open(info, "w") as target:
        size = 0
        while chunk := source.read(1 << 20):
            target.write(chunk)
            size += len(chunk)
    return size


def build_bundle(code_path: str) -> bytes:
    """The zip to deploy for ``code_path``: a directory (zipped), a ``.zip`` (as is) or one
    source file (zipped alone).

    Raises:
        ValidationError: not a file or directory, an empty directory, or over Lambda's
            limits (50 MiB zipped for a direct upload, 250 MiB unzipped).
    """
    path = os.fspath(code_path)
    if os.path.isdir(path):
        entries = _entries(path)
        if not entries:
            raise ValidationError(
                f"code_path {path!r} is invalid: the directory has no files",
                operation="create_function",
            )
    elif os.path.isfile(path) and zipfile.is_zipfile(path):
        size = os.path.getsize(path)
        if size > MAX_DIRECT_UPLOAD:
            raise _too_big("zip", size, MAX_DIRECT_UPLOAD)
        with open(path, "rb") as source:
            return source.read()
    elif os.path.isfile(path):
        entries = [(os.path.basename(path), path)]
    else:
        raise ValidationError(
            f"code_path {path!r} is invalid: neither a file nor a directory",
            operation="create_function",
        )
    buffer = io.BytesIO()
    unzipped = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for arcname, source_path in entries:
            unzipped += _add(archive, arcname, source_path)
            if unzipped > MAX_UNZIPPED:
                raise _too_big("unzipped", unzipped, MAX_UNZIPPED)
            if buffer.tell() > MAX_DIRECT_UPLOAD:
                raise _too_big("zipped", buffer.tell(), MAX_DIRECT_UPLOAD)
    data = buffer.getvalue()
    if len(data) > MAX_DIRECT_UPLOAD:
        raise _too_big("zipped", len(data), MAX_DIRECT_UPLOAD)
    return data

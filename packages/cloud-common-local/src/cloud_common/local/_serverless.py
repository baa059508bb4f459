"""Functions run in a fresh Python subprocess: the driver and ``LocalServerlessClient``.

Layout under the root::

    functions/<name>/function.json   runtime, handler, timeout, environment, ...
    functions/<name>/code/           the copied code (a folder, a .zip or a .py file)
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from cloud_common.core import (
    AlreadyExistsError,
    CloudProvider,
    CloudResource,
    CloudServerless,
    FunctionNotFoundError,
    PermissionDeniedError,
    ResourceType,
    ServerlessClient,
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs
from cloud_common.local._client import LocalClient
from cloud_common.local._invoke import Invocation, invoke
from cloud_common.local._options import DEFAULT_TIMEOUT, MAX_TIMEOUT, LocalSetup

__all__ = ["DEFAULT_TIMEOUT", "LocalServerlessClient"]

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_RUNTIME = re.compile(r"^python3\.\d{1,2}$")
_HANDLER = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
_KWARGS = frozenset({"timeout", "environment", "memory_size", "description", "tags"})
DEFAULT_MEMORY = 128
MIN_MEMORY = 128
MAX_MEMORY = 10240


class _Functions(ServerlessClient):
    """The driver: functions stored under ``<root>/functions``, each invocation a new
    supervised ``sys.executable``; arguments arrive checked.

    ``functions`` and ``functions-tmp`` must be real folders owned by this user: they are
    opened without following links, and entries are renamed relative to them.
    """

    def __init__(self, root: Path, *, invoke_timeout: float) -> None:
        self.root = root
        self.invoke_timeout = float(invoke_timeout)
        self._functions = root / "functions"
        self._tmp = root / "functions-tmp"

    def _ready(self) -> None:
        """Create the folders (on each call that writes: its errors are the call's)."""
        for folder in (self._functions, self._tmp):
            folder.mkdir(mode=0o700, exist_ok=True)

    # -- storage of functions -----------------------------------------------------------

    def _folder(self, name: str) -> Path:
        if not _NAME.match(name):
            raise ValidationError(
                f"function name {name!r} is invalid: 1-64 letters, digits, '-' or '_'"
            )
        return self._functions / name

    def _config(self, name: str) -> dict[str, Any]:
        self._folder(name)
        try:
            with _open_folder(self._functions) as functions:
                folder = os.open(name, _DIR_FLAGS, dir_fd=functions)
                try:
                    fd = os.open("function.json", _FILE_FLAGS, dir_fd=folder)
                finally:
                    os.close(folder)
                with open(fd, encoding="utf-8") as handle:
                    config: dict[str, Any] = json.load(handle)
        except (FileNotFoundError, NotADirectoryError):
            raise FunctionNotFoundError(f"no function {name!r}") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a link planted as a function: none of ours
                raise FunctionNotFoundError(f"no function {name!r}") from None
            raise
        return config

    def _code(self, name: str) -> Path:
        """The function's code folder, checked to be no link."""
        code = self._functions / name / "code"
        for path in (code.parent, code):
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                raise FunctionNotFoundError(f"no function {name!r}")
        return code

    @staticmethod
    def _resource(config: dict[str, Any]) -> dict[str, Any]:
        return CloudResource(
            id=config["name"],
            name=config["name"],
            resource_type=ResourceType.SERVERLESS,
            provider=CloudProvider.LOCAL,
            region="local",
            status="active",
            created_at=datetime.fromtimestamp(config["created_at"], tz=timezone.utc),
            tags=dict(config.get("tags") or {}),
            metadata={
                "runtime": config["runtime"],
                "handler": config["handler"],
                "timeout": config["timeout"],
                "memory_size": config["memory_size"],
                "description": config["description"],
                "code_size": config["code_size"],
                "code_sha256": config["code_sha256"],
                "environment": sorted(config.get("environment") or {}),
                "url": None,
                "interpreter": sys.executable,
            },
        ).to_dict()

    # -- the contract -------------------------------------------------------------------

    def create_function(
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs: Any
    ) -> dict[str, Any]:
        self._folder(name)
        if not _RUNTIME.match(runtime):
            raise ValidationError(
                f"runtime {runtime!r} is not supported by the local provider: use python3.x "
                f"(run with {sys.executable})"
            )
        if not _HANDLER.match(handler):
            raise ValidationError(f"handler {handler!r} is invalid: use 'module.function'")
        validate_kwargs(kwargs, _KWARGS)
        timeout = _check_timeout(kwargs.get("timeout", DEFAULT_TIMEOUT))
        memory_size = kwargs.get("memory_size") or DEFAULT_MEMORY
        if (
            isinstance(memory_size, bool)
            or not isinstance(memory_size, int)
            or not MIN_MEMORY <= memory_size <= MAX_MEMORY
        ):
            raise ValidationError(
                f"memory_size {memory_size!r} is invalid: an int of MiB in "
                f"[{MIN_MEMORY}, {MAX_MEMORY}], as on Lambda"
            )
        source = Path(code_path)
        self._ready()
        with _open_folder(self._functions) as functions, _open_folder(self._tmp) as tmp:
            if _exists(name, functions):
                raise AlreadyExistsError(f"function {name!r} already exists")
            staging = Path(tempfile.mkdtemp(dir=self._tmp, prefix=f"{name}-"))
            try:
                code = staging / "code"
                _copy_code(source, code, self.root)
                size, digest = _digest(code)
                config = {
                    "name": name,
                    "runtime": runtime,
                    "handler": handler,
                    "timeout": timeout,
                    "environment": kwargs.get("environment") or {},
                    "memory_size": memory_size,
                    "description": str(kwargs.get("description") or ""),
                    "tags": kwargs.get("tags") or {},
                    "code_size": size,
                    "code_sha256": digest,
                    "created_at": time.time(),
                }
                (staging / "function.json").write_text(json.dumps(config), encoding="utf-8")
                try:
                    os.rename(staging.name, name, src_dir_fd=tmp, dst_dir_fd=functions)
                except OSError as exc:
                    if _exists(name, functions):
                        raise AlreadyExistsError(f"function {name!r} already exists") from exc
                    raise
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        logger.info("created function %s (%s, %s)", name, runtime, handler)
        return self._resource(config)

    def list_functions(self) -> list[dict[str, Any]]:
        try:
            with _open_folder(self._functions) as functions:
                names = sorted(os.listdir(functions))
        except FileNotFoundError:
            return []
        found = []
        for name in names:
            with contextlib.suppress(FunctionNotFoundError, ValueError):  # not a function
                found.append(self._resource(self._config(name)))
        return found

    def get_function(self, function_name: str) -> dict[str, Any]:
        return self._resource(self._config(function_name))

    def delete_function(self, function_name: str) -> bool:
        self._folder(function_name)
        self._ready()
        parked = f"deleted-{uuid.uuid4().hex}"
        with _open_folder(self._functions) as functions, _open_folder(self._tmp) as tmp:
            try:
                os.rename(function_name, parked, src_dir_fd=functions, dst_dir_fd=tmp)
            except FileNotFoundError:
                return True
            if stat.S_ISDIR(os.stat(parked, dir_fd=tmp, follow_symlinks=False).st_mode):
                shutil.rmtree(self._tmp / parked, ignore_errors=True)
            else:  # a link or a file planted there: remove it, never what it points to
                os.unlink(parked, dir_fd=tmp)
        return True

    def invoke_function(
        self, function_name: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Run ``module.func(event, context)`` in a new supervised subprocess of this
        interpreter (``timeout``: the call's, else the function's, else the client's
        ``invoke_timeout``)."""
        config = self._config(function_name)
        seconds = (
            timeout if timeout is not None else float(config.get("timeout") or self.invoke_timeout)
        )
        self._ready()
        with _open_folder(self._tmp):  # the scratch folders go there: no link followed
            job = Invocation(
                name=function_name,
                code=self._code(function_name),
                handler=config["handler"],
                timeout=seconds,
                memory_mb=int(config.get("memory_size") or DEFAULT_MEMORY),
                environment=dict(config.get("environment") or {}),
            )
            return invoke(job, payload, self._tmp)


class LocalServerlessClient(LocalClient[ServerlessClient], CloudServerless):
    """Functions under the local root, each invocation a new Python subprocess, as a
    ``CloudServerless``.

    Args:
        credentials: ``CloudCredentials`` of provider ``local``: only ``metadata["root"]``
            is read. None reads the environment.
        options: ``LocalOptions``; keyword arguments set its fields (``root=``,
            ``invoke_timeout=``).

    Raises:
        ValidationError: bad options, or a root that cannot be created.
    """

    def _driver_for(self, resolved: LocalSetup) -> ServerlessClient:
        return _Functions(resolved.root, invoke_timeout=resolved.options.invoke_timeout)


def _check_timeout(value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value <= MAX_TIMEOUT
    ):
        raise ValidationError(
            f"timeout {value!r} is invalid: a number of seconds in (0, {MAX_TIMEOUT:g}]"
        )
    return float(value)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


@contextlib.contextmanager
def _open_folder(path: Path) -> Iterator[int]:
    """A descriptor of ``path``, which must be a real folder (not a link) of this user.

    Raises:
        PermissionDeniedError: ``path`` is a link, not a folder, or another user's.
        FileNotFoundError: it does not exist.
    """
    try:
        fd = os.open(path, _DIR_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise PermissionDeniedError(
                f"{path} is not a real folder (a link?): the local provider does not follow it"
            ) from None
        raise
    try:
        if os.fstat(fd).st_uid != os.geteuid():
            raise PermissionDeniedError(f"{path} belongs to another user: not used")
        yield fd
    finally:
        os.close(fd)


def _exists(name: str, folder: int) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _copy_code(source: Path, dest: Path, root: Path) -> None:
    """Copy a folder, extract a .zip (refusing members that leave it) or copy one file.

    A folder that holds the local root is copied without it.
    """
    if source.is_dir():
        skip = shutil.ignore_patterns("__pycache__", "*.pyc")

        def ignore(folder: str, names: list[str]) -> set[str]:
            ignored = set(skip(folder, names))
            for name in names:
                if os.path.realpath(os.path.join(folder, name)) == str(root):
                    ignored.add(name)
            return ignored

        shutil.copytree(source, dest, symlinks=False, ignore=ignore)
        return
    if zipfile.is_zipfile(source):
        dest.mkdir()
        with zipfile.ZipFile(source) as archive:
            for member in archive.infolist():
                parts = PurePosixPath(member.filename.replace("\\", "/")).parts
                if (
                    member.filename.startswith(("/", "\\"))
                    or ".." in parts
                    or ":" in member.filename
                ):
                    raise ValidationError(
                        f"code_path {str(source)!r}: zip member {member.filename!r} would be "
                        "written outside the function's folder"
                    )
            archive.extractall(dest)
        return
    if source.suffix == ".py":
        dest.mkdir()
        shutil.copy2(source, dest / source.name)
        return
    raise ValidationError(
        f"code_path {str(source)!r} is not a folder, a .zip archive or a .py file"
    )


def _digest(folder: Path) -> tuple[int, str]:
    """Total size and a SHA-256 over the relative paths and contents of the code."""
    digest = hashlib.sha256()
    size = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        data = path.read_bytes()
        digest.update(data)
        size += len(data)
    return size, digest.hexdigest()

"""Functions run in a fresh Python subprocess: the driver and ``LocalServerlessClient``.

Layout under the root::

    functions/<name>/function.json   runtime, handler, timeout, environment, ...
    functions/<name>/code/           the copied code (a folder, a .zip or a .py file)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from cloud_common.core import (
    AlreadyExistsError,
    CloudCredentials,
    CloudProvider,
    CloudResource,
    CloudServerless,
    FunctionInvocationError,
    FunctionNotFoundError,
    ResourceType,
    ServerlessClient,
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs
from cloud_common.local._info import PROVIDER
from cloud_common.local._options import DEFAULT_TIMEOUT, MAX_TIMEOUT, LocalOptions, setup

__all__ = ["DEFAULT_TIMEOUT", "LocalServerlessClient"]

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_RUNTIME = re.compile(r"^python3\.\d{1,2}$")
_HANDLER = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
_KWARGS = frozenset({"timeout", "environment", "memory_size", "description", "tags"})
_RUNNER = Path(__file__).with_name("_runner.py")
_LOG_TAIL = 4000


class _Functions(ServerlessClient):
    """The driver: functions stored under ``<root>/functions``, each invocation a new
    ``sys.executable``; arguments arrive checked."""

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
        folder = self._folder(name)
        try:
            with open(folder / "function.json", encoding="utf-8") as handle:
                config: dict[str, Any] = json.load(handle)
        except (FileNotFoundError, NotADirectoryError):
            raise FunctionNotFoundError(f"no function {name!r}") from None
        return config

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
        folder = self._folder(name)
        if not _RUNTIME.match(runtime):
            raise ValidationError(
                f"runtime {runtime!r} is not supported by the local provider: use python3.x "
                f"(run with {sys.executable})"
            )
        if not _HANDLER.match(handler):
            raise ValidationError(f"handler {handler!r} is invalid: use 'module.function'")
        validate_kwargs(kwargs, _KWARGS)
        timeout = _check_timeout(kwargs.get("timeout", DEFAULT_TIMEOUT))
        memory_size = kwargs.get("memory_size") or 128
        if isinstance(memory_size, bool) or not isinstance(memory_size, int):
            raise ValidationError(f"memory_size {memory_size!r} is invalid: an int of MiB")
        source = Path(code_path)
        self._ready()
        if folder.exists():
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
                os.rename(staging, folder)
            except OSError as exc:
                if folder.exists():
                    raise AlreadyExistsError(f"function {name!r} already exists") from exc
                raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        logger.info("created function %s (%s, %s)", name, runtime, handler)
        return self._resource(config)

    def list_functions(self) -> list[dict[str, Any]]:
        try:
            names = sorted(os.listdir(self._functions))
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
        folder = self._folder(function_name)
        self._ready()
        parked = self._tmp / f"deleted-{uuid.uuid4().hex}"
        try:
            os.rename(folder, parked)
        except FileNotFoundError:
            return True
        shutil.rmtree(parked, ignore_errors=True)
        return True

    def invoke_function(
        self, function_name: str, payload: dict[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Run ``module.func(event, context)`` in a new subprocess of this interpreter
        (``timeout``: the call's, else the function's, else the client's ``invoke_timeout``)."""
        name = function_name
        config = self._config(name)
        seconds = (
            timeout if timeout is not None else float(config.get("timeout") or self.invoke_timeout)
        )
        self._ready()
        code = self._functions / name / "code"
        env = dict(os.environ)
        env.update(config.get("environment") or {})
        env["CLOUD_COMMON_LOCAL_FUNCTION"] = name
        env.pop("PYTHONSTARTUP", None)
        with tempfile.TemporaryDirectory(dir=self._tmp, prefix="invoke-") as scratch:
            result_file = os.path.join(scratch, "result.json")
            argv = [
                sys.executable,
                "-c",
                _RUNNER.read_text(encoding="utf-8"),
                str(code),
                config["handler"],
                name,
                str(seconds),
                result_file,
            ]
            started = time.monotonic()
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=code,
                env=env,
                start_new_session=sys.platform != "win32",
            )
            try:
                output, _ = process.communicate(
                    json.dumps(payload).encode("utf-8"), timeout=seconds
                )
            except subprocess.TimeoutExpired:
                _kill(process)
                output = process.communicate()[0]
                _log_output(name, output)
                message = f"function {name!r} ran past its {seconds:g}s timeout and was killed"
                raise FunctionInvocationError(
                    message,
                    error_type="Sandbox.Timedout",
                    payload={"errorType": "Sandbox.Timedout", "errorMessage": message},
                ) from None
            _log_output(name, output)
            logger.debug("function %s ran in %.3fs", name, time.monotonic() - started)
            try:
                with open(result_file, encoding="utf-8") as handle:
                    outcome: dict[str, Any] = json.load(handle)
            except (OSError, ValueError):
                tail = output.decode("utf-8", "replace")[-_LOG_TAIL:]
                raise FunctionInvocationError(
                    f"function {name!r} exited with code {process.returncode} before returning",
                    error_type="Runtime.ExitError",
                    payload={
                        "errorType": "Runtime.ExitError",
                        "errorMessage": f"exit code {process.returncode}",
                        "stackTrace": [],
                        "output": tail,
                    },
                ) from None
        if not outcome.get("ok"):
            error = {k: outcome.get(k) for k in ("errorType", "errorMessage", "stackTrace")}
            raise FunctionInvocationError(
                f"function {name!r} raised {error['errorType']}: {error['errorMessage']}",
                error_type=str(error["errorType"]),
                payload=error,
            )
        value = outcome.get("result")
        return value if isinstance(value, dict) else {"result": value}


class LocalServerlessClient(CloudServerless):
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

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        options: LocalOptions | None = None,
        **kwargs: Any,
    ) -> None:
        creds, opts, root = setup(credentials, options, kwargs)
        self._functions = _Functions(root, invoke_timeout=opts.invoke_timeout)
        super().__init__(self._functions, PROVIDER, creds)

    @property
    def root(self) -> Path:
        """The root folder (resolved)."""
        return self._functions.root


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


def _kill(process: subprocess.Popen[bytes]) -> None:
    if sys.platform != "win32":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()


def _log_output(name: str, output: bytes | None) -> None:
    if output and logger.isEnabledFor(logging.DEBUG):
        for line in output.decode("utf-8", "replace").splitlines()[-200:]:
            logger.debug("[function %s] %s", name, line)


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

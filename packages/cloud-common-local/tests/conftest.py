"""Fixtures of the local provider's tests: a fresh root per test, clients through the registry."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cloud_common.core import (
    CloudCompute,
    CloudCredentials,
    CloudProvider,
    CloudServerless,
    CloudStorage,
    get_compute_client,
    get_serverless_client,
    get_storage_client,
)
from cloud_common.local import RunningServer, serve_in_thread


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the root that nothing may ever touch."""
    path = tmp_path / "outside"
    path.mkdir()
    (path / "secret.txt").write_bytes(b"outside the root")
    return path


@pytest.fixture
def server(root: Path) -> Iterator[RunningServer]:
    running = serve_in_thread(root)
    yield running
    running.stop()


@pytest.fixture
def creds(root: Path) -> CloudCredentials:
    return CloudCredentials(CloudProvider.LOCAL, metadata={"root": str(root)})


@pytest.fixture
def storage(creds: CloudCredentials) -> CloudStorage:
    return get_storage_client(creds)


@pytest.fixture
def bucket(storage: CloudStorage) -> str:
    assert storage.create_bucket("bkt")
    return "bkt"


@pytest.fixture
def compute(creds: CloudCredentials) -> CloudCompute:
    return get_compute_client(creds)


@pytest.fixture
def serverless(creds: CloudCredentials) -> CloudServerless:
    return get_serverless_client(creds)


def _run_python(source: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


PythonRunner = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_python() -> PythonRunner:
    """Run a snippet in a new interpreter (a separate process on the same root)."""
    return _run_python

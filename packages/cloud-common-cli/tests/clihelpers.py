"""Helpers of the command's tests: a started harness as a ``Provider`` (its environment
for the command, a library client) and ``run`` driving the real command through click's
runner or a subprocess. (Imported by conftest.py, which puts this folder on sys.path.)"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner

from cloud_common.cli import cli
from cloud_common.core import CloudStorage, get_provider, get_storage_client

# variables of the machine that would point the command somewhere else
_AMBIENT = ("AWS_", "GOOGLE_", "GCLOUD_", "STORAGE_EMULATOR_HOST", "CLOUD_COMMON_")


@dataclass
class Provider:
    """A started harness: its environment for the command, and a library client."""

    id: str
    scheme: str
    env: dict[str, str]
    storage: CloudStorage


@dataclass
class Ran:
    """What one run of the command did."""

    exit_code: int
    stdout: str
    stderr: str


def _harness_env(pid: str, harness: Any) -> dict[str, str]:
    """The credentials and endpoint of a harness as the environment variables the
    provider declares (``CloudCredentials.from_env`` reads them back)."""
    info = get_provider(pid)
    creds = harness.credentials()
    prefix = f"CLOUD_COMMON_{pid.upper().replace('-', '_')}_"
    env: dict[str, str] = {}
    for field in ("access_key", "secret_key"):
        value = getattr(creds, field)
        if value:
            var = next(v for v, target in info.environment.items() if target == field)
            env[var] = value
    for field, suffix in (("region", "REGION"), ("project_id", "PROJECT"), ("profile", "PROFILE")):
        value = getattr(creds, field)
        if value:
            env[prefix + suffix] = value
    for name, value in creds.metadata.items():
        env[prefix + "META_" + name.upper()] = value
    options = harness.client_options("storage")
    endpoint = options.get("endpoint_url")
    if isinstance(endpoint, str):
        env[prefix + "META_ENDPOINT_URL"] = endpoint
    for name, value in options.items():  # options the provider's own variables express
        found = [v for v, t in info.environment.items() if t == f"metadata.{name}"]
        if found and isinstance(value, (str, os.PathLike)):
            env[found[0]] = os.fspath(value)
    return env


def start(pid: str) -> Iterator[Provider]:
    info = get_provider(pid)
    if info.harness is None:
        pytest.fail(f"provider {pid} declares no harness")
    module, _, name = info.harness.partition(":")
    harness = getattr(importlib.import_module(module), name)()
    harness.start()
    try:
        storage = get_storage_client(harness.credentials(), **harness.client_options("storage"))
        yield Provider(pid, info.url_scheme, _harness_env(pid, harness), storage)
        storage.close()
    finally:
        harness.stop()


def clean_env(*providers: Provider) -> dict[str, str]:
    """This process's environment without cloud settings, plus the providers'."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_AMBIENT)}
    for provider in providers:
        env.update(provider.env)
    return env


def run(args: list[str], *providers: Provider, subprocess_: bool = False) -> Ran:
    """Run ``cloud-common ARGS`` with the providers' environment: in this process through
    click's runner, or (``subprocess_=True``) as ``python -m cloud_common.cli``."""
    env = clean_env(*providers)
    if subprocess_:
        done = subprocess.run(
            [sys.executable, "-m", "cloud_common.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return Ran(done.returncode, done.stdout, done.stderr)
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith(_AMBIENT)}
    result = CliRunner().invoke(cli, args, env={**unset, **env}, catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)

"""The "Acme cloud" itself: an account store kept in a directory.

This plays the part a cloud's SDK and service play for a real provider. It raises its own
exceptions (``AcmeError`` and subclasses, plus ``OSError``); ``_errors.translate`` maps them to
cloud-common's errors, and core applies it around every driver call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "AcmeAuthError",
    "AcmeCloud",
    "AcmeConflict",
    "AcmeError",
    "AcmeFunctionFailed",
    "AcmeNameTaken",
    "AcmeNoSuchBucket",
    "AcmeNoSuchKey",
    "AcmeNotFound",
    "AcmeUnavailable",
]

_LOCK = threading.RLock()
_RUNNER = Path(__file__).with_name("_runner.py")
DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY_MB = 128


class AcmeError(Exception):
    """Base of what the Acme cloud raises (its "SDK exceptions")."""


class AcmeUnavailable(AcmeError):
    """The account store cannot be reached."""


class AcmeAuthError(AcmeError):
    """Unknown access key or wrong secret."""


class AcmeNotFound(AcmeError):
    """No such instance or function."""


class AcmeNoSuchBucket(AcmeError):
    """No such bucket."""


class AcmeNoSuchKey(AcmeError):
    """No such object."""


class AcmeConflict(AcmeError):
    """The resource is in the wrong state (a bucket that is not empty)."""


class AcmeNameTaken(AcmeConflict):
    """The name is taken (a bucket of another account, an existing function)."""


class AcmeFunctionFailed(AcmeError):
    """The function ran and failed: ``error_type``, the remote error ``payload`` and the
    HTTP ``status`` its endpoint would answer."""

    def __init__(self, error_type: str, payload: dict[str, Any], status: int) -> None:
        super().__init__(f"function failed with {error_type}: {payload.get('errorMessage', '')}")
        self.error_type = error_type
        self.payload = payload
        self.status = status


def _write_json(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


class AcmeCloud:
    """One Acme account store (a directory). Thread-safe within a process."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if not (self.root / "accounts.json").is_file():
            raise AcmeUnavailable(
                f"{self.root} is not an Acme account store (use AcmeCloud.create)"
            )

    @classmethod
    def create(cls, root: str | os.PathLike[str]) -> AcmeCloud:
        """Create (or open) an account store in ``root``."""
        path = Path(root)
        for sub in ("buckets", "functions"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        if not (path / "accounts.json").exists():
            _write_json(path / "accounts.json", {})
        return cls(path)

    # -- accounts ---------------------------------------------------------------------

    def add_account(self, name: str) -> tuple[str, str]:
        """Create an account; return its ``(access_key, secret_key)``."""
        with _LOCK:
            accounts = _read_json(self.root / "accounts.json", {})
            access_key = "AK" + secrets.token_hex(8).upper()
            secret_key = secrets.token_urlsafe(24)
            accounts[access_key] = {"account": name, "secret": secret_key}
            _write_json(self.root / "accounts.json", accounts)
        return access_key, secret_key

    def authenticate(self, access_key: str | None, secret_key: str | None) -> str:
        """The account name of these keys. Raises AcmeAuthError."""
        entry = _read_json(self.root / "accounts.json", {}).get(access_key or "")
        if entry is None or not hmac.compare_digest(entry["secret"], secret_key or ""):
            raise AcmeAuthError("the access key is unknown or the secret does not match")
        return str(entry["account"])

    def account_secret(self, account: str) -> str:
        """The signing secret of an account (for presigned URLs)."""
        for entry in _read_json(self.root / "accounts.json", {}).values():
            if entry["account"] == account:
                return str(entry["secret"])
        raise AcmeAuthError(f"no account {account!r}")

    # -- buckets and objects ------------------------------------------------------------

    def _bucket(self, name: str) -> Path:
        path = self.root / "buckets" / name
        if not (path / "owner").is_file():
            raise AcmeNoSuchBucket(name)
        return path

    def _object(self, bucket: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self._bucket(bucket) / "objects" / digest

    def buckets(self, account: str | None = None) -> list[str]:
        """Bucket names, of one ``account`` or (None) of every account."""
        base = self.root / "buckets"
        return sorted(
            p.name
            for p in base.iterdir()
            if (p / "owner").is_file()
            and (account is None or (p / "owner").read_text(encoding="utf-8") == account)
        )

    def create_bucket(self, account: str, name: str) -> bool:
        """Create; True if created, False if it already was this account's."""
        with _LOCK:
            path = self.root / "buckets" / name
            if (path / "owner").is_file():
                if (path / "owner").read_text(encoding="utf-8") != account:
                    raise AcmeNameTaken(f"bucket {name} belongs to another account")
                return False
            (path / "objects").mkdir(parents=True, exist_ok=True)
            (path / "owner").write_text(account, encoding="utf-8")
            return True

    def delete_bucket(self, name: str) -> None:
        with _LOCK:
            path = self._bucket(name)
            if any((path / "objects").glob("*.json")):
                raise AcmeConflict(f"bucket {name} is not empty")
            shutil.rmtree(path)

    def put_object(
        self,
        bucket: str,
        key: str,
        chunks: Iterator[bytes],
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Store an object from chunks; readers never see a partial object."""
        target = self._object(bucket, key)
        md5 = hashlib.md5(usedforsecurity=False)
        size = 0
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    md5.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
            meta = {
                "key": key,
                "size": size,
                "etag": md5.hexdigest(),
                "content_type": content_type or "application/octet-stream",
                "metadata": dict(metadata or {}),
                "modified": time.time(),
            }
            with _LOCK:
                self._bucket(bucket)
                os.replace(tmp, target.with_suffix(".bin"))
                _write_json(target.with_suffix(".json"), meta)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return meta

    def head_object(self, bucket: str, key: str) -> dict[str, Any]:
        meta = _read_json(self._object(bucket, key).with_suffix(".json"), None)
        if meta is None:
            raise AcmeNoSuchKey(key)
        return dict(meta)

    def object_path(self, bucket: str, key: str) -> Path:
        """Where the object's bytes are (check ``head_object`` first)."""
        self.head_object(bucket, key)
        return self._object(bucket, key).with_suffix(".bin")

    def delete_object(self, bucket: str, key: str) -> None:
        """Delete; no error when the object is absent (the bucket must exist)."""
        target = self._object(bucket, key)
        with _LOCK:
            target.with_suffix(".json").unlink(missing_ok=True)
            target.with_suffix(".bin").unlink(missing_ok=True)

    def list_keys(self, bucket: str, start_after: str, limit: int) -> list[dict[str, Any]]:
        """One page: up to ``limit`` object records with key > ``start_after``, by key."""
        objects = self._bucket(bucket) / "objects"
        records = [_read_json(p, None) for p in objects.glob("*.json")]
        keys = sorted((r for r in records if r and r["key"] > start_after), key=lambda r: r["key"])
        return keys[:limit]

    # -- compute ------------------------------------------------------------------------

    def instances(self) -> dict[str, dict[str, Any]]:
        data: dict[str, dict[str, Any]] = _read_json(self.root / "instances.json", {})
        return data

    def save_instance(self, instance: dict[str, Any]) -> None:
        with _LOCK:
            data = self.instances()
            data[instance["id"]] = instance
            _write_json(self.root / "instances.json", data)

    def instance(self, instance_id: str) -> dict[str, Any]:
        found = self.instances().get(instance_id)
        if found is None:
            raise AcmeNotFound(f"instance {instance_id}")
        return found

    def new_instance(self, account: str, name: str, itype: str, image: str) -> dict[str, Any]:
        instance = {
            "id": "i-" + uuid.uuid4().hex[:16],
            "name": name,
            "type": itype,
            "image": image,
            "state": "RUNNING",
            "account": account,
            "created": time.time(),
        }
        self.save_instance(instance)
        return instance

    # -- functions ------------------------------------------------------------------------

    def function_dir(self, name: str) -> Path:
        path = self.root / "functions" / name
        if not (path / "function.json").is_file():
            raise AcmeNotFound(f"function {name}")
        return path

    def function(self, name: str) -> dict[str, Any]:
        meta: dict[str, Any] = _read_json(self.function_dir(name) / "function.json", {})
        return meta

    def invoke(self, name: str, event: Any) -> Any:
        """Run the function on ``event`` in its own process, with its environment, memory
        setting and time limit; its result, or ``AcmeFunctionFailed``."""
        meta = self.function(name)
        timeout = float(meta.get("timeout") or DEFAULT_TIMEOUT)
        memory = int(meta.get("memory_size") or DEFAULT_MEMORY_MB)
        code = self.function_dir(name) / "code"
        env = {"PATH": os.environ.get("PATH", ""), **meta.get("environment", {})}
        command = [sys.executable, str(_RUNNER), str(code), meta["handler"], name]
        try:
            done = subprocess.run(
                [*command, str(memory), str(timeout)],
                input=json.dumps(event),
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"Task timed out after {timeout:g} seconds",
            }
            raise AcmeFunctionFailed("Sandbox.Timedout", error, 504) from None
        try:
            out = json.loads(done.stdout)
        except ValueError:
            out = None
        if not isinstance(out, dict) or not ({"result", "error"} & set(out)):
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"the process exited with status {done.returncode}",
            }
            raise AcmeFunctionFailed("Runtime.ExitError", error, 500)
        if "error" in out:
            raise AcmeFunctionFailed(str(out["error"]["errorType"]), out["error"], 500)
        return out["result"]

    def functions(self) -> list[dict[str, Any]]:
        found = []
        for path in sorted((self.root / "functions").iterdir()):
            meta = _read_json(path / "function.json", None)
            if meta is not None:
                found.append(meta)
        return found

    def put_function(self, meta: dict[str, Any], code_path: Path) -> None:
        with _LOCK:
            target = self.root / "functions" / meta["name"]
            if target.exists():
                raise AcmeNameTaken(f"function {meta['name']} exists")
            code = target / "code"
            if code_path.is_dir():
                shutil.copytree(code_path, code)
            else:
                code.mkdir(parents=True)
                shutil.copy2(code_path, code / code_path.name)
            _write_json(target / "function.json", meta)

    def delete_function(self, name: str) -> None:
        with _LOCK:
            shutil.rmtree(self.function_dir(name))

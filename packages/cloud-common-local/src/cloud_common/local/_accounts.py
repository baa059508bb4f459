"""Accounts of a local root: optional access keys every client of the root must present.

A root holds no account until ``add_account(root)`` writes one into ``<root>/accounts``
(mode 0600, one JSON document). Without accounts the root stays open to every client, as
before. With at least one, a client is built only with the ``access_key`` and
``secret_key`` of one of them, else ``AuthenticationError`` before it touches anything.

Only a salted HMAC-SHA256 of each secret key is stored; secrets are 256-bit random tokens
made here, so a fast hash is as strong as a slow one, and digests are compared in constant
time. The file is read and replaced relative to the root's handle, never through a link,
and only when it is a file of the current user.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from cloud_common.core import AuthenticationError, CloudCredentials, ValidationError
from cloud_common.local._root import NOFOLLOW, open_root, resolve_root

__all__ = ["ACCOUNTS_FILE", "add_account", "check_access"]

ACCOUNTS_FILE = "accounts"
_FORMAT = 1
_KEY_PREFIX = "CCL"


def add_account(root: str | os.PathLike[str]) -> tuple[str, str]:
    """Add an account to the local root ``root`` (created when absent) and return its
    ``(access_key, secret_key)``; the secret key is shown only here.

    From then on every client of this root must be built with the credentials of one of
    its accounts (``CloudCredentials("local", access_key, secret_key, metadata={"root":
    ...})``, or ``$CLOUD_COMMON_LOCAL_ACCESS_KEY`` and ``$CLOUD_COMMON_LOCAL_SECRET_KEY``).

    Raises:
        ValidationError: the root is unusable, or ``<root>/accounts`` is a link, not a
            file, another user's, or not an accounts file.
    """
    path = resolve_root(None, root)
    access_key = _KEY_PREFIX + secrets.token_hex(10).upper()
    secret_key = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    root_fd = open_root(path)
    try:
        fcntl.flock(root_fd, fcntl.LOCK_EX)  # writers of one root take turns
        try:
            accounts = _read(root_fd, path) or []
            accounts.append(
                {
                    "access_key": access_key,
                    "salt": salt.hex(),
                    "hash": _digest(salt, secret_key).hex(),
                }
            )
            _write(root_fd, {"format": _FORMAT, "accounts": accounts})
        finally:
            fcntl.flock(root_fd, fcntl.LOCK_UN)
    finally:
        os.close(root_fd)
    return access_key, secret_key


def check_access(root: Path, credentials: CloudCredentials) -> None:
    """Let ``credentials`` use ``root`` (resolved): always when the root has no account,
    else only with the keys of one of its accounts.

    Raises:
        AuthenticationError: the root has accounts and the keys match none (or are absent).
        ValidationError: ``<root>/accounts`` is unusable (see ``add_account``).
    """
    root_fd = open_root(root)
    try:
        accounts = _read(root_fd, root)
    finally:
        os.close(root_fd)
    if not accounts:
        return
    access_key = credentials.access_key or ""
    secret_key = credentials.secret_key or ""
    matched = False
    for account in accounts:  # every account is compared: the time names none of them
        same_key = hmac.compare_digest(account["access_key"].encode(), access_key.encode())
        digest = _digest(bytes.fromhex(account["salt"]), secret_key)
        same_secret = hmac.compare_digest(bytes.fromhex(account["hash"]), digest)
        matched |= same_key and same_secret
    if not matched:
        what = (
            "match no account of" if access_key or secret_key else "are absent: they are needed by"
        )
        raise AuthenticationError(
            f"the access key and secret key {what} the local root {str(root)!r}",
            provider="local",
            operation="connect",
        )


def _digest(salt: bytes, secret_key: str) -> bytes:
    return hmac.new(salt, secret_key.encode("utf-8"), hashlib.sha256).digest()


def _read(root_fd: int, root: Path) -> list[dict[str, str]] | None:
    """The accounts of the root whose folder is open (None: no accounts file)."""
    where = root / ACCOUNTS_FILE
    try:
        fd = os.open(ACCOUNTS_FILE, os.O_RDONLY | NOFOLLOW, dir_fd=root_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValidationError(
            f"{str(where)!r} is unusable ({exc.strerror}): the accounts file is never read "
            "through a link",
            provider="local",
        ) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
            raise ValidationError(
                f"{str(where)!r} is not a file of the current user: refusing it as the "
                "accounts file",
                provider="local",
            )
        with os.fdopen(os.dup(fd), "rb") as file:
            raw = file.read()
    finally:
        os.close(fd)
    try:
        data: Any = json.loads(raw)
        accounts = data["accounts"]
        if data["format"] != _FORMAT or not all(
            isinstance(a[f], str) for a in accounts for f in ("access_key", "salt", "hash")
        ):
            raise ValueError("unknown format")
        for a in accounts:
            bytes.fromhex(a["salt"])
            bytes.fromhex(a["hash"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(
            f"{str(where)!r} is not an accounts file of this version ({type(exc).__name__}): "
            "refusing to open the root",
            provider="local",
        ) from None
    result: list[dict[str, str]] = accounts
    return result


def _write(root_fd: int, data: dict[str, Any]) -> None:
    """Replace the accounts file atomically (a new file renamed over it)."""
    tmp = f".accounts-{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600, dir_fd=root_fd)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(json.dumps(data, indent=1).encode("utf-8") + b"\n")
            file.flush()
            os.fsync(file.fileno())
        os.rename(tmp, ACCOUNTS_FILE, src_dir_fd=root_fd, dst_dir_fd=root_fd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=root_fd)

"""Presigned URLs of the local provider: HMAC-SHA256 with a secret kept in the root.

A URL is ``<base>/<bucket>/<percent-encoded key>?X-Local-Method=GET&X-Local-Expires=<unix
time>[&X-Local-Content-Type=...]&X-Local-Signature=<hex>``. The signature covers the method,
bucket, key, expiry and content type; the secret (32 random bytes) is created on first use in
``<root>/presign.key`` with mode 0600, so URLs of one root are refused by a server of another.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote, urlencode

from cloud_common.core import ValidationError
from cloud_common.local._root import NOFOLLOW, open_root

if TYPE_CHECKING:
    from cloud_common.core import CloudCredentials
    from cloud_common.local._options import LocalOptions

__all__ = [
    "DEFAULT_PRESIGN_BASE_URL",
    "DEFAULT_PORT",
    "ENV_PRESIGN_BASE_URL",
    "SECRET_FILE",
    "PresignCheck",
    "check_signature",
    "endpoint",
    "load_secret",
    "sign_url",
]

DEFAULT_PORT = 8765
DEFAULT_PRESIGN_BASE_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
ENV_PRESIGN_BASE_URL = "CLOUD_COMMON_LOCAL_PRESIGN_URL"
SECRET_FILE = "presign.key"  # noqa: S105 - a file name, not a secret
_ALGORITHM = "CC-LOCAL-HMAC-SHA256"


def endpoint(credentials: CloudCredentials, options: LocalOptions) -> str:
    """Where presigned URLs point: ``options.endpoint_url``, else ``metadata["endpoint_url"]``
    (or the former ``metadata["presign_base_url"]``), else ``$CLOUD_COMMON_LOCAL_PRESIGN_URL``,
    else ``DEFAULT_PRESIGN_BASE_URL``.

    Raises:
        ValidationError: the address is not an http(s) URL.
    """
    meta = credentials.metadata
    if "presign_base_url" in meta and "endpoint_url" not in meta:
        warnings.warn(
            'metadata["presign_base_url"] is now metadata["endpoint_url"]',
            DeprecationWarning,
            stacklevel=3,
        )
    url = (
        options.endpoint_url
        or meta.get("endpoint_url")
        or meta.get("presign_base_url")
        or os.environ.get(ENV_PRESIGN_BASE_URL)
        or DEFAULT_PRESIGN_BASE_URL
    )
    if not url.startswith(("http://", "https://")):
        raise ValidationError(
            f"endpoint_url {url!r} is invalid: presigned URLs are http(s); use the presign "
            f"server's address, such as {DEFAULT_PRESIGN_BASE_URL}",
            provider="local",
        )
    return url.rstrip("/")


def load_secret(root: Path) -> bytes:
    """The root's presign secret, created (mode 0600) on first use.

    Creation is atomic across processes: the secret is written to a temporary file that is
    then hard-linked into place, so a second process either links first or reads the winner.
    The file is opened relative to the root without following a link.

    Raises:
        ValidationError: ``presign.key`` is a link, not a file, or another user's.
    """
    root_fd = open_root(root)
    try:
        for _ in range(3):
            secret = _read_secret(root_fd, root / SECRET_FILE)
            if secret is not None:
                return secret
            tmp = f".presign-{secrets.token_hex(8)}"
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600, dir_fd=root_fd
            )
            try:
                os.write(fd, secrets.token_hex(32).encode("ascii"))
                os.fsync(fd)
                os.close(fd)
                with contextlib.suppress(FileExistsError):
                    os.link(
                        tmp,
                        SECRET_FILE,
                        src_dir_fd=root_fd,
                        dst_dir_fd=root_fd,
                        follow_symlinks=False,
                    )
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=root_fd)
    finally:
        os.close(root_fd)
    raise OSError(f"cannot create the presign secret {root / SECRET_FILE}")


def _read_secret(root_fd: int, where: Path) -> bytes | None:
    try:
        fd = os.open(SECRET_FILE, os.O_RDONLY | NOFOLLOW, dir_fd=root_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValidationError(
            f"{where} is unusable ({exc.strerror}): the presign secret is never read "
            "through a link",
            provider="local",
        ) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
            raise ValidationError(
                f"{where} is not a file of the current user: refusing it as the presign secret",
                provider="local",
            )
        secret = os.read(fd, 4096)
    finally:
        os.close(fd)
    return secret if len(secret) >= 32 else None


def _signature(secret: bytes, method: str, bucket: str, key: str, expires: int, ctype: str) -> str:
    text = "\n".join((_ALGORITHM, method, bucket, key, str(expires), ctype))
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_url(
    root: Path,
    base_url: str,
    method: str,
    bucket: str,
    key: str,
    expires: int,
    content_type: str | None = None,
) -> str:
    """Build a presigned URL valid until the unix time ``expires``."""
    signature = _signature(load_secret(root), method, bucket, key, expires, content_type or "")
    query = {"X-Local-Method": method, "X-Local-Expires": str(expires)}
    if content_type:
        query["X-Local-Content-Type"] = content_type
    query["X-Local-Signature"] = signature
    path = quote(f"{bucket}/{key}", safe="/")
    return f"{base_url.rstrip('/')}/{path}?{urlencode(query)}"


class PresignCheck(NamedTuple):
    """The outcome of checking a request: ``ok``, or why it is refused."""

    ok: bool
    reason: str
    content_type: str | None = None


def check_signature(
    secret: bytes,
    method: str,
    bucket: str,
    key: str,
    query: dict[str, list[str]],
    now: float | None = None,
) -> PresignCheck:
    """Check a request's query against the signature rules (for the server)."""

    def one(name: str) -> str | None:
        values = query.get(name)
        return values[0] if values and len(values) == 1 else None

    signature = one("X-Local-Signature")
    signed_method = one("X-Local-Method")
    expires_text = one("X-Local-Expires")
    content_type = one("X-Local-Content-Type")
    if signature is None or signed_method is None or expires_text is None:
        return PresignCheck(False, "the request is not signed")
    try:
        expires = int(expires_text)
    except ValueError:
        return PresignCheck(False, "the expiry is malformed")
    expected = _signature(secret, signed_method, bucket, key, expires, content_type or "")
    if not hmac.compare_digest(expected, signature):
        return PresignCheck(False, "the signature does not match")
    if signed_method != method:
        return PresignCheck(False, f"the URL is signed for {signed_method}, not {method}")
    if (time.time() if now is None else now) > expires:
        return PresignCheck(False, "the URL has expired")
    return PresignCheck(True, "", content_type)

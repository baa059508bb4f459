"""Checking V4 signed URLs the way Cloud Storage does (the emulators never check them).

:func:`verify_v4_request` rebuilds the canonical request from what actually arrived and
checks the RSA-SHA256 signature with the signer's public key, the expiry, and the signed
headers. :class:`SignedUrlGate` serves that check on 127.0.0.1 in front of an emulator.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from cloud_common.gcp.testing._server import LocalServer

__all__ = ["SignedUrlGate", "verify_v4_request"]

_SAFE = "-_.~"


def _xml_error(code: str, message: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()


def verify_v4_request(
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, str],
    public_keys: Mapping[str, Any],
    now: datetime.datetime | None = None,
) -> tuple[int, str, str] | None:
    """None when the request carries a valid, unexpired V4 signature; else
    ``(status, code, message)`` as Cloud Storage would answer.

    Args:
        method: The HTTP method that arrived.
        raw_path: The percent-encoded path as sent (the signed resource).
        query: The raw query string.
        headers: The request headers (any case).
        public_keys: Signer email → ``cryptography`` RSA public key.
        now: The current time (tests).
    """
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import padding  # noqa: PLC0415

    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    if "X-Goog-Signature" not in params:
        return 403, "AccessDenied", "Anonymous caller does not have storage.objects access."
    try:
        signature = bytes.fromhex(params.pop("X-Goog-Signature"))
        algorithm = params["X-Goog-Algorithm"]
        credential = params["X-Goog-Credential"]
        stamp = params["X-Goog-Date"]
        expires = int(params["X-Goog-Expires"])
        signed_names = params["X-Goog-SignedHeaders"].split(";")
        signed_at = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc
        )
    except (KeyError, ValueError):
        return 400, "AuthenticationRequired", "Malformed signed URL."
    if algorithm != "GOOG4-RSA-SHA256":
        return 400, "InvalidArgument", f"Unsupported algorithm {algorithm}."
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if now > signed_at + datetime.timedelta(seconds=expires):
        return 400, "ExpiredToken", "Invalid argument: the signed URL has expired."
    email, _, scope = credential.partition("/")
    key = public_keys.get(email)
    if key is None:
        return 403, "AccessDenied", f"Unknown signer {email}."
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    if any(name not in lowered for name in signed_names):
        return 403, "SignatureDoesNotMatch", "A signed header is missing."
    canonical_query = "&".join(
        f"{urllib.parse.quote(k, safe=_SAFE)}={urllib.parse.quote(v, safe=_SAFE)}"
        for k, v in sorted(params.items())
    )
    canonical = "\n".join(
        [
            method,
            raw_path,
            canonical_query,
            "".join(f"{name}:{lowered[name]}\n" for name in signed_names),
            ";".join(signed_names),
            "UNSIGNED-PAYLOAD",
        ]
    )
    to_sign = "\n".join(
        ["GOOG4-RSA-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    try:
        key.verify(signature, to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return 403, "SignatureDoesNotMatch", "The request signature does not match."
    return None


class SignedUrlGate(LocalServer):
    """An HTTP endpoint on 127.0.0.1 that checks signed URLs, then forwards them to an
    emulator's XML-API routes (``/<bucket>/<object>``). Point clients at it with the
    ``signed_url_endpoint`` option.

    Args:
        upstream: The emulator's base URL.
        public_keys: Signer email → RSA public key.
    """

    def __init__(self, upstream: str, public_keys: Mapping[str, Any]) -> None:
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.public_keys = dict(public_keys)
        self.refused: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()

    def start(self) -> SignedUrlGate:
        """Start serving (a free port)."""
        super().start()
        return self

    def handle(self, request: Any) -> Any:
        from werkzeug.wrappers import Response  # noqa: PLC0415

        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
        raw_path, _, query = raw.partition("?")
        problem = verify_v4_request(
            request.method, raw_path, query, dict(request.headers), self.public_keys
        )
        if problem is not None:
            status, code, message = problem
            with self._lock:
                self.refused.append((request.method, raw_path, status))
            return Response(
                _xml_error(code, message), status=status, content_type="application/xml"
            )
        headers = {}
        if request.headers.get("Content-Type"):
            headers["Content-Type"] = request.headers["Content-Type"]
        data = request.get_data() if request.method in ("PUT", "POST") else None
        forward = urllib.request.Request(  # noqa: S310 - the emulator on 127.0.0.1
            f"{self.upstream}{raw_path}?{query}", data=data, method=request.method, headers=headers
        )
        try:
            with urllib.request.urlopen(forward, timeout=30) as answer:  # noqa: S310
                body, status = answer.read(), answer.status
                kept = {k: v for k, v in answer.headers.items() if k.lower() in _KEPT}
        except urllib.error.HTTPError as exc:
            body, status = exc.read(), exc.code
            kept = {}
        with contextlib.suppress(KeyError):
            kept.pop("Transfer-Encoding")
        return Response(body, status=status, headers=kept)


_KEPT = {"content-type", "etag", "x-goog-generation", "x-goog-hash", "last-modified"}

"""Google's OAuth token endpoint (the ``token_uri`` of a service-account key), faked: a
JWT-bearer grant signed by a trusted key gets an access token or, with
``target_audience``, an ID token; :meth:`OAuthTokens.authorized` checks a request's
bearer token."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import datetime, timezone
from typing import Any

__all__ = ["OAuthTokens"]


class OAuthTokens:
    """The service accounts a fake trusts and the tokens it issued."""

    def __init__(self) -> None:
        self._signers: dict[str, Any] = {}
        self._tokens: set[str] = set()
        self._lock = threading.Lock()

    def trust(self, email: str, public_key: Any) -> None:
        """Accept grants and self-signed JWTs of this service account (its RSA key)."""
        with self._lock:
            self._signers[email] = public_key

    def grant(self, form: Any) -> tuple[int, dict[str, Any]]:
        """Answer ``POST /token``: status and JSON body."""
        claims = self._verified_claims(str(form.get("assertion", "")))
        if claims is None:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        issued = int(datetime.now(timezone.utc).timestamp())
        if "target_audience" in claims:
            token = _unsigned_jwt(
                {
                    "aud": claims["target_audience"],
                    "azp": claims["iss"],
                    "email": claims["iss"],
                    "iss": "https://accounts.google.com",
                    "iat": issued,
                    "exp": issued + 3600,
                }
            )
            body: dict[str, Any] = {"id_token": token}
        else:
            token = "ya29.fake-" + uuid.uuid4().hex
            body = {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
        with self._lock:
            self._tokens.add(token)
        return 200, body

    def authorized(self, headers: Any) -> bool:
        """True when ``Authorization`` carries a token issued here or a JWT self-signed by
        a trusted key."""
        scheme, _, token = str(headers.get("Authorization", "")).partition(" ")
        if scheme != "Bearer" or not token:
            return False
        with self._lock:
            if token in self._tokens:
                return True
        return self._verified_claims(token) is not None

    def _verified_claims(self, jwt: str) -> dict[str, Any] | None:
        from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
        from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import padding  # noqa: PLC0415

        try:
            head, body, sig = jwt.split(".")
            claims: dict[str, Any] = json.loads(_b64url(body))
            with self._lock:
                key = self._signers.get(str(claims.get("iss")))
            if key is None:
                return None
            key.verify(_b64url(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature):
            return None
        return claims


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"

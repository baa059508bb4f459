"""What moto does not check: unknown access keys and SigV4 presigned URLs.

``CredentialGate`` sits in front of moto and answers as AWS does: a request signed with a
refused access key gets the service's authentication error (``InvalidAccessKeyId``,
``AuthFailure``...), and a presigned URL signed with a known key is verified (expiry,
method, path, signed headers, signature) by ``presigned_url_problem``.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cloud_common.aws.testing._wsgi import App, Reply, respond, xml_error

__all__ = ["CredentialGate", "presigned_url_problem"]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_REFUSED_KEY_CODES = {
    "s3": "InvalidAccessKeyId",
    "ec2": "AuthFailure",
    "lambda": "UnrecognizedClientException",
}


def _refusal(service: str, code: str, message: str) -> Reply:
    """An AWS-shaped authentication error, in the protocol of ``service``."""
    if service == "lambda":
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
        return "403 Forbidden", headers, json.dumps({"message": message}).encode()
    if service == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            "</Error></Errors><RequestID>cc-fake</RequestID></Response>"
        ).encode()
        return "401 Unauthorized", [("Content-Type", "text/xml")], body
    if service in ("iam", "sts"):
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>cc-fake</RequestId></ErrorResponse>"
        ).encode()
        return "403 Forbidden", [("Content-Type", "text/xml")], body
    return "403 Forbidden", [("Content-Type", "application/xml")], xml_error(code, message)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def presigned_url_problem(environ: Mapping[str, Any], secret: str) -> tuple[str, str] | None:
    """Check a SigV4 query-string signature (a presigned URL) as S3 does.

    Returns ``(code, message)`` when it is malformed, expired or wrong; None when good.
    """
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    path, _, query = raw.partition("?")
    pairs = [p.partition("=") for p in query.split("&") if p]
    params = {urllib.parse.unquote_plus(k): urllib.parse.unquote_plus(v) for k, _, v in pairs}
    try:
        signature = params["X-Amz-Signature"]
        stamp = params["X-Amz-Date"]
        scope = params["X-Amz-Credential"].split("/", 1)[1]
        expires = int(params["X-Amz-Expires"])
        signed = params["X-Amz-SignedHeaders"].split(";")
    except (KeyError, IndexError, ValueError):
        return ("AuthorizationQueryParametersError", "malformed presigned URL")
    issued = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
    if time.time() > issued + expires:
        return ("AccessDenied", "Request has expired")

    def encode(text: str) -> str:
        return urllib.parse.quote(text, safe="-_.~")

    canonical_query = "&".join(
        f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()) if k != "X-Amz-Signature"
    )
    headers = []
    for name in signed:
        key = "CONTENT_TYPE" if name == "content-type" else "HTTP_" + name.upper().replace("-", "_")
        headers.append(f"{name}:{' '.join(str(environ.get(key, '')).split())}\n")
    canonical = "\n".join(
        [
            str(environ["REQUEST_METHOD"]),
            path,
            canonical_query,
            "".join(headers),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    signing_key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        signing_key = _hmac(signing_key, part)
    expected = hmac.new(signing_key, to_sign.encode(), "sha256").hexdigest()
    if not hmac.compare_digest(expected, signature):
        return (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    return None


class CredentialGate:
    """WSGI middleware: refuses ``bad_keys``, verifies presigned URLs signed with ``keys``,
    and has moto serve requests signed with a key of ``accounts`` as that account's.

    Args:
        app: What answers the requests that pass.
        keys: Access key -> secret key of the credentials the server hands out (shared:
            keys added later are verified too).
        bad_keys: Access keys refused like unknown keys on AWS.
        accounts: Access key -> the moto account it belongs to (default: moto's own).
    """

    def __init__(
        self,
        app: App,
        keys: Mapping[str, str],
        bad_keys: set[str],
        accounts: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.keys = keys
        self.bad_keys = bad_keys
        self.accounts = accounts if accounts is not None else {}

    @staticmethod
    def access_key(environ: Mapping[str, Any]) -> str:
        """The access key a request is signed with (header or presigned query), or ``""``."""
        found = _CREDENTIAL.search(str(environ.get("HTTP_AUTHORIZATION", "")))
        if found:
            return found.group(1)
        query = urllib.parse.parse_qs(str(environ.get("QUERY_STRING", "")))
        return (query.get("X-Amz-Credential") or [""])[0].split("/", 1)[0]

    def _refused(self, environ: dict[str, Any]) -> Reply | None:
        header = str(environ.get("HTTP_AUTHORIZATION", ""))
        query = urllib.parse.parse_qs(str(environ.get("QUERY_STRING", "")))
        credential = (query.get("X-Amz-Credential") or [""])[0]
        found = _CREDENTIAL.search(header)
        access_key = found.group(1) if found else credential.split("/", 1)[0]
        scope = (header.split("Credential=", 1)[-1] if found else credential).split("/")
        service = scope[3] if len(scope) > 3 else "s3"
        if access_key and access_key in self.bad_keys:
            code = _REFUSED_KEY_CODES.get(service, "InvalidClientTokenId")
            return _refusal(service, code, "The AWS Access Key Id you provided is not valid.")
        if "X-Amz-Signature" in query and access_key in self.keys:
            problem = presigned_url_problem(environ, self.keys[access_key])
            if problem is not None:
                return _refusal("s3", *problem)
        return None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        refused = self._refused(environ)
        if refused is not None:
            return respond(start_response, refused)
        account = self.accounts.get(self.access_key(environ))
        if account is not None:  # moto serves the request as that account's
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = account
        result: Iterable[bytes] = self.app(environ, start_response)
        return result

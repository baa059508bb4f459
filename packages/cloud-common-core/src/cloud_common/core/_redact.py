"""Scrubbing secrets out of text: error messages, log records, reprs.

The patterns are compiled on first use: importing core stays cheap.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence

__all__ = ["MIN_SECRET_LENGTH", "RedactingFilter", "redact", "redact_userinfo", "userinfo_secrets"]

MIN_SECRET_LENGTH = 4
"""Known secret values shorter than this are not searched for in text (they would mangle
ordinary words)."""

_MASK = "<redacted>"


@functools.cache
def _userinfo() -> tuple[re.Pattern[str], str]:
    """``user:password@`` (or ``token@``) in URLs."""
    return re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"<>]+@"), r"\1<redacted>@"


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern, replacement) pairs, applied in order after the known secret values."""
    return (
        (
            re.compile(
                r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S
            ),
            _MASK,
        ),
        # header values printed as Python reprs, bytes included ('Authorization': b'AWS4-...')
        (
            re.compile(
                r"(?i)(['\"](?:authorization|proxy-authorization|x-amz-security-token|"
                r"x-goog-iam-authorization-token|x-ms-[a-z-]*key|x-functions-key)['\"]\s*:\s*)"
                r"b?(['\"]).*?\2"
            ),
            r"\1'<redacted>'",
        ),
        # a signature printed on a line of its own (botocore.auth's "Signature:\n<hex>")
        (re.compile(r"(?im)^(signature:\s*)[0-9a-f]{16,}"), r"\1<redacted>"),
        (
            re.compile(
                r"(?i)((?:x-amz-signature|x-amz-security-token|x-amz-credential|x-goog-signature|"
                r"x-goog-credential|signature|awsaccesskeyid|sig|token|access_token|id_token|"
                r"private_key|client_secret|code|key|password|passwd|pwd|secret)=)[^&\s\"'<>]+"
            ),
            r"\1<redacted>",
        ),
        (
            re.compile(
                r"(?i)((?:authorization|x-amz-security-token|x-goog-iam-authorization-token|"
                r"proxy-authorization|x-functions-key)['\"]?\s*[:=]\s*['\"]?)[^'\"\n,}]+"
            ),
            r"\1<redacted>",
        ),
        _userinfo(),
        # connection strings: AccountKey=...; SharedAccessSignature=...; Password=...
        (
            re.compile(
                r"(?i)((?:accountkey|sharedaccesskey|sharedaccesssignature|password|pwd)=)[^;\s'\"]+"
            ),
            r"\1<redacted>",
        ),
    )


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """Remove secrets from text: known secret values, signatures and tokens in query
    strings, Authorization headers, URL user info, connection-string keys and PEM keys."""
    for secret in sorted(secrets, key=len, reverse=True):  # a secret holding another: whole
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, _MASK)
    for pattern, replacement in _patterns():
        text = pattern.sub(replacement, text)
    return text


def redact_userinfo(value: str) -> str:
    """A URL with its ``user:password@`` part masked; any other text unchanged."""
    if "@" not in value or "://" not in value:
        return value
    pattern, replacement = _userinfo()
    return pattern.sub(replacement, value)


def userinfo_secrets(value: str) -> list[str]:
    """The password (or token) in a URL's user info, for scrubbing elsewhere."""
    if "@" not in value or "://" not in value:
        return []
    userinfo = value.split("://", 1)[1].split("@", 1)[0]
    if "/" in userinfo:
        return []
    _, colon, password = userinfo.partition(":")
    return [password if colon else userinfo]


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs secrets from records (message and args).

    Providers attach it to the SDK loggers they drive, so even DEBUG output of an SDK
    (request URLs, headers) carries no secret.
    """

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is the logger's problem
            return True
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True

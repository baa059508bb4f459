"""Argument checks run before any network call; each failure names the argument and the rule."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any, Literal

from cloud_common.core._models import InstanceState
from cloud_common.core.errors import ValidationError

__all__ = [
    "MAX_EXPIRES_IN",
    "MAX_KEY_BYTES",
    "BucketRules",
    "validate_bucket_name",
    "validate_byte_range",
    "validate_expires_in",
    "validate_instance_state",
    "validate_key",
    "validate_kwargs",
    "validate_name",
    "validate_presign_method",
    "validate_tags",
]

BucketRules = Literal["s3", "gcs"]
MAX_KEY_BYTES = 1024
MAX_EXPIRES_IN = 604800  # 7 days: the longest SigV4 / GCS V4 signature

_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_GCS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_DOTTED_QUAD = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", ".mrap", "--table-s3")


def _fail(arg: str, value: Any, rule: str, operation: str | None) -> ValidationError:
    shown = value if not isinstance(value, str) or len(value) <= 80 else value[:77] + "..."
    return ValidationError(f"{arg} {shown!r} is invalid: {rule}", operation=operation)


def _looks_like_ip(name: str) -> bool:
    if not _DOTTED_QUAD.match(name):
        return False
    import ipaddress  # noqa: PLC0415 - rare path; keeps core's import light

    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def validate_bucket_name(
    name: Any, rules: BucketRules = "s3", *, arg: str = "bucket", operation: str | None = None
) -> str:
    """Check a bucket name against S3's or Cloud Storage's naming rules; return it.

    Raises:
        ValidationError: naming the argument and the broken rule.
    """
    if not isinstance(name, str):
        raise _fail(arg, name, f"must be a str, not {type(name).__name__}", operation)
    if rules == "gcs":
        if not _GCS_BUCKET.match(name):
            raise _fail(
                arg,
                name,
                "Cloud Storage bucket names are 3-222 characters of lowercase letters, "
                "digits, '-', '_' and '.', starting and ending with a letter or digit",
                operation,
            )
        if any(len(part) > 63 or not part for part in name.split(".")):
            raise _fail(arg, name, "each dot-separated part must be 1-63 characters", operation)
        if "." not in name and len(name) > 63:
            raise _fail(arg, name, "names without dots must be at most 63 characters", operation)
        if name.startswith("goog") or "google" in name:
            raise _fail(arg, name, "must not start with 'goog' or contain 'google'", operation)
    else:
        if not _S3_BUCKET.match(name):
            raise _fail(
                arg,
                name,
                "S3 bucket names are 3-63 characters of lowercase letters, digits, '-' and "
                "'.', starting and ending with a letter or digit",
                operation,
            )
        if name.startswith(_S3_RESERVED_PREFIXES) or name.endswith(_S3_RESERVED_SUFFIXES):
            raise _fail(arg, name, "uses a prefix or suffix that S3 reserves", operation)
    if ".." in name or ".-" in name or "-." in name:
        raise _fail(arg, name, "must not contain '..', '.-' or '-.'", operation)
    if _looks_like_ip(name):
        raise _fail(arg, name, "must not be formatted as an IP address", operation)
    return name


def validate_key(
    key: Any, *, filesystem: bool = False, arg: str = "key", operation: str | None = None
) -> str:
    """Check an object key; return it.

    Every provider: a non-empty str of at most 1024 UTF-8 bytes with no control characters.
    ``filesystem=True`` (providers that map keys to paths) also refuses absolute keys,
    backslashes, empty segments and ``.``/``..`` segments.

    Raises:
        ValidationError: naming the argument and the broken rule.
    """
    if not isinstance(key, str):
        raise _fail(arg, key, f"must be a str, not {type(key).__name__}", operation)
    if not key:
        raise _fail(arg, key, "must not be empty", operation)
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES:
        raise _fail(arg, key, f"is {size} UTF-8 bytes, the limit is {MAX_KEY_BYTES}", operation)
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in key):
        raise _fail(arg, key, "must not contain control characters (NUL, newline...)", operation)
    if filesystem:
        if key.startswith("/") or "\\" in key:
            raise _fail(arg, key, "must be relative and use '/' as the separator", operation)
        if any(part in ("", ".", "..") for part in key.split("/")):
            raise _fail(arg, key, "must not contain empty, '.' or '..' segments", operation)
    return key


def validate_expires_in(expires_in: Any, *, operation: str | None = None) -> int:
    """Check a presigned URL lifetime: an int of 1..604800 seconds; return it.

    Raises:
        ValidationError: naming the argument and the rule.
    """
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise _fail("expires_in", expires_in, "must be an int number of seconds", operation)
    if not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise _fail(
            "expires_in",
            expires_in,
            f"must be between 1 and {MAX_EXPIRES_IN} seconds (7 days)",
            operation,
        )
    return expires_in


def validate_presign_method(method: Any, *, operation: str | None = None) -> str:
    """Check a presigned URL's HTTP method: ``"GET"`` or ``"PUT"``; return it upper-cased."""
    if not isinstance(method, str) or method.upper() not in ("GET", "PUT"):
        raise _fail("method", method, "must be 'GET' or 'PUT'", operation)
    return method.upper()


def validate_byte_range(
    byte_range: Any, *, operation: str | None = None
) -> tuple[int, int | None] | None:
    """Check ``(first, last)`` (inclusive, ``last`` may be None); return it as a tuple."""
    if byte_range is None:
        return None
    if (
        not isinstance(byte_range, (tuple, list))
        or len(byte_range) != 2
        or not isinstance(byte_range[0], int)
        or isinstance(byte_range[0], bool)
        or not (byte_range[1] is None or isinstance(byte_range[1], int))
    ):
        raise _fail("byte_range", byte_range, "must be a (first, last) pair of ints", operation)
    first, last = byte_range
    if first < 0 or (last is not None and last < first):
        raise _fail("byte_range", byte_range, "needs 0 <= first <= last", operation)
    return (first, last)


def validate_name(value: Any, arg: str, *, operation: str | None = None) -> str:
    """Check an identifier argument (instance id, function name, runtime...): a non-empty str."""
    if not isinstance(value, str) or not value.strip():
        raise _fail(arg, value, "must be a non-empty str", operation)
    return value


def validate_tags(value: Any, *, arg: str = "tags", operation: str | None = None) -> dict[str, str]:
    """Check tags or labels: a dict of str to str (None means none); return a copy."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()
    ):
        raise _fail(arg, value, "must be a dict of non-empty str keys to str values", operation)
    return dict(value)


def validate_kwargs(
    kwargs: Mapping[str, Any], accepted: Collection[str], *, operation: str | None = None
) -> None:
    """Refuse keyword arguments a call does not know, naming them and the accepted ones."""
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ValidationError(
            f"unknown keyword arguments {unknown}; accepted: {sorted(accepted)}",
            operation=operation,
        )


def validate_instance_state(state: Any, *, operation: str | None = None) -> InstanceState:
    """Check a wanted instance state (an ``InstanceState`` or its value); return the member."""
    try:
        return InstanceState(state)
    except ValueError:
        raise _fail(
            "state", state, f"use one of {[s.value for s in InstanceState]}", operation
        ) from None

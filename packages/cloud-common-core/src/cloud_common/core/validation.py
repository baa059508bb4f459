"""Argument checks run before any network call; each failure names the argument and the rule.

Cloud-specific rules are data a provider declares (``BucketRules`` in its ``ProviderInfo``);
the checks here know no cloud.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cloud_common.core._enums import InstanceState
from cloud_common.core.errors import ValidationError

__all__ = [
    "DEFAULT_BUCKET_RULES",
    "MAX_EXPIRES_IN",
    "MAX_KEY_BYTES",
    "BucketRules",
    "validate_bucket_name",
    "validate_byte_range",
    "validate_content_type",
    "validate_expires_in",
    "validate_instance_state",
    "validate_key",
    "region_problem",
    "validate_kwargs",
    "validate_metadata",
    "validate_name",
    "validate_presign_method",
    "validate_seconds",
    "validate_tags",
]

MAX_KEY_BYTES = 1024
MAX_EXPIRES_IN = 604800  # 7 days: the longest SigV4 / GCS V4 signature


@dataclass(frozen=True)
class BucketRules:
    """A provider's bucket (container) naming rules, as data.

    Attributes:
        pattern: A regular expression the whole name must match.
        description: The rule of ``pattern`` in words, shown when a name breaks it.
        forbidden: ``(regex, reason)`` pairs: a name in which ``regex`` is found is refused
            with ``reason``.
        no_ip_address: Refuse names formatted as an IPv4 address (``192.168.5.4``).
    """

    pattern: str
    description: str
    forbidden: tuple[tuple[str, str], ...] = ()
    no_ip_address: bool = False


DEFAULT_BUCKET_RULES = BucketRules(
    pattern=r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
    description=(
        "bucket names are 3-63 characters of lowercase letters, digits, '-' and '.', "
        "starting and ending with a letter or digit"
    ),
    forbidden=((r"\.\.|\.-|-\.", "must not contain '..', '.-' or '-.'"),),
    no_ip_address=True,
)
"""DNS-compatible names: what every cloud accepts. The default of ``ProviderInfo``."""

# The 0.2 contract named two rule sets by string; kept so providers written against it
# load unchanged. New providers declare a ``BucketRules`` of their own.
_LEGACY_RULES: dict[str, BucketRules] = {
    "s3": BucketRules(
        pattern=DEFAULT_BUCKET_RULES.pattern,
        description=DEFAULT_BUCKET_RULES.description,
        forbidden=(
            *DEFAULT_BUCKET_RULES.forbidden,
            (r"^(xn--|sthree-|amzn-s3-demo-)", "uses a prefix that is reserved"),
            (r"(-s3alias|--ol-s3|--x-s3|\.mrap|--table-s3)$", "uses a suffix that is reserved"),
        ),
        no_ip_address=True,
    ),
    "gcs": BucketRules(
        pattern=r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]",
        description=(
            "bucket names are 3-222 characters of lowercase letters, digits, '-', '_' and "
            "'.', starting and ending with a letter or digit"
        ),
        forbidden=(
            (r"(^|\.)[^.]{64,}(\.|$)", "each dot-separated part must be 1-63 characters"),
            (r"^goog|google", "must not start with 'goog' or contain 'google'"),
            *DEFAULT_BUCKET_RULES.forbidden,
        ),
        no_ip_address=True,
    ),
}

_compiled: dict[str, re.Pattern[str]] = {}


def _regex(pattern: str) -> re.Pattern[str]:
    compiled = _compiled.get(pattern)
    if compiled is None:
        compiled = _compiled[pattern] = re.compile(pattern)
    return compiled


def bucket_rules(rules: BucketRules | Literal["s3", "gcs"] | str) -> BucketRules:
    """The ``BucketRules`` of a declaration: itself, or a rule set the 0.2 contract named."""
    if isinstance(rules, BucketRules):
        return rules
    found = _LEGACY_RULES.get(rules) if isinstance(rules, str) else None
    if found is None:
        raise ValidationError(f"bucket_rules {rules!r} is invalid: use a BucketRules")
    return found


def _fail(arg: str, value: Any, rule: str, operation: str | None) -> ValidationError:
    shown = value if not isinstance(value, str) or len(value) <= 80 else value[:77] + "..."
    return ValidationError(f"{arg} {shown!r} is invalid: {rule}", operation=operation)


def _looks_like_ip(name: str) -> bool:
    parts = name.split(".")
    return len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts)


def validate_bucket_name(
    name: Any,
    rules: BucketRules | str = DEFAULT_BUCKET_RULES,
    *,
    arg: str = "bucket",
    operation: str | None = None,
) -> str:
    """Check a bucket name against a provider's ``BucketRules``; return it.

    Raises:
        ValidationError: naming the argument and the broken rule.
    """
    checked = bucket_rules(rules)
    if not isinstance(name, str):
        raise _fail(arg, name, f"must be a str, not {type(name).__name__}", operation)
    if not _regex(checked.pattern).fullmatch(name):
        raise _fail(arg, name, checked.description, operation)
    for regex, reason in checked.forbidden:
        if _regex(regex).search(name):
            raise _fail(arg, name, reason, operation)
    if checked.no_ip_address and _looks_like_ip(name):
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
    if not key.isprintable() and _has_control_characters(key):
        raise _fail(arg, key, "must not contain control characters (NUL, newline...)", operation)
    if filesystem:
        if key.startswith("/") or "\\" in key:
            raise _fail(arg, key, "must be relative and use '/' as the separator", operation)
        if any(part in ("", ".", "..") for part in key.split("/")):
            raise _fail(arg, key, "must not contain empty, '.' or '..' segments", operation)
    return key


def _has_control_characters(text: str) -> bool:
    import unicodedata  # noqa: PLC0415 - only for text that is not printable

    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def _header_value(value: Any, arg: str, operation: str | None, *, ascii_only: bool) -> str:
    if not isinstance(value, str):
        raise _fail(arg, value, f"must be a str, not {type(value).__name__}", operation)
    if any(ch in value for ch in "\r\n\x00"):
        raise _fail(
            arg, value, "must not contain CR, LF or NUL (it is sent as a header)", operation
        )
    if ascii_only and not value.isascii():
        where = "metadata keys" if arg == "metadata key" else "this provider's headers"
        raise _fail(arg, value, f"must be ASCII ({where} carry ASCII only)", operation)
    return value


def validate_content_type(value: Any, *, operation: str | None = None) -> str | None:
    """Check a content type (sent as a header): None, or a str without CR/LF/NUL."""
    if value is None:
        return None
    return _header_value(value, "content_type", operation, ascii_only=True)


def validate_metadata(
    metadata: Any, *, ascii_only: bool = False, operation: str | None = None
) -> dict[str, str] | None:
    """Check user metadata: None or a dict of non-empty str keys to str values, all safe to
    send as headers (no CR/LF/NUL; ASCII keys; ASCII values when ``ascii_only``)."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise _fail("metadata", metadata, "must be a dict of str to str", operation)
    for name, value in metadata.items():
        if not isinstance(name, str) or not name:
            raise _fail("metadata", metadata, "keys must be non-empty str", operation)
        _header_value(name, "metadata key", operation, ascii_only=True)
        _header_value(value, f"metadata[{name!r}]", operation, ascii_only=ascii_only)
    return dict(metadata)


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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_byte_range(
    byte_range: Any, *, operation: str | None = None
) -> tuple[int, int | None] | None:
    """Check ``(first, last)`` (inclusive, ``last`` may be None); return it as a tuple."""
    if byte_range is None:
        return None
    if (
        not isinstance(byte_range, (tuple, list))
        or len(byte_range) != 2
        or not _is_int(byte_range[0])
        or not (byte_range[1] is None or _is_int(byte_range[1]))
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


def validate_seconds(
    value: Any, arg: str, *, operation: str | None = None, allow_none: bool = False
) -> float | None:
    """Check a duration argument: a finite number of seconds > 0 (None when allowed)."""
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value < float("inf")
    ):
        raise _fail(arg, value, "must be a number of seconds > 0", operation)
    return float(value)


def validate_tags(value: Any, *, arg: str = "tags", operation: str | None = None) -> dict[str, str]:
    """Check tags or labels: a dict of str to str (None means none); return a copy."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()
    ):
        raise _fail(arg, value, "must be a dict of non-empty str keys to str values", operation)
    return dict(value)


def region_problem(
    region: object, known: Collection[str], *, cloud: str, examples: str
) -> str | None:
    """Why ``region`` is not one of a cloud's ``known`` regions, with a hint for a near miss
    (case, a close spelling); None when it is one. Providers keep ``known`` as data."""
    if isinstance(region, str) and region in known:
        return None
    text = region if isinstance(region, str) else ""
    hint = f": use one such as {examples}"
    if text.lower() in known:
        hint = f": did you mean {text.lower()!r}? (region names are lowercase)"
    else:
        import difflib  # noqa: PLC0415 - only for a wrong region

        close = difflib.get_close_matches(text.lower(), sorted(known), n=1, cutoff=0.75)
        if close:
            hint = f": did you mean {close[0]!r}?"
    return f"region {region!r} is not {cloud} region{hint}"


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

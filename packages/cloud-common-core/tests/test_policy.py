from __future__ import annotations

import logging

import pytest

from cloud_common.core import (
    BucketNotFoundError,
    CloudError,
    ErrorPolicy,
    ObjectNotFoundError,
    RateLimitedError,
    RedactingFilter,
    RetryPolicy,
    Timeouts,
    ValidationError,
    redact,
)


class SDKNotFound(Exception):
    pass


class SDKThrottled(Exception):
    pass


def translate(exc: BaseException) -> CloudError | None:
    if isinstance(exc, SDKNotFound):
        return BucketNotFoundError(f"NoSuchBucket: {exc}")
    if isinstance(exc, SDKThrottled):
        return RateLimitedError("SlowDown")
    return None


def _raise(exc: BaseException) -> None:
    raise exc


def test_soft_failure_returns_fallback_with_exactly_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = ErrorPolicy("acme", translate)
    caplog.set_level(logging.DEBUG)
    result = policy.call(
        "delete_file",
        lambda: _raise(SDKNotFound("b")),
        resource="acme://b/k",
        soft={BucketNotFoundError: False},
    )
    assert result is False
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "delete_file" in warnings[0].getMessage() and "NoSuchBucket" in warnings[0].getMessage()


def test_critical_failure_raises_the_core_error_chained() -> None:
    policy = ErrorPolicy("acme", translate)
    sdk = SDKThrottled("429")
    with pytest.raises(RateLimitedError) as info:
        policy.call("list_buckets", lambda: _raise(sdk), soft={ObjectNotFoundError: []})
    err = info.value
    assert err.__cause__ is sdk and (err.provider, err.operation, err.retryable) == (
        "acme",
        "list_buckets",
        True,
    )


def test_unknown_exceptions_become_cloud_errors_and_core_errors_pass_through() -> None:
    policy = ErrorPolicy("acme", translate)
    with pytest.raises(CloudError, match="unexpected ZeroDivisionError") as info:
        with policy.translating("download_file", "acme://b/k"):
            _ = 1 / 0
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    original = ValidationError("bad key")
    with pytest.raises(ValidationError) as again:
        policy.call("upload_file", lambda: _raise(original))
    assert again.value is original and original.provider == "acme"


def test_secrets_are_scrubbed_from_messages() -> None:
    policy = ErrorPolicy("acme", None, secrets=["s3cr3t-value"])
    with pytest.raises(CloudError) as info:
        policy.call("x", lambda: _raise(RuntimeError("auth failed for s3cr3t-value")))
    assert "s3cr3t-value" not in str(info.value) and "<redacted>" in str(info.value)


def test_redact_signatures_tokens_headers_and_keys() -> None:
    text = (
        "GET https://b.s3.amazonaws.com/k?X-Amz-Credential=AKID%2F&X-Amz-Signature=abcdef123&X-Amz-Expires=60 "
        "headers={'Authorization': 'AWS4-HMAC-SHA256 Credential=AKID/x, Signature=deadbeef'} "
        "https://storage/x?X-Goog-Signature=0a1b2c&sig=zzz "
        "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"
    )
    clean = redact(text)
    for secret in ["abcdef123", "deadbeef", "0a1b2c", "zzz", "MIIE", "AWS4-HMAC-SHA256 Credential"]:
        assert secret not in clean
    assert "X-Amz-Expires=60" in clean


def test_redacting_filter_scrubs_log_records(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("sdk.under.test")
    log.addFilter(RedactingFilter(["topsecret"]))
    try:
        with caplog.at_level(logging.DEBUG, logger="sdk.under.test"):
            log.debug("sending %s", "url?Signature=abc&x=1 key=topsecret")
    finally:
        log.filters.clear()
    assert "abc" not in caplog.text and "topsecret" not in caplog.text and "x=1" in caplog.text


def test_retry_policy_and_timeouts_validate() -> None:
    policy = RetryPolicy(max_attempts=4, backoff_base=0.1, backoff_cap=1.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 5)] == [0.1, 0.2, 0.4, 1.0]
    with pytest.raises(ValidationError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValidationError, match="timeout"):
        Timeouts(connect=0)


def test_redact_botocore_debug_shapes() -> None:
    headers = "{'Authorization': b'AWS4-HMAC-SHA256 Credential=AKID/20261126, Signature=ab12cd34', 'X-Amz-Date': b'2026'}"
    clean = redact(headers)
    assert "ab12cd34" not in clean and "X-Amz-Date" in clean
    line = redact("StringToSign:\nAWS4-HMAC-SHA256\nSignature:\n" + "0f" * 32)
    assert "0f" * 32 not in line and "StringToSign" in line
    assert redact("a=sk-long-secret-xyz", ["sk-long", "sk-long-secret-xyz"]) == "a=<redacted>"

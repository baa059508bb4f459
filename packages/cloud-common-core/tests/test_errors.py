from __future__ import annotations

import builtins
import pickle

import pytest

from cloud_common.core import errors
from cloud_common.core.errors import MAX_ERROR_TEXT, CloudError


def test_tree_and_builtins() -> None:
    assert issubclass(errors.ValidationError, ValueError)
    assert issubclass(errors.NotFoundError, LookupError)
    assert issubclass(errors.ObjectNotFoundError, errors.NotFoundError)
    assert issubclass(errors.BucketNotFoundError, errors.NotFoundError)
    assert issubclass(errors.TimeoutError, builtins.TimeoutError)
    assert issubclass(errors.TimeoutError, errors.TransientError)
    assert issubclass(errors.RateLimitedError, errors.TransientError)
    assert issubclass(errors.NotSupportedError, NotImplementedError)
    assert issubclass(errors.ProviderNotFoundError, errors.PluginError)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.CloudError)


def test_every_error_carries_context_and_cause() -> None:
    cause = OSError("connection reset")
    with pytest.raises(errors.ProviderUnavailableError) as info:
        try:
            raise cause
        except OSError as exc:
            raise errors.ProviderUnavailableError(
                "unreachable", provider="aws", operation="download_file", resource="s3://b/k"
            ) from exc
    err = info.value
    assert (err.provider, err.operation, err.resource, err.retryable) == (
        "aws",
        "download_file",
        "s3://b/k",
        True,
    )
    assert err.cause is cause
    assert str(err) == "[aws] download_file s3://b/k: unreachable"
    assert errors.ValidationError("x").retryable is False


def test_errors_pickle() -> None:
    err = errors.FunctionInvocationError(
        "boom", error_type="ValueError", payload={"a": 1}, provider="local"
    )
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is errors.FunctionInvocationError
    assert (back.provider, back.error_type, back.payload, str(back)) == (
        "local",
        "ValueError",
        {"a": 1},
        str(err),
    )


def test_every_error_reads_as_one_short_line() -> None:
    dump = (
        "GET http://127.0.0.1:9/b/k?X-Amz-Signature=abc&x=1 failed:\n"
        + "  urllib3 says "
        + "x" * 600
        + "\n  <html><body>Bad Gateway</body></html>"
    )
    err = CloudError(
        dump, provider="aws", operation="download_file", resource="s3://b/" + "k" * 1000
    )
    text = str(err)
    assert "\n" not in text and len(text) <= MAX_ERROR_TEXT
    assert text.startswith("[aws] download_file s3://b/kk") and "Signature" not in text
    assert "http://127.0.0.1:9/b/k failed" in text
    assert err.message == dump  # the whole story stays on the object
    assert str(CloudError("short")) == "short"

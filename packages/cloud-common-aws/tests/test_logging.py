"""No secret in logs: botocore's DEBUG output (headers, canonical requests, signatures)
goes through the SDK log filter; errors and reprs carry no secret either."""

from __future__ import annotations

import io
import logging
import re
import urllib.parse

import pytest

from cloud_common.aws.testing import MotoServer
from cloud_common.core import (
    CloudError,
    CloudStorage,
    get_serverless_client,
    get_storage_client,
)

HEX_SIGNATURE = re.compile(r"(?i)signature[=:\s'\"]+[0-9a-f]{64}")


def test_a_debug_logged_session_shows_no_secret(
    server: MotoServer, caplog: pytest.LogCaptureFixture
) -> None:
    token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789"
    creds = server.credentials(session_token=token)
    caplog.set_level(logging.DEBUG)
    presigned: list[str] = []
    with get_storage_client(creds) as s3:
        s3.create_bucket("cc-logged")
        s3.upload_file("cc-logged", "k", b"v", metadata={"m": "1"})
        s3.upload_stream("cc-logged", "s", io.BytesIO(b"stream"))
        assert s3.download_file("cc-logged", "k") == b"v"
        list(s3.list_objects("cc-logged"))
        presigned.append(s3.generate_presigned_url("cc-logged", "k", 60))
        presigned.append(s3.generate_presigned_url("cc-logged", "k", 60, method="PUT"))
        with pytest.raises(CloudError):
            s3.download_file("cc-logged", "missing")
    with get_serverless_client(creds) as lam, pytest.raises(CloudError):
        lam.invoke_function("nope", {})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert len(caplog.records) > 100  # botocore really logged at DEBUG
    assert "Authorization" in text  # ... including the request headers
    for secret in (server.access_key, server.secret_key, token):
        assert secret not in text
    assert not HEX_SIGNATURE.search(text), HEX_SIGNATURE.search(text)
    for url in presigned:
        signature = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]
        assert signature not in text


def test_errors_and_reprs_carry_no_secret(server: MotoServer) -> None:
    creds = server.bad_credentials()
    with get_storage_client(creds) as s3:
        with pytest.raises(CloudError) as info:
            s3.list_buckets()
        texts = [str(info.value), repr(info.value), repr(s3), repr(creds), str(creds.to_dict())]
    for secret in (creds.access_key, creds.secret_key):
        assert secret is not None
        assert all(secret not in text for text in texts)


def test_warnings_of_soft_failures_carry_no_secret(
    server: MotoServer, caplog: pytest.LogCaptureFixture
) -> None:
    creds = server.credentials()
    caplog.set_level(logging.WARNING)
    with get_storage_client(creds) as s3:
        assert s3.delete_file("cc-no-such-bucket", "k") is False
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "NoSuchBucket" in message
    assert creds.secret_key and creds.secret_key not in message


def test_the_filter_is_on_every_sdk_logger(
    server: MotoServer, storage: CloudStorage, bucket: str
) -> None:
    storage.upload_file(bucket, "k", b"v")
    names = [
        n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("botocore", "s3transfer")
    ]
    assert names
    for name in names:
        logger = logging.getLogger(name)
        assert any(type(f).__name__ == "_SdkLogFilter" for f in logger.filters), name

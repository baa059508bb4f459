"""Construction: credentials (given, from the environment, from boto3's default chain),
AwsOptions and their keywords, the botocore Config they become, one SDK client per client
shared across threads, lazy SDK import, the registry entry point."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from cloud_common.aws import AwsOptions, EC2ComputeClient, LambdaServerlessClient, S3StorageClient
from cloud_common.aws._info import PROVIDER, S3_BUCKET_RULES
from cloud_common.aws.testing import MotoServer
from cloud_common.core import (
    AuthenticationError,
    Capability,
    CloudCredentials,
    CloudProvider,
    CloudStorage,
    RetryPolicy,
    Timeouts,
    ValidationError,
    get_provider,
    get_storage_client,
    open_storage,
)


def test_importing_the_package_and_reading_its_provider_info_imports_no_sdk() -> None:
    code = (
        "import sys, cloud_common.aws, cloud_common.aws._info, cloud_common.core as c;"
        "c.available_providers(); c.get_provider('aws'); cloud_common.aws.AwsOptions();"
        "import cloud_common.aws._storage, cloud_common.aws._compute, cloud_common.aws._serverless;"
        "bad = [m for m in ('boto3', 'botocore', 's3transfer', 'moto') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_entry_point_declares_the_provider() -> None:
    info = get_provider(CloudProvider.AWS)
    assert info == PROVIDER
    assert info.url_schemes == ("s3",)
    assert info.bucket_rules == S3_BUCKET_RULES
    assert info.ascii_metadata is True
    assert info.harness == "cloud_common.aws.testing:AwsHarness"
    assert info.options_class() is AwsOptions
    for capability in Capability:
        assert info.supports(capability), capability
    assert info.client_class("storage") is S3StorageClient
    assert info.client_class("compute") is EC2ComputeClient
    assert info.client_class("serverless") is LambdaServerlessClient


def test_open_storage_by_url(server: MotoServer, raw_s3: Any) -> None:
    raw_s3.create_bucket(Bucket="cc-open")
    raw_s3.put_object(Bucket="cc-open", Key="a/b", Body=b"x")
    client, bucket, key = open_storage("s3://cc-open/a/b", server.credentials())
    assert isinstance(client, S3StorageClient)
    assert client.download_file(bucket, key) == b"x"


def test_botocore_config_comes_from_the_options(server: MotoServer) -> None:
    options = AwsOptions(retry=RetryPolicy(max_attempts=7), timeouts=Timeouts(connect=3, read=9))
    with S3StorageClient(server.credentials(), options, max_concurrency=16) as s3:
        config = s3.native.meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 7}
    assert (config.connect_timeout, config.read_timeout) == (3, 9)
    assert config.signature_version == "s3v4"
    assert config.s3 == {"addressing_style": "path"}
    assert config.max_pool_connections == 16
    with EC2ComputeClient(server.credentials(), max_pool_connections=3) as ec2:
        assert ec2.native.meta.config.max_pool_connections == 3


def test_an_options_object_and_keywords_give_the_same_client(server: MotoServer) -> None:
    by_object = get_storage_client(server.credentials(), AwsOptions(addressing_style="virtual"))
    by_keyword = get_storage_client(server.credentials(), addressing_style="virtual")
    for client in (by_object, by_keyword):
        assert client.native.meta.config.s3 == {"addressing_style": "virtual"}


def test_former_option_names_still_work_with_a_deprecation_warning(server: MotoServer) -> None:
    with pytest.deprecated_call(match="retry"):
        s3 = get_storage_client(server.credentials(), retry_policy=RetryPolicy(max_attempts=2))
    assert s3.native.meta.config.retries["total_max_attempts"] == 2


def test_one_sdk_client_per_client_shared_across_threads(server: MotoServer) -> None:
    s3 = S3StorageClient(server.credentials())
    seen: list[Any] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(s3.native)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in seen}) == 1
    s3.close()
    s3.close()
    assert s3.create_bucket("cc-after-close") is True  # reconnects
    assert s3.native is not seen[0]


def test_concurrent_calls_on_one_client(storage: CloudStorage, bucket: str) -> None:
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            storage.upload_file(bucket, f"k{i}", str(i).encode())
            assert storage.download_file(bucket, f"k{i}") == str(i).encode()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(list(storage.list_objects(bucket))) == 16


def test_endpoint_precedence(server: MotoServer) -> None:
    creds = CloudCredentials(
        CloudProvider.AWS,
        access_key="AKIAPRECEDENCE0000",
        secret_key="precedence-secret-value",
        metadata={"endpoint_url": "http://127.0.0.1:1", "s3_endpoint_url": server.endpoint},
    )
    assert S3StorageClient(creds).native.meta.endpoint_url == server.endpoint
    assert EC2ComputeClient(creds).native.meta.endpoint_url == "http://127.0.0.1:1"
    option = S3StorageClient(creds, endpoint_url="http://127.0.0.1:2")
    assert option.native.meta.endpoint_url == "http://127.0.0.1:2"


def test_the_environment_variables_of_aws_fill_the_credentials() -> None:
    environ = {
        "AWS_ACCESS_KEY_ID": "AKIAFROMENVIRONMENT0",
        "AWS_SECRET_ACCESS_KEY": "secret-from-environment",
        "AWS_SESSION_TOKEN": "token-from-environment",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_REGION": "eu-north-1",
        "AWS_PROFILE": "work",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
    }
    creds = CloudCredentials.from_env(CloudProvider.AWS, environ)
    assert (creds.access_key, creds.secret_key, creds.region, creds.profile) == (
        "AKIAFROMENVIRONMENT0",
        "secret-from-environment",
        "eu-north-1",  # AWS_REGION wins over AWS_DEFAULT_REGION
        "work",
    )
    assert creds.metadata == {
        "session_token": "token-from-environment",
        "endpoint_url": "http://127.0.0.1:9000",
    }
    del environ["AWS_REGION"]
    assert CloudCredentials.from_env(CloudProvider.AWS, environ).region == "eu-west-3"


def test_session_token_region_and_keys_reach_boto3(server: MotoServer) -> None:
    creds = server.credentials(region="eu-central-1", session_token="session-token-value-123")
    with S3StorageClient(creds) as s3:
        frozen = s3.native._request_signer._credentials.get_frozen_credentials()
        assert (frozen.access_key, frozen.secret_key, frozen.token) == (
            server.access_key,
            server.secret_key,
            "session-token-value-123",
        )
        assert s3.native.meta.region_name == "eu-central-1"


def test_no_credentials_read_the_environment(
    monkeypatch: pytest.MonkeyPatch, server: MotoServer
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret_key)
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
    with S3StorageClient() as s3:
        assert s3.native.meta.region_name == "ap-south-1"
        assert s3.create_bucket("cc-default-chain") is True


def test_a_profile_is_read_from_the_shared_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: MotoServer
) -> None:
    config = tmp_path / "credentials"
    config.write_text(
        f"[work]\naws_access_key_id = {server.access_key}\n"
        f"aws_secret_access_key = {server.secret_key}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(config))
    creds = CloudCredentials(
        CloudProvider.AWS, profile="work", metadata={"endpoint_url": server.endpoint}
    )
    with get_storage_client(creds) as s3:
        assert s3.create_bucket("cc-profile") is True
    with (
        get_storage_client(CloudCredentials(CloudProvider.AWS, profile="missing")) as s3,
        pytest.raises(AuthenticationError, match="missing"),
    ):
        s3.list_buckets()


def test_secrets_boto3_finds_by_itself_are_scrubbed_from_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, httpserver: HTTPServer
) -> None:
    """The keys of a profile are not in the credentials: the client learns them from boto3."""
    access_key, secret = "AKIAPROFILEONLY00001", "profile-only-secret-value"
    config = tmp_path / "credentials"
    config.write_text(
        f"[echo]\naws_access_key_id = {access_key}\naws_secret_access_key = {secret}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(config))
    body = (
        f"<Error><Code>InvalidAccessKeyId</Code><Message>unknown key {access_key}, "
        f"secret {secret}</Message></Error>"
    )
    httpserver.expect_request("/").respond_with_data(
        body, status=403, content_type="application/xml"
    )
    creds = CloudCredentials(
        CloudProvider.AWS, profile="echo", metadata={"endpoint_url": httpserver.url_for("")}
    )
    with get_storage_client(creds, retry=RetryPolicy(max_attempts=1)) as s3:
        with pytest.raises(AuthenticationError) as info:
            s3.list_buckets()
    text = str(info.value)
    assert "unknown key <redacted>" in text
    assert access_key not in text and secret not in text


def test_no_credentials_at_all_is_an_authentication_error(
    monkeypatch: pytest.MonkeyPatch, server: MotoServer
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with get_storage_client(
        CloudCredentials(CloudProvider.AWS, metadata={"endpoint_url": server.endpoint})
    ) as s3:
        with pytest.raises(AuthenticationError):
            s3.list_buckets()
        with pytest.raises(AuthenticationError):
            s3.generate_presigned_url("cc-bucket", "k")


def test_bad_keys_are_an_authentication_error(server: MotoServer) -> None:
    with (
        S3StorageClient(server.bad_credentials()) as s3,
        pytest.raises(AuthenticationError) as info,
    ):
        s3.list_buckets()
    assert (info.value.provider, info.value.operation) == ("aws", "list_buckets")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"part_size": 1024}, "part_size"),
        ({"multipart_threshold": 1024}, "multipart_threshold"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"max_pool_connections": 0}, "max_pool_connections"),
        ({"copy_threshold": 6 * 1024**3}, "copy_threshold"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"retry": 3}, "retry"),
        ({"timeouts": 3}, "timeouts"),
        ({"addressing_style": "sideways"}, "addressing_style"),
        ({"endpoint_url": "127.0.0.1:9000"}, "endpoint_url"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_options_are_validation_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        get_storage_client(CloudCredentials(CloudProvider.AWS), **kwargs)
    with pytest.raises(ValidationError, match=match):
        LambdaServerlessClient(None, **kwargs)


def test_half_a_key_pair_or_another_provider_is_refused() -> None:
    with pytest.raises(ValidationError, match="secret_key"):
        S3StorageClient(CloudCredentials(CloudProvider.AWS, access_key="AKIAONLYHALF000"))
    with pytest.raises(ValidationError, match="aws"):
        S3StorageClient(CloudCredentials(CloudProvider.GCP))
    with pytest.raises(ValidationError, match="AwsOptions"):
        S3StorageClient(None, options=RetryPolicy())  # type: ignore[arg-type]


def test_a_region_aws_does_not_have_is_refused_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from cloud_common.aws import S3StorageClient
    from cloud_common.core import CloudCredentials, CloudProvider, ValidationError

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for region, hint in (
        ("eu-westt-1", "did you mean 'eu-west-1'"),
        ("US-EAST-1", "did you mean 'us-east-1'"),
        ("moon-base-9", "use one such as 'us-east-1'"),
    ):
        with pytest.raises(ValidationError, match=hint) as info:
            S3StorageClient(CloudCredentials(CloudProvider.AWS, region=region))
        assert info.value.provider == "aws" and "\n" not in str(info.value)
    S3StorageClient(CloudCredentials(CloudProvider.AWS, region="eu-west-1"))
    S3StorageClient(  # an S3-compatible store takes any region
        CloudCredentials(CloudProvider.AWS, region="garage"), endpoint_url="http://127.0.0.1:9"
    )
    S3StorageClient(  # one AWS opened after this release
        CloudCredentials(
            CloudProvider.AWS, region="xx-new-1", metadata={"extra_regions": "xx-new-1"}
        )
    )

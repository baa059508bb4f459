from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

from cloud_common.core import (
    SECRET_NAME_PARTS,
    CloudCredentials,
    CloudProvider,
    CloudResource,
    InstanceState,
    ObjectInfo,
    ResourceType,
    ValidationError,
    is_secret_name,
    redact,
)

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEJr//////////token"


def test_known_and_third_party_providers() -> None:
    assert CloudProvider("aws") is CloudProvider.AWS
    assert CloudProvider("GCP") is CloudProvider.GCP
    acme = CloudProvider("acme")
    assert isinstance(acme, CloudProvider) and acme.value == "acme" and acme == "acme"
    assert CloudProvider("acme") is acme
    assert {p.value for p in CloudProvider} >= {"aws", "gcp", "azure", "local"}
    with pytest.raises(ValidationError, match="provider id"):
        CloudProvider("Not valid!")


def test_credentials_positional_construction_in_spec_order() -> None:
    creds = CloudCredentials(
        CloudProvider.AWS, "AKIDEXAMPLE", SECRET, "eu-west-1", "proj", "dev", {"k": "v"}
    )
    assert (creds.access_key, creds.secret_key, creds.region) == (
        "AKIDEXAMPLE",
        SECRET,
        "eu-west-1",
    )
    assert (creds.project_id, creds.profile, creds.metadata) == ("proj", "dev", {"k": "v"})
    assert CloudCredentials(CloudProvider.GCP).region == "us-east-1"  # the spec's default
    gcp = CloudCredentials("gcp")  # type: ignore[arg-type] # a str still works at run time
    assert gcp.provider is CloudProvider.GCP


def test_no_secret_in_repr_str_to_dict_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    creds = CloudCredentials(
        CloudProvider.AWS,
        "AKIDEXAMPLE",
        SECRET,
        metadata={"session_token": TOKEN, "endpoint_url": "http://x"},
    )
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").debug("creds %s %r", creds, creds)
    texts = [repr(creds), str(creds), json.dumps(creds.to_dict()), caplog.text, f"{creds}"]
    for text in texts:
        assert SECRET not in text and TOKEN not in text and "AKIDEXAMPLE" not in text
    assert creds.to_dict()["metadata"]["endpoint_url"] == "http://x"
    assert set(creds.secrets()) == {"AKIDEXAMPLE", SECRET, TOKEN}


def test_from_env_reads_the_generic_variables_for_any_provider() -> None:
    acme = CloudProvider("acme-not-installed")
    env = {
        "CLOUD_COMMON_ACME_NOT_INSTALLED_REGION": "r1",
        "CLOUD_COMMON_ACME_NOT_INSTALLED_PROJECT": "p1",
        "CLOUD_COMMON_ACME_NOT_INSTALLED_META_ROOT": "/data",
        "AWS_ACCESS_KEY_ID": "AKID",
    }
    creds = CloudCredentials.from_env(acme, env)
    assert (creds.region, creds.project_id, creds.metadata) == ("r1", "p1", {"root": "/data"})
    assert creds.access_key is None  # another provider's variables are not read


def test_resource_to_dict_is_json_safe_and_round_trips() -> None:
    created = datetime(2026, 11, 26, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    res = CloudResource(
        "i-1", "web", ResourceType.COMPUTE, CloudProvider.AWS, "eu-west-1",
        InstanceState.RUNNING.value, created, {"team": "a"},
        {"native_state": "running", "launched": created, "state": InstanceState.RUNNING},
    )  # fmt: skip
    data = res.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["resource_type"] == "compute" and data["provider"] == "aws"
    assert data["created_at"] == "2026-11-26T12:00:00+02:00"
    assert data["metadata"]["state"] == "running"
    back = CloudResource.from_dict(data)
    assert back.created_at == created and back.resource_type is ResourceType.COMPUTE
    assert back.to_dict() == data


def test_naive_datetimes_are_taken_as_utc_and_status_enums_as_values() -> None:
    res = CloudResource(
        "f",
        "f",
        "serverless",  # type: ignore[arg-type] # a value is accepted at run time
        "acme",  # type: ignore[arg-type]
        "r",
        InstanceState.STOPPED,
        datetime(2026, 1, 1),
    )
    assert res.status == "stopped"
    assert res.to_dict()["created_at"] == "2026-01-01T00:00:00+00:00"
    assert res.provider == CloudProvider("acme")


def test_object_info_to_dict() -> None:
    info = ObjectInfo("a/b.txt", 3, "abc", "text/plain", datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert info.to_dict()["last_modified"] == "2026-01-01T00:00:00+00:00"
    assert json.dumps(info.to_dict())


@pytest.mark.parametrize("part", SECRET_NAME_PARTS)
def test_every_documented_secret_name_is_hidden(part: str) -> None:
    value = f"v-{part}-0123456789"
    creds = CloudCredentials(CloudProvider.AWS, metadata={f"my_{part.upper()}": value})
    shown = f"{creds!r} {creds} {json.dumps(creds.to_dict())}"
    assert value not in shown
    assert value in creds.secrets()


@pytest.mark.parametrize(
    "name", ["passphrase", "pwd", "connection_string", "bearer", "jwt", "api_key", "AuthHeader"]
)
def test_common_secret_names_are_secret(name: str) -> None:
    assert is_secret_name(name)


def test_user_info_in_a_url_is_hidden_and_scrubbed() -> None:
    creds = CloudCredentials(
        CloudProvider.AWS, metadata={"endpoint_url": "https://admin:hunter2-pw@minio.local:9000/x"}
    )
    assert "hunter2-pw" not in repr(creds) and "hunter2-pw" not in json.dumps(creds.to_dict())
    assert creds.to_dict()["metadata"]["endpoint_url"] == "https://<redacted>@minio.local:9000/x"
    assert "hunter2-pw" in creds.secrets()
    assert redact("GET https://u:p4ss-word@h/b?X-Amz-Signature=abc") == (
        "GET https://<redacted>@h/b?X-Amz-Signature=<redacted>"
    )
    assert redact("s3://bucket/key@2x.png") == "s3://bucket/key@2x.png"
    text = "DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=Eby8vdM02x==;BlobEndpoint=h"
    assert "Eby8vdM02x" not in redact(text) and "AccountName=dev" in redact(text)

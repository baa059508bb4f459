"""Settings: project, region, zone, credentials, options, lazy SDK imports."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from cloud_common.core import CloudCredentials, ValidationError, get_provider
from cloud_common.gcp import CloudFunctionsServerlessClient, GCEComputeClient, GCSStorageClient
from cloud_common.gcp._config import default_zone, resolve_settings

from .conftest import make_creds


def test_project_id_is_required() -> None:
    creds = CloudCredentials("gcp", region="us-central1")
    with pytest.raises(ValidationError, match="project_id is required"):
        GCSStorageClient(creds)


def test_the_aws_default_region_is_refused_with_a_gcp_suggestion() -> None:
    creds = CloudCredentials("gcp", project_id="p")  # region defaults to us-east-1
    with pytest.raises(ValidationError) as info:
        GCEComputeClient(creds)
    assert "us-east-1" in str(info.value)
    assert "us-central1" in str(info.value)


@pytest.mark.parametrize("region", ["us-central1", "europe-west1", "northamerica-northeast2"])
def test_gcp_regions_are_accepted(region: str) -> None:
    settings = resolve_settings(
        CloudCredentials("gcp", region=region, project_id="p"), {}, endpoint_key="endpoint"
    )
    assert settings.region == region
    assert settings.zone == default_zone(region)


def test_default_zone_is_the_first_zone_of_the_region() -> None:
    assert default_zone("us-central1") == "us-central1-a"
    assert default_zone("us-east1") == "us-east1-b"


def test_zone_comes_from_metadata_and_is_checked() -> None:
    settings = resolve_settings(make_creds(zone="us-central1-f"), {}, endpoint_key="endpoint")
    assert settings.zone == "us-central1-f"
    with pytest.raises(ValidationError, match="zone"):
        resolve_settings(make_creds(zone="us-central1"), {}, endpoint_key="endpoint")


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ValidationError, match="colour"):
        GCSStorageClient(make_creds(endpoint="http://127.0.0.1:9"), colour="red")


def test_an_http_endpoint_means_anonymous_data_plane_credentials() -> None:
    from google.auth.credentials import AnonymousCredentials

    client = GCSStorageClient(make_creds(endpoint="http://127.0.0.1:9"))
    assert isinstance(client.native._credentials, AnonymousCredentials)


def test_storage_emulator_host_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "127.0.0.1:9")
    settings = resolve_settings(make_creds(), {}, endpoint_key="endpoint")
    assert settings.endpoint == "http://127.0.0.1:9"
    assert settings.anonymous is True


def test_service_account_file_and_env(
    tmp_path: Any, sa_info: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(sa_info))
    settings = resolve_settings(
        make_creds(service_account_file=str(path)), {}, endpoint_key="endpoint"
    )
    assert settings.service_account_info is not None
    assert settings.signing_credentials().service_account_email == sa_info["client_email"]
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    settings = resolve_settings(make_creds(), {}, endpoint_key="endpoint")
    assert settings.service_account_info is not None
    assert sa_info["private_key"] in settings.secrets


def test_a_malformed_key_is_refused_without_echoing_it() -> None:
    creds = make_creds(service_account_info='{"private_key": "-----BEGIN')
    with pytest.raises(ValidationError) as info:
        resolve_settings(creds, {}, endpoint_key="endpoint")
    assert "BEGIN" not in str(info.value)


def test_no_secret_in_repr(sa_info: dict[str, Any]) -> None:
    client = GCSStorageClient(
        make_creds(endpoint="http://127.0.0.1:9", service_account_info=json.dumps(sa_info))
    )
    assert "PRIVATE KEY" not in repr(client)
    assert "PRIVATE KEY" not in repr(client._settings)
    creds = make_creds(service_account_info=json.dumps(sa_info))
    assert "PRIVATE KEY" not in repr(creds)
    assert "PRIVATE KEY" not in json.dumps(creds.to_dict())


def test_provider_info_declares_what_the_clients_implement() -> None:
    info = get_provider("gcp")
    assert info.bucket_rules == "gcs"
    assert info.url_schemes == ("gs",)
    assert info.harness == "cloud_common.gcp.testing:GcpHarness"
    assert info.client_class("storage") is GCSStorageClient
    assert info.client_class("serverless") is CloudFunctionsServerlessClient


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(out.stdout.split())


def test_importing_the_package_and_discovery_import_no_sdk() -> None:
    mods = _modules_after(
        "import cloud_common.gcp\nfrom cloud_common.core import available_providers\n"
        "available_providers()"
    )
    assert not {m for m in mods if m.startswith("google")}


def test_a_storage_client_never_imports_compute() -> None:
    mods = _modules_after(
        "from cloud_common.core import CloudCredentials, get_storage_client\n"
        "get_storage_client(CloudCredentials('gcp', region='us-central1', project_id='p',"
        " metadata={'endpoint': 'http://127.0.0.1:9'}))"
    )
    assert "google.cloud.storage" in mods
    assert "google.cloud.compute_v1" not in mods
    assert "google.cloud.functions_v2" not in mods


def test_the_distribution_depends_on_no_aws_package() -> None:
    import re
    from importlib.metadata import PackageNotFoundError, requires

    seen: set[str] = set()
    todo = ["cloud-common-gcp"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = requires(name) or []
        except PackageNotFoundError:
            continue
        for req in reqs:
            if "extra ==" in req:
                continue
            match = re.match(r"^([A-Za-z0-9_.-]+)", req)
            if match:
                todo.append(match.group(1).lower().replace("_", "-"))
    assert "google-cloud-storage" in seen
    assert not {n for n in seen if n.startswith(("boto", "botocore", "s3transfer"))}

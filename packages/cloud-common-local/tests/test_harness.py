"""The contract-test harness the suite loads from ``ProviderInfo.harness``."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_common.core import (
    AuthenticationError,
    get_compute_client,
    get_provider,
    get_storage_client,
)
from cloud_common.local.testing import LocalHarness


def test_harness_lifecycle(tmp_path: Path) -> None:
    harness = LocalHarness()
    with pytest.raises(RuntimeError):
        harness.credentials()
    harness.start()
    try:
        creds = harness.credentials()
        root = Path(creds.metadata["root"])
        assert root.is_dir()
        bad = harness.bad_credentials()
        assert bad is not None and bad.access_key == creds.access_key
        with pytest.raises(AuthenticationError):
            get_storage_client(bad, **harness.client_options("storage"))
        assert harness.makes_network_calls("storage") is False
        options = harness.client_options("storage")
        storage = get_storage_client(creds, **options)
        storage.create_bucket("h-bucket")
        assert storage.generate_presigned_url("h-bucket", "k").startswith(options["endpoint_url"])
        compute = get_compute_client(creds)
        iid = compute.create_instance("h", *harness.instance_args())["id"]
        assert harness.hold_instance_state(iid, "stopping") is True
        assert compute.get_instance(iid)["status"] == "stopping"
        assert compute.get_instance(iid)["status"] == "stopping"  # held, not settled
        assert compute.start_instance(iid) is False
        assert harness.hold_instance_state(iid, "running") is False
        bundle = harness.function_bundle(tmp_path)
        assert (tmp_path / "contract_handler.py").exists() and bundle.runtime == "python3.12"
    finally:
        harness.stop()
    assert not root.exists()
    harness.stop()  # twice is fine


def test_provider_names_this_harness() -> None:
    assert get_provider("local").harness == "cloud_common.local.testing:LocalHarness"


def test_discovery_imports_no_client_module(run_python: object) -> None:
    done = run_python(  # type: ignore[operator]
        """
        import sys
        import cloud_common.core as core
        assert "local" in [p.id for p in core.available_providers()]
        heavy = ("sqlite3", "http.server", "subprocess", "cloud_common.local._storage")
        print(sorted(m for m in heavy if m in sys.modules))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

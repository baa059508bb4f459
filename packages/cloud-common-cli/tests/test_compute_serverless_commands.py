"""``instances`` and ``functions`` on the local provider (its harness's root)."""

from __future__ import annotations

import json
from pathlib import Path

from clihelpers import Provider, run


def test_instances_lifecycle_with_json_shapes(local: Provider) -> None:
    made = run(
        ["instances", "create", "cli-vm", "--type", "local.small", "--image", "img-ubuntu-24.04",
         "--tag", "team=cli", "--wait", "--timeout", "20", "--provider", "local", "--json"],
        local,
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    vm = json.loads(made.stdout)
    assert vm["status"] == "running" and vm["tags"]["team"] == "cli"
    listed = json.loads(run(["instances", "ls", "--provider", "local", "--json"], local).stdout)
    assert vm["id"] in [i["id"] for i in listed]
    stopped = run(["instances", "stop", vm["id"], "--provider", "local", "--json"], local)
    assert json.loads(stopped.stdout) == {"id": vm["id"], "action": "stop", "ok": True}
    assert run(["instances", "start", vm["id"], "--provider", "local"], local).exit_code == 0
    assert run(["instances", "terminate", vm["id"], "--provider", "local"], local).exit_code == 0
    again = run(["instances", "start", vm["id"], "--provider", "local"], local)
    assert again.exit_code == 1 and "could not start" in again.stderr


def test_functions_deploy_invoke_rm(local: Provider, tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("def handler(event, context):\n    return {'got': event}\n")
    env_provider = {**local.env, "CLOUD_COMMON_PROVIDER": "local"}
    provider = Provider(local.id, local.scheme, env_provider, local.storage)
    deployed = run(
        ["functions", "deploy", "cli-fn", "--runtime", "python3.12", "--handler",
         "main.handler", "--code", str(tmp_path), "--json"],
        provider,
    )  # fmt: skip
    assert deployed.exit_code == 0, deployed.stderr
    assert json.loads(deployed.stdout)["name"] == "cli-fn"
    names = [f["name"] for f in json.loads(run(["functions", "ls", "--json"], provider).stdout)]
    assert "cli-fn" in names
    invoked = run(["functions", "invoke", "cli-fn", "--payload", '{"n": 1}'], provider)
    assert invoked.exit_code == 0, invoked.stderr
    assert json.loads(invoked.stdout) == {"got": {"n": 1}}
    bad = run(["functions", "invoke", "cli-fn", "--payload", "[1]"], provider)
    assert bad.exit_code == 2 and "JSON object" in bad.stderr
    assert run(["functions", "rm", "cli-fn"], provider).exit_code == 0
    assert "cli-fn" not in run(["functions", "ls"], provider).stdout


def test_providers_lists_capabilities_per_service(local: Provider) -> None:
    done = run(["providers", "--json"], local)
    assert done.exit_code == 0
    shapes = {p["id"]: p for p in json.loads(done.stdout)["providers"]}
    assert shapes["local"]["url_schemes"] == ["local"]
    assert "stat_object" in shapes["local"]["services"]["storage"]
    assert "get_instance" in shapes["local"]["services"]["compute"]
    assert set(shapes) >= {"local", "aws", "gcp"}
    plain = run(["providers"], local)
    assert any(line.startswith("local\tLocal") for line in plain.stdout.splitlines())

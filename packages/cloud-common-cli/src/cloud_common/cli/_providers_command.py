"""``cloud-common providers``: what is installed, what is broken and why, what each offers."""

from __future__ import annotations

from typing import Any

import click

from cloud_common.cli._options import current_session, shared_options
from cloud_common.cli._output import print_json, print_table
from cloud_common.core import ProviderInfo, available_providers, broken_providers

__all__ = ["provider_dict", "providers_command"]

_SERVICES = ("storage", "compute", "serverless")


def provider_dict(info: ProviderInfo) -> dict[str, Any]:
    """The ``--json`` shape of one provider: its declaration, capabilities per service."""
    services: dict[str, list[str]] = {}
    for service in _SERVICES:
        if service in info.services:
            services[service] = sorted(
                c.split(".", 1)[1] for c in info.capabilities if c.startswith(service + ".")
            )
    return {
        "id": info.id,
        "display_name": info.display_name,
        "distribution": info.distribution,
        "version": info.version,
        "contract_version": info.contract_version,
        "url_schemes": list(info.url_schemes),
        "services": services,
        "native": info.supports("native"),
    }


@click.command("providers")
@shared_options
def providers_command() -> None:
    """Installed providers with their capabilities per service, and broken ones with the reason."""
    session = current_session()
    good = [provider_dict(info) for info in available_providers()]
    broken = [
        {"name": b.name, "distribution": b.distribution, "reason": b.reason}
        for b in broken_providers()
    ]
    if session.json:
        print_json({"providers": good, "broken": broken})
        return
    rows: list[list[str]] = []
    for p in good:
        head = [
            str(p["id"]),
            f"{p['display_name']} ({p['distribution']} {p['version']})",
            ", ".join(f"{s}://" for s in p["url_schemes"]) or "-",
        ]
        for service, caps in p["services"].items():
            rows.append([*head, service, ", ".join(caps) or "(the spec's calls only)"])
    print_table("installed providers", ["id", "provider", "urls", "service", "capabilities"], rows)
    if broken:
        print_table(
            "broken providers (skipped)",
            ["name", "distribution", "reason"],
            [[str(b["name"]), str(b["distribution"]), str(b["reason"])] for b in broken],
        )

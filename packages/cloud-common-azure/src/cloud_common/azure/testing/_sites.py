"""``FunctionAppsFake``: ``Microsoft.Web/sites`` (function apps) behind the ARM fake, and
the Functions host that runs them.

Apps are created with ``WEBSITE_RUN_FROM_PACKAGE`` (a URL of the zip, here a SAS URL on
Azurite, fetched for real at each cold start); ``listsecrets`` gives the trigger URL and a
key. An invocation POSTed to ``/_functions/<app>/api/invoke`` with ``x-functions-key`` runs
the package's own ``cloud_common_runner.py`` (what the generated ``function_app.py`` calls
on Azure) in a fresh Python process, with the app settings and ``WEBSITE_SITE_NAME`` as its
environment, and answers what it answers. ``azure.functions`` itself is not loaded.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from cloud_common.azure.testing._arm import ArmError, ResourceManagerServer, ResourceMatch

__all__ = ["FunctionAppsFake"]

_NAMESPACE = "Microsoft.Web"
_INVOKE_ROUTE = r"^/_functions/(?P<app>[^/]+)/api/(?P<function>[^/]+)$"


class FunctionAppsFake:
    """The function apps of one subscription, and their host."""

    namespace = _NAMESPACE
    resource_type = "sites"

    def __init__(self, server: ResourceManagerServer, grace: float = 30.0) -> None:
        self.sites: dict[tuple[str, str], dict[str, Any]] = {}
        self.grace = grace
        self._server = server
        self._dir = tempfile.TemporaryDirectory(prefix="cc-functions-")
        server.route(_INVOKE_ROUTE, self._invoke)

    def close(self) -> None:
        """Remove the unpacked packages."""
        self._dir.cleanup()

    # -- the REST API -------------------------------------------------------------------

    def handle(self, server: ResourceManagerServer, request: Any, match: ResourceMatch) -> Any:
        group = match.resource_group.lower()
        if match.name is None:
            items = [self._view(s) for (g, _), s in sorted(self.sites.items()) if g == group]
            return server.page(request, items)
        key = (group, match.name.lower())
        site = self.sites.get(key)
        rest = match.rest.strip("/").lower()
        if request.method == "PUT" and not rest:
            return server.json(self._put(request, match, key))
        if site is None:
            raise ArmError(
                404,
                "ResourceNotFound",
                f"The Resource '{_NAMESPACE}/sites/{match.name}' under resource group "
                f"'{match.resource_group}' was not found.",
            )
        if request.method == "GET" and not rest:
            return server.json(self._view(site))
        if request.method == "DELETE" and not rest:
            del self.sites[key]
            return server.json(None, status=200)
        parts = rest.split("/")
        if request.method == "POST" and len(parts) == 3 and parts[0] == "functions":
            if parts[2] != "listsecrets" or parts[1] not in site["functions"]:
                raise ArmError(404, "NotFound", f"function {parts[1]!r} not found")
            return server.json(
                {
                    "key": site["key"],
                    "trigger_url": f"https://{site['name']}.azurewebsites.net/api/{parts[1]}",
                }
            )
        raise ArmError(404, "NotFound", f"no route for {request.path}")

    def _put(self, request: Any, match: ResourceMatch, key: Any) -> dict[str, Any]:
        body = request.get_json(silent=True) or {}
        props = body.get("properties") or {}
        config = props.get("siteConfig") or {}
        if not body.get("location"):
            raise ArmError(400, "BadRequest", "location is required")
        settings = {s["name"]: s["value"] for s in config.get("appSettings") or []}
        site = {
            "name": match.name,
            "id": f"{match.base}/{match.name}",
            "location": body["location"],
            "kind": body.get("kind") or "app",
            "tags": body.get("tags") or {},
            "properties": {k: v for k, v in props.items() if k != "siteConfig"},
            "linux_fx_version": config.get("linuxFxVersion"),
            "settings": settings,
            "key": secrets.token_urlsafe(24),
            "functions": ["invoke"] if "WEBSITE_RUN_FROM_PACKAGE" in settings else [],
            "unpacked": None,
        }
        self.sites[key] = site
        return self._view(site)

    @staticmethod
    def _view(site: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": site["id"],
            "name": site["name"],
            "type": f"{_NAMESPACE}/sites",
            "kind": site["kind"],
            "location": site["location"],
            "tags": site["tags"],
            "properties": {
                **site["properties"],
                "state": "Running",
                "defaultHostName": f"{site['name']}.azurewebsites.net",
            },
        }

    # -- the Functions host -------------------------------------------------------------

    def _invoke(self, request: Any, found: Any) -> Any:
        server = self._server
        site = next(
            (s for (_, n), s in self.sites.items() if n == found.group("app").lower()), None
        )
        if site is None or found.group("function") not in site["functions"]:
            return server.json({"error": "not found"}, status=404)
        given = request.headers.get("x-functions-key") or request.args.get("code")
        if given != site["key"]:
            return server.json(None, status=401)
        folder = self._unpack(site)
        settings = site["settings"]
        limit = float(settings.get("CLOUD_COMMON_TIMEOUT") or 300) + self.grace
        env = {
            "PATH": os.environ.get("PATH", ""),
            **settings,
            "WEBSITE_SITE_NAME": site["name"],
        }
        try:
            done = subprocess.run(
                [sys.executable, "cloud_common_runner.py"],
                input=request.get_data(),
                capture_output=True,
                cwd=folder,
                env=env,
                timeout=limit,
                check=False,
            )
        except subprocess.TimeoutExpired:  # the host's own functionTimeout
            return server.json(None, status=503)
        try:
            answer = json.loads(done.stdout.decode(errors="replace"))
        except ValueError:
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": done.stderr.decode(errors="replace")[-500:],
            }
            return server.json(error, status=500, headers={"x-cloud-common-error": "exited"})
        from werkzeug import Response  # noqa: PLC0415

        return Response(
            answer["body"],
            status=answer["status"],
            headers=answer["headers"],
            content_type="application/json",
        )

    def _unpack(self, site: dict[str, Any]) -> str:
        """Fetch the package from ``WEBSITE_RUN_FROM_PACKAGE`` (once) and unpack it."""
        if site["unpacked"] is None:
            url = site["settings"]["WEBSITE_RUN_FROM_PACKAGE"]
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - test fake
                data = response.read()
            folder = Path(self._dir.name) / f"{site['name']}-{secrets.token_hex(4)}"
            with zipfile.ZipFile(io.BytesIO(data)) as bundle:
                if not {"function_app.py", "cloud_common_runner.py"} <= set(bundle.namelist()):
                    raise ArmError(400, "BadRequest", "the package has no cloud-common runner")
                bundle.extractall(folder)
            site["unpacked"] = str(folder)
        return str(site["unpacked"])

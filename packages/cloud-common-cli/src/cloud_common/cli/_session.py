"""What one command runs with: the flags every command shares, and the clients it builds.

Credentials come from the environment (``CloudCredentials.from_env``: each provider
declares its variables); ``--region`` and ``--profile`` override those fields and
``--endpoint-url`` sets the option of the same name. No flag takes a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloud_common.core import (
    CloudCompute,
    CloudCredentials,
    CloudServerless,
    CloudStorage,
    ProviderInfo,
    ProviderNotFoundError,
    ValidationError,
    available_providers,
    get_compute_client,
    get_provider,
    get_serverless_client,
    get_storage_client,
)

__all__ = ["Session"]


@dataclass
class Session:
    """The shared flags of one invocation and the storage clients built so far.

    Attributes:
        provider: ``--provider``: the provider of commands without a URL, or the one to
            pick when several installed providers handle a URL's scheme.
        region: ``--region``, overriding the environment's.
        profile: ``--profile``, overriding the environment's.
        endpoint_url: ``--endpoint-url``: where the provider's API answers.
        json: ``--json``: print the library's dicts as JSON on stdout.
        debug: ``--debug``: tracebacks and the library's DEBUG log on stderr.
        jobs: ``--jobs``: parallel transfers of recursive commands.
    """

    provider: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    json: bool = False
    debug: bool = False
    jobs: int = 8
    _storage: dict[str, CloudStorage] = field(default_factory=dict, repr=False)

    def credentials(self, provider_id: str) -> CloudCredentials:
        """The provider's credentials from the environment, with the flags applied."""
        creds = CloudCredentials.from_env(provider_id)
        if self.region is not None:
            creds.region = self.region
        if self.profile is not None:
            creds.profile = self.profile
        return creds

    def options(self) -> dict[str, Any]:
        return {"endpoint_url": self.endpoint_url} if self.endpoint_url else {}

    def required_provider(self) -> str:
        """``--provider`` (or ``CLOUD_COMMON_PROVIDER``), checked to be installed.

        Raises:
            ValidationError: none was given.
            ProviderNotFoundError: no such provider is installed.
        """
        if not self.provider:
            raise ValidationError(
                "this command needs --provider ID (or CLOUD_COMMON_PROVIDER); installed: "
                + (", ".join(i.id for i in available_providers()) or "none")
            )
        return get_provider(self.provider).id

    def provider_for_scheme(self, scheme: str) -> ProviderInfo:
        """The installed provider of a URL scheme (``--provider`` picks among several).

        Raises:
            ProviderNotFoundError: no installed provider handles the scheme.
            ValidationError: ``--provider`` names a provider that does not handle it.
        """
        if self.provider:
            info = get_provider(self.provider)
            if scheme not in info.url_schemes and scheme != info.id:
                raise ValidationError(
                    f"provider {info.id!r} does not handle {scheme}:// URLs "
                    f"(it handles: {', '.join(info.url_schemes) or 'none'})"
                )
            return info
        providers = available_providers()
        for info in providers:
            if scheme in info.url_schemes:
                return info
        known = ", ".join(f"{s}:// ({i.id})" for i in providers for s in i.url_schemes)
        raise ProviderNotFoundError(
            f"no installed provider handles {scheme}:// URLs (installed: {known or 'none'})"
        )

    def storage(self, provider_id: str) -> CloudStorage:
        """The storage client of a provider, built once per invocation."""
        client = self._storage.get(provider_id)
        if client is None:
            client = get_storage_client(self.credentials(provider_id), **self.options())
            self._storage[provider_id] = client
        return client

    def compute(self) -> CloudCompute:
        pid = self.required_provider()
        return get_compute_client(self.credentials(pid), **self.options())

    def serverless(self) -> CloudServerless:
        pid = self.required_provider()
        return get_serverless_client(self.credentials(pid), **self.options())

    def close(self) -> None:
        for client in self._storage.values():
            client.close()
        self._storage.clear()

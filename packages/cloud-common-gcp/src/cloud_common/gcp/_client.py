"""What the three public GCP clients share: how they are built from credentials and options."""

from __future__ import annotations

from typing import Any, TypeVar

from cloud_common.core import (
    CloudCredentials,
    ComputeClient,
    PortableClient,
    ServerlessClient,
    StorageClient,
)
from cloud_common.gcp._errors import error_policy
from cloud_common.gcp._info import PROVIDER
from cloud_common.gcp._options import GcpOptions
from cloud_common.gcp._settings import GcpSettings, resolve_settings

__all__ = ["GcpClient"]

D = TypeVar("D", bound=StorageClient | ComputeClient | ServerlessClient)


class GcpClient(PortableClient[D]):
    """A portable client around the driver ``_driver_for`` builds from resolved options
    and settings; errors are translated by ``cloud_common.gcp._errors`` with the
    credentials' secrets scrubbed.

    Args:
        credentials: ``CloudCredentials(provider="gcp", project_id=..., region=...)``; None
            reads ``CloudCredentials.from_env("gcp")``.
        options: ``GcpOptions``; keyword arguments set its fields.

    Raises:
        ValidationError: a missing project, a non-GCP region, unknown or ill-typed options.
    """

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        options: GcpOptions | None = None,
        **kwargs: Any,
    ) -> None:
        opts = GcpOptions.resolve(options, kwargs)
        settings = resolve_settings(credentials, opts)
        driver = self._driver_for(settings, opts)
        super().__init__(driver, PROVIDER, policy=error_policy(settings.secrets))

    def _driver_for(self, settings: GcpSettings, options: GcpOptions) -> D:
        """The service's driver (each public client names its own)."""
        raise NotImplementedError

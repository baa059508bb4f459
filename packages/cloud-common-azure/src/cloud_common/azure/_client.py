"""What the three public Azure clients share: how they are built from credentials and
options."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from cloud_common.azure._connection import AzureSettings
from cloud_common.azure._info import PROVIDER
from cloud_common.azure._options import AzureOptions
from cloud_common.core import (
    CloudCredentials,
    ComputeClient,
    PortableClient,
    ServerlessClient,
    StorageClient,
)

__all__ = ["AzureClient"]

D = TypeVar("D", bound=StorageClient | ComputeClient | ServerlessClient)


class AzureClient(PortableClient[D]):
    """A portable client around the driver ``_driver_for`` builds from ``AzureSettings``
    (credentials and resolved options).

    Args:
        credentials: ``CloudCredentials`` of provider ``azure``; None reads the environment.
        options: ``AzureOptions``; keyword arguments set its fields.

    Raises:
        ValidationError: bad options or credentials (before any network call).
    """

    _needs_location: ClassVar[bool] = False
    """True when the service needs an Azure location (``region``) to be valid."""

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        options: AzureOptions | None = None,
        **kwargs: Any,
    ) -> None:
        settings = AzureSettings(
            credentials,
            AzureOptions.resolve(options, kwargs),
            needs_location=self._needs_location,
        )
        super().__init__(self._driver_for(settings), PROVIDER, settings.credentials)

    def _driver_for(self, settings: AzureSettings) -> D:
        """The service's driver (each public client names its own)."""
        raise NotImplementedError

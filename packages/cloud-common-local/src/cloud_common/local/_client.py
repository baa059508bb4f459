"""What the three public local clients share: how they are built from credentials and
options, and their root folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from cloud_common.core import (
    CloudCredentials,
    ComputeClient,
    PortableClient,
    ServerlessClient,
    StorageClient,
)
from cloud_common.local._accounts import check_access
from cloud_common.local._info import PROVIDER
from cloud_common.local._options import LocalOptions, LocalSetup, setup

__all__ = ["LocalClient"]

D = TypeVar("D", bound=StorageClient | ComputeClient | ServerlessClient)


class LocalClient(PortableClient[D]):
    """A portable client around the driver ``_driver_for`` builds from the resolved
    credentials, options and root folder.

    Args:
        credentials: ``CloudCredentials`` of provider ``local``; None reads the environment.
        options: ``LocalOptions``; keyword arguments set its fields.

    Raises:
        ValidationError: bad options, or a root that cannot be created.
        AuthenticationError: the root holds accounts (``add_account``) and the
            credentials' ``access_key``/``secret_key`` match none of them.
    """

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        options: LocalOptions | None = None,
        **kwargs: Any,
    ) -> None:
        resolved = setup(credentials, options, kwargs)
        check_access(resolved.root, resolved.credentials)
        self._root = resolved.root
        super().__init__(self._driver_for(resolved), PROVIDER, resolved.credentials)

    @property
    def root(self) -> Path:
        """The root folder (resolved)."""
        return self._root

    def _driver_for(self, resolved: LocalSetup) -> D:
        """The service's driver (each public client names its own)."""
        raise NotImplementedError

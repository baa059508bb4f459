"""What the three public AWS clients share: how they are built from credentials and options."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from cloud_common.aws._info import PROVIDER
from cloud_common.aws._options import AwsOptions
from cloud_common.aws._session import AwsConnection
from cloud_common.core import (
    CloudCredentials,
    ComputeClient,
    PortableClient,
    ServerlessClient,
    StorageClient,
)

__all__ = ["AwsClient"]

D = TypeVar("D", bound=StorageClient | ComputeClient | ServerlessClient)


class AwsClient(PortableClient[D]):
    """A portable client around the driver ``_driver_for`` builds on an ``AwsConnection``
    to the boto3 service ``_service``; errors go through the connection's policy (which
    scrubs the secrets boto3 resolved).

    Args:
        credentials: ``CloudCredentials`` of provider ``aws``; None reads the environment
            (``CloudCredentials.from_env("aws")``); fields left None fall back to boto3's
            default chain.
        options: ``AwsOptions``; keyword arguments set its fields.

    Raises:
        ValidationError: bad options or credentials (before any network call).
    """

    _service: ClassVar[str]
    """The boto3 service name (``"s3"``, ``"ec2"``, ``"lambda"``)."""

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        options: AwsOptions | None = None,
        **kwargs: Any,
    ) -> None:
        connection = AwsConnection(self._service, credentials, AwsOptions.resolve(options, kwargs))
        super().__init__(
            self._driver_for(connection), PROVIDER, connection.credentials, policy=connection.policy
        )

    def _driver_for(self, connection: AwsConnection) -> D:
        """The service's driver (each public client names its own)."""
        raise NotImplementedError

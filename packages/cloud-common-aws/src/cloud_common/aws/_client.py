"""What the three AWS clients share: construction from credentials and options, ``native``,
``close`` and running SDK calls through the error policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from cloud_common.aws._session import AwsConnection
from cloud_common.core import CloudCredentials, CloudError, RetryPolicy, Timeouts

__all__ = ["AwsClient"]

T = TypeVar("T")
F = TypeVar("F")


class AwsClient:
    """Base of ``S3StorageClient``, ``EC2ComputeClient`` and ``LambdaServerlessClient``."""

    provider_id = "aws"
    #: The boto3 service this client drives (``native`` returns its client).
    service = ""

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        *,
        endpoint_url: str | None = None,
        retry_policy: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        addressing_style: str | None = None,
        max_pool_connections: int = 10,
        boto3_session: Any = None,
    ) -> None:
        self._connection = AwsConnection(
            credentials,
            endpoint_url=endpoint_url,
            retry_policy=retry_policy,
            timeouts=timeouts,
            addressing_style=addressing_style,
            max_pool_connections=max_pool_connections,
            boto3_session=boto3_session,
        )
        self._policy = self._connection.policy

    def __repr__(self) -> str:
        return f"<{type(self).__name__} region={self.region!r}>"

    @property
    def region(self) -> str:
        """The AWS region every call goes to."""
        return self._connection.region

    @property
    def _sdk(self) -> Any:
        return self._connection.client(self.service)

    @property
    def native(self) -> Any:
        """The boto3 client of this service (built on first use)."""
        return self._sdk

    def close(self) -> None:
        """Close the SDK's connections. Safe to call twice; a later call reconnects."""
        self._connection.close()

    def _call(
        self,
        operation: str,
        fn: Callable[[], T],
        *,
        resource: str | None = None,
        soft: Mapping[type[CloudError], F] | None = None,
    ) -> T | F:
        return self._policy.call(operation, fn, resource=resource, soft=soft)

"""``AwsOptions``: the options of every AWS client (S3, EC2 and Lambda take the same type)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cloud_common.core import ClientOptions, ValidationError

__all__ = ["MAX_COPY_OBJECT", "MIN_PART", "AwsOptions"]

MiB = 1024 * 1024
MIN_PART = 5 * MiB
"""S3's smallest multipart part."""
MAX_COPY_OBJECT = 5 * 1024 * MiB
"""CopyObject's limit (5 GiB): larger copies must be multipart."""


@dataclass(frozen=True, kw_only=True)
class AwsOptions(ClientOptions):
    """Options of ``S3StorageClient``, ``EC2ComputeClient`` and ``LambdaServerlessClient``.

    Besides ``endpoint_url``, ``timeouts`` and ``retry`` (every provider's):

    Attributes:
        addressing_style: S3 ``"path"``, ``"virtual"`` or ``"auto"``; None: ``"path"``
            with a custom endpoint (emulators, S3-compatible stores), else ``"auto"``.
        max_pool_connections: Size of the SDK client's connection pool; None: 10 (S3: at
            least ``max_concurrency``).
        boto3_session: A ``boto3.Session`` to use instead of one built from the credentials.
        part_size: S3 multipart part size of streaming transfers (>= 5 MiB).
        multipart_threshold: S3 objects from this size up move in parts (>= 5 MiB).
        max_concurrency: S3 parts in flight per transfer (>= 1).
        copy_threshold: S3 ``copy_file`` above this size is a managed multipart copy
            (5 MiB to 5 GiB, CopyObject's limit).
        poll_interval: Lambda: seconds between checks while a new function becomes Active.

    Raises:
        ValidationError: a field of the wrong type or out of its bounds (named).
    """

    addressing_style: Literal["auto", "path", "virtual"] | None = None
    max_pool_connections: int | None = None
    boto3_session: Any = None
    part_size: int = 8 * MiB
    multipart_threshold: int = 8 * MiB
    max_concurrency: int = 10
    copy_threshold: int = MAX_COPY_OBJECT
    poll_interval: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        for name, low, high in (
            ("part_size", MIN_PART, None),
            ("multipart_threshold", MIN_PART, None),
            ("max_concurrency", 1, None),
            ("max_pool_connections", 1, None),
            ("copy_threshold", MIN_PART, MAX_COPY_OBJECT),
        ):
            value = getattr(self, name)
            if value is not None and (value < low or (high is not None and value > high)):
                bounds = f">= {low}" if high is None else f"between {low} and {high}"
                raise ValidationError(f"option {name}={value!r} is invalid: must be {bounds}")
        if not self.poll_interval > 0:
            raise ValidationError(
                f"option poll_interval={self.poll_interval!r} is invalid: must be > 0 seconds"
            )

    @property
    def pool_size(self) -> int:
        """``max_pool_connections``, or its default (10, and at least ``max_concurrency``)."""
        if self.max_pool_connections is not None:
            return self.max_pool_connections
        return max(10, self.max_concurrency)

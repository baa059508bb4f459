"""cloud-common-aws: S3, EC2 and Lambda behind cloud-common's contracts.

Importing this package imports no boto3; the SDK is imported when a client is first built.
"""

import logging
from typing import TYPE_CHECKING, Any

from cloud_common.aws.__about__ import __version__

if TYPE_CHECKING:
    from cloud_common.aws._compute import EC2ComputeClient
    from cloud_common.aws._options import AwsOptions
    from cloud_common.aws._serverless import LambdaServerlessClient
    from cloud_common.aws._storage import S3StorageClient

logging.getLogger("cloud_common.aws").addHandler(logging.NullHandler())

__all__ = [
    "AwsOptions",
    "EC2ComputeClient",
    "LambdaServerlessClient",
    "S3StorageClient",
    "__version__",
]

_LAZY = {
    "AwsOptions": "cloud_common.aws._options",
    "S3StorageClient": "cloud_common.aws._storage",
    "EC2ComputeClient": "cloud_common.aws._compute",
    "LambdaServerlessClient": "cloud_common.aws._serverless",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use (boto3 is imported only when a client is built)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cloud_common.aws' has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(module), name)

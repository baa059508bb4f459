"""cloud-common-aws: S3, EC2 and Lambda behind cloud-common's contracts.

Importing this package imports no boto3; the SDK is imported when a client is first built.
"""

import logging
from typing import TYPE_CHECKING

from cloud_common.aws.__about__ import __version__
from cloud_common.core import lazy_attributes

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
    "AwsOptions": "_options",
    "S3StorageClient": "_storage",
    "EC2ComputeClient": "_compute",
    "LambdaServerlessClient": "_serverless",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

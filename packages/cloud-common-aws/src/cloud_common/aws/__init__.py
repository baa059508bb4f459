"""cloud-common-aws: S3, EC2 and Lambda behind cloud-common's contracts.

Importing this package imports no boto3; the SDK is imported when a client is first built.
"""

import logging

from cloud_common.aws.__about__ import __version__

logging.getLogger("cloud_common.aws").addHandler(logging.NullHandler())

__all__ = ["__version__"]

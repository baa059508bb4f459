"""cloud-common-gcp: Cloud Storage, Compute Engine and Cloud Functions (2nd gen).

Importing this package imports no Google SDK: each client class imports its SDK when its
module is first loaded (``google.cloud.compute_v1`` alone costs about a second).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cloud_common.core import lazy_attributes
from cloud_common.gcp.__about__ import __version__

if TYPE_CHECKING:
    from cloud_common.gcp._compute import GCEComputeClient
    from cloud_common.gcp._options import GcpOptions
    from cloud_common.gcp._serverless import CloudFunctionsServerlessClient
    from cloud_common.gcp._storage import GCSStorageClient

logging.getLogger("cloud_common.gcp").addHandler(logging.NullHandler())

__all__ = [
    "CloudFunctionsServerlessClient",
    "GCEComputeClient",
    "GCSStorageClient",
    "GcpOptions",
    "__version__",
]

_LAZY = {
    "GCSStorageClient": "_storage",
    "GCEComputeClient": "_compute",
    "CloudFunctionsServerlessClient": "_serverless",
    "GcpOptions": "_options",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

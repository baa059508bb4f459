"""cloud-common-gcp: Cloud Storage, Compute Engine and Cloud Functions (2nd gen).

Importing this package imports no Google SDK: each client class imports its SDK when its
module is first loaded (``google.cloud.compute_v1`` alone costs about a second).
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

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
    "GCSStorageClient": "cloud_common.gcp._storage",
    "GCEComputeClient": "cloud_common.gcp._compute",
    "CloudFunctionsServerlessClient": "cloud_common.gcp._serverless",
    "GcpOptions": "cloud_common.gcp._options",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

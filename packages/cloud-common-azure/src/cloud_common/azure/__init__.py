"""cloud-common-azure: Azure Blob Storage, Virtual Machines and Function Apps.

Importing this package imports no Azure SDK; the clients import theirs when built.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cloud_common.azure.__about__ import __version__
from cloud_common.azure._info import PROVIDER
from cloud_common.azure._options import AzureOptions
from cloud_common.core import lazy_attributes

if TYPE_CHECKING:
    from cloud_common.azure._compute import VirtualMachineComputeClient
    from cloud_common.azure._serverless import FunctionAppServerlessClient
    from cloud_common.azure._storage import BlobStorageClient

__all__ = [
    "PROVIDER",
    "AzureOptions",
    "BlobStorageClient",
    "FunctionAppServerlessClient",
    "VirtualMachineComputeClient",
    "__version__",
]

_LAZY = {
    "BlobStorageClient": "_storage",
    "VirtualMachineComputeClient": "_compute",
    "FunctionAppServerlessClient": "_serverless",
}

logging.getLogger("cloud_common.azure").addHandler(logging.NullHandler())


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

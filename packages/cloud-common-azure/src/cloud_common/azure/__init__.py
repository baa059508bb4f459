"""cloud-common-azure: Azure Blob Storage, Virtual Machines and Function Apps.

Importing this package imports no Azure SDK; the clients import theirs when built.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cloud_common.azure.__about__ import __version__
from cloud_common.azure._info import PROVIDER
from cloud_common.azure._options import AzureOptions

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
    "BlobStorageClient": "cloud_common.azure._storage",
    "VirtualMachineComputeClient": "cloud_common.azure._compute",
    "FunctionAppServerlessClient": "cloud_common.azure._serverless",
}

logging.getLogger("cloud_common.azure").addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cloud_common.azure' has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(module), name)

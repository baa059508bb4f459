"""cloud-common-local: storage, compute and serverless on this machine, no account needed.

Standard library only. Data lives under a root folder: ``CloudCredentials.metadata["root"]``,
else ``$CLOUD_COMMON_LOCAL_ROOT``, else a per-user data folder (see ``default_root``).
"""

import logging

from cloud_common.local.__about__ import __version__
from cloud_common.local._compute import (
    IMAGES,
    INSTANCE_TYPES,
    NATIVE_STATES,
    LocalComputeClient,
)
from cloud_common.local._presign import DEFAULT_PORT, DEFAULT_PRESIGN_BASE_URL
from cloud_common.local._root import ENV_ROOT, default_root
from cloud_common.local._server import RunningServer, serve, serve_in_thread
from cloud_common.local._serverless import DEFAULT_TIMEOUT, LocalServerlessClient
from cloud_common.local._storage import DEFAULT_CONTENT_TYPE, LocalStorageClient

logging.getLogger("cloud_common.local").addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "DEFAULT_PORT",
    "DEFAULT_PRESIGN_BASE_URL",
    "DEFAULT_TIMEOUT",
    "ENV_ROOT",
    "IMAGES",
    "INSTANCE_TYPES",
    "NATIVE_STATES",
    "LocalComputeClient",
    "LocalServerlessClient",
    "LocalStorageClient",
    "RunningServer",
    "__version__",
    "default_root",
    "serve",
    "serve_in_thread",
]

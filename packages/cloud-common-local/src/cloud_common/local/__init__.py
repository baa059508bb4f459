"""cloud-common-local: storage, compute and serverless on this machine, no account needed.

Standard library only. Data lives under a root folder: the ``root`` option, else
``CloudCredentials.metadata["root"]``, else ``$CLOUD_COMMON_LOCAL_ROOT``, else a per-user
data folder (see ``default_root``). A root is open to every client until ``add_account``
gives it an account; then clients must present an account's access and secret key.

The names below are imported on first use, so discovering the provider (which imports
``cloud_common.local._info``) stays cheap.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cloud_common.core import lazy_attributes
from cloud_common.local.__about__ import __version__

if TYPE_CHECKING:
    from cloud_common.local._accounts import add_account
    from cloud_common.local._compute import (
        IMAGES,
        INSTANCE_TYPES,
        NATIVE_STATES,
        LocalComputeClient,
    )
    from cloud_common.local._objects import DEFAULT_CONTENT_TYPE
    from cloud_common.local._options import DEFAULT_TIMEOUT, LocalOptions
    from cloud_common.local._presign import DEFAULT_PORT, DEFAULT_PRESIGN_BASE_URL
    from cloud_common.local._root import ENV_ROOT, default_root
    from cloud_common.local._server import RunningServer, serve, serve_in_thread
    from cloud_common.local._serverless import LocalServerlessClient
    from cloud_common.local._storage import LocalStorageClient

logging.getLogger("cloud_common.local").addHandler(logging.NullHandler())

_WHERE = {
    "DEFAULT_CONTENT_TYPE": "_objects",
    "DEFAULT_PORT": "_presign",
    "DEFAULT_PRESIGN_BASE_URL": "_presign",
    "DEFAULT_TIMEOUT": "_options",
    "ENV_ROOT": "_root",
    "IMAGES": "_compute",
    "INSTANCE_TYPES": "_compute",
    "NATIVE_STATES": "_compute",
    "LocalComputeClient": "_compute",
    "LocalOptions": "_options",
    "LocalServerlessClient": "_serverless",
    "LocalStorageClient": "_storage",
    "RunningServer": "_server",
    "default_root": "_root",
    "serve": "_server",
    "serve_in_thread": "_server",
    "add_account": "_accounts",
}

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
    "LocalOptions",
    "LocalServerlessClient",
    "LocalStorageClient",
    "RunningServer",
    "__version__",
    "add_account",
    "default_root",
    "serve",
    "serve_in_thread",
]


__getattr__, __dir__ = lazy_attributes(__name__, _WHERE)

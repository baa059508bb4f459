"""acme_cloud: an example third-party provider for cloud-common (the Acme cloud).

Importing this package is cheap: drivers are imported by the registry when first built.
"""

from __future__ import annotations

import logging

from acme_cloud._gateway import Gateway
from acme_cloud._options import AcmeOptions
from acme_cloud._store import AcmeCloud

__all__ = ["AcmeCloud", "AcmeOptions", "Gateway", "__version__"]

__version__ = "0.2.0"

logging.getLogger("acme_cloud").addHandler(logging.NullHandler())

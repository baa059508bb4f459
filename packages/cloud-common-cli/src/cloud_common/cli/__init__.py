"""cloud-common-cli: the ``cloud-common`` command, on any installed provider.

``main()`` runs it and returns the exit status (0 ok, 1 failed, 2 usage); ``cli`` is the
click group, for embedding or for click's test runner.
"""

from cloud_common.cli.__about__ import __version__
from cloud_common.cli._app import EXIT_FAILED, EXIT_OK, EXIT_USAGE, cli, main

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "__version__", "cli", "main"]

"""``python -m cloud_common.cli``: the same as the ``cloud-common`` command."""

import sys

from cloud_common.cli._app import main

sys.exit(main())

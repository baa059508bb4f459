"""cloud-common-contract-tests: the shared contract suite, as a pytest plugin.

Run it for an installed provider: ``pytest --cloud-provider ID``.
"""

from cloud_common.contract_tests.__about__ import __version__
from cloud_common.contract_tests.harness import HANDLER_SOURCE, FunctionBundle, Harness

__all__ = ["HANDLER_SOURCE", "FunctionBundle", "Harness", "__version__"]

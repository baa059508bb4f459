"""Test support for ``azure``: the contract-suite harness and the servers it runs on.

``AzureHarness`` (named by ``ProviderInfo.harness``); ``Azurite`` (the blob emulator's
process); ``ResourceManagerServer`` with ``VirtualMachinesFake`` and ``FunctionAppsFake``
(Resource Manager's REST API); ``StaticTokenCredential``; ``FaultProxy``.
"""

from cloud_common.azure.testing._arm import ResourceManagerServer
from cloud_common.azure.testing._azurite import Azurite, azurite_command, free_port
from cloud_common.azure.testing._credential import StaticTokenCredential
from cloud_common.azure.testing._faults import FaultProxy
from cloud_common.azure.testing._harness import AzureHarness
from cloud_common.azure.testing._sites import FunctionAppsFake
from cloud_common.azure.testing._vms import VirtualMachinesFake

__all__ = [
    "Azurite",
    "AzureHarness",
    "FaultProxy",
    "FunctionAppsFake",
    "ResourceManagerServer",
    "StaticTokenCredential",
    "VirtualMachinesFake",
    "azurite_command",
    "free_port",
]

"""cloud-common-core: the portable contracts, models, errors and provider registry.

Importing it imports no cloud SDK; providers are found through the entry-point group
``cloud_common.providers`` and imported when a client is first built.
"""

import logging

from cloud_common.core.__about__ import __version__
from cloud_common.core._capabilities import Capability
from cloud_common.core._contracts import ComputeClient, PathOrFile, ServerlessClient, StorageClient
from cloud_common.core._models import (
    CloudCredentials,
    CloudProvider,
    CloudResource,
    InstanceState,
    ObjectInfo,
    ResourceType,
)
from cloud_common.core._policy import ErrorPolicy, RedactingFilter, redact
from cloud_common.core._registry import (
    CONTRACT_VERSION,
    ENTRY_POINT_GROUP,
    BrokenProvider,
    ProviderInfo,
    StorageLocation,
    available_providers,
    broken_providers,
    get_compute_client,
    get_provider,
    get_serverless_client,
    get_storage_client,
    open_storage,
    register,
    reload_providers,
    unregister,
)
from cloud_common.core._retry import RetryPolicy, Timeouts
from cloud_common.core._urls import ObjectURL, object_url, parse_object_url
from cloud_common.core.errors import (
    AlreadyExistsError,
    AuthenticationError,
    BucketNotFoundError,
    CloudError,
    ConflictError,
    FunctionInvocationError,
    FunctionNotFoundError,
    IncompatibleProviderError,
    InstanceNotFoundError,
    NotFoundError,
    NotSupportedError,
    ObjectNotFoundError,
    PermissionDeniedError,
    PluginError,
    ProviderNotFoundError,
    ProviderUnavailableError,
    RateLimitedError,
    TimeoutError,  # noqa: A004
    TransientError,
    ValidationError,
)

logging.getLogger("cloud_common").addHandler(logging.NullHandler())

__all__ = [
    "CONTRACT_VERSION",
    "ENTRY_POINT_GROUP",
    "AlreadyExistsError",
    "AuthenticationError",
    "BrokenProvider",
    "BucketNotFoundError",
    "Capability",
    "CloudCredentials",
    "CloudError",
    "CloudProvider",
    "CloudResource",
    "ComputeClient",
    "ConflictError",
    "ErrorPolicy",
    "FunctionInvocationError",
    "FunctionNotFoundError",
    "IncompatibleProviderError",
    "InstanceNotFoundError",
    "InstanceState",
    "NotFoundError",
    "NotSupportedError",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectURL",
    "PathOrFile",
    "PermissionDeniedError",
    "PluginError",
    "ProviderInfo",
    "ProviderNotFoundError",
    "ProviderUnavailableError",
    "RateLimitedError",
    "RedactingFilter",
    "ResourceType",
    "RetryPolicy",
    "ServerlessClient",
    "StorageClient",
    "StorageLocation",
    "Timeouts",
    "TimeoutError",
    "TransientError",
    "ValidationError",
    "__version__",
    "available_providers",
    "broken_providers",
    "get_compute_client",
    "get_provider",
    "get_serverless_client",
    "get_storage_client",
    "object_url",
    "open_storage",
    "parse_object_url",
    "redact",
    "register",
    "reload_providers",
    "unregister",
]

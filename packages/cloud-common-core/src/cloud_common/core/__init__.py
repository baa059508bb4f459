"""cloud-common-core: the portable contracts, models, errors and provider registry.

Importing it imports no cloud SDK; providers are found through the entry-point group
``cloud_common.providers`` and imported when a client is first built.
"""

import logging
from typing import TYPE_CHECKING

from cloud_common.core.__about__ import __version__
from cloud_common.core._capabilities import (
    COMPUTE_EXTENSIONS,
    EVERY_EXTENSION,
    SERVERLESS_EXTENSIONS,
    STORAGE_EXTENSIONS,
    Capability,
)
from cloud_common.core._enums import CloudProvider, InstanceState, ResourceType
from cloud_common.core._lazy import lazy_attributes
from cloud_common.core._provider import CONTRACT_VERSION, SUPPORTED_CONTRACTS, ProviderInfo
from cloud_common.core._registry import (
    ENTRY_POINT_GROUP,
    BrokenProvider,
    available_providers,
    broken_providers,
    get_provider,
    register,
    reload_providers,
    unregister,
)
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
from cloud_common.core.validation import DEFAULT_BUCKET_RULES, BucketRules

if TYPE_CHECKING:
    from cloud_common.core._clients import (
        StorageLocation,
        get_compute_client,
        get_serverless_client,
        get_storage_client,
        open_storage,
    )
    from cloud_common.core._compute import CloudCompute
    from cloud_common.core._contracts import (
        ComputeClient,
        DownloadTarget,
        PathOrFile,
        ServerlessClient,
        StorageClient,
        SupportsRead,
        SupportsWrite,
        UploadSource,
    )
    from cloud_common.core._models import (
        NOT_SECRET_NAMES,
        SECRET_NAME_PARTS,
        CloudCredentials,
        CloudResource,
        is_secret_name,
    )
    from cloud_common.core._objects import ObjectInfo
    from cloud_common.core._options import ClientOptions
    from cloud_common.core._policy import ErrorPolicy, RedactingFilter, redact
    from cloud_common.core._portable import PortableClient
    from cloud_common.core._retry import (
        Deadline,
        RetryPolicy,
        Timeouts,
        default_retry,
        default_timeouts,
        set_defaults,
    )
    from cloud_common.core._serverless import CloudServerless
    from cloud_common.core._storage import CloudStorage
    from cloud_common.core._urls import ObjectURL, object_url, parse_object_url

_LAZY = {
    "StorageLocation": "_clients",
    "get_compute_client": "_clients",
    "get_serverless_client": "_clients",
    "get_storage_client": "_clients",
    "open_storage": "_clients",
    "CloudCompute": "_compute",
    "ComputeClient": "_contracts",
    "DownloadTarget": "_contracts",
    "PathOrFile": "_contracts",
    "ServerlessClient": "_contracts",
    "StorageClient": "_contracts",
    "SupportsRead": "_contracts",
    "SupportsWrite": "_contracts",
    "UploadSource": "_contracts",
    "NOT_SECRET_NAMES": "_models",
    "SECRET_NAME_PARTS": "_models",
    "CloudCredentials": "_models",
    "CloudResource": "_models",
    "is_secret_name": "_models",
    "ObjectInfo": "_objects",
    "ClientOptions": "_options",
    "ErrorPolicy": "_policy",
    "PortableClient": "_portable",
    "RedactingFilter": "_policy",
    "redact": "_policy",
    "Deadline": "_retry",
    "RetryPolicy": "_retry",
    "Timeouts": "_retry",
    "default_retry": "_retry",
    "default_timeouts": "_retry",
    "set_defaults": "_retry",
    "CloudServerless": "_serverless",
    "CloudStorage": "_storage",
    "ObjectURL": "_urls",
    "object_url": "_urls",
    "parse_object_url": "_urls",
}

logging.getLogger("cloud_common").addHandler(logging.NullHandler())

__all__ = [
    "COMPUTE_EXTENSIONS",
    "CONTRACT_VERSION",
    "DEFAULT_BUCKET_RULES",
    "ENTRY_POINT_GROUP",
    "EVERY_EXTENSION",
    "NOT_SECRET_NAMES",
    "SECRET_NAME_PARTS",
    "SERVERLESS_EXTENSIONS",
    "STORAGE_EXTENSIONS",
    "SUPPORTED_CONTRACTS",
    "AlreadyExistsError",
    "AuthenticationError",
    "BrokenProvider",
    "BucketNotFoundError",
    "BucketRules",
    "Capability",
    "ClientOptions",
    "CloudCompute",
    "CloudCredentials",
    "CloudError",
    "CloudProvider",
    "CloudResource",
    "CloudServerless",
    "CloudStorage",
    "ComputeClient",
    "ConflictError",
    "Deadline",
    "DownloadTarget",
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
    "PortableClient",
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
    "SupportsRead",
    "SupportsWrite",
    "Timeouts",
    "TimeoutError",
    "TransientError",
    "UploadSource",
    "ValidationError",
    "__version__",
    "available_providers",
    "broken_providers",
    "default_retry",
    "default_timeouts",
    "get_compute_client",
    "get_provider",
    "get_serverless_client",
    "get_storage_client",
    "is_secret_name",
    "lazy_attributes",
    "object_url",
    "open_storage",
    "parse_object_url",
    "redact",
    "register",
    "reload_providers",
    "set_defaults",
    "unregister",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)

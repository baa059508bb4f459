"""Names of the optional calls a provider may declare (beyond the spec's abstract methods)."""

from __future__ import annotations

from enum import Enum

__all__ = [
    "COMPUTE_EXTENSIONS",
    "EVERY_EXTENSION",
    "SERVERLESS_EXTENSIONS",
    "SERVICES",
    "STORAGE_EXTENSIONS",
    "Capability",
]

SERVICES = ("storage", "compute", "serverless")


class Capability(str, Enum):
    """An optional behaviour a provider declares in its ``ProviderInfo.capabilities``.

    The three service names say which contracts the provider implements at all; the
    dotted names are the extensions. The registry's guard refuses (``NotSupportedError``)
    an extension the provider did not declare, and the contract suite tests exactly the
    declared set.
    """

    STORAGE = "storage"
    COMPUTE = "compute"
    SERVERLESS = "serverless"

    LIST_OBJECTS = "storage.list_objects"
    STAT_OBJECT = "storage.stat_object"
    OBJECT_EXISTS = "storage.object_exists"
    DELETE_BUCKET = "storage.delete_bucket"
    COPY_FILE = "storage.copy_file"
    UPLOAD_STREAM = "storage.upload_stream"
    DOWNLOAD_STREAM = "storage.download_stream"
    PRESIGN_PUT = "storage.presign_put"
    USER_METADATA = "storage.user_metadata"

    GET_INSTANCE = "compute.get_instance"
    WAIT_FOR_STATE = "compute.wait_for_state"

    GET_FUNCTION = "serverless.get_function"

    NATIVE = "native"

    def __str__(self) -> str:
        return self.value

    @property
    def service(self) -> str | None:
        """The service this capability belongs to (None for ``native``)."""
        head = self.value.split(".", 1)[0]
        return head if head in SERVICES else None


STORAGE_EXTENSIONS = frozenset(
    {
        Capability.LIST_OBJECTS,
        Capability.STAT_OBJECT,
        Capability.DELETE_BUCKET,
        Capability.COPY_FILE,
        Capability.UPLOAD_STREAM,
        Capability.DOWNLOAD_STREAM,
        Capability.PRESIGN_PUT,
        Capability.USER_METADATA,
    }
)
"""Every storage extension a provider declares itself (core derives ``object_exists``
from ``stat_object``)."""

COMPUTE_EXTENSIONS = frozenset({Capability.GET_INSTANCE})
"""Every compute extension a provider declares itself (core derives ``wait_for_state``
from ``get_instance``)."""

SERVERLESS_EXTENSIONS = frozenset({Capability.GET_FUNCTION})
"""Every serverless extension a provider declares itself."""

EVERY_EXTENSION = STORAGE_EXTENSIONS | COMPUTE_EXTENSIONS | SERVERLESS_EXTENSIONS
"""The declarable extensions of all three services (``native`` is not among them: a
provider adds ``Capability.NATIVE`` when it hands out its SDK clients)."""

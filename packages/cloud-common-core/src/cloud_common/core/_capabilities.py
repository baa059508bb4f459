"""Names of the optional calls a provider may declare (beyond the spec's abstract methods)."""

from __future__ import annotations

from enum import Enum

__all__ = ["SERVICES", "Capability"]

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

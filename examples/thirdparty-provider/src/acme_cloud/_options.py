"""``AcmeOptions``: the typed options of the Acme drivers (``ProviderInfo.options``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cloud_common.core import ClientOptions, ValidationError

__all__ = ["AcmeOptions"]


@dataclass(frozen=True, kw_only=True)
class AcmeOptions(ClientOptions):
    """Options of the Acme clients: ``get_storage_client(creds, root=..., gateway_url=...)``
    or ``get_storage_client(creds, AcmeOptions(root=...))``.

    Attributes:
        root: The account store's directory. Default: ``credentials.metadata["root"]``
            (``CloudCredentials.from_env("acme")`` fills it from ``$ACME_CLOUD_ROOT``).
        gateway_url: Base URL of the gateway that serves presigned URLs (needed only by
            ``generate_presigned_url``).

    ``endpoint_url``: reach the account store through an Acme gateway's API
    (``http://host:port``) instead of opening ``root``; ``timeouts`` and ``retry`` (its
    ``deadline`` bounds every call) apply to those requests. A write whose connection breaks
    after it was sent is never sent again (it may have been applied).
    """

    root: str | os.PathLike[str] | None = None
    gateway_url: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.endpoint_url is not None and not self.endpoint_url.startswith("http://"):
            raise ValidationError(
                f"option endpoint_url={self.endpoint_url!r} is invalid: must be an http:// URL"
            )
        if self.gateway_url is not None and not self.gateway_url.startswith(
            ("http://", "https://")
        ):
            raise ValidationError(
                f"option gateway_url={self.gateway_url!r} is invalid: must be an http(s) URL"
            )

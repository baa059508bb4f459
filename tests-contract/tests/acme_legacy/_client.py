"""What the three Acme clients share: the account store, the login, the error policy."""

from __future__ import annotations

import logging
import os
from typing import Any

from acme_cloud._store import AcmeCloud

from acme_legacy._errors import translate
from cloud_common.core import CloudCredentials, ErrorPolicy, ValidationError

__all__ = ["AcmeClient"]


class AcmeClient:
    """Mixin of the Acme clients; built by the registry as ``Class(credentials, **options)``.

    Options:
        root: The account store's directory (default ``$ACME_CLOUD_ROOT``).
        gateway_url: Base URL of the gateway serving presigned URLs.
    """

    provider_id = "acme"

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        gateway_url: str | None = None,
    ) -> None:
        self._credentials = credentials or CloudCredentials.from_env("acme")
        self.provider_id = self._credentials.provider.value
        where = root or self._credentials.metadata.get("root") or os.environ.get("ACME_CLOUD_ROOT")
        if not where:
            raise ValidationError(
                "root is required: pass root=... or set ACME_CLOUD_ROOT", provider=self.provider_id
            )
        self._gateway_url = gateway_url
        self._log = logging.getLogger(type(self).__module__)
        self._policy = ErrorPolicy(
            self.provider_id, translate, logger=self._log, secrets=self._credentials.secrets()
        )
        self._cloud: AcmeCloud = self._policy.call("connect", lambda: AcmeCloud(where))

    def _account(self) -> str:
        """Authenticate on every call, as a cloud would; the account name."""
        creds = self._credentials
        return self._cloud.authenticate(creds.access_key, creds.secret_key)

    @property
    def native(self) -> Any:
        """The ``AcmeCloud`` account store."""
        return self._cloud

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} provider={self.provider_id!r} root={str(self._cloud.root)!r}>"
        )

"""What the three Acme drivers share: the account store and the login of each call."""

from __future__ import annotations

from acme_cloud._options import AcmeOptions
from acme_cloud._remote import RemoteCloud
from acme_cloud._store import AcmeCloud
from cloud_common.core import CloudCredentials, ValidationError

__all__ = ["AcmeDriver"]


class AcmeDriver:
    """Base of the Acme drivers. The registry builds them as ``Driver(credentials, options)``
    and wraps them in core's portable clients, which apply every rule of the contract."""

    def __init__(self, credentials: CloudCredentials, options: AcmeOptions) -> None:
        root = options.root or credentials.metadata.get("root")
        self._endpoint = options.endpoint_url or credentials.metadata.get("endpoint_url")
        if not root and not self._endpoint:
            raise ValidationError(
                "option root (or endpoint_url) is required: pass root=... or set ACME_CLOUD_ROOT",
                provider="acme",
            )
        self._credentials = credentials
        self._options = options
        self._root = root or ""
        self._cloud: AcmeCloud | None = None

    def _login(self) -> tuple[AcmeCloud, str]:
        """Open the account store (at the first call, so a missing store fails that call)
        and authenticate, as a cloud does on every request: the store and the account.
        With ``endpoint_url`` the store is reached over HTTP (``RemoteCloud``)."""
        if self._cloud is None:
            opts = self._options
            self._cloud = (
                RemoteCloud(self._endpoint, opts.retry_or_default, opts.timeouts_or_default)
                if self._endpoint
                else AcmeCloud(self._root)
            )
        creds = self._credentials
        return self._cloud, self._cloud.authenticate(creds.access_key, creds.secret_key)

    @property
    def native(self) -> AcmeCloud:
        """The ``AcmeCloud`` account store."""
        cloud, _ = self._login()
        return cloud

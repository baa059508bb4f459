"""From ``CloudCredentials`` and ``AzureOptions`` to the Azure SDK's arguments.

Credentials mapping (also on the docs page):

- ``access_key``: the storage account name; ``secret_key``: its account key;
- ``metadata["connection_string"]`` or ``metadata["sas_token"]`` instead of a key;
- ``metadata["endpoint_url"]``: the blob account URL (``options.endpoint_url`` wins);
- ``project_id``: the subscription id; ``metadata["resource_group"]``: the resource group
  (``options.resource_group`` wins); ``region``: the location of new VMs and apps;
- no key, SAS or connection string: ``options.credential``, else ``DefaultAzureCredential``.
"""

from __future__ import annotations

import re
from typing import Any

from cloud_common.azure._options import AzureOptions
from cloud_common.azure._retry import arm_retry_kwargs, blob_retry_kwargs
from cloud_common.core import CloudCredentials, CloudProvider, ValidationError

__all__ = ["ARM_ENDPOINT", "AzureSettings", "arm_client_kwargs", "default_credential"]

ARM_ENDPOINT = "https://management.azure.com"
_LOCATION = re.compile(r"^[a-z][a-z0-9]{2,39}$")
_DEFAULT_REGION = "us-east-1"  # CloudCredentials' default: an AWS region


def default_credential() -> Any:
    """``azure.identity.DefaultAzureCredential`` (imported only when needed)."""
    from azure.identity import DefaultAzureCredential  # noqa: PLC0415

    return DefaultAzureCredential()


def arm_client_kwargs(options: AzureOptions) -> dict[str, Any]:
    """Keyword arguments of a Resource Manager client (``ComputeManagementClient``...)."""
    endpoint = (options.arm_endpoint or ARM_ENDPOINT).rstrip("/")
    return {
        "base_url": endpoint,
        "credential_scopes": [f"{ARM_ENDPOINT}/.default"],
        **arm_retry_kwargs(options.retry_or_default, options.timeouts_or_default),
        "connection_verify": options.connection_verify,
    }


class AzureSettings:
    """The checked credentials and options one client is built from."""

    def __init__(
        self,
        credentials: CloudCredentials | None,
        options: AzureOptions,
        *,
        needs_location: bool = False,
    ) -> None:
        creds = credentials if credentials is not None else CloudCredentials.from_env("azure")
        if not isinstance(creds, CloudCredentials):
            raise ValidationError(
                f"credentials must be CloudCredentials, not {type(creds).__name__}"
            )
        if creds.provider is not CloudProvider.AZURE:
            raise ValidationError(
                f"credentials are for provider {creds.provider.value!r}, not 'azure'"
            )
        self.credentials = creds
        self.options = options
        if needs_location:
            self.location  # noqa: B018 - checked now, before any call

    @property
    def location(self) -> str:
        """The Azure location (``eastus``...), checked.

        Raises:
            ValidationError: the region is missing, CloudCredentials' AWS default
                ``us-east-1``, or not shaped like an Azure location.
        """
        region = self.credentials.region
        if region == _DEFAULT_REGION:
            raise ValidationError(
                "region 'us-east-1' is not an Azure location (it is CloudCredentials' default, "
                "an AWS region): set CloudCredentials(region=...) to an Azure location such "
                "as 'eastus' or 'westeurope' (or AZURE_LOCATION for from_env)"
            )
        if not isinstance(region, str) or not _LOCATION.match(region):
            raise ValidationError(
                f"region {region!r} is not an Azure location: use a name such as 'eastus', "
                "'westeurope' or 'southeastasia' (lowercase, no spaces or hyphens)"
            )
        return region

    @property
    def subscription_id(self) -> str:
        """The subscription id (``credentials.project_id``)."""
        sub = self.credentials.project_id
        if not sub:
            raise ValidationError(
                "the subscription id is missing: set CloudCredentials(project_id=...) "
                "(or AZURE_SUBSCRIPTION_ID for from_env)"
            )
        return sub

    @property
    def resource_group(self) -> str:
        """The resource group of VMs and function apps."""
        group = self.options.resource_group or self.credentials.metadata.get("resource_group")
        if not group:
            raise ValidationError(
                "the resource group is missing: set metadata['resource_group'] in the "
                "credentials, the resource_group option, or AZURE_RESOURCE_GROUP"
            )
        return group

    def token_credential(self) -> Any:
        """The ``TokenCredential`` of Resource Manager calls."""
        return self.options.credential or default_credential()

    def blob_service(self) -> Any:
        """A ``BlobServiceClient`` with our retry policy, timeouts and transfer sizes."""
        from azure.storage.blob import BlobServiceClient  # noqa: PLC0415

        opts = self.options
        creds = self.credentials
        meta = creds.metadata
        kwargs: dict[str, Any] = {
            **blob_retry_kwargs(opts.retry_or_default, opts.timeouts_or_default),
            "connection_verify": opts.connection_verify,
            "max_block_size": opts.block_size,
            "max_single_put_size": opts.single_put_size,
            "max_single_get_size": opts.block_size,
            "max_chunk_get_size": opts.block_size,
        }
        endpoint = opts.endpoint_url or meta.get("endpoint_url")
        if meta.get("connection_string"):
            if endpoint:
                kwargs["account_url"] = endpoint
            return BlobServiceClient.from_connection_string(meta["connection_string"], **kwargs)
        account = creds.access_key
        if not endpoint:
            if not account:
                raise ValidationError(
                    "the storage account is missing: set CloudCredentials(access_key=<account "
                    "name>), metadata['endpoint_url'], or a connection string"
                )
            endpoint = f"https://{account}.blob.core.windows.net"
        credential: Any
        if creds.secret_key:
            from azure.core.credentials import AzureNamedKeyCredential  # noqa: PLC0415

            if not account:
                raise ValidationError(
                    "an account key needs the account name: set CloudCredentials(access_key=...)"
                )
            credential = AzureNamedKeyCredential(account, creds.secret_key)
        elif meta.get("sas_token"):
            from azure.core.credentials import AzureSasCredential  # noqa: PLC0415

            credential = AzureSasCredential(meta["sas_token"].lstrip("?"))
        else:
            credential = self.token_credential()
        return BlobServiceClient(endpoint.rstrip("/"), credential=credential, **kwargs)

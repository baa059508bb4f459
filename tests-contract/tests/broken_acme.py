"""Deliberately broken variants of the Acme example provider, for the suite's self-tests.

Each variant is a real plugin: ``test_teeth.py`` writes a ``*.dist-info`` folder whose entry
points name the ``ProviderInfo`` objects below, so the registry discovers them, builds their
clients and wraps them in core's guard, exactly as it does for any installed provider.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from acme_cloud._compute import AcmeComputeClient
from acme_cloud._info import PROVIDER
from acme_cloud._serverless import AcmeServerlessClient
from acme_cloud._storage import AcmeStorageClient
from acme_cloud.testing import AcmeHarness

from cloud_common.core import Capability, CloudCredentials, ObjectInfo, ProviderInfo

logger = logging.getLogger("broken_acme")

SERVICES = {
    "storage": "broken_acme:Storage",
    "compute": "broken_acme:Compute",
    "serverless": "broken_acme:Serverless",
}


def _info(pid: str, **changes: Any) -> ProviderInfo:
    services = {**SERVICES, **changes.pop("services", {})}
    return replace(
        PROVIDER,
        id=pid,
        services=services,
        harness=changes.pop("harness", "broken_acme:Harness"),
        **changes,
    )


class Harness(AcmeHarness):
    """The Acme harness; the provider id is given by the plugin (``--cloud-provider``)."""

    provider_id = ""


class NoBadCredentialsHarness(Harness):
    """A harness that offers no bad credentials: those tests skip."""

    def bad_credentials(self) -> CloudCredentials | None:
        return None


class Storage(AcmeStorageClient):
    pass


class Compute(AcmeComputeClient):
    pass


class Serverless(AcmeServerlessClient):
    pass


# -- one defect each ---------------------------------------------------------------------------


class DropByteStorage(AcmeStorageClient):
    """A download that drops the last byte."""

    def download_file(self, bucket: str, key: str) -> bytes:
        data = super().download_file(bucket, key)
        return data[:-1] if data else data


class NoDeleteStorage(AcmeStorageClient):
    """A delete that says True and deletes nothing."""

    def delete_file(self, bucket: str, key: str) -> bool:
        return True


class OmitsStorage(AcmeStorageClient):
    """A listing that leaves out the last object."""

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        items = list(super().list_objects(bucket, prefix, delimiter=delimiter, page_size=page_size))
        return iter(items[:-1])


class LiarStorage(AcmeStorageClient):
    """object_exists says True for anything."""

    def object_exists(self, bucket: str, key: str) -> bool:
        return True


class TerminateFalseCompute(AcmeComputeClient):
    """terminate_instance of an id it cannot find says False (the table says True)."""

    def terminate_instance(self, instance_id: str) -> bool:
        if instance_id not in self._cloud.instances():
            logger.warning("no instance %s", instance_id)
            return False
        return super().terminate_instance(instance_id)


class EscapeStorage(AcmeStorageClient):
    """download_file without the error policy: Acme's own exception escapes."""

    def download_file(self, bucket: str, key: str) -> bytes:
        self._account()
        return self._cloud.object_path(bucket, key).read_bytes()


class LeakyStorage(AcmeStorageClient):
    """Logs the secret key at DEBUG."""

    def list_buckets(self) -> list[str]:
        logger.debug("listing buckets as %s", self._credentials.secret_key)
        return super().list_buckets()


class LeakyErrorStorage(AcmeStorageClient):
    """Puts the account's real secret into the error for wrong credentials."""

    def _account(self) -> str:
        try:
            return super()._account()
        except Exception as exc:
            accounts = self._cloud.root / "accounts.json"
            raise type(exc)(f"wrong secret, expected one of {accounts.read_text()}") from None


class SilentStorage(AcmeStorageClient):
    """delete_file in a missing bucket returns False without the WARNING."""

    def delete_file(self, bucket: str, key: str) -> bool:
        if bucket not in self._cloud.buckets():
            return False
        return super().delete_file(bucket, key)


class RawStateCompute(AcmeComputeClient):
    """Reports the native state as status, not an InstanceState value."""

    def _resource(self, instance: dict[str, Any]) -> dict[str, Any]:
        data = super()._resource(instance)
        data["status"] = instance["state"]
        return data


class BadSignatureStorage(AcmeStorageClient):
    """Presigned URLs with a broken signature."""

    def generate_presigned_url(
        self, bucket: str, key: str, expires_in: int = 3600, **kwargs: Any
    ) -> str:
        return super().generate_presigned_url(bucket, key, expires_in, **kwargs) + "0"


# -- the plugins ---------------------------------------------------------------------------------

_NO_COPY = frozenset(c for c in PROVIDER.capabilities if c != Capability.COPY_FILE.value)

VARIANTS: dict[str, ProviderInfo] = {
    "acme-ok": _info("acme-ok"),
    "acme-dropbyte": _info("acme-dropbyte", services={"storage": "broken_acme:DropByteStorage"}),
    "acme-nodelete": _info("acme-nodelete", services={"storage": "broken_acme:NoDeleteStorage"}),
    "acme-omits": _info("acme-omits", services={"storage": "broken_acme:OmitsStorage"}),
    "acme-liar": _info("acme-liar", services={"storage": "broken_acme:LiarStorage"}),
    "acme-terminate": _info(
        "acme-terminate", services={"compute": "broken_acme:TerminateFalseCompute"}
    ),
    "acme-escape": _info("acme-escape", services={"storage": "broken_acme:EscapeStorage"}),
    "acme-leaky": _info("acme-leaky", services={"storage": "broken_acme:LeakyStorage"}),
    "acme-leakyerror": _info(
        "acme-leakyerror", services={"storage": "broken_acme:LeakyErrorStorage"}
    ),
    "acme-silent": _info("acme-silent", services={"storage": "broken_acme:SilentStorage"}),
    "acme-rawstate": _info("acme-rawstate", services={"compute": "broken_acme:RawStateCompute"}),
    "acme-badsig": _info("acme-badsig", services={"storage": "broken_acme:BadSignatureStorage"}),
    "acme-undeclared": _info("acme-undeclared", capabilities=_NO_COPY),
    "acme-nobadcreds": _info("acme-nobadcreds", harness="broken_acme:NoBadCredentialsHarness"),
}


def entry_points_txt() -> str:
    """The ``entry_points.txt`` that makes every variant an installed plugin."""
    lines = ["[cloud_common.providers]"]
    lines += [f"{pid} = broken_acme:{_attr(pid)}" for pid in VARIANTS]
    return "\n".join(lines) + "\n"


def _attr(pid: str) -> str:
    return "INFO_" + pid.replace("-", "_").upper()


for _pid, _variant in VARIANTS.items():
    globals()[_attr(_pid)] = _variant


class BrokenStartHarness(Harness):
    """A harness whose emulator cannot start."""

    def start(self) -> None:
        raise RuntimeError("the emulator binary is missing")


class NotAHarness:
    """Not a subclass of cloud_common.contract_tests.Harness."""

"""Deliberately broken variants of the Acme example provider, for the suite's self-tests.

Each variant is a real plugin: ``conftest.install_variants`` writes a ``*.dist-info`` folder
whose entry points name the ``ProviderInfo`` objects below, so the registry discovers them,
builds their drivers and wraps them in core's portable clients, exactly as it does for any
installed provider. Most variants break one rule the suite must catch; ``REPAIRED`` ones
break a rule core now enforces for every driver, so the suite must pass them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from acme_cloud._compute import AcmeComputeDriver
from acme_cloud._connection import AcmeDriver
from acme_cloud._errors import translate
from acme_cloud._info import PROVIDER
from acme_cloud._remote import RemoteCloud
from acme_cloud._serverless import AcmeServerlessDriver
from acme_cloud._storage import AcmeStorageDriver
from acme_cloud._store import AcmeAuthError, AcmeCloud, AcmeFunctionFailed, AcmeNoSuchKey
from acme_cloud.testing import AcmeHarness
from acme_legacy._info import PROVIDER as LEGACY_PROVIDER
from acme_legacy._storage import AcmeStorageClient as LegacyStorageClient
from acme_legacy.testing import AcmeHarness as LegacyAcmeHarness

from cloud_common.core import (
    BucketRules,
    Capability,
    CloudCredentials,
    CloudError,
    Deadline,
    DownloadTarget,
    FunctionInvocationError,
    ObjectInfo,
    ProviderInfo,
    StorageClient,
)

logger = logging.getLogger("broken_acme")


def _info(
    pid: str,
    *,
    services: dict[str, str] | None = None,
    harness: str = "broken_acme:Harness",
    **changes: Any,
) -> ProviderInfo:
    """Acme's declaration under another id, with some of its parts replaced."""
    merged = {**PROVIDER.services, **(services or {})}
    return replace(PROVIDER, id=pid, services=merged, harness=harness, **changes)


class Harness(AcmeHarness):
    """The Acme harness; the provider id is given by the plugin (``--cloud-provider``)."""

    provider_id = ""


class LegacyHarness(LegacyAcmeHarness):
    """The 0.2 Acme harness, for any provider id."""

    provider_id = ""


class NoBadCredentialsHarness(Harness):
    """A harness that offers no bad credentials: those tests skip."""

    def bad_credentials(self) -> CloudCredentials | None:
        return None


class NoNetworkHarness(Harness):
    """A harness that says the storage client makes no network call (as local's)."""

    def makes_network_calls(self, service: str) -> bool:
        return service != "storage"


class BrokenStartHarness(Harness):
    """A harness whose emulator cannot start."""

    def start(self) -> None:
        raise RuntimeError("the emulator binary is missing")


class NotAHarness:
    """Not a subclass of cloud_common.contract_tests.Harness."""


# -- one defect each: the suite must fail ----------------------------------------------------


class DropByteStorage(AcmeStorageDriver):
    """A download that drops the last byte."""

    def download_file(self, bucket: str, key: str) -> bytes:
        data = super().download_file(bucket, key)
        return data[:-1] if data else data


class NoDeleteStorage(AcmeStorageDriver):
    """A delete that says True and deletes nothing."""

    def delete_file(self, bucket: str, key: str) -> bool:
        return True


class OmitsStorage(AcmeStorageDriver):
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


class LiarStorage(AcmeStorageDriver):
    """object_exists (a driver may override core's default) says True for anything."""

    def object_exists(self, bucket: str, key: str) -> bool:
        return True


class TerminateFalseCompute(AcmeComputeDriver):
    """terminate_instance of an id it cannot find says False (the table says True)."""

    def terminate_instance(self, instance_id: str) -> bool:
        cloud, _ = self._login()
        if instance_id not in cloud.instances():
            return False
        return super().terminate_instance(instance_id)


def translate_without_keys(exc: BaseException) -> CloudError | None:
    """Acme's translation, missing one SDK exception."""
    return None if isinstance(exc, AcmeNoSuchKey) else translate(exc)


class LeakyStorage(AcmeStorageDriver):
    """Logs the secret key at DEBUG."""

    def list_buckets(self) -> list[str]:
        logger.debug("listing buckets as %s", self._credentials.secret_key)
        return super().list_buckets()


class LeakyErrorStorage(AcmeStorageDriver):
    """Puts the accounts' real secrets into the error for wrong credentials."""

    def _login(self) -> tuple[AcmeCloud, str]:
        try:
            return super()._login()
        except AcmeAuthError:
            accounts = Path(self._root) / "accounts.json"
            raise AcmeAuthError(f"wrong secret, expected one of {accounts.read_text()}") from None


class DoubleWarningStorage(AcmeStorageDriver):
    """Logs its own WARNING for a False (a driver must not: core logs the one WARNING)."""

    def delete_file(self, bucket: str, key: str) -> bool:
        cloud, _ = self._login()
        if bucket not in cloud.buckets():
            logger.warning("delete_file: no bucket %s", bucket)
            return False
        return super().delete_file(bucket, key)


class LegacySilentStorage(LegacyStorageClient):
    """A 0.2 client whose False for a missing bucket has no WARNING (0.2 clients log their
    own, so core does not add one)."""

    def delete_file(self, bucket: str, key: str) -> bool:
        if bucket not in self._cloud.buckets():
            return False
        return super().delete_file(bucket, key)


class RawStateCompute(AcmeComputeDriver):
    """Reports the native state as status, not an InstanceState value."""

    def _resource(self, instance: dict[str, Any]) -> dict[str, Any]:
        data = super()._resource(instance)
        data["status"] = instance["state"]
        return data


class BadSignatureStorage(AcmeStorageDriver):
    """Presigned URLs with a broken signature."""

    def generate_presigned_url(
        self,
        bucket: str,
        key: str,
        expires_in: int = 3600,
        *,
        method: str = "GET",
        content_type: Optional[str] = None,
    ) -> str:
        url = super().generate_presigned_url(
            bucket, key, expires_in, method=method, content_type=content_type
        )
        return url + "0"


class NoCopyStorage(AcmeStorageDriver):
    """Declares storage.copy_file (Acme's declaration) without implementing it."""

    copy_file = StorageClient.copy_file


class ForeverURLStorage(AcmeStorageDriver):
    """Ignores expires_in: every presigned URL lives the longest time allowed."""

    def generate_presigned_url(
        self,
        bucket: str,
        key: str,
        expires_in: int = 3600,
        *,
        method: str = "GET",
        content_type: Optional[str] = None,
    ) -> str:
        return super().generate_presigned_url(
            bucket, key, 604800, method=method, content_type=content_type
        )


class UnboundKeyHarness(Harness):
    """Its gateway (the cloud's side) and the driver sign a URL without its key: any key of
    the bucket is served with another key's signature."""

    def start(self) -> None:
        import acme_cloud._gateway as gateway

        signature = gateway._signature

        def without_key(
            secret: str, method: str, bucket: str, key: str, expires: int, account: str
        ) -> str:
            return signature(secret, method, bucket, "", expires, account)

        gateway._signature = without_key
        super().start()


class UploadOrderStorage(AcmeStorageDriver):
    """Lists objects in upload order (every sorted fixture hides it)."""

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ObjectInfo]:
        items = super().list_objects(bucket, prefix, delimiter=delimiter, page_size=page_size)
        if delimiter is not None:
            return items
        return iter(sorted(items, key=lambda o: o.last_modified or datetime.min))


class _MergingCloud(AcmeCloud):
    """Stores keys "normalised": a space becomes an underscore."""

    def _object(self, bucket: str, key: str) -> Path:
        return super()._object(bucket, key.replace(" ", "_"))


class MergingStorage(AcmeStorageDriver):
    """Normalises keys: "a b" and "a_b" are one object (silent data loss)."""

    def _login(self) -> tuple[AcmeCloud, str]:
        if self._cloud is None:
            self._cloud = _MergingCloud(self._root)
        return super()._login()


class NoPayloadServerless(AcmeServerlessDriver):
    """Invocation errors carry the remote message in their text only."""

    def invoke_function(self, function_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().invoke_function(function_name, payload)
        except AcmeFunctionFailed as exc:
            raise FunctionInvocationError(
                str(exc), error_type=exc.error_type, status=exc.status
            ) from None


class ReprLeakStorage(AcmeStorageDriver):
    """Shows its credentials in its own repr."""

    def __repr__(self) -> str:
        return f"<AcmeStorageDriver {self._credentials.access_key}:{self._credentials.secret_key}>"


class AllBucketsStorage(AcmeStorageDriver):
    """Lists the buckets of every account."""

    def list_buckets(self) -> list[str]:
        cloud, _ = self._login()
        return cloud.buckets()


class _ReplayingCloud(RemoteCloud):
    """Sends a write again after its connection broke (the service may have applied it)."""

    replay_writes = True


class _NoDeadlineCloud(RemoteCloud):
    """Waits the full read timeout for every reply, whatever the call's deadline says."""

    def _attempt_timeout(self, deadline: Deadline) -> float:
        return self._timeouts.read


class _RemoteWith(AcmeDriver):
    """Drivers given endpoint_url reach the store through ``remote`` (a RemoteCloud)."""

    remote: type[RemoteCloud] = RemoteCloud

    def _login(self) -> tuple[AcmeCloud, str]:
        if self._cloud is None and self._endpoint:
            opts = self._options
            self._cloud = self.remote(
                self._endpoint, opts.retry_or_default, opts.timeouts_or_default
            )
        return super()._login()


class ReplayStorage(_RemoteWith, AcmeStorageDriver):
    remote = _ReplayingCloud


class ReplayCompute(_RemoteWith, AcmeComputeDriver):
    remote = _ReplayingCloud


class ReplayServerless(_RemoteWith, AcmeServerlessDriver):
    remote = _ReplayingCloud


class NoDeadlineStorage(_RemoteWith, AcmeStorageDriver):
    remote = _NoDeadlineCloud


def translate_verbose(exc: BaseException) -> CloudError | None:
    """Acme's translation, with the raw exchange in the message."""
    err = translate(exc)
    if err is not None:
        err.message = f"{err.message}\nHTTP/1.1 404 Not Found\n<?xml version='1.0'?><Error/>"
    return err


class IgnoresKeywordsServerless(AcmeServerlessDriver):
    """Accepts environment, timeout and memory_size, and drops them."""

    def create_function(
        self, name: str, runtime: str, handler: str, code_path: str, **kwargs: Any
    ) -> dict[str, Any]:
        tags = {"tags": kwargs["tags"]} if "tags" in kwargs else {}
        return super().create_function(name, runtime, handler, code_path, **tags)


class SharedBufferStorage(AcmeStorageDriver):
    """Keeps the object being uploaded in the client: threads overwrite each other's data."""

    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: Optional[str] = None,
        *,
        metadata: Optional[dict[str, str]] = None,
    ) -> str:
        self._pending = data
        time.sleep(0.002)
        return super().upload_file(bucket, key, self._pending, content_type, metadata=metadata)


# -- defects core repairs for every driver: the suite must pass --------------------------------


class SilentStorage(AcmeStorageDriver):
    """A 0.3 driver's False without a WARNING: core logs the one WARNING itself."""

    def delete_file(self, bucket: str, key: str) -> bool:
        cloud, _ = self._login()
        if bucket not in cloud.buckets():
            return False
        return super().delete_file(bucket, key)


class PartialStorage(AcmeStorageDriver):
    """Writes part of an object before failing: core writes paths through a temp file."""

    def download_stream(
        self,
        bucket: str,
        key: str,
        dest: DownloadTarget,
        *,
        byte_range: Optional[tuple[int, Optional[int]]] = None,
    ) -> int:
        cloud, _ = self._login()
        try:
            cloud.head_object(bucket, key)
        except AcmeNoSuchKey:
            assert not isinstance(dest, (str, os.PathLike)), "core opens paths for drivers"
            dest.write(b"half an object")
            raise
        return super().download_stream(bucket, key, dest, byte_range=byte_range)


class WrongURLStorage(AcmeStorageDriver):
    """Returns a URL of its own from uploads: core returns the canonical one."""

    def upload_file(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: Optional[str] = None,
        *,
        metadata: Optional[dict[str, str]] = None,
    ) -> str:
        super().upload_file(bucket, key, data, content_type, metadata=metadata)
        return f"https://acme.example/{key}"


# -- the plugins ---------------------------------------------------------------------------------

_NO_COPY = frozenset(c for c in PROVIDER.capabilities if c != Capability.COPY_FILE.value)

VARIANTS: dict[str, ProviderInfo] = {
    "acme-dropbyte": _info("acme-dropbyte", services={"storage": "broken_acme:DropByteStorage"}),
    "acme-nodelete": _info("acme-nodelete", services={"storage": "broken_acme:NoDeleteStorage"}),
    "acme-omits": _info("acme-omits", services={"storage": "broken_acme:OmitsStorage"}),
    "acme-liar": _info("acme-liar", services={"storage": "broken_acme:LiarStorage"}),
    "acme-terminate": _info(
        "acme-terminate", services={"compute": "broken_acme:TerminateFalseCompute"}
    ),
    "acme-escape": _info("acme-escape", errors="broken_acme:translate_without_keys"),
    "acme-leaky": _info("acme-leaky", services={"storage": "broken_acme:LeakyStorage"}),
    "acme-leakyerror": _info(
        "acme-leakyerror", services={"storage": "broken_acme:LeakyErrorStorage"}
    ),
    "acme-doublewarn": _info(
        "acme-doublewarn", services={"storage": "broken_acme:DoubleWarningStorage"}
    ),
    "acme-silent02": replace(
        LEGACY_PROVIDER,
        id="acme-silent02",
        services={**LEGACY_PROVIDER.services, "storage": "broken_acme:LegacySilentStorage"},
        harness="broken_acme:LegacyHarness",
    ),
    "acme-rawstate": _info("acme-rawstate", services={"compute": "broken_acme:RawStateCompute"}),
    "acme-badsig": _info("acme-badsig", services={"storage": "broken_acme:BadSignatureStorage"}),
    "acme-undeclared": _info("acme-undeclared", capabilities=_NO_COPY),
    "acme-overclaims": _info("acme-overclaims", services={"storage": "broken_acme:NoCopyStorage"}),
    "acme-nobadcreds": _info("acme-nobadcreds", harness="broken_acme:NoBadCredentialsHarness"),
    "acme-forever": _info("acme-forever", services={"storage": "broken_acme:ForeverURLStorage"}),
    "acme-unbound": _info("acme-unbound", harness="broken_acme:UnboundKeyHarness"),
    "acme-uploadorder": _info(
        "acme-uploadorder", services={"storage": "broken_acme:UploadOrderStorage"}
    ),
    "acme-merging": _info("acme-merging", services={"storage": "broken_acme:MergingStorage"}),
    "acme-nopayload": _info(
        "acme-nopayload", services={"serverless": "broken_acme:NoPayloadServerless"}
    ),
    "acme-reprleak": _info("acme-reprleak", services={"storage": "broken_acme:ReprLeakStorage"}),
    "acme-allbuckets": _info(
        "acme-allbuckets", services={"storage": "broken_acme:AllBucketsStorage"}
    ),
    "acme-replays": _info(
        "acme-replays",
        services={
            "storage": "broken_acme:ReplayStorage",
            "compute": "broken_acme:ReplayCompute",
            "serverless": "broken_acme:ReplayServerless",
        },
    ),
    "acme-nodeadline": _info(
        "acme-nodeadline", services={"storage": "broken_acme:NoDeadlineStorage"}
    ),
    "acme-verbose": _info("acme-verbose", errors="broken_acme:translate_verbose"),
    "acme-ignoreskw": _info(
        "acme-ignoreskw", services={"serverless": "broken_acme:IgnoresKeywordsServerless"}
    ),
    "acme-sharedbuffer": _info(
        "acme-sharedbuffer", services={"storage": "broken_acme:SharedBufferStorage"}
    ),
    "acme-anybucket": _info(
        "acme-anybucket",
        bucket_rules=BucketRules(pattern=r".+", description="any name at all"),
    ),
    # repaired by core
    "acme-silent": _info("acme-silent", services={"storage": "broken_acme:SilentStorage"}),
    "acme-partial": _info("acme-partial", services={"storage": "broken_acme:PartialStorage"}),
    "acme-wrongurl": _info("acme-wrongurl", services={"storage": "broken_acme:WrongURLStorage"}),
}

INCOMPATIBLE: dict[str, ProviderInfo] = {
    f"acme-v{version.replace('.', '')}": replace(
        PROVIDER, id=f"acme-v{version.replace('.', '')}", contract_version=version
    )
    for version in ("0.1", "1.0")
}
"""Providers written for contracts this core does not load: skipped at discovery."""


def entry_points_txt(infos: dict[str, ProviderInfo]) -> str:
    """The ``entry_points.txt`` that makes each of ``infos`` an installed plugin."""
    lines = ["[cloud_common.providers]"]
    lines += [f"{pid} = broken_acme:{_attr(pid)}" for pid in infos]
    return "\n".join(lines) + "\n"


def _attr(pid: str) -> str:
    return "INFO_" + pid.replace("-", "_").upper()


for _pid, _variant in {**VARIANTS, **INCOMPATIBLE}.items():
    globals()[_attr(_pid)] = _variant

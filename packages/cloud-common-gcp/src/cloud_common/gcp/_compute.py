"""Compute Engine through google-cloud-compute (REST): the ComputeClient contract."""

from __future__ import annotations

import datetime
import functools
import logging
import re
import time
from collections.abc import Callable
from typing import Any, Optional, TypeVar, Union

from google.api_core import exceptions as gexc
from google.cloud import compute_v1

from cloud_common.core import (
    CloudCredentials,
    CloudError,
    CloudProvider,
    CloudResource,
    ComputeClient,
    ConflictError,
    ErrorPolicy,
    InstanceNotFoundError,
    InstanceState,
    ResourceType,
    TimeoutError,  # noqa: A004
    ValidationError,
)
from cloud_common.gcp._config import GcpSettings, make_retry, resolve_settings
from cloud_common.gcp._errors import translate
from cloud_common.gcp._states import instance_state

__all__ = ["GCEComputeClient"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
_PATH = re.compile(r"(?:^|/)zones/([a-z0-9-]+)/instances/([a-z0-9-]+)$")
_CAN_START = {"TERMINATED", "STOPPED"}
_ALREADY_UP = {"RUNNING", "PROVISIONING", "STAGING", "PENDING", "REPAIRING"}
_ALREADY_DOWN = {
    "STOPPING",
    "PENDING_STOP",
    "TERMINATED",
    "STOPPED",
    "SUSPENDING",
    "SUSPENDED",
    "DEPROVISIONING",
}


def _translate(exc: BaseException) -> CloudError | None:
    return translate(exc, InstanceNotFoundError)


class GCEComputeClient(ComputeClient):
    """Compute Engine virtual machines.

    Instance ids are ``"<zone>/<name>"`` (what ``list_instances`` returns); a bare name
    means the configured zone, and full resource paths or self links work too.

    Args:
        credentials: ``CloudCredentials(provider="gcp", project_id=..., region=...,
            metadata={"zone": ...})``; None reads the environment.
        retry_policy: Retries per call; its ``deadline`` also bounds operation waits.
        timeouts: Per-request timeouts (the read timeout is passed to each call).
        api_endpoint: Compute API endpoint (also ``metadata["compute_endpoint"]``); an
            ``http://`` endpoint uses anonymous credentials.
        page_size: ``maxResults`` of each ``aggregatedList`` page (default 500).
        google_credentials: A google-auth credentials object to use as is.
    """

    provider_id = "gcp"

    def __init__(self, credentials: Optional[CloudCredentials] = None, **options: Any) -> None:
        opts = dict(options)
        self._settings: GcpSettings = resolve_settings(
            credentials, opts, endpoint_key="compute_endpoint"
        )
        self._page_size = int(opts.pop("page_size", 500))
        if opts:
            raise ValidationError(
                f"unknown options for the gcp compute client: {sorted(opts)}", provider="gcp"
            )
        settings = self._settings
        creds = settings.load_credentials()
        client_options = {"api_endpoint": settings.endpoint} if settings.endpoint else None
        self._instances = compute_v1.InstancesClient(
            credentials=creds, client_options=client_options, transport="rest"
        )
        # Built with the same endpoint: the transport's own operations client ignores
        # client_options and would poll compute.googleapis.com.
        self._operations = compute_v1.ZoneOperationsClient(
            credentials=creds, client_options=client_options, transport="rest"
        )
        self._policy = ErrorPolicy("gcp", _translate, logger=logger, secrets=settings.secrets)
        self._timeout = settings.timeouts.read

    def __repr__(self) -> str:
        s = self._settings
        return (
            f"GCEComputeClient(project={s.project_id!r}, zone={s.zone!r}, endpoint={s.endpoint!r})"
        )

    @property
    def native(self) -> compute_v1.InstancesClient:
        """The ``compute_v1.InstancesClient`` this client drives."""
        return self._instances

    def close(self) -> None:
        """Close the HTTP sessions. Safe to call twice."""
        for client in (self._instances, self._operations):
            client.transport.close()  # type: ignore[no-untyped-call]

    # -- plumbing ---------------------------------------------------------------------

    def _call(self, operation: str, fn: Callable[[], T], resource: str | None) -> T:
        with self._policy.translating(operation, resource):
            return fn()
        raise AssertionError("unreachable")  # pragma: no cover

    def _kw(self, operation: str) -> dict[str, Any]:
        return {
            "retry": make_retry(self._settings.retry_policy, operation=operation),
            "timeout": self._timeout,
        }

    def _locate(self, instance_id: str, operation: str) -> tuple[str, str]:
        """``(zone, name)`` of an instance id."""
        value = instance_id.strip()
        match = _PATH.search(value)
        if match:
            return match.group(1), match.group(2)
        if "/" in value:
            zone, _, name = value.partition("/")
            if _NAME.match(name):
                return zone, name
        elif value.isdigit():
            return self._find_numeric(value, operation)
        elif _NAME.match(value):
            return self._settings.zone, value
        raise ValidationError(
            f"instance_id {instance_id!r} is invalid: use '<zone>/<name>', a name, "
            "or a numeric instance id",
            operation=operation,
        )

    def _find_numeric(self, numeric: str, operation: str) -> tuple[str, str]:
        request = compute_v1.AggregatedListInstancesRequest(
            project=self._settings.project_id, filter=f"id = {numeric}"
        )
        pager = self._call(
            operation,
            lambda: self._instances.aggregated_list(request=request, **self._kw(operation)),
            numeric,
        )
        for scope, scoped in pager:
            for inst in scoped.instances:
                if str(inst.id) == numeric:
                    return scope.rsplit("/", 1)[-1], inst.name
        raise InstanceNotFoundError(
            f"no instance has id {numeric}", provider="gcp", operation=operation, resource=numeric
        )

    def _get(self, zone: str, name: str, operation: str) -> compute_v1.Instance:
        return self._call(
            operation,
            lambda: self._instances.get(
                project=self._settings.project_id, zone=zone, instance=name, **self._kw(operation)
            ),
            f"{zone}/{name}",
        )

    def _wait(self, op: compute_v1.Operation, zone: str, operation: str, resource: str) -> None:
        """Wait for a zone operation until DONE or the policy's deadline; raise its error."""
        deadline = time.monotonic() + self._settings.retry_policy.deadline
        done = compute_v1.Operation.Status.DONE
        while op.status != done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"operation {op.name} not done after {self._settings.retry_policy.deadline:g}s",
                    provider="gcp",
                    operation=operation,
                    resource=resource,
                )
            op = self._call(
                operation,
                functools.partial(
                    self._operations.wait,
                    project=self._settings.project_id,
                    zone=zone,
                    operation=op.name,
                    retry=make_retry(self._settings.retry_policy, operation=operation),
                    timeout=min(remaining, max(self._timeout, 1.0)),
                ),
                resource,
            )
        if op.error and op.error.errors:
            detail = "; ".join(f"{e.code}: {e.message}" for e in op.error.errors)
            status = op.http_error_status_code or 400
            exc = gexc.from_http_status(  # type: ignore[no-untyped-call]
                status, f"{op.http_error_message or 'failed'} {detail}"
            )
            err = self._policy.error(exc, operation, resource)
            raise err from exc

    def _resource(
        self, inst: compute_v1.Instance, zone: str, image: str | None = None
    ) -> dict[str, Any]:
        native = inst.status or ""
        nics = list(inst.network_interfaces)
        private_ip = nics[0].network_i_p if nics else None
        public_ip = None
        if nics and nics[0].access_configs:
            public_ip = nics[0].access_configs[0].nat_i_p or None
        created = None
        if inst.creation_timestamp:
            created = datetime.datetime.fromisoformat(
                inst.creation_timestamp.replace("Z", "+00:00")
            )
        metadata: dict[str, Any] = {
            "native_state": native,
            "zone": zone,
            "instance_type": inst.machine_type.rsplit("/", 1)[-1] if inst.machine_type else None,
            "private_ip": private_ip or None,
            "public_ip": public_ip,
            "numeric_id": str(inst.id) if inst.id else None,
            "self_link": inst.self_link or None,
        }
        if image:
            metadata["image"] = image
        return CloudResource(
            id=f"{zone}/{inst.name}",
            name=inst.name,
            resource_type=ResourceType.COMPUTE,
            provider=CloudProvider.GCP,
            region=zone.rsplit("-", 1)[0],
            status=instance_state(native).value,
            created_at=created,
            tags=dict(inst.labels),
            metadata=metadata,
        ).to_dict()

    # -- the spec's methods -----------------------------------------------------------

    def list_instances(self) -> list[dict[str, Any]]:
        """Every instance of the project in every zone (``aggregatedList``, all pages)."""
        request = compute_v1.AggregatedListInstancesRequest(
            project=self._settings.project_id,
            max_results=self._page_size,
        )

        def run() -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            pager = self._instances.aggregated_list(request=request, **self._kw("list_instances"))
            for scope, scoped in pager:
                zone = scope.rsplit("/", 1)[-1]
                out.extend(self._resource(inst, zone) for inst in scoped.instances)
            return out

        return self._call("list_instances", run, f"project {self._settings.project_id}")

    def start_instance(self, instance_id: str) -> bool:
        """Start a stopped (TERMINATED) or resume a SUSPENDED instance and wait for it.

        True when running or starting (also already); False (one WARNING) for an unknown
        id or an instance still stopping.
        """
        return self._transition("start_instance", instance_id)

    def stop_instance(self, instance_id: str) -> bool:
        """Stop a running instance and wait for it. True when stopping or stopped (also
        already); False (one WARNING) for an unknown id or one still starting."""
        return self._transition("stop_instance", instance_id)

    def _transition(self, operation: str, instance_id: str) -> bool:
        try:
            zone, name = self._locate(instance_id, operation)
            inst = self._get(zone, name, operation)
        except InstanceNotFoundError as exc:
            return self._policy.soft_fail(operation, instance_id, False, exc.message)
        native = (inst.status or "").upper()
        where = f"{zone}/{name}"
        project = self._settings.project_id
        if operation == "start_instance":
            if native in _ALREADY_UP:
                return True
            if native == "SUSPENDED":
                call: Callable[..., compute_v1.Operation] = self._instances.resume_unary
            elif native in _CAN_START:
                call = self._instances.start_unary
            else:
                return self._policy.soft_fail(
                    operation, where, False, f"cannot start an instance that is {native}"
                )
        else:
            if native in _ALREADY_DOWN:
                return True
            if native != "RUNNING":
                return self._policy.soft_fail(
                    operation, where, False, f"cannot stop an instance that is {native}"
                )
            call = self._instances.stop_unary
        try:
            op = self._call(
                operation,
                lambda: call(project=project, zone=zone, instance=name, **self._kw(operation)),
                where,
            )
            self._wait(op, zone, operation, where)
        except InstanceNotFoundError as exc:
            return self._policy.soft_fail(operation, where, False, exc.message)
        except ConflictError as exc:
            return self._policy.soft_fail(operation, where, False, exc.message)
        return True

    def terminate_instance(self, instance_id: str) -> bool:
        """Delete the instance and wait for it. True when gone, also for an unknown id;
        False (one WARNING) when refused (e.g. deletion protection)."""
        operation = "terminate_instance"
        try:
            zone, name = self._locate(instance_id, operation)
        except InstanceNotFoundError:
            return True
        where = f"{zone}/{name}"
        try:
            op = self._call(
                operation,
                lambda: self._instances.delete_unary(
                    project=self._settings.project_id,
                    zone=zone,
                    instance=name,
                    **self._kw(operation),
                ),
                where,
            )
            self._wait(op, zone, operation, where)
        except InstanceNotFoundError:
            return True
        except (ConflictError, ValidationError) as exc:
            return self._policy.soft_fail(operation, where, False, f"refused: {exc.message}")
        return True

    def create_instance(self, name: str, instance_type: str,
                        image_id: str, **kwargs: Any) -> dict[str, Any]:  # fmt: skip
        """Create a VM and wait until the insert operation is done.

        Keyword args: ``zone``, ``tags`` (→ labels), ``metadata`` (dict),
        ``startup_script`` (or ``user_data``), ``network`` (default
        ``global/networks/default``), ``subnetwork``, ``external_ip`` (default True),
        ``disk_size_gb``, ``service_account`` (email).

        ``image_id``: an image URL or path (``projects/debian-cloud/global/images/...``),
        ``<project>/<family>`` (``debian-cloud/debian-12``), or an image name of the project.

        Raises:
            ValidationError: a bad name or argument; AlreadyExistsError: the name is taken.
        """
        operation = "create_instance"
        if not _NAME.match(name):
            raise ValidationError(
                f"name {name!r} is invalid: Compute Engine names are 1-63 lowercase letters, "
                "digits and '-', starting with a letter",
                operation=operation,
            )
        zone = kwargs.pop("zone", None) or self._settings.zone
        instance = self._build_instance(name, zone, instance_type, image_id, dict(kwargs))
        where = f"{zone}/{name}"
        op = self._call(
            operation,
            lambda: self._instances.insert_unary(
                project=self._settings.project_id,
                zone=zone,
                instance_resource=instance,
                **self._kw(operation),
            ),
            where,
        )
        self._wait(op, zone, operation, where)
        image = instance.disks[0].initialize_params.source_image
        return self._resource(self._get(zone, name, operation), zone, image)

    def _build_instance(
        self, name: str, zone: str, instance_type: str, image_id: str, kwargs: dict[str, Any]
    ) -> compute_v1.Instance:
        project = self._settings.project_id
        machine = (
            instance_type if "/" in instance_type else f"zones/{zone}/machineTypes/{instance_type}"
        )
        image = _image_path(image_id, project)
        disk = compute_v1.AttachedDisk(
            boot=True,
            auto_delete=True,
            type_="PERSISTENT",
            initialize_params=compute_v1.AttachedDiskInitializeParams(
                source_image=image,
                disk_size_gb=int(kwargs.pop("disk_size_gb", 10)),
            ),
        )
        nic = compute_v1.NetworkInterface(
            network=kwargs.pop("network", None) or "global/networks/default"
        )
        subnet = kwargs.pop("subnetwork", None)
        if subnet:
            nic.subnetwork = subnet
        if kwargs.pop("external_ip", True):
            nic.access_configs = [
                compute_v1.AccessConfig(name="External NAT", type_="ONE_TO_ONE_NAT")
            ]
        items = [
            compute_v1.Items(key=str(k), value=str(v))
            for k, v in dict(kwargs.pop("metadata", None) or {}).items()
        ]
        script = kwargs.pop("startup_script", None) or kwargs.pop("user_data", None)
        if script:
            items.append(compute_v1.Items(key="startup-script", value=str(script)))
        instance = compute_v1.Instance(
            name=name,
            machine_type=machine,
            disks=[disk],
            network_interfaces=[nic],
            labels={str(k): str(v) for k, v in dict(kwargs.pop("tags", None) or {}).items()},
        )
        if items:
            instance.metadata = compute_v1.Metadata(items=items)
        account = kwargs.pop("service_account", None)
        if account:
            instance.service_accounts = [
                compute_v1.ServiceAccount(
                    email=account, scopes=["https://www.googleapis.com/auth/cloud-platform"]
                )
            ]
        if kwargs:
            raise ValidationError(
                f"unknown create_instance arguments for gcp: {sorted(kwargs)}",
                operation="create_instance",
            )
        return instance

    # -- extensions -------------------------------------------------------------------

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        """One instance as ``CloudResource(...).to_dict()``.

        Raises:
            InstanceNotFoundError: no such instance.
        """
        zone, name = self._locate(instance_id, "get_instance")
        return self._resource(self._get(zone, name, "get_instance"), zone)

    def wait_for_state(
        self,
        instance_id: str,
        state: Union[InstanceState, str],
        timeout: float = 300.0,
        *,
        poll_interval: float = 2.0,
    ) -> dict[str, Any]:
        """Poll until the instance reaches ``state``. Waiting for ``terminated`` ends when
        the instance has vanished (deleted GCE instances leave no record)."""
        wanted = InstanceState(state)
        try:
            return super().wait_for_state(instance_id, wanted, timeout, poll_interval=poll_interval)
        except InstanceNotFoundError:
            if wanted is not InstanceState.TERMINATED:
                raise
        zone, name = self._locate(instance_id, "wait_for_state")
        return CloudResource(
            id=f"{zone}/{name}",
            name=name,
            resource_type=ResourceType.COMPUTE,
            provider=CloudProvider.GCP,
            region=zone.rsplit("-", 1)[0],
            status=InstanceState.TERMINATED.value,
            metadata={"native_state": None, "zone": zone, "deleted": True},
        ).to_dict()


def _image_path(image_id: str, project: str) -> str:
    """An image reference as the API wants it (URL, path, ``project/family`` or name)."""
    if image_id.startswith(("https://", "projects/", "global/")):
        return image_id
    if image_id.count("/") == 1:
        image_project, family = image_id.split("/")
        return f"projects/{image_project}/global/images/family/{family}"
    return f"projects/{project}/global/images/{image_id}"

"""Compute Engine through google-cloud-compute (REST): the driver and ``GCEComputeClient``."""

from __future__ import annotations

import re
import uuid
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import compute_v1

from cloud_common.core import (
    CloudCompute,
    ComputeClient,
    ConflictError,
    InstanceNotFoundError,
    TimeoutError,  # noqa: A004
    ValidationError,
)
from cloud_common.gcp._auth import call_credentials
from cloud_common.gcp._client import GcpClient
from cloud_common.gcp._errors import absent_as, message_of
from cloud_common.gcp._instances import build_instance, instance_resource
from cloud_common.gcp._options import GcpOptions
from cloud_common.gcp._retry import bind_session, bounded, call_scope, make_retry, operation_scope
from cloud_common.gcp._settings import GcpSettings

__all__ = ["GCEComputeClient"]

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


class _GCEDriver(ComputeClient):
    """Compute Engine calls: ``InstancesClient`` plus ``ZoneOperationsClient`` to wait.

    Instance ids are ``"<zone>/<name>"``; a bare name means the configured zone, and
    resource paths, self links and numeric ids work too.
    """

    def __init__(self, settings: GcpSettings, options: GcpOptions) -> None:
        self._settings = settings
        self._page_size = options.page_size or 500
        endpoint = settings.compute_endpoint
        creds = call_credentials(settings, endpoint)
        client_options = {"api_endpoint": endpoint} if endpoint else None
        self._instances = compute_v1.InstancesClient(
            credentials=creds, client_options=client_options, transport="rest"
        )
        # The transport's own operations client ignores client_options and would poll
        # compute.googleapis.com: wait with one built on the same endpoint.
        self._operations = compute_v1.ZoneOperationsClient(
            credentials=creds, client_options=client_options, transport="rest"
        )
        for client in (self._instances, self._operations):
            bind_session(getattr(client.transport, "_session", None))
        self._timeout = settings.timeouts.read
        self._retry = make_retry()

    @property
    def native(self) -> compute_v1.InstancesClient:
        """The ``compute_v1.InstancesClient`` this driver calls."""
        return self._instances

    def close(self) -> None:
        for client in (self._instances, self._operations):
            client.transport.close()  # type: ignore[no-untyped-call]

    def _kw(self) -> dict[str, Any]:
        """The retry and timeout of a call (made inside its ``call_scope``)."""
        return {"retry": self._retry, "timeout": self._timeout}

    def _locate(self, instance_id: str) -> tuple[str, str]:
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
            return self._find_numeric(value)
        elif _NAME.match(value):
            return self._settings.zone, value
        raise ValidationError(
            f"instance_id {instance_id!r} is invalid: use '<zone>/<name>', a name, "
            "or a numeric instance id"
        )

    def _find_numeric(self, numeric: str) -> tuple[str, str]:
        request = compute_v1.AggregatedListInstancesRequest(
            project=self._settings.project_id, filter=f"id = {numeric}"
        )
        for scope, scoped in self._instances.aggregated_list(request=request, **self._kw()):
            for inst in scoped.instances:
                if str(inst.id) == numeric:
                    return scope.rsplit("/", 1)[-1], inst.name
        raise InstanceNotFoundError(f"no instance has id {numeric}")

    def _get(self, zone: str, name: str) -> compute_v1.Instance:
        with absent_as(InstanceNotFoundError, _no_instance(zone, name)):
            return self._instances.get(
                project=self._settings.project_id, zone=zone, instance=name, **self._kw()
            )

    def _act(self, verb: str, zone: str, name: str) -> None:
        """Run ``instances.<verb>`` (with a ``requestId``: Compute Engine answers a replay
        with the first operation) and wait for its operation."""
        request = _REQUESTS[verb](
            project=self._settings.project_id, zone=zone, instance=name, request_id=_request_id()
        )
        with absent_as(InstanceNotFoundError, _no_instance(zone, name)):
            op = getattr(self._instances, f"{verb}_unary")(request=request, **self._kw())
            self._wait(op, zone)

    def _wait(self, op: compute_v1.Operation, zone: str) -> None:
        """Wait until a zone operation is DONE, within ``RetryPolicy.operation_deadline``
        (each poll within ``RetryPolicy.deadline``); raise its error."""
        settings = self._settings
        with operation_scope(settings.retry, settings.timeouts) as deadline:
            while op.status != compute_v1.Operation.Status.DONE:
                if deadline.expired:
                    raise _operation_timeout(deadline.seconds, op.name)
                with call_scope("wait", settings.retry, settings.timeouts):
                    op = self._operations.wait(
                        project=settings.project_id, zone=zone, operation=op.name, **self._kw()
                    )
        if op.error and op.error.errors:
            detail = "; ".join(f"{e.code}: {e.message}" for e in op.error.errors)
            raise gexc.from_http_status(  # type: ignore[no-untyped-call]
                op.http_error_status_code or 400, f"{op.http_error_message or 'failed'} {detail}"
            )

    # -- the spec's calls ---------------------------------------------------------------

    @bounded("list_instances")
    def list_instances(self) -> list[dict[str, Any]]:
        """Every zone: ``instances.aggregatedList``, all pages."""
        request = compute_v1.AggregatedListInstancesRequest(
            project=self._settings.project_id, max_results=self._page_size
        )
        found: list[dict[str, Any]] = []
        for scope, scoped in self._instances.aggregated_list(request=request, **self._kw()):
            zone = scope.rsplit("/", 1)[-1]
            found.extend(instance_resource(inst, zone) for inst in scoped.instances)
        return found

    @bounded("start_instance")
    def start_instance(self, instance_id: str) -> bool:
        """TERMINATED/STOPPED → ``start``, SUSPENDED → ``resume``, then wait."""
        zone, name = self._locate(instance_id)
        native = (self._get(zone, name).status or "").upper()
        if native in _ALREADY_UP:
            return True
        if native == "SUSPENDED":
            self._act("resume", zone, name)
        elif native in _CAN_START:
            self._act("start", zone, name)
        else:
            raise ConflictError(f"cannot start an instance that is {native}")
        return True

    @bounded("stop_instance")
    def stop_instance(self, instance_id: str) -> bool:
        """RUNNING → ``stop``, then wait."""
        zone, name = self._locate(instance_id)
        native = (self._get(zone, name).status or "").upper()
        if native in _ALREADY_DOWN:
            return True
        if native != "RUNNING":
            raise ConflictError(f"cannot stop an instance that is {native}")
        self._act("stop", zone, name)
        return True

    @bounded("terminate_instance")
    def terminate_instance(self, instance_id: str) -> bool:
        """``delete``, then wait: a deleted instance vanishes."""
        zone, name = self._locate(instance_id)
        self._act("delete", zone, name)
        return True

    @bounded("create_instance")
    def create_instance(self, name: str, instance_type: str,
                        image_id: str, **kwargs: Any) -> dict[str, Any]:  # fmt: skip
        """``instances.insert`` and wait for it; see the provider's docs for keywords.

        Raises:
            ValidationError: a name Compute Engine refuses, an unknown keyword, an image
                or machine type that does not exist.
        """
        if not _NAME.match(name):
            raise ValidationError(
                f"name {name!r} is invalid: Compute Engine names are 1-63 lowercase letters, "
                "digits and '-', starting with a letter"
            )
        zone = kwargs.pop("zone", None) or self._settings.zone
        instance = build_instance(
            name, zone, instance_type, image_id, self._settings.project_id, kwargs
        )
        try:
            request = compute_v1.InsertInstanceRequest(
                project=self._settings.project_id,
                zone=zone,
                instance_resource=instance,
                request_id=_request_id(),
            )
            op = self._instances.insert_unary(request=request, **self._kw())
        except gexc.NotFound as exc:
            raise ValidationError(
                f"{message_of(exc)} (image {image_id!r}, machine type {instance_type!r})"
            ) from exc
        self._wait(op, zone)
        image = instance.disks[0].initialize_params.source_image
        return instance_resource(self._get(zone, name), zone, image)

    # -- extensions ---------------------------------------------------------------------

    @bounded("get_instance")
    def get_instance(self, instance_id: str) -> dict[str, Any]:
        zone, name = self._locate(instance_id)
        return instance_resource(self._get(zone, name), zone)


_REQUESTS: dict[str, Any] = {
    "start": compute_v1.StartInstanceRequest,
    "stop": compute_v1.StopInstanceRequest,
    "resume": compute_v1.ResumeInstanceRequest,
    "delete": compute_v1.DeleteInstanceRequest,
}


def _request_id() -> str:
    """A Compute Engine ``requestId``: a replay of the same request is ignored."""
    return str(uuid.uuid4())


def _no_instance(zone: str, name: str) -> str:
    return f"no instance {name!r} in zone {zone!r}"


def _operation_timeout(seconds: float, name: str) -> TimeoutError:
    return TimeoutError(
        f"operation {name} not done within the {seconds:g} s deadline "
        "(RetryPolicy.operation_deadline)"
    )


class GCEComputeClient(GcpClient[ComputeClient], CloudCompute):
    """Compute Engine virtual machines, with every rule of the contract.

    Instance ids are ``"<zone>/<name>"`` (what ``list_instances`` returns); a bare name
    means the configured zone, and full resource paths, self links and numeric ids work
    too.

    Args:
        credentials: ``CloudCredentials(provider="gcp", project_id=..., region=...)``; None
            reads ``CloudCredentials.from_env("gcp")``.
        options: ``GcpOptions``; keyword arguments set its fields (``endpoint_url=`` or
            ``compute_endpoint_url=``, ``zone=``, ``page_size=``, ``retry=``...).

    Raises:
        ValidationError: a missing project, a non-GCP region, unknown or ill-typed options.
    """

    def _driver_for(self, settings: GcpSettings, options: GcpOptions) -> ComputeClient:
        return _GCEDriver(settings, options)

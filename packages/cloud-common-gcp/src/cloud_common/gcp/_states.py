"""Compute Engine instance statuses → portable ``InstanceState`` (no SDK import)."""

from __future__ import annotations

from cloud_common.core import InstanceState

__all__ = ["GCE_STATES", "instance_state"]

GCE_STATES: dict[str, InstanceState] = {
    "PROVISIONING": InstanceState.PENDING,
    "STAGING": InstanceState.PENDING,
    "PENDING": InstanceState.PENDING,
    "REPAIRING": InstanceState.PENDING,
    "RUNNING": InstanceState.RUNNING,
    "STOPPING": InstanceState.STOPPING,
    "PENDING_STOP": InstanceState.STOPPING,
    "SUSPENDING": InstanceState.STOPPING,
    "DEPROVISIONING": InstanceState.STOPPING,
    # In Compute Engine a stopped VM is TERMINATED; a deleted one vanishes.
    "TERMINATED": InstanceState.STOPPED,
    "STOPPED": InstanceState.STOPPED,
    "SUSPENDED": InstanceState.STOPPED,
}
"""Every status the Compute API documents, mapped. Anything else is ``unknown``."""


def instance_state(native: str | None) -> InstanceState:
    """The portable state of a GCE status string (``"TERMINATED"`` → ``stopped``)."""
    return GCE_STATES.get((native or "").upper(), InstanceState.UNKNOWN)

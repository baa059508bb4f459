"""A simulated compute fleet in SQLite: ``LocalComputeClient``.

No virtual machine or process is started: an instance is a row whose state follows EC2's
lifecycle. Transitional states (``pending``, ``stopping``, ``shutting-down``) settle on the
first call that reads the fleet at least ``transition_seconds`` after the change (default 0:
the next call). Terminated instances stay listed for ``terminated_retention`` seconds (default
3600, as on EC2), then vanish.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from typing import Any, TypeVar

from cloud_common.core import (
    CloudCredentials,
    CloudProvider,
    CloudResource,
    ComputeClient,
    InstanceNotFoundError,
    InstanceState,
    ResourceType,
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs, validate_name, validate_tags
from cloud_common.local._errors import PROVIDER_ID, make_policy
from cloud_common.local._root import resolve_root

__all__ = ["IMAGES", "INSTANCE_TYPES", "NATIVE_STATES", "REGION", "ZONE", "LocalComputeClient"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

REGION = "local"
ZONE = "local-a"

INSTANCE_TYPES: dict[str, dict[str, int]] = {
    "local.nano": {"vcpus": 1, "memory_mib": 512},
    "local.micro": {"vcpus": 1, "memory_mib": 1024},
    "local.small": {"vcpus": 2, "memory_mib": 2048},
    "local.medium": {"vcpus": 2, "memory_mib": 4096},
    "local.large": {"vcpus": 4, "memory_mib": 8192},
}
"""The instance types ``create_instance`` accepts (nothing is reserved: they are labels)."""

IMAGES: dict[str, str] = {
    "img-ubuntu-24.04": "Ubuntu 24.04 LTS",
    "img-debian-12": "Debian 12",
    "img-alpine-3.20": "Alpine Linux 3.20",
    "img-python-3.12": "Debian 12 with Python 3.12",
}
"""The image ids ``create_instance`` accepts."""

NATIVE_STATES: dict[str, InstanceState] = {
    "pending": InstanceState.PENDING,
    "running": InstanceState.RUNNING,
    "stopping": InstanceState.STOPPING,
    "stopped": InstanceState.STOPPED,
    "shutting-down": InstanceState.TERMINATING,
    "terminated": InstanceState.TERMINATED,
}
"""Every native state (EC2's names) and its normalised ``InstanceState``."""

_SETTLE = {"pending": "running", "stopping": "stopped", "shutting-down": "terminated"}
_KWARGS = frozenset({"tags", "zone", "user_data"})
_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    instance_type TEXT NOT NULL,
    image_id TEXT NOT NULL,
    zone TEXT NOT NULL,
    state TEXT NOT NULL,
    state_since REAL NOT NULL,
    created_at REAL NOT NULL,
    tags TEXT NOT NULL,
    user_data TEXT
)
"""


class LocalComputeClient(ComputeClient):
    """Instances kept in ``<root>/compute/instances.sqlite3``; no VM is started.

    Args:
        credentials: Only ``metadata["root"]`` is read.
        root: The root folder (overrides ``metadata["root"]`` and ``$CLOUD_COMMON_LOCAL_ROOT``).
        transition_seconds: How long ``pending``/``stopping``/``shutting-down`` last at least
            (0: until the next call).
        terminated_retention: Seconds a terminated instance stays listed.
    """

    provider_id = PROVIDER_ID

    def __init__(
        self,
        credentials: CloudCredentials | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        transition_seconds: float = 0.0,
        terminated_retention: float = 3600.0,
    ) -> None:
        self.root = resolve_root(credentials, root)
        if transition_seconds < 0 or terminated_retention < 0:
            raise ValidationError("transition_seconds and terminated_retention must be >= 0")
        self.transition_seconds = float(transition_seconds)
        self.terminated_retention = float(terminated_retention)
        self._policy = make_policy(logger)
        folder = self.root / "compute"
        folder.mkdir(mode=0o700, exist_ok=True)
        self._db = folder / "instances.sqlite3"
        self._policy.call("connect", self._create_schema)

    def __repr__(self) -> str:
        return f"LocalComputeClient(root={str(self.root)!r})"

    # -- database ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._db, timeout=30.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across crashes of the process
        return conn

    def _create_schema(self) -> None:
        with closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: processes take turns), after
        settling transitional states and forgetting long-terminated instances."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                now = time.time()
                for old, new in _SETTLE.items():
                    conn.execute(
                        "UPDATE instances SET state = ?, state_since = ? "
                        "WHERE state = ? AND state_since <= ?",
                        (new, now, old, now - self.transition_seconds),
                    )
                conn.execute(
                    "DELETE FROM instances WHERE state = 'terminated' AND state_since < ?",
                    (now - self.terminated_retention,),
                )
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _run(
        self,
        operation: str,
        fn: Callable[[sqlite3.Connection], T],
        resource: str | None = None,
        soft: Any = None,
    ) -> T:
        def call() -> T:
            with self._transaction() as conn:
                return fn(conn)

        return self._policy.call(operation, call, resource=resource, soft=soft)

    @staticmethod
    def _row(conn: sqlite3.Connection, instance_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM instances WHERE id = ?", (instance_id,)).fetchone()
        if row is None:
            raise InstanceNotFoundError(f"no instance {instance_id!r}", resource=instance_id)
        return row  # type: ignore[no-any-return]

    @staticmethod
    def _set_state(conn: sqlite3.Connection, instance_id: str, state: str) -> None:
        conn.execute(
            "UPDATE instances SET state = ?, state_since = ? WHERE id = ?",
            (state, time.time(), instance_id),
        )

    @staticmethod
    def _resource(row: sqlite3.Row) -> dict[str, Any]:
        shape = INSTANCE_TYPES.get(row["instance_type"], {})
        return CloudResource(
            id=row["id"],
            name=row["name"],
            resource_type=ResourceType.COMPUTE,
            provider=CloudProvider.LOCAL,
            region=REGION,
            status=NATIVE_STATES.get(row["state"], InstanceState.UNKNOWN).value,
            created_at=datetime.fromtimestamp(row["created_at"], tz=timezone.utc),
            tags=json.loads(row["tags"]),
            metadata={
                "native_state": row["state"],
                "instance_type": row["instance_type"],
                "image_id": row["image_id"],
                "zone": row["zone"],
                "vcpus": shape.get("vcpus"),
                "memory_mib": shape.get("memory_mib"),
                "private_ip": None,
                "public_ip": None,
                "simulated": True,
            },
        ).to_dict()

    # -- the contract -----------------------------------------------------------------

    def create_instance(
        self, name: str, instance_type: str, image_id: str, **kwargs: Any
    ) -> dict[str, Any]:
        """Record a new instance in ``pending``; it is ``running`` from the next call on.

        Keyword args: ``tags`` (dict of str), ``zone`` (default ``local-a``), ``user_data``.

        Raises:
            ValidationError: unknown instance type or image (the message lists the
                catalogue), or an unknown keyword.
        """
        op = "create_instance"
        validate_name(name, "name", operation=op)
        if instance_type not in INSTANCE_TYPES:
            raise ValidationError(
                f"instance_type {instance_type!r} is not in the local catalogue: "
                f"use one of {', '.join(INSTANCE_TYPES)}",
                operation=op,
            )
        if image_id not in IMAGES:
            raise ValidationError(
                f"image_id {image_id!r} is not in the local catalogue: use one of {', '.join(IMAGES)}",
                operation=op,
            )
        validate_kwargs(kwargs, _KWARGS, operation=op)
        tags = validate_tags(kwargs.get("tags"), operation=op)
        zone = kwargs.get("zone") or ZONE
        user_data = kwargs.get("user_data")
        if not isinstance(zone, str) or (user_data is not None and not isinstance(user_data, str)):
            raise ValidationError("zone and user_data must be str", operation=op)
        instance_id = f"i-{secrets.token_hex(9)[:17]}"

        def insert(conn: sqlite3.Connection) -> dict[str, Any]:
            now = time.time()
            conn.execute(
                "INSERT INTO instances VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
                (
                    instance_id,
                    name,
                    instance_type,
                    image_id,
                    zone,
                    now,
                    now,
                    json.dumps(tags),
                    user_data,
                ),
            )
            return self._resource(self._row(conn, instance_id))

        instance = self._run(op, insert, resource=name)
        logger.info("created simulated instance %s (%s, %s)", instance_id, instance_type, image_id)
        return instance

    def list_instances(self) -> list[dict[str, Any]]:
        """Every instance (terminated ones for ``terminated_retention`` seconds), oldest first."""

        def select(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = conn.execute("SELECT * FROM instances ORDER BY created_at, id").fetchall()
            return [self._resource(row) for row in rows]

        return self._run("list_instances", select)

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        """One instance as ``CloudResource(...).to_dict()``.

        Raises:
            InstanceNotFoundError: no instance has this id.
        """
        return self._run(
            "get_instance", lambda conn: self._resource(self._row(conn, instance_id)), instance_id
        )

    def start_instance(self, instance_id: str) -> bool:
        """Start a stopped instance. True when it is pending or running afterwards; False
        (with a WARNING) for an unknown, terminated or still stopping instance."""

        def start(conn: sqlite3.Connection) -> bool:
            state = self._row(conn, instance_id)["state"]
            if state in ("pending", "running"):
                return True
            if state == "stopped":
                self._set_state(conn, instance_id, "pending")
                return True
            return self._refuse("start_instance", instance_id, state)

        return self._run("start_instance", start, instance_id, soft={InstanceNotFoundError: False})

    def stop_instance(self, instance_id: str) -> bool:
        """Stop a running instance. True when it is stopping or stopped afterwards; False
        (with a WARNING) for an unknown, terminated or still pending instance."""

        def stop(conn: sqlite3.Connection) -> bool:
            state = self._row(conn, instance_id)["state"]
            if state in ("stopping", "stopped"):
                return True
            if state == "running":
                self._set_state(conn, instance_id, "stopping")
                return True
            return self._refuse("stop_instance", instance_id, state)

        return self._run("stop_instance", stop, instance_id, soft={InstanceNotFoundError: False})

    def terminate_instance(self, instance_id: str) -> bool:
        """Terminate an instance from any state. Always True: also for an unknown id (it is
        gone, which is what was asked)."""

        def terminate(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT state FROM instances WHERE id = ?", (instance_id,)
            ).fetchone()
            if row is None:
                logger.debug("terminate_instance %s: no such instance, nothing to do", instance_id)
                return True
            if row["state"] not in ("shutting-down", "terminated"):
                self._set_state(conn, instance_id, "shutting-down")
            return True

        return self._run("terminate_instance", terminate, instance_id)

    def hold_state(self, instance_id: str, native_state: str) -> None:
        """Testing hook: put an instance into a native state and keep it there until a call
        changes it (transitional states do not settle meanwhile).

        Raises:
            InstanceNotFoundError: no instance has this id.
            ValidationError: not a native state.
        """
        if native_state not in NATIVE_STATES:
            raise ValidationError(
                f"native_state {native_state!r}: use one of {list(NATIVE_STATES)}"
            )

        def hold(conn: sqlite3.Connection) -> None:
            self._row(conn, instance_id)
            conn.execute(
                "UPDATE instances SET state = ?, state_since = ? WHERE id = ?",
                (native_state, float("inf"), instance_id),
            )

        self._run("hold_state", hold, instance_id)

    def _refuse(self, operation: str, instance_id: str, state: str) -> bool:
        return self._policy.soft_fail(
            operation, instance_id, False, f"instance {instance_id} is {state}"
        )

    def wait_for_state(
        self,
        instance_id: str,
        state: InstanceState | str,
        timeout: float = 300.0,
        *,
        poll_interval: float = 2.0,
    ) -> dict[str, Any]:
        """Poll until the instance reaches ``state`` (polls at most every
        ``transition_seconds``, so with the default 0 it returns at the next read)."""
        interval = min(poll_interval, max(self.transition_seconds, 0.01))
        return super().wait_for_state(instance_id, state, timeout, poll_interval=interval)

"""A simulated compute fleet in SQLite: the driver and ``LocalComputeClient``.

No virtual machine or process is started: an instance is a row whose state follows EC2's
lifecycle. Transitional states (``pending``, ``stopping``, ``shutting-down``) settle on the
first call that reads the fleet at least ``transition_seconds`` after the change (default 0:
the next call). Terminated instances stay listed for ``terminated_retention`` seconds (default
3600, as on EC2), then vanish.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from cloud_common.core import (
    CloudCompute,
    CloudProvider,
    CloudResource,
    ComputeClient,
    ConflictError,
    InstanceNotFoundError,
    InstanceState,
    ResourceType,
    ValidationError,
)
from cloud_common.core.validation import validate_kwargs
from cloud_common.local._client import LocalClient
from cloud_common.local._options import LocalSetup

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


class _Rule(NamedTuple):
    """What a state change does in each native state (EC2's rules)."""

    done: frozenset[str]
    """States in which what the call asks for already holds."""
    moves: dict[str, str]
    """State -> the state the call moves the instance to. Any other state refuses."""


_START = _Rule(frozenset({"pending", "running"}), {"stopped": "pending"})
_STOP = _Rule(frozenset({"stopping", "stopped"}), {"running": "stopping"})
_TERMINATE = _Rule(
    frozenset({"shutting-down", "terminated"}),
    dict.fromkeys(("pending", "running", "stopping", "stopped"), "shutting-down"),
)
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


class _Fleet(ComputeClient):
    """The driver: instances kept in ``<root>/compute/instances.sqlite3``; arguments
    arrive checked."""

    def __init__(
        self, root: Path, *, transition_seconds: float, terminated_retention: float
    ) -> None:
        self.root = root
        self.transition_seconds = float(transition_seconds)
        self.terminated_retention = float(terminated_retention)
        self._db = root / "compute" / "instances.sqlite3"
        self._ready = False

    # -- database ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:  # on the first call: its errors are the call's
            self._db.parent.mkdir(mode=0o700, exist_ok=True)
            with closing(sqlite3.connect(self._db, timeout=30.0, isolation_level=None)) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(_SCHEMA)
            self._ready = True
        conn = sqlite3.connect(self._db, timeout=30.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across crashes of the process
        return conn

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

    def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._transaction() as conn:
            return fn(conn)

    @staticmethod
    def _row(conn: sqlite3.Connection, instance_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM instances WHERE id = ?", (instance_id,)).fetchone()
        if row is None:
            raise InstanceNotFoundError(f"no instance {instance_id!r}")
        return row  # type: ignore[no-any-return]

    @staticmethod
    def _set_state(conn: sqlite3.Connection, instance_id: str, state: str, since: float) -> None:
        conn.execute(
            "UPDATE instances SET state = ?, state_since = ? WHERE id = ?",
            (state, since, instance_id),
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
        if instance_type not in INSTANCE_TYPES:
            raise ValidationError(
                f"instance_type {instance_type!r} is not in the local catalogue: "
                f"use one of {', '.join(INSTANCE_TYPES)}"
            )
        if image_id not in IMAGES:
            raise ValidationError(
                f"image_id {image_id!r} is not in the local catalogue: use one of {', '.join(IMAGES)}"
            )
        validate_kwargs(kwargs, _KWARGS)
        zone = kwargs.get("zone") or ZONE
        user_data = kwargs.get("user_data")
        if not isinstance(zone, str) or (user_data is not None and not isinstance(user_data, str)):
            raise ValidationError("zone and user_data must be str")
        instance_id = f"i-{secrets.token_hex(9)[:17]}"
        row = (name, instance_type, image_id, zone, json.dumps(kwargs.get("tags") or {}), user_data)

        def insert(conn: sqlite3.Connection) -> dict[str, Any]:
            now = time.time()
            conn.execute(
                "INSERT INTO instances (id, name, instance_type, image_id, zone, tags, user_data, "
                "state, state_since, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (instance_id, *row, now, now),
            )
            return self._resource(self._row(conn, instance_id))

        instance = self._run(insert)
        logger.info("created simulated instance %s (%s, %s)", instance_id, instance_type, image_id)
        return instance

    def list_instances(self) -> list[dict[str, Any]]:
        def select(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = conn.execute("SELECT * FROM instances ORDER BY created_at, id").fetchall()
            return [self._resource(row) for row in rows]

        return self._run(select)

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        return self._run(lambda conn: self._resource(self._row(conn, instance_id)))

    def start_instance(self, instance_id: str) -> bool:
        return self._run(lambda conn: self._move(conn, instance_id, _START))

    def stop_instance(self, instance_id: str) -> bool:
        return self._run(lambda conn: self._move(conn, instance_id, _STOP))

    def terminate_instance(self, instance_id: str) -> bool:
        return self._run(lambda conn: self._move(conn, instance_id, _TERMINATE))

    def _move(self, conn: sqlite3.Connection, instance_id: str, rule: _Rule) -> bool:
        """Apply one row of EC2's rules: True when the wanted state holds (moving there if
        needed); ``ConflictError`` when the instance's state refuses the call."""
        state = self._row(conn, instance_id)["state"]
        if state in rule.done:
            return True
        if state not in rule.moves:
            raise ConflictError(f"instance {instance_id} is {state}")
        self._set_state(conn, instance_id, rule.moves[state], time.time())
        return True

    def hold_state(self, instance_id: str, native_state: str) -> None:
        """Put an instance into a native state and keep it there until a call changes it."""
        if native_state not in NATIVE_STATES:
            raise ValidationError(
                f"native_state {native_state!r}: use one of {list(NATIVE_STATES)}"
            )

        def hold(conn: sqlite3.Connection) -> None:
            self._row(conn, instance_id)
            self._set_state(conn, instance_id, native_state, float("inf"))

        self._run(hold)


class LocalComputeClient(LocalClient[ComputeClient], CloudCompute):
    """A simulated fleet under the local root, as a ``CloudCompute``: no VM is started.

    Args:
        credentials: ``CloudCredentials`` of provider ``local``: only ``metadata["root"]``
            is read. None reads the environment.
        options: ``LocalOptions``; keyword arguments set its fields (``root=``,
            ``transition_seconds=``, ``terminated_retention=``).

    Raises:
        ValidationError: bad options, or a root that cannot be created.
    """

    def _driver_for(self, resolved: LocalSetup) -> ComputeClient:
        self._fleet = _Fleet(
            resolved.root,
            transition_seconds=resolved.options.transition_seconds,
            terminated_retention=resolved.options.terminated_retention,
        )
        return self._fleet

    def hold_state(self, instance_id: str, native_state: str) -> None:
        """Testing hook: put an instance into a native state and keep it there until a call
        changes it (transitional states do not settle meanwhile).

        Raises:
            InstanceNotFoundError: no instance has this id.
            ValidationError: not a native state.
        """
        self._policy.call(
            "hold_state",
            lambda: self._fleet.hold_state(instance_id, native_state),
            resource=instance_id,
        )

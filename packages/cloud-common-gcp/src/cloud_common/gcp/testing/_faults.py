"""One-shot faults a fake serves instead of its answer: any status, or a connection reset."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Fault", "FaultQueue"]


@dataclass
class Fault:
    """A queued fault: the next ``times`` requests matching ``method`` (or ``"*"``) and
    ``pattern`` get ``status`` with ``body`` (a Google JSON error when None), or a reset."""

    method: str
    pattern: re.Pattern[str]
    status: int = 503
    body: Any = None
    reset: bool = False
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)


class FaultQueue:
    """The faults waiting for their request, in the order they were queued."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching the request, counted down; None when none matches."""
        with self._lock:
            for fault in self.faults:
                if fault.method in (method, "*") and fault.pattern.search(path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

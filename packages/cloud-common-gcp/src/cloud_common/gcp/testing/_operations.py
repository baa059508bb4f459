"""Long-running operations of the faked APIs: each stays running for ``polls`` polls,
then finishes (its ``finish`` callback changes the fake's state and gives the result)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloud_common.gcp.testing._server import google_error, now

__all__ = ["Operations"]


@dataclass
class _Operation:
    name: str
    kind: str  # "compute": status RUNNING/DONE; "functions": done false/true
    doc: dict[str, Any]
    polls_left: int
    finish: Callable[[], dict[str, Any] | None]
    done: bool = False


class Operations:
    """The operations of one fake, by name.

    Attributes:
        polls: How many polls a new operation stays running before it is done
            (0: done at once).
    """

    def __init__(self) -> None:
        self.polls = 1
        self._ops: dict[str, _Operation] = {}

    def start(
        self, kind: str, doc: dict[str, Any], finish: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """Register an operation (``doc["name"]`` names it); its JSON as first returned.

        ``finish`` returns what the operation reports when done: a Compute operation's
        fields (``error``, ``httpErrorStatusCode``...), or a Functions operation's
        ``response`` (or ``{"error": ...}``).
        """
        op = _Operation(doc["name"], kind, doc, self.polls, finish)
        self._ops[op.name] = op
        if op.polls_left <= 0:
            self._complete(op)
        return _copy(op.doc)

    def poll(self, name: str) -> dict[str, Any]:
        """The operation's JSON after one more poll."""
        op = self._ops.get(name)
        if op is None:
            raise google_error(404, f"The resource 'operations/{name}' was not found", "notFound")
        if not op.done:
            op.polls_left -= 1
            if op.polls_left <= 0:
                self._complete(op)
        return _copy(op.doc)

    def clear(self) -> None:
        """Forget every operation; new ones take one poll again."""
        self._ops.clear()
        self.polls = 1

    @staticmethod
    def _complete(op: _Operation) -> None:
        result = op.finish()
        op.done = True
        if op.kind == "compute":
            op.doc.update(status="DONE", progress=100, endTime=now())
            op.doc.update(result or {})
        elif result and "error" in result:
            op.doc.update(done=True, error=result["error"])
        else:
            op.doc.update(
                done=True,
                response=result or {"@type": "type.googleapis.com/google.protobuf.Empty"},
            )


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(doc))
    return copied

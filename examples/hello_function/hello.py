"""The function the quickstart deploys: greets whoever the event names."""

from __future__ import annotations

import platform
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Return a greeting; ``context`` carries the function's name and remaining time."""
    name = event.get("name", "world")
    print(f"greeting {name}")  # captured: logged at DEBUG by the local provider
    return {
        "message": f"Hello, {name}!",
        "function": context.function_name,
        "python": platform.python_version(),
    }

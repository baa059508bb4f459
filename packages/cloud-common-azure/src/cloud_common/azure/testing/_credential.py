"""``StaticTokenCredential``: an ``azure.core.credentials.TokenCredential`` with a fixed token
(what the Resource Manager fake accepts or refuses)."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["StaticTokenCredential"]


class StaticTokenCredential:
    """Hands out one bearer token for any scope; never calls an identity service."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticTokenCredential(<token>)"

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken  # noqa: PLC0415

        return AccessToken(self._token, int(time.time()) + 3600)

    def close(self) -> None:
        """Nothing to release."""

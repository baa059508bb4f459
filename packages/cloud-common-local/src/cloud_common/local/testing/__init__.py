"""What the contract suite needs from the local provider: its harness (named in its
``ProviderInfo``). The fakes are the provider itself: a temporary root and the presign
server on 127.0.0.1."""

from __future__ import annotations

from cloud_common.local.testing._harness import LocalHarness

__all__ = ["LocalHarness"]

"""``GcpOptions``: the typed options of the three Google Cloud clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cloud_common.core import ClientOptions, ValidationError

__all__ = ["DEFAULT_CHUNK_SIZE", "GcpOptions"]

DEFAULT_CHUNK_SIZE = 32 * 1024 * 1024
"""Bytes per request of chunked uploads (a multiple of 256 KiB); bounds upload memory."""
_CHUNK_QUANTUM = 256 * 1024
_ZONE = re.compile(r"^[a-z]+(?:-[a-z]+)+[0-9]+-[a-z]$")


@dataclass(frozen=True, kw_only=True)
class GcpOptions(ClientOptions):
    """Options of ``GCSStorageClient``, ``GCEComputeClient`` and
    ``CloudFunctionsServerlessClient``: one object can serve all three.

    Attributes:
        endpoint_url: Where the API of the client it is given to answers (an emulator,
            a private endpoint). ``http://`` endpoints get anonymous credentials unless
            ``metadata["anonymous"]`` says otherwise.
        compute_endpoint_url: The Compute Engine API endpoint; wins over
            ``endpoint_url`` for ``GCEComputeClient``.
        functions_endpoint_url: The Cloud Functions API endpoint; wins over
            ``endpoint_url`` for ``CloudFunctionsServerlessClient``.
        signed_url_endpoint: Scheme and host signed URLs point at (default: the storage
            endpoint, else ``https://storage.googleapis.com``).
        chunk_size: Bytes per request when ``upload_stream`` reads a non-seekable source,
            a multiple of 256 KiB (default 32 MiB): its memory bound.
        zone: Compute Engine zone of instances named without one (default: the region's
            first zone).
        page_size: Page size of ``list_instances`` (default 500) and ``list_functions``
            (default 100).
        google_credentials: A google-auth credentials object used as is (impersonation,
            custom token sources).
        id_token_provider: ``callable(audience) -> token or None`` for invocations
            (default: google-auth ID tokens; none against an ``http://`` endpoint).
        timeouts, retry: As on every provider: ``retry.deadline`` bounds each call, its
            retries and backoff included; ``retry.operation_deadline`` each wait on a
            long-running operation; ``timeouts`` each HTTP exchange (cut to the time the
            call has left).

    Raises:
        ValidationError: a value of the wrong type, or out of its bounds.
    """

    compute_endpoint_url: str | None = None
    functions_endpoint_url: str | None = None
    signed_url_endpoint: str | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    zone: str | None = None
    page_size: int | None = None
    google_credentials: Any = field(default=None, repr=False)
    id_token_provider: Callable[[str], str | None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("compute_endpoint_url", "functions_endpoint_url", "signed_url_endpoint"):
            value = getattr(self, name)
            if value is not None and "://" not in value:
                raise ValidationError(
                    f"option {name}={value!r} is invalid: must be a URL such as "
                    "http://127.0.0.1:4443"
                )
        if self.chunk_size <= 0 or self.chunk_size % _CHUNK_QUANTUM:
            raise ValidationError(
                f"option chunk_size={self.chunk_size!r} is invalid: must be a positive "
                "multiple of 256 KiB (262144)"
            )
        if self.zone is not None and not _ZONE.match(self.zone):
            raise ValidationError(
                f"option zone={self.zone!r} is invalid: use a Compute Engine zone such as "
                "'us-central1-a'"
            )
        if self.page_size is not None and self.page_size < 1:
            raise ValidationError(f"option page_size={self.page_size!r} is invalid: must be >= 1")

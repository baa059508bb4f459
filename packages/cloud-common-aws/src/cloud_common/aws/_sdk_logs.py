"""Redaction of the SDK's own log records: botocore's DEBUG output (request URLs, headers,
canonical requests, signatures) never shows a key, a token or a signature."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from cloud_common.core import RedactingFilter

__all__ = ["protect_sdk_logs"]

_SDK_LOGGER_PREFIXES = ("botocore", "boto3", "s3transfer", "urllib3")


class _SdkLogFilter(RedactingFilter):
    """The one filter shared by every SDK logger; its secret set only grows."""

    def __init__(self) -> None:
        super().__init__(())
        self._lock = threading.Lock()
        self._loggers: set[str] = set()

    def add_secrets(self, secrets: Iterable[str]) -> None:
        with self._lock:
            fresh = {s for s in secrets if s and len(s) >= 4} - set(self.secrets)
            if fresh:
                # longest first, so a secret containing another is masked whole
                self.secrets = tuple(sorted({*self.secrets, *fresh}, key=len, reverse=True))

    def attach(self) -> None:
        with self._lock:
            names = [
                name
                for name in list(logging.root.manager.loggerDict)
                if name.split(".", 1)[0] in _SDK_LOGGER_PREFIXES
            ]
            for name in (*_SDK_LOGGER_PREFIXES, *names):
                if name not in self._loggers:
                    logging.getLogger(name).addFilter(self)
                    self._loggers.add(name)


_SDK_FILTER = _SdkLogFilter()


def protect_sdk_logs(secrets: Iterable[str] = ()) -> None:
    """Scrub ``secrets``, signatures and Authorization headers from every SDK log record.

    Attaches one ``RedactingFilter`` to each botocore / boto3 / s3transfer / urllib3 logger
    that exists now (call again after importing more of the SDK). Idempotent.
    """
    _SDK_FILTER.add_secrets(secrets)
    _SDK_FILTER.attach()

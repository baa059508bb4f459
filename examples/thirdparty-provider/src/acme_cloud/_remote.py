"""``RemoteCloud``: the account store reached over HTTP (the gateway's ``/rpc/`` API), for
drivers given ``endpoint_url``. It keeps one deadline per call (``RetryPolicy.deadline``)
and never sends a write again once it may have reached the service.

Reads are ``GET /rpc/<method>?args=<json>``; writes are ``POST /rpc/<method>`` with
``{"args": [...]}``. Answers are ``{"result": ...}`` or ``{"error": {"type", "message",
"fields"}}``; an error is raised again as the same ``AcmeError`` subclass.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from acme_cloud import _store
from acme_cloud._store import AcmeCloud, AcmeError, AcmeUnavailable
from cloud_common.core import Deadline, RetryPolicy, Timeouts

__all__ = ["RemoteCloud"]


def _error(data: dict[str, Any]) -> AcmeError:
    kind = getattr(_store, str(data.get("type")), None)
    if kind is _store.AcmeFunctionFailed:
        fields = data.get("fields", {})
        return _store.AcmeFunctionFailed(fields["error_type"], fields["payload"], fields["status"])
    if isinstance(kind, type) and issubclass(kind, AcmeError):
        return kind(str(data.get("message", "")))
    return AcmeError(str(data.get("message", "")))


class RemoteCloud(AcmeCloud):
    """The ``AcmeCloud`` calls drivers make, sent to an Acme endpoint."""

    #: Send a write again when its connection broke after it was sent. Never: the service
    #: may have applied it (Acme's API has no idempotency token).
    replay_writes = False

    def __init__(self, endpoint_url: str, retry: RetryPolicy, timeouts: Timeouts) -> None:
        parts = urlsplit(endpoint_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._retry = retry
        self._timeouts = timeouts

    def _call(self, method: str, args: list[Any], *, write: bool) -> Any:
        deadline = self._retry.start()
        attempt = 0
        while True:
            attempt += 1
            if deadline.expired:
                raise deadline.error(method)
            conn = http.client.HTTPConnection(
                self._host, self._port, timeout=min(self._timeouts.connect, deadline.remaining())
            )
            sent = False
            try:
                conn.connect()
                assert conn.sock is not None
                conn.sock.settimeout(self._attempt_timeout(deadline))
                if write:
                    body = json.dumps({"args": args}).encode()
                    conn.request("POST", f"/rpc/{method}", body=body)
                else:
                    conn.request("GET", f"/rpc/{method}?args={quote(json.dumps(args))}")
                sent = True
                response = conn.getresponse()
                data = json.loads(response.read() or b"{}")
            except TimeoutError:
                if deadline.expired or write:
                    raise deadline.error(method) from None
                continue  # a read whose reply is slow: ask again within the deadline
            except OSError as exc:
                if write and sent and not self.replay_writes:  # it may have been applied
                    raise AcmeUnavailable(
                        f"the connection broke after {method} was sent; not retried"
                    ) from exc
                if attempt >= self._retry.max_attempts:
                    raise AcmeUnavailable(f"no Acme endpoint answers: {exc}") from exc
                time.sleep(min(self._retry.backoff(attempt), deadline.remaining()))
                continue
            finally:
                conn.close()
            if "error" in data:
                raise _error(data["error"])
            return data.get("result")

    def _attempt_timeout(self, deadline: Deadline) -> float:
        """How long one attempt waits for its reply: the read timeout, cut to what is left
        of the call's deadline."""
        return max(0.01, min(self._timeouts.read, deadline.remaining()))

    # -- reads ----------------------------------------------------------------------------

    def authenticate(self, access_key: str | None, secret_key: str | None) -> str:
        return str(self._call("authenticate", [access_key, secret_key], write=False))

    def account_secret(self, account: str) -> str:
        return str(self._call("account_secret", [account], write=False))

    def buckets(self, account: str | None = None) -> list[str]:
        result: list[str] = self._call("buckets", [account], write=False)
        return result

    def head_object(self, bucket: str, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("head_object", [bucket, key], write=False)
        return result

    def object_path(self, bucket: str, key: str) -> Path:
        return Path(self._call("object_path", [bucket, key], write=False))

    def list_keys(self, bucket: str, start_after: str, limit: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "list_keys", [bucket, start_after, limit], write=False
        )
        return result

    def instances(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = self._call("instances", [], write=False)
        return result

    def instance(self, instance_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("instance", [instance_id], write=False)
        return result

    def function_dir(self, name: str) -> Path:
        return Path(self._call("function_dir", [name], write=False))

    def function(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("function", [name], write=False)
        return result

    def functions(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("functions", [], write=False)
        return result

    # -- writes ---------------------------------------------------------------------------

    def create_bucket(self, account: str, name: str) -> bool:
        return bool(self._call("create_bucket", [account, name], write=True))

    def delete_bucket(self, name: str) -> None:
        self._call("delete_bucket", [name], write=True)

    def put_object(
        self,
        bucket: str,
        key: str,
        chunks: Iterator[bytes],
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        data = base64.b64encode(b"".join(chunks)).decode()
        result: dict[str, Any] = self._call(
            "put_object", [bucket, key, data, content_type, metadata], write=True
        )
        return result

    def delete_object(self, bucket: str, key: str) -> None:
        self._call("delete_object", [bucket, key], write=True)

    def save_instance(self, instance: dict[str, Any]) -> None:
        self._call("save_instance", [instance], write=True)

    def new_instance(self, account: str, name: str, itype: str, image: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "new_instance", [account, name, itype, image], write=True
        )
        return result

    def put_function(self, meta: dict[str, Any], code_path: Path) -> None:
        self._call("put_function", [meta, str(code_path)], write=True)

    def delete_function(self, name: str) -> None:
        self._call("delete_function", [name], write=True)

    def invoke(self, name: str, event: Any) -> Any:
        return self._call("invoke", [name, event], write=True)

"""Presigned URLs: how they are signed, and the HTTP gateway that serves them and the
account store's API (``/rpc/``, used by drivers given ``endpoint_url``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from acme_cloud._store import AcmeCloud, AcmeError

__all__ = ["Gateway", "presign"]

logger = logging.getLogger(__name__)


def _signature(secret: str, method: str, bucket: str, key: str, expires: int, account: str) -> str:
    message = f"{method}\n{bucket}\n{key}\n{expires}\n{account}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def presign(
    base_url: str, secret: str, account: str, method: str, bucket: str, key: str, expires_in: int
) -> str:
    """A URL that lets anyone ``method`` the object until ``expires_in`` seconds from now."""
    expires = int(time.time()) + expires_in
    sig = _signature(secret, method, bucket, key, expires, account)
    path = f"{quote(bucket)}/{quote(key, safe='/')}"
    return (
        f"{base_url.rstrip('/')}/{path}?account={quote(account)}&expires={expires}&signature={sig}"
    )


_READS = frozenset(
    {
        "authenticate",
        "account_secret",
        "buckets",
        "head_object",
        "object_path",
        "list_keys",
        "instances",
        "instance",
        "function_dir",
        "function",
        "functions",
    }
)
_WRITES = frozenset(
    {
        "create_bucket",
        "delete_bucket",
        "put_object",
        "delete_object",
        "save_instance",
        "new_instance",
        "put_function",
        "delete_function",
        "invoke",
    }
)


def _answer(cloud: AcmeCloud, method: str, args: list[Any]) -> dict[str, Any]:
    """Run one API call on the store: ``{"result": ...}`` or ``{"error": ...}``."""
    if method == "put_object":
        bucket, key, data, content_type, metadata = args
        args = [bucket, key, iter([base64.b64decode(data)]), content_type, metadata]
    elif method == "put_function":
        args = [args[0], Path(args[1])]
    try:
        result = getattr(cloud, method)(*args)
    except AcmeError as exc:
        fields = {k: v for k, v in vars(exc).items() if not k.startswith("_")}
        return {"error": {"type": type(exc).__name__, "message": str(exc), "fields": fields}}
    return {"result": str(result) if isinstance(result, Path) else result}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _rpc(self, write: bool) -> None:
        parts = urlsplit(self.path)
        method = parts.path.removeprefix("/rpc/")
        if method not in (_WRITES if write else _READS):
            self.send_error(404)
            return
        if write:
            length = int(self.headers.get("Content-Length", "0"))
            args = json.loads(self.rfile.read(length) or b"{}").get("args", [])
        else:
            args = json.loads(parse_qs(parts.query).get("args", ["[]"])[0])
        body = json.dumps(_answer(self.server.cloud, method, args)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self._rpc(write=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        logger.debug("gateway %s", self.command)  # never the query string: it is a credential

    def _authorise(self, method: str) -> tuple[str, str] | None:
        parts = urlsplit(self.path)
        bucket, _, key = unquote(parts.path).lstrip("/").partition("/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            expires = int(query.get("expires", "0"))
            secret = self.server.cloud.account_secret(query.get("account", ""))
        except (ValueError, AcmeError):
            self.send_error(403)
            return None
        wanted = _signature(secret, method, bucket, key, expires, query.get("account", ""))
        if expires < time.time() or not hmac.compare_digest(wanted, query.get("signature", "")):
            self.send_error(403)
            return None
        return bucket, key

    def do_GET(self) -> None:
        if self.path.startswith("/rpc/"):
            self._rpc(write=False)
            return
        target = self._authorise("GET")
        if target is None:
            return
        try:
            meta = self.server.cloud.head_object(*target)
            data = Path(self.server.cloud.object_path(*target)).read_bytes()
        except AcmeError:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", meta["content_type"])
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", f'"{meta["etag"]}"')
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self) -> None:
        target = self._authorise("PUT")
        if target is None:
            return
        length = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(length)
        try:
            self.server.cloud.put_object(*target, iter([data]), self.headers.get("Content-Type"))
        except AcmeError:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, cloud: AcmeCloud) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.cloud = cloud


class Gateway:
    """The HTTP gateway that serves presigned URLs of one account store, on 127.0.0.1."""

    def __init__(self, cloud: AcmeCloud) -> None:
        self._server = _Server(cloud)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8123``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Gateway:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

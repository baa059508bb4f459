"""Test support: a local AWS (moto) with fault injection and a Lambda runner, and the
contract-test harness ``AwsHarness``.

Needs the ``testing`` extra (``pip install "cloud-common-aws[testing]"``); moto and werkzeug
are imported when a server starts, never at import time.

``MotoServer`` is moto's WSGI app served on 127.0.0.1 (port chosen by the OS), like
``moto.server.ThreadedMotoServer``, with two middlewares in front:

* ``faults``: answer chosen requests with an error status (503 SlowDown, 500...), reset the
  connection, or reply late — to test retries against real state.
* a Lambda runner: ``Invoke`` of a python function runs its handler from the deployed zip in
  a subprocess, so errors come back as ``X-Amz-Function-Error`` like on AWS (moto's simple
  backend only echoes the payload and never fails). Other runtimes go to moto.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import io
import json
import logging
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cloud_common.core import CloudCredentials, CloudProvider

__all__ = ["AwsHarness", "Fault", "FaultPlan", "MotoServer"]

logger = logging.getLogger(__name__)

ACCOUNT_ID = "123456789012"  # moto's default account
LAMBDA_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_RUNNER = r"""
import importlib, json, sys, traceback
module_name, _, func_name = sys.argv[1].rpartition(".")
sys.path.insert(0, ".")
try:
    event = json.loads(sys.stdin.buffer.read() or b"null")
    result = getattr(importlib.import_module(module_name), func_name)(event, None)
    out, code = json.dumps(result), 0
except Exception as exc:
    out = json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__,
                      "stackTrace": traceback.format_tb(exc.__traceback__)})
    code = 1
sys.stdout.write(out)
sys.exit(code)
"""

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def _xml_error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message><RequestId>cc-fake</RequestId></Error>"
    ).encode()


def _refusal(service: str, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """An AWS-shaped authentication error for ``service``."""
    if service == "lambda":
        return (
            "403 Forbidden",
            [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)],
            json.dumps({"message": message}).encode(),
        )
    if service == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            "</Error></Errors><RequestID>cc-fake</RequestID></Response>"
        ).encode()
        return "401 Unauthorized", [("Content-Type", "text/xml")], body
    if service in ("iam", "sts"):
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>cc-fake</RequestId></ErrorResponse>"
        ).encode()
        return "403 Forbidden", [("Content-Type", "text/xml")], body
    return "403 Forbidden", [("Content-Type", "application/xml")], _xml_error(code, message)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _presigned_problem(environ: dict[str, Any], secret: str) -> tuple[str, str] | None:
    """Check a SigV4 query-string signature (presigned URL) as S3 does: (code, message)
    when it is wrong or expired, None when it is good."""
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    path, _, query = raw.partition("?")
    pairs = [p.partition("=") for p in query.split("&") if p]
    params = {urllib.parse.unquote_plus(k): urllib.parse.unquote_plus(v) for k, _, v in pairs}
    try:
        signature = params["X-Amz-Signature"]
        stamp = params["X-Amz-Date"]
        scope = params["X-Amz-Credential"].split("/", 1)[1]
        expires = int(params["X-Amz-Expires"])
        signed = params["X-Amz-SignedHeaders"].split(";")
    except (KeyError, IndexError, ValueError):
        return ("AuthorizationQueryParametersError", "malformed presigned URL")
    issued = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
    if time.time() > issued + expires:
        return ("AccessDenied", "Request has expired")

    def encode(text: str) -> str:
        return urllib.parse.quote(text, safe="-_.~")

    canonical_query = "&".join(
        f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()) if k != "X-Amz-Signature"
    )
    headers = []
    for name in signed:
        key = "CONTENT_TYPE" if name == "content-type" else "HTTP_" + name.upper().replace("-", "_")
        headers.append(f"{name}:{' '.join(str(environ.get(key, '')).split())}\n")
    canonical = "\n".join(
        [
            environ["REQUEST_METHOD"],
            path,
            canonical_query,
            "".join(headers),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    signing_key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        signing_key = _hmac(signing_key, part)
    expected = hmac.new(signing_key, to_sign.encode(), "sha256").hexdigest()
    if not hmac.compare_digest(expected, signature):
        return (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    return None


@dataclass
class Fault:
    """One planned failure: which requests it hits and what they get.

    Attributes:
        method: HTTP method to match (None: any).
        path: Regular expression searched in the path (None: any).
        status: HTTP status to answer (ignored for ``reset`` and ``delay``).
        code: AWS error code in the XML body (``SlowDown``, ``InternalError``).
        reset: Close the connection with a TCP reset instead of answering.
        delay: Seconds to wait before passing the request on to moto.
        times: How many matching requests it hits.
        action: Query-protocol ``Action`` to match (EC2, IAM: ``"TerminateInstances"``).
        body: The whole response body (default: an S3-style XML error with ``code``).
    """

    method: str | None = None
    path: str | None = None
    status: int = 503
    code: str = "SlowDown"
    reset: bool = False
    delay: float = 0.0
    times: int = 1
    action: str | None = None
    body: bytes | None = None

    def matches(self, method: str, path: str, action: str | None = None) -> bool:
        return (
            (self.method is None or self.method == method)
            and (self.path is None or re.search(self.path, path) is not None)
            and (self.action is None or self.action == action)
        )


@dataclass
class FaultPlan:
    """The faults ahead, and a log of every request that reached the server."""

    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    hits: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Plan a fault (a ``Fault`` or its fields as keywords); returns it."""
        planned = fault or Fault(**kwargs)
        with self.lock:
            self.faults.append(planned)
        return planned

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.requests.clear()
            self.hits.clear()

    def take(self, method: str, path: str, action: str | None = None) -> Fault | None:
        with self.lock:
            self.requests.append((method, path))
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path, action):
                    fault.times -= 1
                    self.hits.append(fault)
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched ``method`` / ``path`` (a regex) so far."""
        probe = Fault(method=method, path=path)
        with self.lock:
            return sum(1 for m, p in self.requests if probe.matches(m, p))


class _Middleware:
    def __init__(
        self, app: Any, plan: FaultPlan, runner: Any, keys: dict[str, str], bad_keys: set[str]
    ) -> None:
        self.app = app
        self.plan = plan
        self.runner = runner
        self.keys = keys
        self.bad_keys = bad_keys

    def _auth(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """Refuse the planted bad key, and check presigned URLs signed with a known key."""
        header = str(environ.get("HTTP_AUTHORIZATION", ""))
        query = urllib.parse.parse_qs(str(environ.get("QUERY_STRING", "")))
        credential = (query.get("X-Amz-Credential") or [""])[0]
        found = _CREDENTIAL.search(header)
        access_key = found.group(1) if found else credential.split("/", 1)[0]
        scope = (header.split("Credential=", 1)[-1] if found else credential).split("/")
        service = scope[3] if len(scope) > 3 else "s3"
        if access_key and access_key in self.bad_keys:
            code = {
                "s3": "InvalidAccessKeyId",
                "ec2": "AuthFailure",
                "lambda": "UnrecognizedClientException",
            }.get(service, "InvalidClientTokenId")
            return _refusal(service, code, "The AWS Access Key Id you provided is not valid.")
        if "X-Amz-Signature" in query and access_key in self.keys:
            problem = _presigned_problem(environ, self.keys[access_key])
            if problem is not None:
                return _refusal("s3", *problem)
        return None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        refused = self._auth(environ)
        if refused is not None:
            status, headers, body = refused
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]
        fault = self.plan.take(method, path, _action(environ))
        if fault is not None:
            if fault.reset:
                sock = environ.get("werkzeug.socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.close()
                start_response("500 Internal Server Error", [("Content-Length", "0")])
                return [b""]
            if fault.delay:
                time.sleep(fault.delay)
            else:
                body = fault.body or _xml_error(fault.code, "injected fault")
                start_response(
                    f"{fault.status} Injected",
                    [
                        ("Content-Type", "application/xml"),
                        ("Content-Length", str(len(body))),
                        ("x-amzn-ErrorType", fault.code),
                    ],
                )
                return [body]
        match = _INVOKE.match(path) if method == "POST" else None
        if match is not None:
            answer = self.runner.invoke(urllib.parse.unquote(match.group(1)), environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, [*headers, ("Content-Length", str(len(body)))])
                return [body]
        result: Iterable[bytes] = self.app(environ, start_response)
        return result


def _action(environ: dict[str, Any]) -> str | None:
    """The ``Action`` of a query-protocol request (EC2, IAM, STS); the body stays readable."""
    if environ.get("REQUEST_METHOD") != "POST" or "x-www-form-urlencoded" not in str(
        environ.get("CONTENT_TYPE", "")
    ):
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    found = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
    return found[0] if found else None


class _LambdaRunner:
    """Runs python handlers from the zips moto stores; None means "let moto answer"."""

    def __init__(self) -> None:
        self._dirs: dict[str, str] = {}
        self._lock = threading.Lock()
        self._root = tempfile.mkdtemp(prefix="cc-aws-lambda-")

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)

    def _code_dir(self, function: Any) -> str:
        sha = str(getattr(function, "code_sha_256", "") or id(function))
        with self._lock:
            if sha not in self._dirs:
                target = os.path.join(self._root, re.sub(r"[^A-Za-z0-9]", "_", sha))
                with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
                    archive.extractall(target)
                self._dirs[sha] = target
            return self._dirs[sha]

    def invoke(
        self, name: str, environ: dict[str, Any]
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        from moto.awslambda.utils import get_backend  # noqa: PLC0415

        found = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = found.group(1) if found else "us-east-1"
        if name.startswith("arn:"):
            name = name.split(":")[6]
        try:
            function = get_backend(ACCOUNT_ID, region).get_function(name)
        except Exception:  # noqa: BLE001 - moto's UnknownFunctionException and friends
            body = json.dumps({"Type": "User", "Message": f"Function not found: {name}"}).encode()
            return (
                "404 Not Found",
                [
                    ("Content-Type", "application/json"),
                    ("x-amzn-ErrorType", "ResourceNotFoundException"),
                ],
                body,
            )
        runtime = str(getattr(function, "run_time", "") or "")
        code = getattr(function, "code_bytes", b"")
        if not runtime.startswith("python") or not code:
            return None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        event = environ["wsgi.input"].read(length) if length else b""
        done = subprocess.run(
            [sys.executable, "-c", _RUNNER, str(function.handler)],
            input=event,
            capture_output=True,
            cwd=self._code_dir(function),
            timeout=float(getattr(function, "timeout", 3) or 3) + 10,
            check=False,
        )
        headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
        if done.returncode != 0:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
            if not done.stdout:
                message = done.stderr.decode("utf-8", "replace")[-2000:]
                return (
                    "200 OK",
                    headers,
                    json.dumps(
                        {"errorMessage": message, "errorType": "Runtime.ExitError"}
                    ).encode(),
                )
        return "200 OK", headers, done.stdout


class MotoServer:
    """moto on 127.0.0.1 (an OS-chosen port) with ``faults`` and a Lambda runner in front.

    Lambda uses moto's simple backend (no Docker). Unless ``load_default_amis``, moto's
    built-in AMI catalogue is skipped (``MOTO_EC2_LOAD_DEFAULT_AMIS=false``, set in the
    environment if unset): any image id launches. Usable as a context manager.
    """

    def __init__(self, *, run_lambdas: bool = True, load_default_amis: bool = False) -> None:
        self.faults = FaultPlan()
        self._load_default_amis = load_default_amis
        self._run_lambdas = run_lambdas
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._runner: _LambdaRunner | None = None
        self._clients: dict[str, Any] = {}
        self.endpoint = ""
        token = uuid.uuid4().hex.upper()
        #: access key -> secret key: presigned URLs signed with these are verified.
        self.access_key = f"AKIA{token[:16]}"
        self.secret_key = f"cc-secret-{uuid.uuid4().hex}"
        self.keys: dict[str, str] = {self.access_key: self.secret_key}
        #: access keys refused like unknown keys on AWS (InvalidAccessKeyId, AuthFailure...).
        self.bad_access_key = f"AKIA{token[16:]}BAD0"
        self.bad_keys: set[str] = {self.bad_access_key}

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Serve in a daemon thread; returns once the port is bound."""
        from moto.moto_server.werkzeug_app import (  # noqa: PLC0415
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server  # noqa: PLC0415

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if not self._load_default_amis:
            # moto's 1300 built-in AMIs cost ~1 s per EC2 reset; any image id is accepted anyway
            os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        self._runner = _LambdaRunner()
        runner: Any = self._runner if self._run_lambdas else _PassThrough()
        app = _Middleware(
            DomainDispatcherApplication(create_backend_app),
            self.faults,
            runner,
            self.keys,
            self.bad_keys,
        )
        self._server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.configure_lambda()

    def stop(self) -> None:
        """Stop serving and forget the temporary files."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def _post(self, path: str, body: bytes, content_type: str = "application/json") -> None:
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 server
            self.endpoint + path, data=body, method="POST", headers={"Content-Type": content_type}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            response.read()

    def configure_lambda(self) -> None:
        """Switch moto to its simple (Docker-free) Lambda backend."""
        self._post("/moto-api/config", json.dumps({"lambda": {"use_docker": False}}).encode())

    def reset(self) -> None:
        """Drop every resource and planned fault (the simple Lambda backend stays on)."""
        self.faults.clear()
        self._post("/moto-api/reset", b"")
        self.configure_lambda()

    def credentials(self, region: str = "us-east-1", **metadata: str) -> CloudCredentials:
        """Credentials of moto's default account pointing at this server (random keys)."""
        return CloudCredentials(
            CloudProvider.AWS,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=region,
            metadata={"endpoint_url": self.endpoint, **metadata},
        )

    def bad_credentials(self, region: str = "us-east-1") -> CloudCredentials:
        """Credentials this server refuses, as AWS refuses an unknown access key."""
        return CloudCredentials(
            CloudProvider.AWS,
            access_key=self.bad_access_key,
            secret_key=f"cc-bad-secret-{uuid.uuid4().hex}",
            region=region,
            metadata={"endpoint_url": self.endpoint},
        )

    def other_account_credentials(
        self, account_id: str = "111111111111", region: str = "us-east-1"
    ) -> CloudCredentials:
        """Working credentials of a second moto account (STS AssumeRole into it)."""
        sts = self._boto3_client("sts")
        found = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/cloud-common-other",
            RoleSessionName="cloud-common",
        )["Credentials"]
        self.keys[found["AccessKeyId"]] = found["SecretAccessKey"]
        return CloudCredentials(
            CloudProvider.AWS,
            access_key=found["AccessKeyId"],
            secret_key=found["SecretAccessKey"],
            region=region,
            metadata={"endpoint_url": self.endpoint, "session_token": found["SessionToken"]},
        )

    def hold_instance_state(self, instance_id: str, state: str, region: str = "us-east-1") -> bool:
        """Put an EC2 instance into ``pending`` or ``stopping`` (moto moves instances at
        once; this sets the state in its backend). False for other states."""
        from moto.ec2.models import ec2_backends  # noqa: PLC0415

        codes = {"pending": 0, "stopping": 64}
        if state not in codes:
            return False
        instance = ec2_backends[ACCOUNT_ID][region].get_instance(instance_id)
        instance._state.name = state
        instance._state.code = codes[state]
        return True

    def _boto3_client(self, service: str) -> Any:
        import boto3  # noqa: PLC0415

        if service not in self._clients:
            self._clients[service] = boto3.session.Session().client(
                service,
                endpoint_url=self.endpoint,
                region_name="us-east-1",
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
            )
        return self._clients[service]

    def create_lambda_role(self, name: str = "cloud-common-lambda") -> str:
        """Create (or find) an IAM role Lambda accepts; return its ARN."""
        iam = self._boto3_client("iam")
        try:
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY)
        except iam.exceptions.EntityAlreadyExistsException:
            arn = iam.get_role(RoleName=name)
        return str(arn["Role"]["Arn"])


class _PassThrough:
    def invoke(self, name: str, environ: dict[str, Any]) -> None:
        return None


def _harness_base() -> type[Any]:
    try:
        from cloud_common.contract_tests.harness import Harness  # noqa: PLC0415
    except ImportError:  # the contract suite is not installed: a plain base will do
        return object
    return Harness


class AwsHarness(_harness_base()):  # type: ignore[misc]
    """The contract suite's harness for ``aws``: moto on 127.0.0.1 behind ``MotoServer``.

    moto itself accepts any key and never checks presigned URLs; ``MotoServer`` refuses a
    planted bad access key (``bad_credentials``) and verifies SigV4 presigned URLs signed
    with its keys (expiry, method, key, signature). Invocations run the python handler, so
    function errors are real. A second account comes from STS AssumeRole.
    """

    provider_id = "aws"

    def __init__(self) -> None:
        self.server = MotoServer()
        self.role_arn = ""
        self._other: CloudCredentials | None = None

    def start(self) -> None:
        self.server.start()
        self.role_arn = self.server.create_lambda_role()

    def stop(self) -> None:
        self.server.stop()

    def credentials(self) -> CloudCredentials:
        return self.server.credentials(lambda_role_arn=self.role_arn)

    def bad_credentials(self) -> CloudCredentials:
        return self.server.bad_credentials()

    def other_credentials(self) -> CloudCredentials:
        if self._other is None:
            self._other = self.server.other_account_credentials()
        return self._other

    def hold_instance_state(self, instance_id: str, state: str) -> bool:
        return self.server.hold_instance_state(instance_id, state)

    def client_options(self, service: str) -> dict[str, Any]:
        if service == "serverless":
            return {"poll_interval": 0.05}
        return {}

    def unreachable_client_options(self, service: str) -> dict[str, Any]:
        from cloud_common.core import RetryPolicy, Timeouts  # noqa: PLC0415

        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return {
            **self.client_options(service),
            "endpoint_url": f"http://127.0.0.1:{port}",
            "retry_policy": RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01),
            "timeouts": Timeouts(connect=1, read=1),
        }

    def presigned_urls_verified(self) -> bool:
        return True

    def instance_args(self) -> tuple[str, str]:
        return ("t3.micro", "ami-12345678")

    def function_errors_supported(self) -> bool:
        return True

    def reset(self) -> None:
        self.server.reset()
        self._other = None
        self.role_arn = self.server.create_lambda_role()

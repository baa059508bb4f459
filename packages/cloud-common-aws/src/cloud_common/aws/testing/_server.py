"""``MotoServer``: moto's WSGI app on 127.0.0.1 (an OS-chosen port), like
``moto.server.ThreadedMotoServer``, behind the fakes of this package."""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request
import uuid
from typing import Any

from cloud_common.aws.testing._faults import FaultInjector, FaultPlan
from cloud_common.aws.testing._idempotency import ClientTokens
from cloud_common.aws.testing._lambda_runner import ACCOUNT_ID, LambdaRunner
from cloud_common.aws.testing._signing import CredentialGate
from cloud_common.core import CloudCredentials, CloudProvider

__all__ = ["LAMBDA_TRUST_POLICY", "MotoServer"]

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
_HELD_STATE_CODES = {"pending": 0, "stopping": 64}


class MotoServer:
    """moto on 127.0.0.1 with, in front of it, in this order: ``CredentialGate`` (refused
    keys, presigned URLs verified), ``FaultInjector`` (``faults``), ``ClientTokens``
    (idempotent RunInstances) and ``LambdaRunner``.

    Lambda uses moto's simple backend (no Docker). Unless ``load_default_amis``, moto's
    built-in AMI catalogue is skipped (``MOTO_EC2_LOAD_DEFAULT_AMIS=false``, set in the
    environment if unset): any image id launches. Usable as a context manager.

    Args:
        run_lambdas: Run python handlers (else moto's echo answers invocations).
        load_default_amis: Load moto's AMI catalogue (slower resets).
    """

    def __init__(self, *, run_lambdas: bool = True, load_default_amis: bool = False) -> None:
        self.faults = FaultPlan()
        self._load_default_amis = load_default_amis
        self._run_lambdas = run_lambdas
        self._server: Any = None
        self._runner: LambdaRunner | None = None
        self._tokens: ClientTokens | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self.endpoint = ""
        token = uuid.uuid4().hex.upper()
        self.access_key = f"AKIA{token[:16]}"
        self.secret_key = f"cc-secret-{uuid.uuid4().hex}"
        #: access key -> secret key: presigned URLs signed with these are verified.
        self.keys: dict[str, str] = {self.access_key: self.secret_key}
        #: access keys refused like unknown keys on AWS (InvalidAccessKeyId, AuthFailure...).
        self.bad_access_key = f"AKIA{token[16:]}BAD0"
        self.bad_keys: set[str] = {self.bad_access_key}
        #: access key -> moto account of the keys ``other_account_credentials`` handed out.
        self.accounts: dict[str, str] = {}

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
        app: Any = DomainDispatcherApplication(create_backend_app)
        if self._run_lambdas:
            app = self._runner = LambdaRunner(app)
        app = self._tokens = ClientTokens(app)
        app = CredentialGate(
            FaultInjector(app, self.faults), self.keys, self.bad_keys, self.accounts
        )
        self._server = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
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

    def _post(self, path: str, body: bytes) -> None:
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 server
            self.endpoint + path,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            response.read()

    def configure_lambda(self) -> None:
        """Switch moto to its simple (Docker-free) Lambda backend."""
        self._post("/moto-api/config", json.dumps({"lambda": {"use_docker": False}}).encode())

    def reset(self) -> None:
        """Drop every resource and planned fault (the simple Lambda backend stays on)."""
        self.faults.clear()
        if self._tokens is not None:
            self._tokens.clear()
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
        """Working credentials of a second moto account (random keys; they stay valid
        across ``reset``)."""
        token = uuid.uuid4().hex.upper()
        access_key, secret_key = f"AKIA{token[:16]}", f"cc-other-secret-{uuid.uuid4().hex}"
        self.keys[access_key] = secret_key
        self.accounts[access_key] = account_id
        return CloudCredentials(
            CloudProvider.AWS,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            metadata={"endpoint_url": self.endpoint},
        )

    def hold_instance_state(self, instance_id: str, state: str, region: str = "us-east-1") -> bool:
        """Put an EC2 instance into ``pending`` or ``stopping`` (moto moves instances at
        once; this sets the state in its backend). False for other states."""
        from moto.ec2.models import ec2_backends  # noqa: PLC0415

        if state not in _HELD_STATE_CODES:
            return False
        instance = ec2_backends[ACCOUNT_ID][region].get_instance(instance_id)
        instance._state.name = state
        instance._state.code = _HELD_STATE_CODES[state]
        return True

    def boto3_client(self, service: str, region: str = "us-east-1") -> Any:
        """A plain boto3 client of this server (for setup and interop checks), cached."""
        import boto3  # noqa: PLC0415

        if (service, region) not in self._clients:
            self._clients[service, region] = boto3.session.Session().client(
                service,
                endpoint_url=self.endpoint,
                region_name=region,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
            )
        return self._clients[service, region]

    def create_lambda_role(self, name: str = "cloud-common-lambda") -> str:
        """Create (or find) an IAM role Lambda accepts; return its ARN."""
        iam = self.boto3_client("iam")
        try:
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY)
        except iam.exceptions.EntityAlreadyExistsException:
            arn = iam.get_role(RoleName=name)
        return str(arn["Role"]["Arn"])

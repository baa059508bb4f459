"""``AwsHarness``: the contract suite's harness for ``aws``, on ``MotoServer``."""

from __future__ import annotations

import socket
from typing import Any

from cloud_common.aws.testing._server import MotoServer
from cloud_common.core import CloudCredentials, RetryPolicy, Timeouts

__all__ = ["AwsHarness"]


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
    function errors are real. A second account's keys are served as moto's account
    111111111111 (they stay valid across ``reset``, like the main account's).
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
        """``AwsOptions`` fields: new functions are polled every 50 ms until Active."""
        return {"poll_interval": 0.05} if service == "serverless" else {}

    def unreachable_client_options(self, service: str) -> dict[str, Any]:
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return {
            **self.client_options(service),
            "endpoint_url": f"http://127.0.0.1:{port}",
            "retry": RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.01),
            "timeouts": Timeouts(connect=1, read=1),
        }

    def fault_client_options(self, service: str, endpoint_url: str) -> dict[str, Any]:
        """Every request of the client to ``endpoint_url`` (the option wins over the
        credentials' ``metadata["endpoint_url"]``)."""
        return {**self.client_options(service), "endpoint_url": endpoint_url}

    def fault_upstream_url(self, service: str) -> str:
        """moto (behind this package's fakes) serves every service on one port."""
        return self.server.endpoint

    def idempotency_token_sent(self, operation: str) -> bool:
        """RunInstances always carries a ``ClientToken`` (the fake keeps EC2's answer to a
        repeated token); Invoke and CreateFunction are never replayed instead."""
        return operation == "create_instance"

    def presigned_urls_verified(self) -> bool:
        return True

    def instance_args(self) -> tuple[str, str]:
        return ("t3.micro", "ami-12345678")

    def function_errors_supported(self) -> bool:
        return True

    def reset(self) -> None:
        self.server.reset()
        self.role_arn = self.server.create_lambda_role()

"""What a provider gives the contract suite: the harness.

A provider names its harness class in ``ProviderInfo.harness`` (``"module:Class"``) or
the user names it with ``--cloud-harness`` / the ``cloud_harness`` ini option. The suite
builds one instance per test session, calls ``start()`` once, and ``stop()`` at the end.
Clients are always built through the registry (``get_storage_client(credentials(),
**client_options("storage"))``), so the suite tests exactly what users get.
"""

from __future__ import annotations

import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloud_common.core import CloudCredentials

__all__ = ["HANDLER_SOURCE", "FunctionBundle", "Harness"]

HANDLER_SOURCE = textwrap.dedent(
    '''
    """The contract suite's function: echoes its event; {"fail": msg} raises;
    {"return": value} returns value."""


    import os
    import time


    class ContractFailure(Exception):
        """The error type the suite expects in FunctionInvocationError.error_type."""


    def handler(event, context):
        if isinstance(event, dict) and "fail" in event:
            raise ContractFailure(event["fail"])
        if isinstance(event, dict) and "return" in event:
            return event["return"]
        if isinstance(event, dict) and "env" in event:
            return {name: os.environ.get(name) for name in event["env"]}
        if isinstance(event, dict) and "sleep" in event:
            time.sleep(event["sleep"])
            return "slept"
        if isinstance(event, dict) and "context" in event:
            return {
                "function_name": context.function_name,
                "memory_limit_in_mb": int(context.memory_limit_in_mb),
                "remaining_ms": int(context.get_remaining_time_in_millis()),
            }
        return event
    '''
).lstrip()
"""Source of the module ``contract_handler.py`` every provider deploys in the suite.

Events: ``{"fail": msg}`` raises ``ContractFailure(msg)``; ``{"return": v}`` returns ``v``;
``{"env": [names]}`` returns those environment variables; ``{"sleep": s}`` sleeps ``s``
seconds; ``{"context": 1}`` returns the context's ``function_name``,
``memory_limit_in_mb`` and ``get_remaining_time_in_millis()``; anything else is echoed."""


@dataclass(frozen=True)
class FunctionBundle:
    """Arguments for ``create_function``: a portable runtime id, handler and code path."""

    runtime: str
    handler: str
    code_path: str


class Harness:
    """Base class of a provider's contract-test harness. Override what your provider needs.

    Only ``credentials`` is required. Everything else has a default that suits a provider
    needing no emulator.
    """

    #: Provider id this harness is for.
    provider_id: str = ""

    #: Seconds the suite waits for an instance to reach a state.
    state_timeout: float = 120.0

    def start(self) -> None:
        """Start or point at the emulator or fake. Called once, before the first test."""

    def stop(self) -> None:
        """Stop what ``start`` started. Called once, after the last test, even on failure."""

    def credentials(self) -> CloudCredentials:
        """Working credentials for the running emulator."""
        raise NotImplementedError

    def client_options(self, service: str) -> dict[str, Any]:
        """Extra keyword arguments for ``get_<service>_client`` (endpoints, test hooks)."""
        return {}

    def bad_credentials(self) -> CloudCredentials | None:
        """Credentials the provider must refuse (``AuthenticationError`` or
        ``PermissionDeniedError``), or None when the fake cannot check credentials."""
        return None

    def bad_client_options(self, service: str) -> dict[str, Any]:
        """Keyword arguments used with ``bad_credentials()``."""
        return self.client_options(service)

    def makes_network_calls(self, service: str) -> bool:
        """True (default) when the ``service`` client talks to its cloud over the network.

        False when it does not (the local provider works on files and processes): the
        network-fault rows (never-answering endpoint, reply lost after the server acted,
        unreachable provider) cannot apply to it, and the suite reports them as "not
        applicable", which strict mode and ``--cloud-max-skips`` do not count as skips.
        """
        return True

    def unreachable_client_options(self, service: str) -> dict[str, Any] | None:
        """Keyword arguments (used with ``credentials()``) that point the client at a
        service that does not answer, e.g. a closed port on 127.0.0.1; None (default)
        skips the test that list calls then raise ``TransientError`` instead of
        returning ``[]``. Keep retries short (a timeout or retry option) if you can."""
        return None

    def fault_client_options(self, service: str, endpoint_url: str) -> dict[str, Any] | None:
        """Keyword arguments (used with ``credentials()``) that send every request the
        ``service`` client makes to ``endpoint_url`` instead of the fake; None (default)
        skips the tests that need it (each skip names this hook and is counted).

        ``endpoint_url`` is ``http://127.0.0.1:PORT`` of a server the suite runs
        (``cloud_common.contract_tests.faults``): either a ``Blackhole`` (accepts, never
        answers) or an ``ActedThenResetProxy`` in front of ``fault_upstream_url(service)``.
        Typically ``{**self.client_options(service), "endpoint_url": endpoint_url}``. Do not
        set ``retry`` or ``timeouts``: the suite sets ``retry=RetryPolicy(deadline=...)``
        and checks the call ends within 1.5x that deadline with the default timeouts.
        Every request of the service must go there (uploads, invocations, operations
        polled), or the never-answering test passes against the real fake and fails.
        """
        return None

    def fault_upstream_url(self, service: str) -> str | None:
        """``http://host:port`` of the fake serving ``service``'s API, which the suite's
        ``ActedThenResetProxy`` forwards to (with the request's own Host header); None
        (default) skips the safe-retry tests ("the server acted, then the connection
        broke: a non-idempotent call is not replayed")."""
        return None

    def idempotency_token_sent(self, operation: str) -> bool:
        """True when the provider sends the cloud's idempotency token with ``operation``
        (``"create_instance"``, ``"create_function"``, ``"invoke"``, ``"upload"``), e.g. EC2
        RunInstances' ClientToken, so the cloud ignores a replay: the safe-retry test then
        accepts a replayed request. Default False: no replay is allowed after the request
        may have reached the service."""
        return False

    def instance_args(self) -> tuple[str, str]:
        """``(instance_type, image_id)`` that ``create_instance`` accepts."""
        raise NotImplementedError

    def function_bundle(self, directory: Path) -> FunctionBundle:
        """Write the suite's function into ``directory`` and describe it.

        The default writes ``contract_handler.py`` (``HANDLER_SOURCE``) and uses
        ``python3.12`` with handler ``contract_handler.handler``.
        """
        (directory / "contract_handler.py").write_text(HANDLER_SOURCE, encoding="utf-8")
        return FunctionBundle("python3.12", "contract_handler.handler", str(directory))

    def function_errors_supported(self) -> bool:
        """True when the fake runs the handler, so an exception becomes
        ``FunctionInvocationError`` (moto's simple Lambda only echoes)."""
        return True

    def presigned_urls_verified(self) -> bool:
        """True when the fake checks presigned signatures (method, key, expiry).

        Many emulators serve any presigned URL; the suite then skips the test that a PUT
        URL does not authorise a GET. Providers verify their signing in unit tests too.
        """
        return False

    def presigned_put_headers(self) -> dict[str, str]:
        """Headers the cloud requires of whoever PUTs to a presigned URL, besides
        ``Content-Type`` (Azure: ``x-ms-blob-type: BlockBlob``); the suite's uploads send
        them. Default: none."""
        return {}

    def bucket_names_are_global(self) -> bool:
        """True (default) when a bucket name is unique across accounts (S3, GCS); False
        when names belong to one account (Azure containers).

        With False, the suite checks the opposite row: a name another account holds does
        not stop ``create_bucket`` (True, and the two buckets stay apart).
        """
        return True

    def other_credentials(self) -> CloudCredentials | None:
        """Working credentials of a second account, or None when the fake has one account.

        The suite checks that ``create_bucket`` of a name this account owns returns False
        (with one WARNING) for the first account.
        """
        return None

    def hold_instance_state(self, instance_id: str, state: str) -> bool:
        """Put an instance into a transient state (``"pending"`` or ``"stopping"``) and keep
        it there until the next call changes it; False when the fake cannot (default).

        The suite uses it for the rows "start while stopping → False" and "stop while
        pending → False".
        """
        return False

    def secrets(self) -> list[str]:
        """Values that must never appear in a log record or an error text during the run.

        The default: the secrets of ``credentials()``, ``bad_credentials()`` and
        ``other_credentials()``. Use distinctive values (a random token, not ``"test"``),
        or ordinary words in logs would match.
        """
        found: list[str] = []
        for creds in (self.credentials(), self.bad_credentials(), self.other_credentials()):
            if creds is not None:
                found += [s for s in creds.secrets() if len(s) >= 8]
        return sorted(set(found))

    def reset(self) -> None:
        """Called after each test: drop state the fake keeps (optional)."""

    def unique_name(self, prefix: str = "cc") -> str:
        """A name unique to this run, valid as a bucket, instance or function name."""
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

"""One contract-suite run: the provider, its harness, clients, checks, strict mode, report.

The plugin creates a ``ContractSession`` only when a provider is named and registers it
as a pytest plugin, so none of these hooks exist in an ordinary pytest run.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Generator
from pathlib import Path
from typing import Any, Literal, overload

import pytest

from cloud_common.contract_tests._recording import (
    Created,
    capability_of,
    is_escaped,
    recording,
)
from cloud_common.contract_tests._report import Outcome, Report
from cloud_common.contract_tests.harness import Harness
from cloud_common.core import (
    Capability,
    CloudCompute,
    CloudCredentials,
    CloudError,
    CloudServerless,
    CloudStorage,
    PluginError,
    ProviderInfo,
    get_compute_client,
    get_provider,
    get_serverless_client,
    get_storage_client,
    redact,
)

__all__ = [
    "LIMITATION",
    "NOT_APPLICABLE",
    "SESSION_KEY",
    "SUITE_DIR",
    "ContractSession",
    "not_applicable_without_network",
]

LIMITATION = "harness limitation:"
"""How a skip caused by the harness (not the provider) begins its reason: strict mode counts
these instead of failing them (``--cloud-max-skips`` bounds them)."""

NOT_APPLICABLE = "not applicable:"
"""How the reason of a row that cannot apply to the provider begins (a network fault of a
client that makes no network call): reported as outcome ``not_applicable``, not a skip."""

SUITE_DIR = Path(__file__).resolve().parent / "suite"
SESSION_KEY = pytest.StashKey["ContractSession"]()
_CAPS_KEY = pytest.StashKey[frozenset[str]]()
_SUITE_PACKAGE = "cloud_common.contract_tests.suite"

Portable = CloudStorage | CloudCompute | CloudServerless
"""A portable client of any service."""

logger = logging.getLogger(__name__)


def in_suite(path: Path) -> bool:
    """True for a path inside the suite's directory."""
    try:
        Path(path).resolve().relative_to(SUITE_DIR)
    except ValueError:
        return False
    return True


def not_applicable_without_network(harness: Harness, service: str) -> None:
    """End the test as not applicable when the ``service`` client makes no network call
    (``Harness.makes_network_calls``): a network fault cannot reach it."""
    if not harness.makes_network_calls(service):
        pytest.skip(
            f"{NOT_APPLICABLE} the {service} client makes no network call "
            "(Harness.makes_network_calls() is False)"
        )


class SuiteModule(pytest.Module):
    """A suite test module, imported by its package name (no ``sys.path`` changes)."""

    def _getobj(self) -> Any:
        return importlib.import_module(f"{_SUITE_PACKAGE}.{self.path.stem}")


class _SecretWatch(logging.Handler):
    """Sees every log record of the run (DEBUG and up) and flags any carrying a secret."""

    def __init__(self, session: ContractSession) -> None:
        super().__init__(logging.DEBUG)
        self._session = session
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record still gets checked raw
            text = f"{record.msg} {record.args}"
        if record.exc_info:
            text += "\n" + self._formatter.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        self._session.check_text(text, f"a {record.levelname} record of logger {record.name!r}")


def _load_harness(target: str) -> type[Harness]:
    module_name, sep, attr = target.partition(":")
    if not sep:
        raise pytest.UsageError(f"harness {target!r} must be 'module:Class'")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception as exc:
        raise pytest.UsageError(
            f"cannot import the contract-test harness {target}: {type(exc).__name__}: {exc} "
            "(is the provider's 'testing' extra installed?)"
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, Harness)):
        raise pytest.UsageError(
            f"{target} is not a subclass of cloud_common.contract_tests.Harness"
        )
    return obj


class ContractSession:
    """State and hooks of one run of the contract suite against one provider."""

    def __init__(
        self,
        config: pytest.Config,
        provider_id: str,
        harness_target: str | None,
        strict: bool,
        report_path: Path | None,
        *,
        max_skips: int | None = None,
    ) -> None:
        self.config = config
        self.max_skips = max_skips
        self.provider_id = provider_id
        self.strict = strict
        self.report_path = report_path
        self.report = Report(provider_id, None, strict, max_skips=max_skips)
        self.started = False
        self._clients: dict[tuple[str, str], Portable] = {}
        self._created: dict[tuple[str, str], Created] = {}
        self._all_created: dict[str, Created] = {}
        self._current: str | None = None
        self._current_caps: frozenset[str] = frozenset()
        self._violations: dict[str | None, list[str]] = {}
        self._declared_skips: set[str] = set()
        self._secrets: list[str] = []
        self._watch = _SecretWatch(self)
        self._root_level = logging.WARNING
        try:
            self.info: ProviderInfo = get_provider(provider_id)
        except (PluginError, CloudError) as exc:
            raise pytest.UsageError(f"--cloud-provider {provider_id}: {exc}") from exc
        self.report.info = self.info
        target = harness_target or self.info.harness
        if not target:
            raise pytest.UsageError(
                f"provider {provider_id!r} names no contract-test harness in its ProviderInfo; "
                "pass --cloud-harness module:Class"
            )
        self.report.harness = target
        try:
            self.harness_class = _load_harness(target)
            self.harness: Harness = self.harness_class()
        except pytest.UsageError as exc:
            self._harness_failed(str(exc))
            raise
        except Exception as exc:
            self._harness_failed(f"{type(exc).__name__}: {exc}")
            raise pytest.UsageError(f"cannot create the harness {target}: {exc}") from exc
        if not self.harness.provider_id:
            self.harness.provider_id = provider_id
        if self.harness.provider_id != provider_id:
            raise pytest.UsageError(
                f"harness {target} is for provider {self.harness.provider_id!r}, not {provider_id!r}"
            )
        # What the provider offers: its declaration plus what core derives from it
        # (storage.object_exists from stat_object, compute.wait_for_state from get_instance).
        self.effective: frozenset[str] = self.info.capabilities

    # -- clients --------------------------------------------------------------------------

    @overload
    def build(
        self, service: Literal["storage"], credentials: CloudCredentials, options: dict[str, Any]
    ) -> CloudStorage: ...
    @overload
    def build(
        self, service: Literal["compute"], credentials: CloudCredentials, options: dict[str, Any]
    ) -> CloudCompute: ...
    @overload
    def build(
        self,
        service: Literal["serverless"],
        credentials: CloudCredentials,
        options: dict[str, Any],
    ) -> CloudServerless: ...
    @overload
    def build(
        self, service: str, credentials: CloudCredentials, options: dict[str, Any]
    ) -> Portable: ...
    def build(
        self, service: str, credentials: CloudCredentials, options: dict[str, Any]
    ) -> Portable:
        """A new client from the registry (keyword options, as users pass them), recording;
        what it creates is not cleaned up by the suite."""
        return _record(_get(service, credentials, options), service, self, "built")

    @overload
    def client(
        self, service: Literal["storage"], which: str = ..., *, record: bool = ...
    ) -> CloudStorage: ...
    @overload
    def client(
        self, service: Literal["compute"], which: str = ..., *, record: bool = ...
    ) -> CloudCompute: ...
    @overload
    def client(
        self, service: Literal["serverless"], which: str = ..., *, record: bool = ...
    ) -> CloudServerless: ...
    @overload
    def client(self, service: str, which: str = ..., *, record: bool = ...) -> Portable: ...
    def client(self, service: str, which: str = "main", *, record: bool = True) -> Portable:
        """The session's client of ``service`` (``which``: main or other account).

        ``record=False`` gives the registry's client itself: calls on it are not the test's
        (the suite reading state, cleaning up).
        """
        key = (service, which)
        if key not in self._clients:
            h = self.harness
            creds = h.credentials() if which == "main" else h.other_credentials()
            if creds is None:
                raise pytest.UsageError(f"the harness gives no {which} credentials")
            self._clients[key] = _get(service, creds, h.client_options(service))
        client = self._clients[key]
        return _record(client, service, self, which) if record else client

    # -- what clients report --------------------------------------------------------------

    def note_call(
        self, service: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], which: str
    ) -> None:
        needed = capability_of(service, method, kwargs)
        undeclared = sorted(needed - self.effective)
        if undeclared:
            self.report.undeclared_calls.append(
                {"test": self._current, "method": method, "capabilities": undeclared}
            )
            if self.strict:
                self.violation(
                    f"{method} was called but the provider does not declare {', '.join(undeclared)}"
                )
        unmarked = sorted(needed - self._current_caps)
        if self._current is not None and unmarked:
            self.report.unmarked_calls.append(
                {"test": self._current, "method": method, "capabilities": unmarked}
            )
        if method in ("create_bucket", "create_function"):  # noted before: a failure may create
            self._note_created(method, args, kwargs, None, which)

    def note_result(
        self,
        service: str,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        result: Any,
        which: str,
    ) -> None:
        if method not in ("create_bucket", "create_function"):
            self._note_created(method, args, kwargs, result, which)
        elif method == "create_bucket" and result is not True:  # not ours: leave it alone
            name = args[0] if args else kwargs.get("name")
            for created in (
                self._created.get((self._current or "", which)),
                self._all_created.get(which),
            ):
                if created is not None and name in created.buckets:
                    created.buckets.remove(name)

    def _note_created(
        self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any, which: str
    ) -> None:
        if which not in ("main", "other"):
            return
        key = (self._current or "", which)
        self._created.setdefault(key, Created()).note(method, args, kwargs, result)
        self._all_created.setdefault(which, Created()).note(method, args, kwargs, result)

    def note_error(self, service: str, method: str, exc: BaseException) -> None:
        if not isinstance(exc, Exception):
            return
        chain: list[BaseException] = []
        seen: BaseException | None = exc
        while seen is not None and len(chain) < 10:
            chain.append(seen)
            seen = seen.__cause__ or seen.__context__
        text = "\n".join(f"{type(e).__name__}: {e!s} {e!r}" for e in chain)
        self.check_text(text, f"the error raised by {method}")
        if not isinstance(exc, CloudError):
            self.violation(
                f"{method} raised {type(exc).__name__}, not a cloud_common.core error: {exc}"
            )
        elif is_escaped(exc):
            cause = exc.__cause__
            self.violation(
                f"{method}: the provider let {type(cause).__module__}.{type(cause).__name__} "
                f"escape (core made it a plain CloudError): map it to the matching core error "
                f"in the function ProviderInfo.errors names: {redact(str(cause), self._secrets)}"
            )
        if isinstance(exc, CloudError):
            for problem in voice_problems(exc):
                shown = redact(str(exc), self._secrets)[:400]
                self.violation(f"{method} raised {type(exc).__name__}: {problem}: {shown}")

    def check_text(self, text: str, where: str) -> None:
        """Flag ``text`` (seen at ``where``) if it contains a secret of the harness."""
        for secret in self._secrets:
            if secret in text:
                shown = redact(text, self._secrets)
                self.violation(f"{where} contains a secret: {shown[:500]}")
                return

    def violation(self, message: str) -> None:
        """Record a problem found outside the test's own asserts; it fails the test."""
        self._violations.setdefault(self._current, []).append(message)
        self.report.violations.append({"test": self._current, "message": message})

    # -- per test ---------------------------------------------------------------------------

    def capabilities_of(self, item: pytest.Item) -> frozenset[str]:
        return item.stash.get(_CAPS_KEY, frozenset())

    def finish_test(self, item: pytest.Item) -> list[str]:
        """Remove what the test created; return the violations seen during the test."""
        for which in ("other", "main"):
            created = self._created.pop((item.nodeid, which), None)
            if created is not None:
                self._cleanup(created, which)
        return self._violations.pop(item.nodeid, [])

    def _cleanup(self, created: Created, which: str) -> None:
        fn = self._clients.get(("serverless", which))
        compute = self._clients.get(("compute", which))
        storage = self._clients.get(("storage", which))
        if isinstance(fn, CloudServerless):
            for name in created.functions:
                self._attempt(f"function {name}", fn.delete_function, name)
        if isinstance(compute, CloudCompute):
            for iid in created.instances:
                self._attempt(f"instance {iid}", compute.terminate_instance, iid)
        if not isinstance(storage, CloudStorage):
            return
        for bucket, key in created.objects:
            self._attempt(f"object {bucket}/{key}", storage.delete_file, bucket, key)
        for bucket in created.buckets:
            if self.info.supports(Capability.LIST_OBJECTS):
                try:
                    keys = [o.key for o in storage.list_objects(bucket) if not o.is_prefix]
                except CloudError:
                    keys = []
                for key in keys:
                    self._attempt(f"object {bucket}/{key}", storage.delete_file, bucket, key)
            if self.info.supports(Capability.DELETE_BUCKET):
                self._attempt(f"bucket {bucket}", storage.delete_bucket, bucket)

    @staticmethod
    def _attempt(what: str, fn: Any, *args: Any) -> None:
        try:
            ok = fn(*args)
        except CloudError as exc:
            logger.warning("contract suite: could not remove %s: %s", what, exc)
            return
        if ok is False:
            logger.warning("contract suite: could not remove %s", what)

    # -- hooks ------------------------------------------------------------------------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        try:
            self.harness.start()
        except Exception as exc:
            self._harness_failed(f"{type(exc).__name__}: {exc}")
            try:
                self.harness.stop()  # release what a partial start left running
            except Exception:
                logger.debug("harness stop after a failed start failed too", exc_info=True)
            raise pytest.UsageError(
                f"the contract-test harness of {self.provider_id!r} "
                f"({self.report.harness}) cannot start: {type(exc).__name__}: {exc}"
            ) from exc
        self.started = True
        self._secrets = [s for s in self.harness.secrets() if s]
        root = logging.getLogger()
        self._root_level = root.level
        root.setLevel(logging.DEBUG)
        root.addHandler(self._watch)

    def _harness_failed(self, reason: str) -> None:
        """Record that the harness could not be loaded or started (the report says so)."""
        self.report.harness_error = reason
        if self.report_path is not None:
            self.report.write(self.report_path, int(pytest.ExitCode.USAGE_ERROR))

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path: Path, parent: pytest.Collector) -> Any:
        if in_suite(module_path):
            return SuiteModule.from_parent(parent, path=module_path)
        return None

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if not in_suite(item.path):
                continue
            caps: set[str] = set()
            for mark in item.iter_markers("capability"):
                caps.update(str(c) for c in mark.args)
            item.stash[_CAPS_KEY] = frozenset(caps)
            missing = sorted(caps - self.effective)
            if missing:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"{self.provider_id} does not declare capability "
                        + ", ".join(repr(m) for m in missing)
                    )
                )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, Any, Any]:
        self._current = item.nodeid
        self._current_caps = self.capabilities_of(item)
        try:
            return (yield)
        finally:
            self._current = None
            self._current_caps = frozenset()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, None, None]:
        try:
            yield
        finally:
            if self.started and in_suite(item.path):
                self.harness.reset()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if not in_suite(item.path):
            return report
        caps = self.capabilities_of(item)
        inapplicable = report.skipped and _skip_reason(report).startswith(NOT_APPLICABLE)
        if (
            report.skipped
            and self.strict
            and caps
            and caps <= self.effective
            and not inapplicable
            and not _skip_reason(report).startswith(LIMITATION)
        ):
            report.outcome = "failed"
            report.longrepr = (
                f"--cloud-strict: a test of declared capabilities {sorted(caps)} was skipped: "
                f"{_skip_reason(report)}"
            )
        outcome = "failed" if report.failed else "skipped" if report.skipped else "passed"
        if inapplicable and report.skipped:
            outcome = "not_applicable"
        elif report.skipped and caps <= self.effective:
            self._declared_skips.add(item.nodeid)
        if outcome == "passed" and report.when != "call":
            return report
        reason: str | None = None
        if report.skipped:
            reason = _skip_reason(report)
        elif report.failed:
            lines = report.longreprtext.strip().splitlines()
            errors = [ln[1:].strip() for ln in lines if ln.startswith("E ")]
            reason = redact((errors or lines or [""])[0][:300], self._secrets)
        self.report.record(Outcome(item.nodeid, _reported_caps(caps), outcome, reason))
        return report

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        stray = self._violations.pop(None, [])
        leftovers = self._leftovers() if self.started else []
        self.report.leftovers = leftovers
        for name, client in list(self._clients.items()):
            try:
                client.close()
            except CloudError:
                logger.debug("closing %s failed", name)
        self._clients.clear()
        if self.started:
            root = logging.getLogger()
            root.removeHandler(self._watch)
            root.setLevel(self._root_level)
            self.started = False
            self.harness.stop()
        skipped = self._skipped_declared()
        self.report.declared_skips = skipped
        self._too_many_skips = self.max_skips is not None and skipped > self.max_skips
        failed = bool(stray) or (self.strict and bool(leftovers)) or self._too_many_skips
        if failed and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self._stray = stray
        if self.report_path is not None:
            self.report.write(self.report_path, int(session.exitstatus))

    def _skipped_declared(self) -> int:
        """Tests of declared capabilities that ended skipped (what ``--cloud-max-skips``
        bounds; a capability the provider does not offer is not a skip it could avoid)."""
        outcomes = self.report.outcomes
        return sum(
            1
            for nodeid in self._declared_skips
            if nodeid in outcomes and outcomes[nodeid].outcome == "skipped"
        )

    def _leftovers(self) -> list[str]:
        found: list[str] = []
        made = self._all_created.get("main", Created())
        storage = self._clients.get(("storage", "main"))
        serverless = self._clients.get(("serverless", "main"))
        compute = self._clients.get(("compute", "main"))
        try:
            if made.buckets and isinstance(storage, CloudStorage):
                existing = set(storage.list_buckets())
                found += [f"bucket {b}" for b in made.buckets if b in existing]
            if made.functions and isinstance(serverless, CloudServerless):
                names = {f["name"] for f in serverless.list_functions()}
                found += [f"function {n}" for n in made.functions if n in names]
            if made.instances and isinstance(compute, CloudCompute):
                live = {
                    i["id"]
                    for i in compute.list_instances()
                    if i["status"] not in ("terminating", "terminated")
                }
                found += [f"instance {i}" for i in made.instances if i in live]
        except CloudError as exc:
            found.append(f"(could not list what is left: {exc})")
        return sorted(set(found))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr = terminalreporter
        tr.section(f"cloud-common contract suite: {self.provider_id}")
        info = self.info
        tr.write_line(
            f"provider {info.id} ({info.distribution or 'registered'} {info.version or ''}), "
            f"harness {self.report.harness}, strict={self.strict}"
        )
        if self.report.harness_error:
            tr.write_line(f"harness could not start: {self.report.harness_error}")
        for cap, row in self.report.by_capability().items():
            mark = "" if row["declared"] else " (not declared)"
            tr.write_line(
                f"  {cap:28} {row['status']:8} passed={row['passed']} failed={row['failed']} "
                f"skipped={row['skipped']}"
                + (f" not_applicable={row['not_applicable']}" if row["not_applicable"] else "")
                + mark
            )
        limits = self.report.limitations()
        for reason, count in limits.items():
            tr.write_line(f"  skipped {count}x: {reason}", yellow=True)
        for reason, count in self.report.not_applicable().items():
            tr.write_line(f"  {count}x {reason}")
        if getattr(self, "_too_many_skips", False):
            tr.write_line(
                f"--cloud-max-skips {self.max_skips}: {self._skipped_declared()} tests of "
                "declared capabilities skipped",
                red=True,
            )
        for message in getattr(self, "_stray", []):
            tr.write_line(f"violation outside any test: {message}", red=True)
        for left in self.report.leftovers:
            tr.write_line(f"left behind: {left}", yellow=True)
        if self.report_path is not None:
            tr.write_line(f"report: {self.report_path}")


MAX_ERROR_TEXT = 300
"""The longest ``str()`` of an error the suite accepts (one line a person reads)."""

_RAW_HTTP = ("HTTP/1.", "<?xml", "<html", "<Error>", "Traceback (most recent", "\r")


def voice_problems(exc: CloudError) -> list[str]:
    """What keeps ``exc`` from reading like every other provider's error: one line of at
    most ``MAX_ERROR_TEXT`` characters naming provider and operation, no raw HTTP
    exchange, no URL with a query string (a signature or token)."""
    import re  # noqa: PLC0415 - only when an error was seen

    text = str(exc)
    problems: list[str] = []
    if "\n" in text:
        problems.append(f"its text is more than one line: {text[:200]!r}")
    if len(text) > MAX_ERROR_TEXT:
        problems.append(f"its text is {len(text)} characters (at most {MAX_ERROR_TEXT})")
    if not exc.provider:
        problems.append("it does not name the provider (.provider)")
    if not exc.operation:
        problems.append("it does not name the operation (.operation)")
    raw = [marker for marker in _RAW_HTTP if marker in text]
    if raw:
        problems.append(f"its text carries a raw HTTP exchange ({raw[0]!r})")
    if re.search(r"https?://[^\s]*\?", text):
        problems.append("its text shows a URL with its query string")
    return problems


def _skip_reason(report: pytest.TestReport) -> str:
    text = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return str(text).removeprefix("Skipped: ")


def _reported_caps(caps: frozenset[str]) -> list[str]:
    """The capabilities a test counts for: its extensions, else its services."""
    extensions = {c for c in caps if "." in c or c == Capability.NATIVE.value}
    return sorted(extensions or caps)


def _get(service: str, credentials: CloudCredentials, options: dict[str, Any]) -> Portable:
    """A client from the registry, as users get it."""
    if service == "storage":
        return get_storage_client(credentials, **options)
    if service == "compute":
        return get_compute_client(credentials, **options)
    if service == "serverless":
        return get_serverless_client(credentials, **options)
    raise pytest.UsageError(f"unknown service {service!r}")


def _record(client: Portable, service: str, log: ContractSession, which: str) -> Portable:
    if isinstance(client, CloudStorage):
        return recording(client, service, log, which)
    if isinstance(client, CloudCompute):
        return recording(client, service, log, which)
    return recording(client, service, log, which)

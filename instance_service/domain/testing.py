"""TestInstanceConnection and ListConnectionTests: the use cases around a connection test.

1. Read the instance (READY, in the project) and ask the catalog for its version's specification (the
   `connection` section lives there; published versions are immutable).
2. Decrypt the secret variables in memory only, build the request plan (``connection.build_plan``).
3. Run it with the prober (``instance_service.probe``) within ``min(timeout_seconds, the caller's
   remaining deadline less the part kept back to store and answer)``.
4. Store the result (every result is kept, newest first) and make it the instance's last one.

A failed connection is a result, not an error. Errors are only: the instance is not there (NOT_FOUND),
the catalog refuses or cannot be reached (its errors pass through), the deadline is spent before the
test could start. Messages are redacted of every secret value before they are stored; the one log line
per test carries the instance id, the outcome, the status and the latency, nothing else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from plugboard import signals
from plugboard.errors import DeadlineExceeded, PlugboardError, Validator
from plugboard.history import Record
from plugboard.page import Page

from . import changes
from .customising import customised_connection
from .connection import Misconfigured, ProbeOutcome, RequestPlan, build_plan, redact
from .model import Instance, TestOutcome, catalog_use
from .outcomes import TestResult
from .secrets import Keyring, SecretDecryptionError, variable_aad
from .validation import check_project
from .variables import new_id

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Time kept back from the caller's deadline to store the result and answer: a quarter of what the caller
# gave, at least 0.1 s, at most 1 s (storing on a busy database takes more than a fixed few milliseconds).
_STORE_MARGIN_SHARE = 0.25
_STORE_MARGIN_MIN_SECONDS = 0.1
_STORE_MARGIN_MAX_SECONDS = 1.0


def store_margin(timeout: float) -> float:
    """The part of the caller's ``timeout`` kept back to store the result and answer."""
    return min(_STORE_MARGIN_MAX_SECONDS, max(_STORE_MARGIN_MIN_SECONDS, _STORE_MARGIN_SHARE * timeout))


class ProberPort(Protocol):
    async def run(self, plan: RequestPlan, timeout: float) -> ProbeOutcome: ...


class TestStore(Protocol):
    def get(self, project: str, instance_id: str) -> Instance: ...
    def add_test_result(self, project: str, result: TestResult, record: Record | None = None) -> None: ...
    def list_test_results(self, project: str, instance_id: str, page_size: int, page_token: str) -> Page: ...


def decrypted_values(keyring: Keyring, instance: Instance) -> tuple[dict[str, str], set[str]]:
    """Every variable's value (secrets decrypted, in memory only) and the keys of the secret ones;
    Misconfigured naming a secret that cannot be decrypted."""
    values: dict[str, str] = {}
    secret_keys: set[str] = set()
    for item in instance.variables:
        if item.secret:
            secret_keys.add(item.key)
            if item.ciphertext is None:
                continue
            try:
                values[item.key] = keyring.decrypt(item.ciphertext, variable_aad(instance.project, instance.id, item.key))
            except SecretDecryptionError:
                raise Misconfigured(f"secret variable {item.key!r} cannot be decrypted with the configured keys") from None
        elif item.value:
            values[item.key] = item.value
    return values, secret_keys


class ConnectionTests:
    """Connection test use cases (module docstring)."""

    __test__ = False  # not a pytest test class

    def __init__(self, store: TestStore, catalog, keyring: Keyring, prober: ProberPort, *,  # type: ignore[no-untyped-def]
                 timeout_seconds: float = 10.0, clock: Callable[[], datetime],
                 monotonic: Callable[[], float] = time.monotonic, installations=None) -> None:  # type: ignore[no-untyped-def]
        # installations.InstallationStore: the customised test request of an instance's installation.
        self._installations = installations
        self._store = store
        self._catalog = catalog
        self._keyring = keyring
        self._prober = prober
        self._timeout = timeout_seconds
        self._clock = clock
        self._monotonic = monotonic

    def _connection(self, instance: Instance, connection):  # type: ignore[no-untyped-def]
        """The version's connection section with the installation's customised test request (its method,
        path, statuses and headers; never where the request goes: ``customising``)."""
        if self._installations is None or not instance.installation_id or connection is None:
            return connection
        try:
            installation = self._installations.get(instance.project, instance.installation_id)
        except PlugboardError:
            return connection
        if installation.connector_version != instance.connector_version:
            return connection
        return customised_connection(connection, installation.customisation)

    async def test(self, project: str, instance_id: str, *, timeout: float, instance: Instance | None = None) -> TestResult:
        """Test, store and return the result; ``timeout`` is the caller's remaining time."""
        v = Validator()
        check_project(v, project)
        v.check_not_empty(instance_id, "id")
        v.raise_if_any()
        deadline = self._monotonic() + timeout
        margin = store_margin(timeout)
        if instance is None:
            instance = self._store.get(project, instance_id)
        usable = await self._catalog.check_connector_usable(
            connector_id=instance.connector_id, connector_key="", project=project,
            version=instance.connector_version, timeout=max(0.0, deadline - self._monotonic() - margin),
            **catalog_use(instance),
        )
        budget = min(self._timeout, deadline - self._monotonic() - margin)
        if budget <= 0:
            raise DeadlineExceeded("the deadline passed before the connection test could start")
        started = self._monotonic()
        plan: RequestPlan | None = None
        try:
            values, secret_keys = decrypted_values(self._keyring, instance)
            plan = build_plan(self._connection(instance, usable.connection), values, secret_keys)
        except Misconfigured as exc:
            outcome = ProbeOutcome(TestOutcome.MISCONFIGURED, 0, str(exc))
        else:
            outcome = await self._prober.run(plan, budget)
        latency_ms = int((self._monotonic() - started) * 1000)
        message = redact(outcome.message, plan.secrets) if plan is not None else outcome.message
        del plan  # the plan holds decrypted secrets: drop it as soon as possible
        result = TestResult(
            id=new_id(), instance_id=instance.id, outcome=outcome.outcome, http_status=outcome.http_status,
            latency_ms=latency_ms, message=message, test_time=self._clock(), connector_version=usable.version,
        )
        self._store.add_test_result(project, result, changes.tested(instance, result))
        signals.connection_test(result.outcome.value, latency_ms / 1000.0)
        log.info("connection test instance=%s outcome=%s http_status=%d latency_ms=%d",
                 instance.id, result.outcome.value, result.http_status, result.latency_ms)
        return result

    def list(self, project: str, instance_id: str, page_size: int, page_token: str) -> Page:
        v = Validator()
        check_project(v, project)
        v.check_not_empty(instance_id, "instance_id")
        v.require(0 <= page_size <= MAX_PAGE_SIZE, "page_size",
                  f"must be from 1 to {MAX_PAGE_SIZE} (0 means {DEFAULT_PAGE_SIZE})")
        v.check_max_length(page_token, "page_token", 2048)
        v.raise_if_any()
        return self._store.list_test_results(project, instance_id, page_size or DEFAULT_PAGE_SIZE, page_token)

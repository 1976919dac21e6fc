"""Statsig provider tests run GateProvider directly (configure(), then check/diff/create/read/
update/delete) against a StatsigSandbox on loopback, with fast retries.

tests/providers/conftest.py's autouse fixture still applies (no Railway credentials, fast HTTP
retries, no stack config left behind); the one here adds the Statsig side of that isolation.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from pulumi.dynamic import Config, ConfigureRequest, CreateResult, ResourceProvider

from providers import settings
from providers.statsig.gate import GateProvider
from sandbox.statsig import StatsigSandbox

KEY = "console-provider-test-9b3e7a1f"
EMAIL = "alice@gatewayz.dev"
OTHER_EMAIL = "bob@gatewayz.dev"

P = TypeVar("P", bound=ResourceProvider)

_names = itertools.count(1)


@dataclass(frozen=True)
class Statsig:
    """The sandbox and a gate name of the test's own (names never meet between tests)."""

    sandbox: StatsigSandbox
    name: str

    def configure(self, provider: P) -> P:
        """Configure `provider` the way the dynamic-provider host does: stack config, secrets
        already decrypted."""
        provider.configure(
            ConfigureRequest(
                Config(
                    {"stagefleet:statsigConsoleKey": KEY, "stagefleet:statsigApiUrl": self.sandbox.url},
                    project_name="stagefleet",
                )
            )
        )
        return provider

    def provider(self) -> GateProvider:
        return self.configure(GateProvider())

    def inputs(self, **overrides: Any) -> dict[str, Any]:
        """Checked inputs, as the engine hands them to create/update."""
        props: dict[str, Any] = {
            "name": self.name,
            "description": "New checkout flow",
            "owner": "alice",
            "emails": [EMAIL],
        }
        props.update(overrides)
        checked = GateProvider().check({}, props)
        assert checked.failures == [], checked.failures
        return checked.inputs

    def create(self, **overrides: Any) -> CreateResult:
        return self.provider().create(self.inputs(**overrides))

    def live(self, gate_id: str) -> dict[str, Any] | None:
        """The gate as the API returns it (archived or not), or None."""
        return self.sandbox.gate(gate_id)

    def named(self) -> list[dict[str, Any]]:
        """Live and archived gates whose name is this test's (case aside)."""
        wanted = self.name.lower()
        return [g for g in self.sandbox.gates() + self.sandbox.archived_gates() if g["name"].lower() == wanted]

    def writes(self) -> list[str]:
        """The mutations the sandbox received, as "<METHOD> <path template>"."""
        return [entry.key for entry in self.sandbox.journal if entry.method != "GET"]


@pytest.fixture(autouse=True)
def isolated_statsig_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No Statsig credentials from the developer's shell."""
    for name in (settings.STATSIG_KEY_ENV, settings.STATSIG_API_URL_ENV):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture(scope="session")
def shared_statsig_sandbox() -> Iterator[StatsigSandbox]:
    # One server for the session; each test works on gate names of its own.
    with StatsigSandbox(keys={KEY}, lifetime=900) as statsig_sandbox:
        yield statsig_sandbox


def _calm(statsig_sandbox: StatsigSandbox) -> None:
    statsig_sandbox.faults.clear()
    statsig_sandbox.mutation_limit_per_window = None
    statsig_sandbox.mutation_window = 10.0
    statsig_sandbox.latency = 0.0
    statsig_sandbox.refuse_rearchive = False
    statsig_sandbox.journal_clear()


@pytest.fixture
def sandbox(shared_statsig_sandbox: StatsigSandbox) -> Iterator[StatsigSandbox]:
    """The shared sandbox with no fault, rate limit, latency or journal left by another test."""
    _calm(shared_statsig_sandbox)
    yield shared_statsig_sandbox
    _calm(shared_statsig_sandbox)


@pytest.fixture
def statsig(sandbox: StatsigSandbox) -> Statsig:
    return Statsig(sandbox=sandbox, name=f"checkout v2 test{next(_names)}")


@pytest.fixture
def private_statsig() -> Iterator[Statsig]:
    """A sandbox of the test's own, for the mutation rate limit (it counts every mutation)."""
    with StatsigSandbox(keys={KEY}, lifetime=120) as statsig_sandbox:
        yield Statsig(sandbox=statsig_sandbox, name="checkout v2")

"""Fault and drift tests: every provider operation against both sandboxes while the sandboxes
misbehave (429 with Retry-After, 500/502/503, an answer slower than the client's read timeout, the
connection dropped after the request was applied), run in-process with tiny backoff, a shrunken
read timeout and fast readiness polling, so the whole matrix takes seconds, not hours.

The matrix outcomes are collected while the tests run; when every cell ran, the session writes
bench/results/fault_matrix.json and prints the matrix as markdown tables in the terminal summary.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from providers import http, settings
from providers.supabase import client as supabase_client
from sandbox.railway import RailwaySandbox
from sandbox.statsig import StatsigSandbox
from sandbox.supabase import SupabaseSandbox
from tests.faults import matrix

RAILWAY_TOKEN = "rw-fault-token-51c0e2"
SUPABASE_TOKEN = "sbp_fault_token_8e3b71"
STATSIG_KEY = "console-fault-key-3d7a90"
REPOSITORY = "gatewayz/gatewayz-backend"
# The client's read timeout for these tests, and how late a "slow" answer comes: late enough
# that the client has given up on it, soon enough that the server thread is done quickly.
# Short enough to keep the matrix fast, long enough that a loaded CI machine answering an ordinary
# request is not mistaken for a slow answer.
READ_TIMEOUT = 0.3
SLOW_ANSWER = 0.6
RETRY_AFTER = 0.02
# Five attempts, milliseconds of backoff: the production shape, at test speed.
FAST_RETRIES = http.RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.04, max_retry_after=1.0, deadline=20.0)
FAST_WAIT = supabase_client.WaitPolicy(first_delay=0.02, max_delay=0.05)
HEALTHY_AFTER = 0.05

_scopes = itertools.count(1)


@dataclass
class World:
    """Both sandboxes, and this test's own Railway project and Supabase organization."""

    railway: RailwaySandbox
    supabase: SupabaseSandbox
    project_id: str
    base_environment_id: str
    api_id: str
    worker_id: str
    organization: str
    statsig: StatsigSandbox | None
    # Gate names are unique in a Statsig project: each test names its gate after its own scope.
    gate_name: str
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> dict[str, str]:
        return {
            "stagefleet:railwayToken": RAILWAY_TOKEN,
            "stagefleet:railwayApiUrl": self.railway.url,
            "stagefleet:supabaseAccessToken": SUPABASE_TOKEN,
            "stagefleet:supabaseApiUrl": self.supabase.url,
            **(
                {"stagefleet:statsigConsoleKey": STATSIG_KEY, "stagefleet:statsigApiUrl": self.statsig.url}
                if self.statsig is not None
                else {}
            ),
        }

    def configure(self, provider: Any) -> Any:
        """Configure `provider` as the dynamic-provider host does: stack config, secrets decrypted."""
        provider.configure(ConfigureRequest(Config(self.config, project_name="stagefleet")))
        return provider

    def environments(self) -> list[dict[str, Any]]:
        """This project's environments other than the base one."""
        return [e for e in self.railway.environments(self.project_id) if e["id"] != self.base_environment_id]

    def projects(self) -> list[dict[str, Any]]:
        """This organization's projects (branch projects excluded)."""
        return [p for p in self.supabase.projects() if p["organization_slug"] == self.organization and not p["is_branch"]]

    def sandbox_for(self, api: str) -> Any:
        return {"railway": self.railway, "supabase": self.supabase, "statsig": self.statsig}[api]

    def clear(self) -> None:
        for sandbox in (self.railway, self.supabase, self.statsig):
            sandbox.faults.clear()
            sandbox.journal_clear()


@pytest.fixture(autouse=True)
def fault_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No credentials from the shell, fast retries, a short read timeout, fast polling, and no
    stack config left behind."""
    for name in (
        settings.RAILWAY_TOKEN_ENV,
        settings.RAILWAY_API_URL_ENV,
        settings.SUPABASE_TOKEN_ENV,
        settings.SUPABASE_API_URL_ENV,
        settings.STATSIG_KEY_ENV,
        settings.STATSIG_API_URL_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(http, "DEFAULT_RETRY_POLICY", FAST_RETRIES)
    monkeypatch.setattr(http, "READ_TIMEOUT", READ_TIMEOUT)
    monkeypatch.setattr(supabase_client, "DEFAULT_WAIT_POLICY", FAST_WAIT)
    settings.configure(None)
    yield
    settings.configure(None)


@pytest.fixture(scope="session")
def shared_statsig() -> Iterator[StatsigSandbox]:
    with StatsigSandbox(keys={STATSIG_KEY}, lifetime=900) as statsig:
        yield statsig


@pytest.fixture(scope="session")
def shared_sandboxes() -> Iterator[tuple[RailwaySandbox, SupabaseSandbox]]:
    # One pair of servers for the session; every test works in a project and organization of its own.
    with RailwaySandbox(tokens={RAILWAY_TOKEN}, lifetime=900) as railway, SupabaseSandbox(
        tokens={SUPABASE_TOKEN}, healthy_after=HEALTHY_AFTER, lifetime=900
    ) as supabase:
        yield railway, supabase


def _calm(railway: RailwaySandbox, supabase: SupabaseSandbox, statsig: StatsigSandbox) -> None:
    for sandbox in (railway, supabase, statsig):
        sandbox.faults.clear()
        sandbox.latency = 0.0
        sandbox.journal_clear()
    railway.rate_limit_per_second = None
    supabase.rate_limit_per_minute = None
    supabase.healthy_after = HEALTHY_AFTER
    statsig.mutation_limit_per_window = None


@pytest.fixture
def world(shared_sandboxes: tuple[RailwaySandbox, SupabaseSandbox], shared_statsig: StatsigSandbox) -> Iterator[World]:
    railway, supabase = shared_sandboxes
    statsig = shared_statsig
    _calm(railway, supabase, statsig)
    number = next(_scopes)
    seed = railway.seed_project(
        name=f"gatewayz-{number}",
        services=[{"name": "api", "repository": REPOSITORY}, {"name": "worker", "repository": REPOSITORY}],
        variables={"APP_ENV": "staging"},
    )
    organization = f"gatewayz-{number}"
    supabase.seed_organization(slug=organization, name="Gatewayz")
    railway.journal_clear()
    supabase.journal_clear()
    yield World(
        railway=railway,
        supabase=supabase,
        project_id=seed.project_id,
        base_environment_id=seed.base_environment_id,
        api_id=seed.service_ids["api"],
        worker_id=seed.service_ids["worker"],
        organization=organization,
        statsig=statsig,
        gate_name=f"payments-v2-{number}",
    )
    _calm(railway, supabase, statsig)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    table = matrix.RESULTS.summary_if_complete()
    if table is None:
        return
    path = matrix.RESULTS.write()
    terminalreporter.write_sep("=", "fault matrix (operation x fault -> outcome)")
    terminalreporter.write_line(table)
    terminalreporter.write_line(f"written to {path}")

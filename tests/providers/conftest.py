"""Provider tests run each provider class directly (configure(), then check/diff/create/read/
update/delete) against a RailwaySandbox on loopback, with fast retries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider

from providers import http, settings
from sandbox.railway import RailwaySandbox, SeedResult

TOKEN = "rw-test-token-7c1d5e"
PROJECT_NAME = "gatewayz"
BACKEND_REPOSITORY = "gatewayz/gatewayz-backend"
# Shared variable of the base environment: every fork starts with it.
BASE_VARIABLES = {"APP_ENV": "staging", "LOG_LEVEL": "info"}
# Bounded and quick: a test that retries waits milliseconds, not the production backoff, and a lost
# answer is looked for over half a second, not 45.
FAST_RETRIES = http.RetryPolicy(
    attempts=5, base_delay=0.01, max_delay=0.05, max_retry_after=2.0, deadline=20.0, late_answer_grace=0.5
)

P = TypeVar("P", bound=ResourceProvider)


@dataclass(frozen=True)
class Railway:
    """The sandbox and what is seeded in it."""

    sandbox: RailwaySandbox
    project_id: str
    base_environment_id: str
    api_id: str
    worker_id: str

    def configure(self, provider: P) -> P:
        """Configure `provider` the way the dynamic-provider host does: stack config, secrets
        already decrypted."""
        provider.configure(
            ConfigureRequest(
                Config(
                    {"stagefleet:railwayToken": TOKEN, "stagefleet:railwayApiUrl": self.sandbox.url},
                    project_name="stagefleet",
                )
            )
        )
        return provider

    def environment_names(self) -> list[str]:
        return [env["name"] for env in self.sandbox.environments(self.project_id)]


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No credentials from the developer's shell, fast retries, and no config left behind."""
    for name in (
        settings.RAILWAY_TOKEN_ENV,
        settings.RAILWAY_API_URL_ENV,
        settings.RAILWAY_PLAN_ENV,
        settings.EMULATED_LIMITS_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(http, "DEFAULT_RETRY_POLICY", FAST_RETRIES)
    settings.configure(None)
    yield
    settings.configure(None)


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[RailwaySandbox]:
    # One server for the session: starting and stopping one per test costs more than the tests.
    # Each test seeds its own project, so their data never meet.
    with RailwaySandbox(tokens={TOKEN}, lifetime=900) as railway_sandbox:
        yield railway_sandbox


def _calm(railway_sandbox: RailwaySandbox) -> None:
    railway_sandbox.faults.clear()
    railway_sandbox.rate_limit_per_second = None
    railway_sandbox.latency = 0.0
    railway_sandbox.journal_clear()


@pytest.fixture
def sandbox(shared_sandbox: RailwaySandbox) -> Iterator[RailwaySandbox]:
    """The shared sandbox with no fault, rate limit, latency or journal left by another test."""
    _calm(shared_sandbox)
    yield shared_sandbox
    _calm(shared_sandbox)


@pytest.fixture
def railway(sandbox: RailwaySandbox) -> Railway:
    return seeded(sandbox)


@pytest.fixture
def private_railway() -> Iterator[Railway]:
    """A sandbox of the test's own, for behaviour that other tests' traffic would disturb
    (the per-second rate limit counts every recent request)."""
    with RailwaySandbox(tokens={TOKEN}, lifetime=120) as railway_sandbox:
        yield seeded(railway_sandbox)


def seeded(sandbox: RailwaySandbox) -> Railway:
    """A project "gatewayz" with a base environment and two services built from one repository."""
    seed: SeedResult = sandbox.seed_project(
        name=PROJECT_NAME,
        base_environment="staging-template",
        services=[
            {"name": "api", "repository": BACKEND_REPOSITORY},
            {"name": "worker", "repository": BACKEND_REPOSITORY},
        ],
        variables=BASE_VARIABLES,
    )
    sandbox.journal_clear()
    return Railway(
        sandbox=sandbox,
        project_id=seed.project_id,
        base_environment_id=seed.base_environment_id,
        api_id=seed.service_ids["api"],
        worker_id=seed.service_ids["worker"],
    )

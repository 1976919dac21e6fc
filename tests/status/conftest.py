"""Fixtures of the `fleet status` tests (their fakes and helpers are in support.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from providers import settings
from sandbox.railway import RailwaySandbox
from tests.status.support import QUICK_DEPLOYS, SANDBOX_TOKEN, SERVICES, SandboxFleet, Server


@pytest.fixture(autouse=True)
def no_credentials_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (settings.RAILWAY_TOKEN_ENV, settings.RAILWAY_API_URL_ENV, "STAGEFLEET_CONNECT_TO"):
        monkeypatch.delenv(name, raising=False)
    settings.configure(None)
    yield
    settings.configure(None)


@pytest.fixture
def http_server() -> Iterator[Callable[..., Server]]:
    """Starts Servers (status=200, delay=0.0) for the test; all stopped after it."""
    started: list[Server] = []

    def start(status: int = 200, delay: float = 0.0) -> Server:
        server = Server(status, delay).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__()


@pytest.fixture
def sandbox_fleet(tmp_path: Path) -> Iterator[SandboxFleet]:
    """A Railway sandbox of the test's own (its journals count only the test's requests), with
    quick deployments, a seeded project and no environment yet."""
    with RailwaySandbox(tokens={SANDBOX_TOKEN}, lifetime=120) as sandbox:
        sandbox.deploy_timing = QUICK_DEPLOYS
        seed = sandbox.seed_project(name="gatewayz", base_environment="staging-template", services=SERVICES)
        sandbox.journal_clear()
        yield SandboxFleet(sandbox=sandbox, seed=seed, directory=tmp_path)

"""Fixtures of the `fleet orphans` tests: the three sandboxes on 127.0.0.1 (ephemeral ports,
stopped after each test), seeded with the committed fleet stack's Railway project and Supabase
organization, and no credential from the developer's shell (helpers are in support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from providers import http, settings
from sandbox.railway import RailwaySandbox
from sandbox.statsig import StatsigSandbox
from sandbox.supabase import SupabaseSandbox
from tests.orphans.support import (
    BASE_ENVIRONMENT_ID,
    ENV_VARS,
    ORGANIZATION,
    PROJECT_ID,
    RAILWAY_TOKEN,
    STATSIG_KEY,
    SUPABASE_TOKEN,
    Fleet,
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No credentials from the shell, no stack config left behind, quick retries."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    quick = replace(http.DEFAULT_RETRY_POLICY, base_delay=0.01, max_delay=0.05, late_answer_grace=0.5)
    monkeypatch.setattr(http, "DEFAULT_RETRY_POLICY", quick)
    settings.configure(None)
    yield
    settings.configure(None)


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    """The sandboxes, with the fleet's Railway project (its base environment and a `production`
    environment nobody manages) and Supabase organization; nothing else yet."""
    with (
        RailwaySandbox(tokens={RAILWAY_TOKEN}, lifetime=120) as railway,
        SupabaseSandbox(tokens={SUPABASE_TOKEN}, lifetime=120) as supabase,
        StatsigSandbox(keys={STATSIG_KEY}, lifetime=120) as statsig,
    ):
        railway.seed_project(
            name="gatewayz",
            project_id=PROJECT_ID,
            base_environment="staging-template",
            base_environment_id=BASE_ENVIRONMENT_ID,
            services=[{"name": "api", "repository": "gatewayz/gatewayz-backend"}],
        )
        supabase.seed_organization(ORGANIZATION, "Gatewayz")
        yield Fleet(railway=railway, supabase=supabase, statsig=statsig, directory=tmp_path)


@pytest.fixture
def credentials(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> Fleet:
    """Every vendor's credentials and sandbox URL in the environment, for in-process runs."""
    for name, value in fleet.environ().items():
        monkeypatch.setenv(name, value)
    return fleet

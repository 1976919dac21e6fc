"""Supabase provider tests run each provider class directly (configure(), then check/diff/create/
read/update/delete) against a SupabaseSandbox on loopback, with fast retries and fast polling.

tests/providers/conftest.py's autouse fixture still applies (no Railway credentials, fast HTTP
retries, no stack config left behind); the one here adds the Supabase side of that isolation.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider

from providers import settings
from providers.supabase import client
from providers.supabase.branch import BranchProvider
from providers.supabase.project import ProjectProvider
from providers.supabase.project_keys import ProjectKeysProvider
from sandbox.supabase import SupabaseSandbox

TOKEN = "sbp_provider_test_6f1a0c"
REGION = "us-east-1"
DB_PASS = "db-pass-3e9d7c-secret"
# Seconds from create until COMING_UP turns ACTIVE_HEALTHY: short, but long enough that a create
# is seen COMING_UP and a wait polls more than once.
HEALTHY_AFTER = 0.2
# Polling in milliseconds, not the production 1 s .. 10 s.
FAST_WAIT = client.WaitPolicy(first_delay=0.02, max_delay=0.1)

P = TypeVar("P", bound=ResourceProvider)

_organizations = itertools.count(1)


@dataclass(frozen=True)
class Supabase:
    """The sandbox and the organization a test works in (its own: names never meet)."""

    sandbox: SupabaseSandbox
    organization_slug: str

    def configure(self, provider: P) -> P:
        """Configure `provider` the way the dynamic-provider host does: stack config, secrets
        already decrypted."""
        provider.configure(
            ConfigureRequest(
                Config(
                    {"stagefleet:supabaseAccessToken": TOKEN, "stagefleet:supabaseApiUrl": self.sandbox.url},
                    project_name="stagefleet",
                )
            )
        )
        return provider

    def projects(self, name: str | None = None) -> list[dict[str, Any]]:
        """This organization's projects (not branches), optionally only those called `name`."""
        return [
            project
            for project in self.sandbox.projects()
            if project["organization_slug"] == self.organization_slug
            and not project["is_branch"]
            and (name is None or project["name"] == name)
        ]

    def project_inputs(self, **overrides: Any) -> dict[str, Any]:
        props = {
            "name": "gatewayz-staging-dev1-alice",
            "organization_slug": self.organization_slug,
            "region": REGION,
            "db_pass": DB_PASS,
        }
        props.update(overrides)
        return ProjectProvider().check({}, props).inputs

    def create_project(self, **overrides: Any) -> tuple[str, dict[str, Any]]:
        created = self.configure(ProjectProvider()).create(self.project_inputs(**overrides))
        return created.id, created.outs

    def keys_inputs(self, project: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        props = {
            "project_ref": project["ref"],
            "label": project["name"],
            "db_pass": project["db_pass"],
            "db_host": project["db_host"],
        }
        props.update(overrides)
        return ProjectKeysProvider().check({}, props).inputs

    def healthy_project(self, **overrides: Any) -> tuple[str, dict[str, Any]]:
        """A project that has come up (created, then waited for by ProjectKeys)."""
        ref, outs = self.create_project(**overrides)
        self.configure(ProjectKeysProvider()).create(self.keys_inputs(outs, deadline_seconds=10.0))
        return ref, outs

    def branch_inputs(self, parent_ref: str, **overrides: Any) -> dict[str, Any]:
        props = {"parent_ref": parent_ref, "name": "gatewayz-staging-pr-42", "git_branch": "feature/pr-42"}
        props.update(overrides)
        return BranchProvider().check({}, props).inputs


@pytest.fixture(autouse=True)
def isolated_supabase_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No Supabase credentials from the developer's shell, and fast readiness polling."""
    for name in (settings.SUPABASE_TOKEN_ENV, settings.SUPABASE_API_URL_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(client, "DEFAULT_WAIT_POLICY", FAST_WAIT)
    yield


@pytest.fixture(scope="session")
def shared_supabase_sandbox() -> Iterator[SupabaseSandbox]:
    # One server for the session; each test works in an organization of its own.
    with SupabaseSandbox(tokens={TOKEN}, healthy_after=HEALTHY_AFTER, lifetime=900) as supabase_sandbox:
        yield supabase_sandbox


def _calm(supabase_sandbox: SupabaseSandbox) -> None:
    supabase_sandbox.faults.clear()
    supabase_sandbox.rate_limit_per_minute = None
    supabase_sandbox.rate_limit_window = 60.0
    supabase_sandbox.latency = 0.0
    supabase_sandbox.healthy_after = HEALTHY_AFTER
    supabase_sandbox.journal_clear()


@pytest.fixture
def sandbox(shared_supabase_sandbox: SupabaseSandbox) -> Iterator[SupabaseSandbox]:
    """The shared sandbox with no fault, rate limit, latency or journal left by another test."""
    _calm(shared_supabase_sandbox)
    yield shared_supabase_sandbox
    _calm(shared_supabase_sandbox)


@pytest.fixture
def supabase(sandbox: SupabaseSandbox) -> Supabase:
    return seeded(sandbox)


@pytest.fixture
def private_supabase() -> Iterator[Supabase]:
    """A sandbox of the test's own, for state other tests must not inherit (queued failures)."""
    with SupabaseSandbox(tokens={TOKEN}, healthy_after=HEALTHY_AFTER, lifetime=120) as supabase_sandbox:
        yield seeded(supabase_sandbox)


def seeded(sandbox: SupabaseSandbox) -> Supabase:
    slug = f"gatewayz-{next(_organizations)}"
    sandbox.seed_organization(slug=slug, name="Gatewayz")
    sandbox.journal_clear()
    return Supabase(sandbox=sandbox, organization_slug=slug)

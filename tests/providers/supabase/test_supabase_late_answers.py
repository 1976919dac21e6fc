"""Creates the Supabase sandbox applies after the client has given up on them ("apply_late":
held, never answered, applied later). Project names are not unique, so nothing but the
late-answer window keeps a second project from being made: the provider keeps looking and adopts
the project (or branch) the late create made, and exactly one exists once the server is done."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from providers import http
from providers.supabase.branch import BranchProvider
from providers.supabase.project import ProjectProvider
from tests.providers.conftest import FAST_RETRIES
from tests.providers.supabase.conftest import Supabase

NAME = "gatewayz-staging-dev1-alice"
# The client gives up after GIVE_UP; the server applies the create at LANDS_AFTER, while the
# provider is still looking (its window, GRACE, is far longer: it adopts the object as it lands).
GIVE_UP = 0.3
LANDS_AFTER = 0.6
GRACE = 5.0
SETTLE = 10.0


@pytest.fixture(autouse=True)
def short_read_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(http, "READ_TIMEOUT", GIVE_UP)
    monkeypatch.setattr(http, "DEFAULT_RETRY_POLICY", replace(FAST_RETRIES, late_answer_grace=GRACE))
    yield


def test_a_project_create_applied_late_leaves_exactly_one_project(supabase: Supabase) -> None:
    supabase.sandbox.faults.add("POST /v1/projects", "apply_late", delay=LANDS_AFTER)

    created = supabase.configure(ProjectProvider()).create(supabase.project_inputs())

    assert supabase.sandbox.settle(SETTLE)
    [project] = supabase.projects(NAME)
    assert project["ref"] == created.id
    assert supabase.sandbox.journal_count("POST /v1/projects") == 1


def test_a_branch_create_applied_late_leaves_exactly_one_branch(supabase: Supabase) -> None:
    parent, _ = supabase.healthy_project(name="gatewayz-staging-main")
    supabase.sandbox.faults.add("POST /v1/projects/{ref}/branches", "apply_late", delay=LANDS_AFTER)
    provider = supabase.configure(BranchProvider())
    props = {"parent_ref": parent, "name": "gatewayz-staging-pr-42", "git_branch": "feature/pr-42"}

    created = provider.create(provider.check({}, props).inputs)

    assert supabase.sandbox.settle(SETTLE)
    [branch] = [b for b in supabase.sandbox.branches(parent) if not b["is_default"]]
    assert branch["id"] == created.id
    assert supabase.sandbox.journal_count("POST /v1/projects/{ref}/branches") == 1

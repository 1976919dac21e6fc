"""supabase:ProjectKeys against the sandbox: the wait until healthy, what happens when a project
or branch never gets there, the keys and connection string, and refresh."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pulumi.output import Unknown

from providers.api import NotFound
from providers.supabase import client as supabase_client
from providers.supabase.branch import BranchProvider
from providers.supabase.client import ProjectFailedToStart, ReadinessDeadlineExceeded
from providers.supabase.project import ProjectProvider
from providers.supabase.project_keys import ProjectKeysProvider, connection_string
from tests.providers.supabase.conftest import DB_PASS, FAST_WAIT, Supabase

NAME = "gatewayz-staging-dev1-alice"


LOOK = "GET /v1/projects/{ref}"
DELETE = "DELETE /v1/projects/{ref}"


@pytest.fixture
def provider(supabase: Supabase) -> ProjectKeysProvider:
    return supabase.configure(ProjectKeysProvider())


class WaitClock:
    """The readiness wait's clock and sleep (WaitPolicy's seams): time moves only when the wait
    pauses, and every pause is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def wait_clock(monkeypatch: pytest.MonkeyPatch) -> WaitClock:
    """FAST_WAIT's schedule on a clock of the test's own."""
    clock = WaitClock()
    policy = dataclasses.replace(FAST_WAIT, clock=lambda: clock.now, sleep=clock.sleep)
    monkeypatch.setattr(supabase_client, "DEFAULT_WAIT_POLICY", policy)
    return clock


def branch_keys_inputs(branch: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    props = {"project_ref": branch["ref"], "label": branch["name"], "kind": "branch", "branch_id": branch["branch_id"]}
    props.update(overrides)
    return ProjectKeysProvider().check({}, props).inputs


def create_branch(supabase: Supabase, parent_ref: str, **overrides: Any) -> dict[str, Any]:
    return supabase.configure(BranchProvider()).create(supabase.branch_inputs(parent_ref, **overrides)).outs


# ------------------------------------------------------------ projects


def test_create_waits_until_the_project_is_healthy_then_returns_its_keys(
    supabase: Supabase, provider: ProjectKeysProvider
) -> None:
    ref, project = supabase.create_project()
    assert [p["status"] for p in supabase.projects()] == ["COMING_UP"]
    created = provider.create(supabase.keys_inputs(project))
    assert [p["status"] for p in supabase.projects()] == ["ACTIVE_HEALTHY"]
    keys = supabase.sandbox.api_keys(ref)
    assert created.id == ref
    assert created.outs == {
        **supabase.keys_inputs(project),
        "anon_key": keys["anon"],
        "service_role_key": keys["service_role"],
        "connection_string": f"postgresql://postgres:{DB_PASS}@db.{ref}.supabase.co:5432/postgres",
    }
    polls = supabase.sandbox.journal_count("GET /v1/projects/{ref}")
    assert polls >= 2, "the project was COMING_UP, so it must have been looked at more than once"
    assert [entry.query_string for entry in supabase.sandbox.journal if entry.key.endswith("/api-keys")] == [
        "reveal=true"
    ]


def test_a_project_that_ends_in_init_failed_is_deleted_and_the_error_says_what_to_do(
    private_supabase: Supabase,
) -> None:
    supabase = private_supabase
    supabase.sandbox.fail_next_projects(1, status="INIT_FAILED")
    ref, project = supabase.create_project()
    provider = supabase.configure(ProjectKeysProvider())
    with pytest.raises(ProjectFailedToStart) as caught:
        provider.create(supabase.keys_inputs(project))
    assert supabase.projects() == []
    message = str(caught.value)
    assert message.startswith(f'Supabase project "{NAME}" ({ref}) failed to start: its status is INIT_FAILED.')
    assert "It was deleted so nothing half-made is left" in message and "pulumi up --refresh" in message
    assert DB_PASS not in message
    # ... and the Project resource then reads as gone, so `pulumi up --refresh` makes a new one.
    assert supabase.configure(ProjectProvider()).read(ref, project).id is None


def test_a_terminal_status_stops_the_wait_at_once(
    supabase: Supabase, provider: ProjectKeysProvider, wait_clock: WaitClock
) -> None:
    supabase.sandbox.healthy_after = 30.0
    ref, project = supabase.create_project()
    supabase.sandbox.set_status(ref, "INACTIVE")
    supabase.sandbox.journal_clear()
    with pytest.raises(ProjectFailedToStart, match="its status is INACTIVE"):
        provider.create(supabase.keys_inputs(project, deadline_seconds=20.0))
    # One look saw INACTIVE; no pause, no second look: the project was deleted next.
    assert wait_clock.sleeps == []
    assert [e.key for e in supabase.sandbox.journal if e.key in (LOOK, DELETE)] == [LOOK, DELETE]
    assert supabase.projects() == []


def test_a_project_not_healthy_by_the_deadline_is_deleted_and_leaves_no_orphan(
    supabase: Supabase, provider: ProjectKeysProvider, wait_clock: WaitClock
) -> None:
    supabase.sandbox.healthy_after = 30.0
    ref, project = supabase.create_project()
    supabase.sandbox.journal_clear()
    with pytest.raises(ReadinessDeadlineExceeded) as caught:
        provider.create(supabase.keys_inputs(project, deadline_seconds=0.5))
    # The wait paused until the deadline and not beyond it (its last pause cut to what was left),
    # looking once more after each pause; then it deleted the project.
    assert sum(wait_clock.sleeps) == pytest.approx(0.5)
    assert len(wait_clock.sleeps) >= 2 and wait_clock.sleeps[-1] < FAST_WAIT.max_delay
    looks = [e.key for e in supabase.sandbox.journal if e.key in (LOOK, DELETE)]
    assert looks == [LOOK] * (len(wait_clock.sleeps) + 1) + [DELETE]
    assert supabase.projects() == []
    message = str(caught.value)
    assert message.startswith(f'Supabase project "{NAME}" ({ref}) was not ACTIVE_HEALTHY within 0.5s')
    assert "last status: COMING_UP" in message and "pulumi up --refresh" in message


def test_a_project_deleted_while_waited_on_is_a_clear_error(supabase: Supabase, provider: ProjectKeysProvider) -> None:
    supabase.sandbox.healthy_after = 30.0
    ref, project = supabase.create_project()
    supabase.sandbox.delete_project(ref)
    with pytest.raises(NotFound) as caught:
        provider.create(supabase.keys_inputs(project))
    assert f'"{NAME}" ({ref}) no longer exists' in str(caught.value) and "pulumi up --refresh" in str(caught.value)


def test_read_returns_the_keys_again(supabase: Supabase, provider: ProjectKeysProvider) -> None:
    _, project = supabase.create_project()
    created = provider.create(supabase.keys_inputs(project))
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (created.id, created.outs)


def test_read_of_keys_whose_project_is_gone_reports_them_gone(
    supabase: Supabase, provider: ProjectKeysProvider
) -> None:
    ref, project = supabase.create_project()
    created = provider.create(supabase.keys_inputs(project))
    supabase.sandbox.delete_project(ref)
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (None, {})


def test_a_new_password_updates_the_connection_string_without_a_request(
    supabase: Supabase, provider: ProjectKeysProvider
) -> None:
    ref, project = supabase.create_project()
    created = provider.create(supabase.keys_inputs(project))
    news = supabase.keys_inputs(project, db_pass="new-pass-9876")
    diff = provider.diff(ref, created.outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    supabase.sandbox.journal_clear()
    updated = provider.update(ref, created.outs, news)
    assert (
        updated.outs["connection_string"] == f"postgresql://postgres:new-pass-9876@db.{ref}.supabase.co:5432/postgres"
    )
    assert updated.outs["anon_key"] == created.outs["anon_key"]
    assert supabase.sandbox.journal_count() == 0


def test_a_new_label_or_deadline_is_an_update_without_a_request(
    supabase: Supabase, provider: ProjectKeysProvider
) -> None:
    ref, project = supabase.create_project()
    created = provider.create(supabase.keys_inputs(project))
    news = supabase.keys_inputs(project, label="renamed", deadline_seconds=900.0)
    supabase.sandbox.journal_clear()
    assert provider.update(ref, created.outs, news).outs == {
        **created.outs,
        "label": "renamed",
        "deadline_seconds": 900.0,
    }
    assert supabase.sandbox.journal_count() == 0


def test_delete_makes_no_request(supabase: Supabase, provider: ProjectKeysProvider) -> None:
    ref, project = supabase.create_project()
    created = provider.create(supabase.keys_inputs(project))
    supabase.sandbox.journal_clear()
    provider.delete(ref, created.outs)
    assert supabase.sandbox.journal_count() == 0
    assert len(supabase.projects()) == 1


def test_the_connection_string_percent_encodes_the_password() -> None:
    assert connection_string(user="postgres", password="p@ss/w:rd", host="db.x.supabase.co") == (
        "postgresql://postgres:p%40ss%2Fw%3Ard@db.x.supabase.co:5432/postgres"
    )


# ------------------------------------------------------------ branches


def test_branch_keys_wait_for_the_branch_and_use_its_own_database(
    supabase: Supabase, provider: ProjectKeysProvider
) -> None:
    parent_ref, _ = supabase.healthy_project()
    branch = create_branch(supabase, parent_ref)
    supabase.sandbox.journal_clear()
    created = provider.create(branch_keys_inputs(branch))
    [live] = [b for b in supabase.sandbox.branches(parent_ref) if b["id"] == branch["branch_id"]]
    assert live["status"] == "ACTIVE_HEALTHY"
    [branch_project] = [p for p in supabase.sandbox.projects() if p["ref"] == branch["ref"]]
    keys = supabase.sandbox.api_keys(branch["ref"])
    assert created.id == branch["ref"]
    assert (created.outs["anon_key"], created.outs["service_role_key"]) == (keys["anon"], keys["service_role"])
    assert created.outs["connection_string"] == (
        f"postgresql://postgres:{branch_project['db_pass']}@db.{branch['ref']}.supabase.co:5432/postgres"
    )
    assert supabase.sandbox.journal_count("GET /v1/projects/{ref}/health") >= 2
    assert supabase.sandbox.journal_count("GET /v1/projects/{ref}") == 0, "a branch's ref is not a project"


def test_a_failed_branch_is_deleted_and_its_parent_kept(private_supabase: Supabase) -> None:
    supabase = private_supabase
    parent_ref, _ = supabase.healthy_project()
    supabase.sandbox.fail_next_branches(1, status="INIT_FAILED")
    branch = create_branch(supabase, parent_ref)
    provider = supabase.configure(ProjectKeysProvider())
    with pytest.raises(ProjectFailedToStart) as caught:
        provider.create(branch_keys_inputs(branch))
    assert [b["name"] for b in supabase.sandbox.branches(parent_ref)] == ["main"]
    assert [p["ref"] for p in supabase.projects()] == [parent_ref]
    assert str(caught.value).startswith(f'Supabase branch "{branch["name"]}" ({branch["ref"]}) failed to start')


def test_a_branch_not_healthy_by_the_deadline_is_deleted(supabase: Supabase, provider: ProjectKeysProvider) -> None:
    parent_ref, _ = supabase.healthy_project()
    supabase.sandbox.healthy_after = 30.0
    branch = create_branch(supabase, parent_ref)
    with pytest.raises(ReadinessDeadlineExceeded, match="pulumi up --refresh"):
        provider.create(branch_keys_inputs(branch, deadline_seconds=0.3))
    assert branch["branch_id"] not in [b["id"] for b in supabase.sandbox.branches(parent_ref)]
    assert [p["ref"] for p in supabase.projects()] == [parent_ref]


def test_read_of_branch_keys_whose_branch_is_gone_reports_them_gone(
    supabase: Supabase, provider: ProjectKeysProvider
) -> None:
    parent_ref, _ = supabase.healthy_project()
    branch = create_branch(supabase, parent_ref)
    created = provider.create(branch_keys_inputs(branch))
    assert provider.read(created.id, created.outs).outs == created.outs
    supabase.sandbox.delete_branch(branch["branch_id"])
    assert provider.read(created.id, created.outs).id is None


# ------------------------------------------------------------ check and diff


@pytest.mark.parametrize(
    ("changed", "value"), [("project_ref", "another-ref"), ("kind", "branch"), ("branch_id", "b-2")]
)
def test_diff_replaces_on_ref_kind_or_branch(supabase: Supabase, changed: str, value: Any) -> None:
    olds = supabase.keys_inputs({"ref": "r", "name": "n", "db_pass": "p", "db_host": "h"})
    diff = ProjectKeysProvider().diff("r", olds, {**olds, changed: value})
    assert diff.changes is True and diff.replaces == [changed]


def test_diff_with_an_unknown_ref_replaces() -> None:
    olds = {"project_ref": "r", "label": "n", "db_pass": "p", "db_host": "h", "kind": "project"}
    assert ProjectKeysProvider().diff("r", olds, {**olds, "project_ref": Unknown()}).replaces == ["project_ref"]


def test_check_requires_password_and_host_for_a_project() -> None:
    result = ProjectKeysProvider().check({}, {"project_ref": "r", "label": "n"})
    assert sorted((failure.property, failure.reason) for failure in result.failures) == [
        ("db_host", 'db_host is required when kind is "project"'),
        ("db_pass", 'db_pass is required when kind is "project"'),
    ]


def test_check_requires_the_branch_id_for_a_branch() -> None:
    [failure] = ProjectKeysProvider().check({}, {"project_ref": "r", "label": "n", "kind": "branch"}).failures
    assert failure.property == "branch_id"


def test_check_accepts_unknown_values_in_preview() -> None:
    result = ProjectKeysProvider().check(
        {}, {"project_ref": Unknown(), "label": "n", "db_pass": Unknown(), "db_host": Unknown(), "kind": Unknown()}
    )
    assert result.failures == []


def test_check_rejects_an_unknown_kind() -> None:
    [failure] = ProjectKeysProvider().check({}, {"project_ref": "r", "label": "n", "kind": "replica"}).failures
    assert failure.property == "kind" and "project, branch" in failure.reason


@pytest.mark.parametrize("deadline", [0, -5, float("inf"), "600", True])
def test_check_rejects_a_deadline_that_is_not_a_positive_number_of_seconds(deadline: Any) -> None:
    props = {"project_ref": "r", "label": "n", "db_pass": "p", "db_host": "h", "deadline_seconds": deadline}
    [failure] = ProjectKeysProvider().check({}, props).failures
    assert failure.property == "deadline_seconds"


def test_check_defaults_kind_and_deadline_and_takes_the_deadline_as_a_float() -> None:
    inputs = ProjectKeysProvider().check({}, {"project_ref": "r", "label": "n", "db_pass": "p", "db_host": "h"}).inputs
    assert (inputs["kind"], inputs["deadline_seconds"], inputs["branch_id"]) == ("project", 600.0, None)
    props = {"project_ref": "r", "label": "n", "db_pass": "p", "db_host": "h", "deadline_seconds": 900}
    assert ProjectKeysProvider().check({}, props).inputs["deadline_seconds"] == 900.0

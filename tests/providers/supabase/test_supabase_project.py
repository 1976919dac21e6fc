"""supabase:Project against the sandbox: create (at once), rename, new password, refresh, delete,
lost answers, and preview-time check/diff."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from providers.api import NotFound
from providers.supabase.project import ProjectProvider
from tests.providers.supabase.conftest import DB_PASS, REGION, Supabase

NAME = "gatewayz-staging-dev1-alice"


@pytest.fixture
def provider(supabase: Supabase) -> ProjectProvider:
    return supabase.configure(ProjectProvider())


def test_create_returns_at_once_with_every_input_and_the_computed_outputs(
    supabase: Supabase, provider: ProjectProvider
) -> None:
    created = provider.create(supabase.project_inputs(instance_size="micro"))
    ref = created.id
    assert created.outs == {
        "name": NAME,
        "organization_slug": supabase.organization_slug,
        "region": REGION,
        "db_pass": DB_PASS,
        "database_password": DB_PASS,
        "instance_size": "micro",
        "ref": ref,
        "api_url": f"https://{ref}.supabase.co",
        "db_host": f"db.{ref}.supabase.co",
        "status": "COMING_UP",
    }
    # No health wait: only the lookup that guards a lost answer, and the create.
    assert [entry.key for entry in supabase.sandbox.journal] == [
        "GET /v1/organizations/{slug}/projects",
        "POST /v1/projects",
    ]


def test_create_makes_the_project_as_asked(supabase: Supabase, provider: ProjectProvider) -> None:
    created = provider.create(supabase.project_inputs(region="eu-west-2", instance_size="small"))
    [project] = supabase.projects(NAME)
    assert project["ref"] == created.id
    assert (project["region"], project["desired_instance_size"], project["db_pass"]) == ("eu-west-2", "small", DB_PASS)


def test_an_unknown_organization_is_a_clear_error(supabase: Supabase, provider: ProjectProvider) -> None:
    with pytest.raises(NotFound) as caught:
        provider.create(supabase.project_inputs(organization_slug="no-such-org"))
    assert "organization no-such-org" in str(caught.value) and "not found" in str(caught.value)


def test_read_reports_the_live_name(supabase: Supabase, provider: ProjectProvider) -> None:
    ref, outs = supabase.create_project()
    provider.update(ref, outs, supabase.project_inputs(name="renamed-by-hand"))
    read = provider.read(ref, outs)
    assert read.id == ref
    assert read.outs == {**outs, "name": "renamed-by-hand"}


def test_read_right_after_the_project_came_up_reports_exactly_its_state(
    supabase: Supabase, provider: ProjectProvider
) -> None:
    # Created COMING_UP, now ACTIVE_HEALTHY: the expected lifecycle, not drift, so
    # `pulumi refresh --expect-no-changes` passes right after `pulumi up`.
    ref, outs = supabase.healthy_project()
    assert outs["status"] == "COMING_UP" and [p["status"] for p in supabase.projects()] == ["ACTIVE_HEALTHY"]
    assert provider.read(ref, outs).outs == outs


def test_read_reports_a_status_off_the_expected_lifecycle_and_its_return(
    supabase: Supabase, provider: ProjectProvider
) -> None:
    ref, outs = supabase.healthy_project()
    supabase.sandbox.set_status(ref, "INACTIVE")  # paused in the dashboard
    paused = provider.read(ref, outs).outs
    assert paused == {**outs, "status": "INACTIVE"}
    supabase.sandbox.set_status(ref, "ACTIVE_HEALTHY")  # restored
    assert provider.read(ref, paused).outs == {**outs, "status": "ACTIVE_HEALTHY"}


def test_an_imported_project_reads_its_live_status(supabase: Supabase, provider: ProjectProvider) -> None:
    ref = supabase.sandbox.seed_project("imported", supabase.organization_slug, status="ACTIVE_HEALTHY")
    assert provider.read(ref, {}).outs["status"] == "ACTIVE_HEALTHY"


def test_read_drops_a_project_deleted_out_of_band(supabase: Supabase, provider: ProjectProvider) -> None:
    ref, outs = supabase.create_project()
    supabase.sandbox.delete_project(ref)
    read = provider.read(ref, outs)
    assert (read.id, read.outs) == (None, {})


@pytest.mark.parametrize("status", ["REMOVED", "GOING_DOWN"])
def test_read_drops_a_project_being_removed(supabase: Supabase, provider: ProjectProvider, status: str) -> None:
    ref, outs = supabase.create_project()
    supabase.sandbox.set_status(ref, status)
    assert provider.read(ref, outs).id is None


def test_read_fills_in_what_an_import_does_not_know(supabase: Supabase, provider: ProjectProvider) -> None:
    ref = supabase.sandbox.seed_project("imported", supabase.organization_slug, region="eu-west-1")
    read = provider.read(ref, {})
    assert read.outs["name"] == "imported"
    assert (read.outs["organization_slug"], read.outs["region"]) == (supabase.organization_slug, "eu-west-1")
    assert read.outs["db_pass"] is None


def test_rename_is_an_update(supabase: Supabase, provider: ProjectProvider) -> None:
    ref, outs = supabase.create_project()
    news = supabase.project_inputs(name="gatewayz-staging-alice")
    diff = provider.diff(ref, outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    updated = provider.update(ref, outs, news)
    assert updated.outs == {**outs, "name": "gatewayz-staging-alice"}
    [project] = supabase.projects()
    assert project["name"] == "gatewayz-staging-alice"
    assert [entry.key for entry in supabase.sandbox.journal][-1] == "PATCH /v1/projects/{ref}"


def test_a_new_password_is_an_update_that_changes_the_database_password(
    supabase: Supabase, provider: ProjectProvider
) -> None:
    ref, outs = supabase.create_project()
    news = supabase.project_inputs(db_pass="a-new-db-pass-1234")
    diff = provider.diff(ref, outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    supabase.sandbox.journal_clear()
    updated = provider.update(ref, outs, news)
    assert updated.outs["db_pass"] == "a-new-db-pass-1234"
    assert [project["db_pass"] for project in supabase.projects()] == ["a-new-db-pass-1234"]
    assert [entry.key for entry in supabase.sandbox.journal] == ["PATCH /v1/projects/{ref}/database/password"]


def test_a_new_instance_size_is_recorded_without_a_request(supabase: Supabase, provider: ProjectProvider) -> None:
    ref, outs = supabase.create_project(instance_size="micro")
    news = supabase.project_inputs(instance_size="small")
    assert provider.diff(ref, outs, news).replaces == []
    supabase.sandbox.journal_clear()
    assert provider.update(ref, outs, news).outs["instance_size"] == "small"
    assert supabase.sandbox.journal_count() == 0


def test_update_without_changes_makes_no_request(supabase: Supabase, provider: ProjectProvider) -> None:
    ref, outs = supabase.create_project()
    supabase.sandbox.journal_clear()
    assert provider.update(ref, outs, supabase.project_inputs()).outs == outs
    assert supabase.sandbox.journal_count() == 0


def test_delete_removes_the_project(supabase: Supabase, provider: ProjectProvider) -> None:
    ref, outs = supabase.create_project()
    provider.delete(ref, outs)
    assert supabase.projects() == []


def test_delete_of_a_project_already_gone_succeeds(supabase: Supabase, provider: ProjectProvider) -> None:
    ref, outs = supabase.create_project()
    supabase.sandbox.delete_project(ref)
    provider.delete(ref, outs)


def test_a_lost_create_answer_adopts_the_project_so_exactly_one_exists(
    supabase: Supabase, provider: ProjectProvider
) -> None:
    supabase.sandbox.faults.add("POST /v1/projects", "drop_after_apply", times=1)
    created = provider.create(supabase.project_inputs())
    [project] = supabase.projects(NAME)
    assert project["ref"] == created.id
    assert supabase.sandbox.journal_count("POST /v1/projects") == 1


def test_a_create_answered_with_503_is_looked_up_before_it_is_repeated(
    supabase: Supabase, provider: ProjectProvider
) -> None:
    supabase.sandbox.faults.add("POST /v1/projects", "503", times=1)
    created = provider.create(supabase.project_inputs())
    journal = [(entry.key, entry.status) for entry in supabase.sandbox.journal]
    first, second = (i for i, (key, _) in enumerate(journal) if key == "POST /v1/projects")
    assert (journal[first], journal[second]) == (("POST /v1/projects", 503), ("POST /v1/projects", 201))
    # Looked up again and again over the late-answer window before it was sent again.
    between = journal[first + 1 : second]
    assert len(between) > 1 and set(between) == {("GET /v1/organizations/{slug}/projects", 200)}
    [project] = supabase.projects(NAME)
    assert project["ref"] == created.id


def test_a_lost_create_never_adopts_an_older_project_of_the_same_name(
    supabase: Supabase, provider: ProjectProvider
) -> None:
    # Names are not unique: an older project called the same (another stack's, a leftover) has
    # another password and must not become this one.
    older = supabase.sandbox.seed_project(NAME, supabase.organization_slug, db_pass="someone-elses")
    supabase.sandbox.faults.add("POST /v1/projects", "drop_after_apply", times=1)
    created = provider.create(supabase.project_inputs())
    assert created.id != older
    assert sorted(project["ref"] for project in supabase.projects(NAME)) == sorted([older, created.id])


def test_diff_reports_no_change_when_inputs_match(supabase: Supabase) -> None:
    olds = {**supabase.project_inputs(), "ref": "r", "status": "ACTIVE_HEALTHY"}
    diff = ProjectProvider().diff("r", olds, supabase.project_inputs())
    assert (diff.changes, diff.replaces) == (False, [])


@pytest.mark.parametrize(("changed", "value"), [("organization_slug", "another-org"), ("region", "eu-west-1")])
def test_diff_replaces_on_organization_or_region(supabase: Supabase, changed: str, value: Any) -> None:
    diff = ProjectProvider().diff("r", supabase.project_inputs(), supabase.project_inputs(**{changed: value}))
    assert diff.changes is True and diff.replaces == [changed]
    # Names are not unique: the new project can come up before the old one goes.
    assert diff.delete_before_replace is False


def test_diff_with_an_unknown_password_is_an_update(supabase: Supabase) -> None:
    diff = ProjectProvider().diff("r", supabase.project_inputs(), {**supabase.project_inputs(), "db_pass": Unknown()})
    assert (diff.changes, diff.replaces) == (True, [])


def test_check_requires_name_and_organization_but_not_region_or_password() -> None:
    result = ProjectProvider().check({}, {})
    assert sorted(failure.property for failure in result.failures) == ["name", "organization_slug"]


def test_a_project_without_a_password_gets_a_generated_one_that_updates_keep(supabase: Supabase) -> None:
    provider = supabase.configure(ProjectProvider())
    inputs = supabase.project_inputs(db_pass=None)
    created = provider.create(inputs)
    password = created.outs["database_password"]
    assert len(password) >= 40
    assert [p["db_pass"] for p in supabase.projects()] == [password]
    renamed = provider.update(created.id, created.outs, {**inputs, "name": f"{NAME}-2"})
    assert renamed.outs["database_password"] == password
    assert not [e for e in supabase.sandbox.journal if e.key == "PATCH /v1/projects/{ref}/database/password"]


def test_a_password_given_later_replaces_the_generated_one(supabase: Supabase) -> None:
    provider = supabase.configure(ProjectProvider())
    created = provider.create(supabase.project_inputs(db_pass=None))
    updated = provider.update(created.id, created.outs, supabase.project_inputs(db_pass="given-later-0f3e"))
    assert updated.outs["database_password"] == "given-later-0f3e"
    assert [p["db_pass"] for p in supabase.projects()] == ["given-later-0f3e"]


def test_check_rejects_an_unknown_instance_size_listing_the_known_ones(supabase: Supabase) -> None:
    props = {**supabase.project_inputs(), "instance_size": "huge"}
    [failure] = ProjectProvider().check({}, props).failures
    assert failure.property == "instance_size" and "micro" in failure.reason and "huge" not in failure.reason


def test_check_does_not_quote_a_password_of_the_wrong_type(supabase: Supabase) -> None:
    [failure] = ProjectProvider().check({}, {**supabase.project_inputs(), "db_pass": 12345678}).failures
    assert failure.property == "db_pass" and "12345678" not in failure.reason


def test_check_defaults_the_instance_size_to_none(supabase: Supabase) -> None:
    assert supabase.project_inputs()["instance_size"] is None


def test_a_project_without_a_region_lets_supabase_choose_and_refresh_keeps_it_unset(supabase):
    provider = supabase.configure(ProjectProvider())
    inputs = {**supabase.project_inputs(), "region": None}
    created = provider.create(provider.check({}, inputs).inputs)
    [body] = [e.body for e in supabase.sandbox.journal if e.key == "POST /v1/projects"]
    assert "region_selection" not in body
    refreshed = provider.read(created.id, created.outs).outs
    assert refreshed["region"] is None
    assert provider.diff(created.id, refreshed, provider.check({}, inputs).inputs).changes is False


def test_read_update_and_delete_address_the_recorded_project_never_a_same_named_stranger(
    supabase: Supabase, provider: ProjectProvider
) -> None:
    ref, outs = supabase.create_project()
    supabase.sandbox.delete_project(ref)
    stranger = supabase.sandbox.seed_project(outs["name"], supabase.organization_slug)
    assert provider.read(ref, outs).id is None
    with pytest.raises(NotFound):
        provider.update(ref, outs, supabase.project_inputs(name="gatewayz-staging-renamed"))
    provider.delete(ref, outs)
    assert [p["ref"] for p in supabase.projects(outs["name"])] == [stranger]
    assert {p["name"] for p in supabase.projects()} == {outs["name"]}
    writes = {entry.path for entry in supabase.sandbox.journal if entry.method in ("PATCH", "DELETE")}
    assert writes == {f"/v1/projects/{ref}"}

"""supabase:Branch against the sandbox: the first branch enables branching, adoption, refresh,
git branch updates, delete, and preview-time check/diff."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from providers.api import Conflict, NotFound
from providers.supabase.branch import BranchProvider
from providers.supabase.client import SupabaseClient
from tests.providers.supabase.conftest import Supabase

NAME = "gatewayz-staging-pr-42"


@pytest.fixture
def provider(supabase: Supabase) -> BranchProvider:
    return supabase.configure(BranchProvider())


@pytest.fixture
def parent_ref(supabase: Supabase) -> str:
    ref, _ = supabase.healthy_project(name="gatewayz-staging-main")
    supabase.sandbox.journal_clear()
    return ref


def names(supabase: Supabase, parent_ref: str) -> list[str]:
    return [branch["name"] for branch in supabase.sandbox.branches(parent_ref)]


def test_the_first_branch_enables_branching_and_returns_at_once(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    assert supabase.sandbox.branching_enabled(parent_ref) is False
    created = provider.create(supabase.branch_inputs(parent_ref))
    assert supabase.sandbox.branching_enabled(parent_ref) is True
    [default, branch] = supabase.sandbox.branches(parent_ref)
    assert (default["name"], default["is_default"], default["project_ref"]) == ("main", True, parent_ref)
    assert (branch["id"], branch["name"], branch["git_branch"]) == (created.id, NAME, "feature/pr-42")
    assert branch["status"] == "COMING_UP"
    assert created.outs == {
        "parent_ref": parent_ref,
        "name": NAME,
        "git_branch": "feature/pr-42",
        "with_data": False,
        "persistent": False,
        "instance_size": None,
        "branch_id": created.id,
        "ref": branch["project_ref"],
        "api_url": f"https://{branch['project_ref']}.supabase.co",
    }
    assert branch["project_ref"] != parent_ref
    assert supabase.sandbox.journal_count("POST /v1/projects/{ref}/branches") == 1


def test_a_second_branch_keeps_the_one_default_branch(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    provider.create(supabase.branch_inputs(parent_ref))
    provider.create(supabase.branch_inputs(parent_ref, name="gatewayz-staging-pr-43", with_data=True))
    assert names(supabase, parent_ref) == ["main", NAME, "gatewayz-staging-pr-43"]
    assert [b["with_data"] for b in supabase.sandbox.branches(parent_ref)][2] is True


def test_a_branch_of_that_name_already_there_is_adopted(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    first = provider.create(supabase.branch_inputs(parent_ref))
    again = provider.create(supabase.branch_inputs(parent_ref))
    assert again.id == first.id and again.outs == first.outs
    assert names(supabase, parent_ref).count(NAME) == 1
    assert [(e.key, e.status) for e in supabase.sandbox.journal if e.method == "POST"][-1] == (
        "POST /v1/projects/{ref}/branches",
        409,
    )


def test_a_lost_create_answer_adopts_the_branch_so_exactly_one_exists(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    supabase.sandbox.faults.add("POST /v1/projects/{ref}/branches", "drop_after_apply", times=1)
    created = provider.create(supabase.branch_inputs(parent_ref))
    [branch] = [b for b in supabase.sandbox.branches(parent_ref) if b["name"] == NAME]
    assert branch["id"] == created.id
    assert supabase.sandbox.journal_count("POST /v1/projects/{ref}/branches") == 1


def test_the_default_branch_is_never_adopted(supabase: Supabase, provider: BranchProvider, parent_ref: str) -> None:
    provider.create(supabase.branch_inputs(parent_ref))
    with pytest.raises(Conflict, match="taken by the project's default branch"):
        provider.create(supabase.branch_inputs(parent_ref, name="main"))


def test_a_branch_of_a_missing_parent_is_a_clear_error(supabase: Supabase, provider: BranchProvider) -> None:
    with pytest.raises(NotFound) as caught:
        provider.create(supabase.branch_inputs("zzzzzzzzzzzzzzzzzzzz"))
    assert 'Supabase branch "gatewayz-staging-pr-42" of project zzzzzzzzzzzzzzzzzzzz could not be created' in str(
        caught.value
    )


def test_read_reports_exactly_the_state_of_an_unchanged_branch(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref))
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (created.id, created.outs)


def test_read_drops_a_branch_deleted_out_of_band(supabase: Supabase, provider: BranchProvider, parent_ref: str) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref))
    supabase.sandbox.delete_branch(created.id)
    assert provider.read(created.id, created.outs).id is None


def test_read_drops_a_branch_whose_parent_is_gone(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref))
    supabase.sandbox.delete_project(parent_ref)
    assert provider.read(created.id, created.outs).id is None


def test_a_new_git_branch_is_an_update(supabase: Supabase, provider: BranchProvider, parent_ref: str) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref))
    news = supabase.branch_inputs(parent_ref, git_branch="feature/pr-42-v2")
    diff = provider.diff(created.id, created.outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs == {**created.outs, "git_branch": "feature/pr-42-v2"}
    [branch] = [b for b in supabase.sandbox.branches(parent_ref) if b["id"] == created.id]
    assert branch["git_branch"] == "feature/pr-42-v2"


def test_a_git_branch_the_resource_does_not_set_is_not_reported(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref, git_branch=None))
    provider.update(created.id, created.outs, supabase.branch_inputs(parent_ref, git_branch=None))
    # Linked by hand in the dashboard: not this resource's to manage, so no endless diff.
    with SupabaseClient.from_settings() as client:
        client.update_branch(created.id, git_branch="linked-by-hand")
    assert [b["git_branch"] for b in supabase.sandbox.branches(parent_ref) if b["id"] == created.id] == [
        "linked-by-hand"
    ]
    assert provider.read(created.id, created.outs).outs == created.outs


def test_delete_removes_the_branch_and_keeps_branching_on(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref))
    provider.delete(created.id, created.outs)
    assert names(supabase, parent_ref) == ["main"]
    assert created.outs["ref"] not in [p["ref"] for p in supabase.sandbox.projects()]


def test_delete_of_a_branch_already_gone_succeeds(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref))
    supabase.sandbox.delete_branch(created.id)
    provider.delete(created.id, created.outs)


@pytest.mark.parametrize(("changed", "value"), [("parent_ref", "p" * 20), ("name", "other"), ("with_data", True)])
def test_diff_replaces_on_parent_name_or_with_data(supabase: Supabase, changed: str, value: Any) -> None:
    olds = supabase.branch_inputs("r" * 20)
    diff = BranchProvider().diff("b", olds, {**olds, changed: value})
    assert diff.changes is True and diff.replaces == [changed]


def test_a_replacement_that_keeps_the_name_deletes_first(supabase: Supabase) -> None:
    olds = supabase.branch_inputs("r" * 20)
    assert BranchProvider().diff("b", olds, {**olds, "with_data": True}).delete_before_replace is True
    assert BranchProvider().diff("b", olds, {**olds, "name": "other"}).delete_before_replace is False
    assert BranchProvider().diff("b", olds, {**olds, "name": Unknown()}).delete_before_replace is True


def test_check_requires_parent_and_name() -> None:
    result = BranchProvider().check({}, {})
    assert sorted(failure.property for failure in result.failures) == ["name", "parent_ref"]


def test_check_defaults_git_branch_and_with_data() -> None:
    inputs = BranchProvider().check({}, {"parent_ref": "r", "name": "n"}).inputs
    assert (inputs["git_branch"], inputs["with_data"]) == (None, False)


# ------------------------------------------------------------ persistent and compute size


def sent_bodies(supabase: Supabase, key: str) -> list[Any]:
    return [entry.body for entry in supabase.sandbox.journal if entry.key == key]


def live(supabase: Supabase, parent_ref: str, branch_id: str) -> dict[str, Any]:
    [branch] = [b for b in supabase.sandbox.branches(parent_ref) if b["id"] == branch_id]
    return branch


def test_a_fleet_branch_is_created_persistent_on_the_size_it_asks_for(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref, persistent=True, instance_size="small"))
    [body] = sent_bodies(supabase, "POST /v1/projects/{ref}/branches")
    assert (body["persistent"], body["desired_instance_size"]) == (True, "small")
    branch = live(supabase, parent_ref, created.id)
    assert (branch["persistent"], branch["instance_size"]) == (True, "small")
    assert (created.outs["persistent"], created.outs["instance_size"]) == (True, "small")


def test_a_review_branch_is_created_as_a_preview_of_supabases_default_size(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref, persistent=False))
    [body] = sent_bodies(supabase, "POST /v1/projects/{ref}/branches")
    assert body["persistent"] is False
    assert "desired_instance_size" not in body
    assert live(supabase, parent_ref, created.id)["persistent"] is False


def test_a_change_of_persistent_is_an_update_sent_as_one_patch(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref, persistent=False))
    news = supabase.branch_inputs(parent_ref, persistent=True)
    diff = provider.diff(created.id, created.outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    supabase.sandbox.journal_clear()
    updated = provider.update(created.id, created.outs, news)
    assert sent_bodies(supabase, "PATCH /v1/branches/{branch_id_or_ref}") == [{"persistent": True}]
    assert live(supabase, parent_ref, created.id)["persistent"] is True
    assert updated.outs["persistent"] is True and updated.outs["branch_id"] == created.id


def test_a_change_of_size_is_an_update_recorded_without_a_request(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    # UpdateBranchBody has no size: the branch keeps its compute; the new size is recorded.
    created = provider.create(supabase.branch_inputs(parent_ref, instance_size="micro"))
    news = supabase.branch_inputs(parent_ref, instance_size="medium")
    diff = provider.diff(created.id, created.outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    supabase.sandbox.journal_clear()
    updated = provider.update(created.id, created.outs, news)
    assert supabase.sandbox.journal == []
    assert updated.outs["instance_size"] == "medium"


def test_a_branch_recorded_before_persistent_existed_is_made_persistent_at_the_next_up(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref))
    olds = {key: value for key, value in created.outs.items() if key not in ("persistent", "instance_size")}
    news = supabase.branch_inputs(parent_ref, persistent=True)
    assert provider.diff(created.id, olds, news).changes is True
    provider.update(created.id, olds, news)
    assert live(supabase, parent_ref, created.id)["persistent"] is True


def test_refresh_shows_persistent_changed_by_hand(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref, persistent=True))
    with SupabaseClient.from_settings() as client:
        client.update_branch(created.id, persistent=False)
    assert provider.read(created.id, created.outs).outs["persistent"] is False


def test_an_adopted_preview_branch_is_made_persistent(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    supabase.sandbox.seed_branch(parent_ref, NAME, persistent=False)
    supabase.sandbox.journal_clear()
    created = provider.create(supabase.branch_inputs(parent_ref, persistent=True))
    assert sent_bodies(supabase, "PATCH /v1/branches/{branch_id_or_ref}") == [{"persistent": True}]
    assert live(supabase, parent_ref, created.id)["persistent"] is True


def test_check_rejects_a_size_supabase_does_not_offer_a_branch() -> None:
    checked = BranchProvider().check({}, {"parent_ref": "abc", "name": NAME, "instance_size": "huge"})
    assert [failure.property for failure in checked.failures] == ["instance_size"]


# ------------------------------------------------------------ only the recorded branch


def test_read_update_and_delete_address_the_recorded_branch_never_a_same_named_stranger(
    supabase: Supabase, provider: BranchProvider, parent_ref: str
) -> None:
    created = provider.create(supabase.branch_inputs(parent_ref))
    supabase.sandbox.delete_branch(created.id)
    stranger = supabase.sandbox.seed_branch(parent_ref, NAME, git_branch="someone-elses")
    assert provider.read(created.id, created.outs).id is None
    with pytest.raises(NotFound):
        provider.update(created.id, created.outs, supabase.branch_inputs(parent_ref, git_branch="feature/other"))
    provider.delete(created.id, created.outs)
    assert live(supabase, parent_ref, stranger)["git_branch"] == "someone-elses"
    paths = {entry.path for entry in supabase.sandbox.journal if entry.method in ("PATCH", "DELETE")}
    assert paths == {f"/v1/branches/{created.id}"}

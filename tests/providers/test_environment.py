"""railway:Environment against the sandbox: fork, rename, refresh, delete, and preview-time check/diff."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from providers.api import Conflict
from providers.railway.environment import EnvironmentProvider
from tests.providers.conftest import BASE_VARIABLES, Railway

NAME = "staging-dev1-alice"


@pytest.fixture
def provider(railway: Railway) -> EnvironmentProvider:
    return railway.configure(EnvironmentProvider())


def inputs(railway: Railway, **overrides: Any) -> dict[str, Any]:
    props = {"project_id": railway.project_id, "name": NAME, "source_environment_id": railway.base_environment_id}
    props.update(overrides)
    return EnvironmentProvider().check({}, props).inputs


def test_create_forks_the_source_without_initial_deploys(railway: Railway, provider: EnvironmentProvider) -> None:
    created = provider.create(inputs(railway))
    [forked] = [env for env in railway.sandbox.environments(railway.project_id) if env["id"] == created.id]
    assert forked["name"] == NAME
    assert forked["sourceEnvironmentId"] == railway.base_environment_id
    assert forked["skipInitialDeploys"] is True
    assert railway.sandbox.variables(created.id) == BASE_VARIABLES


def test_create_returns_every_input_and_the_environment_id(railway: Railway, provider: EnvironmentProvider) -> None:
    created = provider.create(inputs(railway))
    assert created.outs == {
        "project_id": railway.project_id,
        "name": NAME,
        "source_environment_id": railway.base_environment_id,
        "ephemeral": False,
        "environment_id": created.id,
    }


def test_create_passes_the_ephemeral_flag(railway: Railway, provider: EnvironmentProvider) -> None:
    created = provider.create(inputs(railway, ephemeral=True))
    [env] = [env for env in railway.sandbox.environments(railway.project_id) if env["id"] == created.id]
    assert env["isEphemeral"] is True


def test_read_returns_the_live_name(railway: Railway, provider: EnvironmentProvider) -> None:
    created = provider.create(inputs(railway))
    provider.update(created.id, created.outs, inputs(railway, name="renamed-by-hand"))
    read = provider.read(created.id, created.outs)
    assert read.id == created.id
    assert read.outs == {**created.outs, "name": "renamed-by-hand"}


def test_read_drops_an_environment_deleted_out_of_band(railway: Railway, provider: EnvironmentProvider) -> None:
    created = provider.create(inputs(railway))
    railway.sandbox.delete_environment(created.id)
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (None, {})


def test_rename_is_an_update(railway: Railway, provider: EnvironmentProvider) -> None:
    created = provider.create(inputs(railway))
    news = inputs(railway, name="staging-dev1-alice-v2")
    diff = provider.diff(created.id, created.outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs == {**news, "environment_id": created.id}
    assert "staging-dev1-alice-v2" in railway.environment_names() and NAME not in railway.environment_names()


def test_update_without_a_new_name_makes_no_request(railway: Railway, provider: EnvironmentProvider) -> None:
    created = provider.create(inputs(railway))
    railway.sandbox.journal_clear()
    provider.update(created.id, created.outs, inputs(railway))
    assert railway.sandbox.journal_count() == 0


def test_delete_removes_the_environment(railway: Railway, provider: EnvironmentProvider) -> None:
    created = provider.create(inputs(railway))
    provider.delete(created.id, created.outs)
    assert NAME not in railway.environment_names()


def test_delete_of_an_environment_already_gone_succeeds(railway: Railway, provider: EnvironmentProvider) -> None:
    created = provider.create(inputs(railway))
    railway.sandbox.delete_environment(created.id)
    provider.delete(created.id, created.outs)


def test_a_name_taken_by_another_fork_is_a_conflict_in_user_terms(
    railway: Railway, provider: EnvironmentProvider
) -> None:
    provider.create(inputs(railway, source_environment_id=None))
    with pytest.raises(Conflict) as caught:
        provider.create(inputs(railway))
    assert str(caught.value).startswith(
        f'Railway environment "{NAME}" could not be created: name already taken in project gatewayz'
    )
    assert "EnvironmentCreate" in str(caught.value)


def test_the_conflict_message_falls_back_to_the_project_id_when_its_name_cannot_be_read(
    railway: Railway, provider: EnvironmentProvider
) -> None:
    provider.create(inputs(railway, source_environment_id=None))
    railway.sandbox.faults.add("project", "500", times=10)
    with pytest.raises(Conflict, match=f"name already taken in project {railway.project_id}"):
        provider.create(inputs(railway))


def test_an_existing_fork_of_the_same_source_is_adopted(railway: Railway, provider: EnvironmentProvider) -> None:
    first = provider.create(inputs(railway))
    again = provider.create(inputs(railway))
    assert again.id == first.id
    assert railway.environment_names().count(NAME) == 1


def test_diff_reports_no_change_when_inputs_match(railway: Railway) -> None:
    olds = {**inputs(railway), "environment_id": "env-1"}
    diff = EnvironmentProvider().diff("env-1", olds, inputs(railway))
    assert (diff.changes, diff.replaces) == (False, [])


@pytest.mark.parametrize(
    ("changed", "value"),
    [("project_id", "another-project"), ("source_environment_id", "another-source"), ("ephemeral", True)],
)
def test_diff_replaces_on_project_source_or_ephemeral(railway: Railway, changed: str, value: Any) -> None:
    diff = EnvironmentProvider().diff("env-1", inputs(railway), inputs(railway, **{changed: value}))
    assert diff.changes is True and diff.replaces == [changed]


def test_a_replacement_that_keeps_the_name_deletes_first(railway: Railway) -> None:
    diff = EnvironmentProvider().diff("env-1", inputs(railway), inputs(railway, ephemeral=True))
    assert diff.delete_before_replace is True


def test_a_replacement_under_a_new_name_creates_first(railway: Railway) -> None:
    diff = EnvironmentProvider().diff("env-1", inputs(railway), inputs(railway, ephemeral=True, name="other"))
    assert diff.replaces == ["ephemeral"] and diff.delete_before_replace is False


def test_diff_with_an_unknown_source_replaces(railway: Railway) -> None:
    diff = EnvironmentProvider().diff("env-1", inputs(railway), {**inputs(railway), "source_environment_id": Unknown()})
    assert diff.replaces == ["source_environment_id"]


def test_diff_with_an_unknown_name_is_an_update(railway: Railway) -> None:
    diff = EnvironmentProvider().diff("env-1", inputs(railway), {**inputs(railway), "name": Unknown()})
    assert (diff.changes, diff.replaces) == (True, [])


def test_check_requires_project_and_name() -> None:
    result = EnvironmentProvider().check({}, {"source_environment_id": "src"})
    assert sorted(failure.property for failure in result.failures) == ["name", "project_id"]


def test_check_rejects_a_non_string_name() -> None:
    result = EnvironmentProvider().check({}, {"project_id": "p", "name": 42})
    [failure] = result.failures
    assert failure.property == "name" and "must be a string" in failure.reason


def test_check_rejects_a_non_boolean_ephemeral_flag() -> None:
    [failure] = EnvironmentProvider().check({}, {"project_id": "p", "name": "n", "ephemeral": "yes"}).failures
    assert failure.property == "ephemeral"


def test_check_rejects_an_unexpected_property() -> None:
    [failure] = EnvironmentProvider().check({}, {"project_id": "p", "name": "n", "region": "eu"}).failures
    assert failure.property == "region"


def test_check_defaults_ephemeral_to_false() -> None:
    assert EnvironmentProvider().check({}, {"project_id": "p", "name": "n"}).inputs["ephemeral"] is False


def test_check_passes_unknown_values_through() -> None:
    unknown = Unknown()
    result = EnvironmentProvider().check({}, {"project_id": unknown, "name": "n", "__provider": "blob"})
    assert result.failures == [] and result.inputs["project_id"] is unknown

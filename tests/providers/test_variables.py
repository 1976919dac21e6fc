"""railway:Variables against the sandbox: one upsert per change, only its own names, refresh and delete."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from providers.railway.client import RailwayClient
from providers.railway.environment import EnvironmentProvider
from providers.railway.variables import VariablesProvider
from providers.settings import railway_settings
from tests.providers.conftest import BASE_VARIABLES, Railway

OWN = {"SUPABASE_URL": "https://abc.supabase.co", "SUPABASE_KEY": "sb-secret-key-1f2e"}


@pytest.fixture
def environment_id(railway: Railway) -> str:
    provider = railway.configure(EnvironmentProvider())
    created = provider.create(
        provider.check(
            {},
            {
                "project_id": railway.project_id,
                "name": "staging-dev1-alice",
                "source_environment_id": railway.base_environment_id,
            },
        ).inputs
    )
    railway.sandbox.journal_clear()
    return created.id


@pytest.fixture
def provider(railway: Railway) -> VariablesProvider:
    return railway.configure(VariablesProvider())


def inputs(railway: Railway, environment_id: str, variables: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    props = {
        "project_id": railway.project_id,
        "environment_id": environment_id,
        "service_id": railway.api_id,
        "variables": variables,
    }
    props.update(overrides)
    return VariablesProvider().check({}, props).inputs


def test_create_sets_every_name_in_one_merging_upsert(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    provider.create(inputs(railway, environment_id, OWN))
    [upsert] = [entry for entry in railway.sandbox.journal if entry.is_mutation]
    assert upsert.root_fields == ("variableCollectionUpsert",)
    assert upsert.variables["input"]["variables"] == OWN
    assert not upsert.variables["input"].get("replace")
    assert railway.sandbox.variables(environment_id, railway.api_id) == OWN


def test_create_leaves_names_it_does_not_manage_alone(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    provider.create(inputs(railway, environment_id, {"APP_ENV": "staging-alice"}, service_id=None))
    assert railway.sandbox.variables(environment_id) == {**BASE_VARIABLES, "APP_ENV": "staging-alice"}


def test_create_returns_every_input_and_names_the_scope_in_the_id(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    props = inputs(railway, environment_id, OWN)
    created = provider.create(props)
    assert created.id == f"{environment_id}:{railway.api_id}"
    assert created.outs == props


def test_without_a_service_the_scope_is_the_shared_variables(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, {"FEATURE_X": "on"}, service_id=None))
    assert created.id == f"{environment_id}:shared"
    assert railway.sandbox.variables(environment_id)["FEATURE_X"] == "on"
    assert "FEATURE_X" not in railway.sandbox.variables(environment_id, railway.api_id)


def test_update_changes_a_value(railway: Railway, environment_id: str, provider: VariablesProvider) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    news = inputs(railway, environment_id, {**OWN, "SUPABASE_KEY": "rotated-key-99"})
    assert provider.update(created.id, created.outs, news).outs == news
    assert railway.sandbox.variables(environment_id, railway.api_id)["SUPABASE_KEY"] == "rotated-key-99"


def test_update_adds_a_name(railway: Railway, environment_id: str, provider: VariablesProvider) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    provider.update(created.id, created.outs, inputs(railway, environment_id, {**OWN, "NEW_FLAG": "1"}))
    assert railway.sandbox.variables(environment_id, railway.api_id) == {**OWN, "NEW_FLAG": "1"}


def test_update_deletes_only_names_it_no_longer_manages(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    railway.sandbox.set_variable(environment_id, railway.api_id, "ADDED_BY_HAND", "keep me")
    provider.update(created.id, created.outs, inputs(railway, environment_id, {"SUPABASE_URL": OWN["SUPABASE_URL"]}))
    assert railway.sandbox.variables(environment_id, railway.api_id) == {
        "SUPABASE_URL": OWN["SUPABASE_URL"],
        "ADDED_BY_HAND": "keep me",
    }


def test_update_upserts_once_however_many_names_change(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    railway.sandbox.journal_clear()
    provider.update(created.id, created.outs, inputs(railway, environment_id, {"A": "1", "B": "2", "C": "3"}))
    assert railway.sandbox.journal_count("variableCollectionUpsert") == 1
    assert railway.sandbox.journal_count("variableDelete") == 2


def test_update_with_the_same_variables_makes_no_request(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    railway.sandbox.journal_clear()
    provider.update(created.id, created.outs, inputs(railway, environment_id, OWN))
    assert railway.sandbox.journal_count() == 0


def test_read_returns_live_values_of_its_own_names_only(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    railway.sandbox.set_variable(environment_id, railway.api_id, "SUPABASE_KEY", "changed-by-hand")
    railway.sandbox.set_variable(environment_id, railway.api_id, "NOT_MINE", "x")
    read = provider.read(created.id, created.outs)
    assert read.id == created.id
    assert read.outs["variables"] == {**OWN, "SUPABASE_KEY": "changed-by-hand"}


def test_read_drops_a_name_deleted_out_of_band(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    with RailwayClient.from_settings(railway_settings()) as someone:
        someone.delete_variable(
            project_id=railway.project_id, environment_id=environment_id, service_id=railway.api_id, name="SUPABASE_KEY"
        )
    assert provider.read(created.id, created.outs).outs["variables"] == {"SUPABASE_URL": OWN["SUPABASE_URL"]}


def test_a_refreshed_deletion_is_restored_by_the_next_update(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    with RailwayClient.from_settings(railway_settings()) as someone:
        someone.delete_variable(
            project_id=railway.project_id, environment_id=environment_id, service_id=railway.api_id, name="SUPABASE_KEY"
        )
    refreshed = provider.read(created.id, created.outs).outs
    wanted = inputs(railway, environment_id, OWN)
    assert provider.diff(created.id, refreshed, wanted).changes is True
    provider.update(created.id, refreshed, wanted)
    assert railway.sandbox.variables(environment_id, railway.api_id) == OWN


def test_read_drops_the_resource_when_its_environment_is_gone(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    railway.sandbox.delete_environment(environment_id)
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (None, {})


def test_delete_removes_only_its_own_names(railway: Railway, environment_id: str, provider: VariablesProvider) -> None:
    created = provider.create(inputs(railway, environment_id, {"APP_ENV": "mine", "OWN": "1"}, service_id=None))
    provider.delete(created.id, created.outs)
    assert railway.sandbox.variables(environment_id) == {"LOG_LEVEL": BASE_VARIABLES["LOG_LEVEL"]}


def test_delete_after_the_environment_is_gone_succeeds(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    railway.sandbox.delete_environment(environment_id)
    provider.delete(created.id, created.outs)


def test_delete_of_names_already_deleted_succeeds(
    railway: Railway, environment_id: str, provider: VariablesProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, OWN))
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)


@pytest.mark.parametrize(("changed", "value"), [("environment_id", "other-env"), ("service_id", "other-service")])
def test_diff_replaces_on_environment_or_service(railway: Railway, changed: str, value: str) -> None:
    olds = inputs(railway, "env-1", OWN)
    diff = VariablesProvider().diff("env-1:svc", olds, {**olds, changed: value})
    assert diff.replaces == [changed]


def test_moving_from_a_service_to_the_shared_scope_replaces(railway: Railway) -> None:
    olds = inputs(railway, "env-1", OWN)
    diff = VariablesProvider().diff("env-1:svc", olds, inputs(railway, "env-1", OWN, service_id=None))
    assert diff.replaces == ["service_id"]


def test_diff_of_a_changed_value_is_an_update(railway: Railway) -> None:
    olds = inputs(railway, "env-1", OWN)
    diff = VariablesProvider().diff("env-1:svc", olds, inputs(railway, "env-1", {**OWN, "SUPABASE_KEY": "new"}))
    assert (diff.changes, diff.replaces) == (True, [])


def test_diff_of_an_unknown_value_is_an_update(railway: Railway) -> None:
    olds = inputs(railway, "env-1", OWN)
    diff = VariablesProvider().diff("env-1:svc", olds, {**olds, "variables": {**OWN, "SUPABASE_KEY": Unknown()}})
    assert (diff.changes, diff.replaces) == (True, [])


def test_diff_reports_no_change_when_inputs_match(railway: Railway) -> None:
    olds = inputs(railway, "env-1", OWN)
    assert VariablesProvider().diff("env-1:svc", olds, dict(olds)).changes is False


def test_check_rejects_a_non_string_value_without_quoting_any_value() -> None:
    result = VariablesProvider().check(
        {}, {"project_id": "p", "environment_id": "e", "variables": {"SECRET": "s3cr3t-value", "PORT": 8080}}
    )
    [failure] = result.failures
    assert failure.property == "variables" and '["PORT"] must be a string' in failure.reason
    assert "s3cr3t-value" not in failure.reason and "8080" not in failure.reason


def test_check_requires_the_variables_map() -> None:
    [failure] = VariablesProvider().check({}, {"project_id": "p", "environment_id": "e"}).failures
    assert failure.property == "variables"

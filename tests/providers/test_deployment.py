"""railway:Deployment against the sandbox: one deployment of the branch head per create, started
at once, adopted rather than repeated when the answer is lost; a change of what the code sees is a
new deployment; nothing else deploys."""

from __future__ import annotations

from typing import Any

import pytest

from providers.railway.deployment import DeploymentProvider, variables_digest
from providers.railway.deployment_trigger import DeploymentTriggerProvider
from providers.railway.environment import EnvironmentProvider
from providers.railway.variables import VariablesProvider
from tests.providers.conftest import BACKEND_REPOSITORY, Railway

BRANCH = "feature/alice-payment"


@pytest.fixture
def environment_id(railway: Railway) -> str:
    """A fork on the feature branch with its variables written, as the program leaves it for the
    deployment."""
    environments = railway.configure(EnvironmentProvider())
    environment = environments.create(
        environments.check(
            {},
            {
                "project_id": railway.project_id,
                "name": "staging-dev1-alice",
                "source_environment_id": railway.base_environment_id,
            },
        ).inputs
    )
    scope = {"project_id": railway.project_id, "environment_id": environment.id, "service_id": railway.api_id}
    triggers = railway.configure(DeploymentTriggerProvider())
    triggers.create(triggers.check({}, {**scope, "repository": BACKEND_REPOSITORY, "branch": BRANCH}).inputs)
    variables = railway.configure(VariablesProvider())
    variables.create(variables.check({}, {**scope, "variables": {"SUPABASE_URL": "https://abc.supabase.co"}}).inputs)
    railway.sandbox.journal_clear()
    return environment.id


@pytest.fixture
def provider(railway: Railway) -> DeploymentProvider:
    return railway.configure(DeploymentProvider())


def inputs(railway: Railway, environment_id: str, **overrides: Any) -> dict[str, Any]:
    props = {
        "environment_id": environment_id,
        "service_id": railway.api_id,
        "branch": BRANCH,
        "variables_digest": variables_digest({"SUPABASE_URL": "https://abc.supabase.co"}),
        "settings": {"healthcheckPath": "/health"},
        **overrides,
    }
    checked = DeploymentProvider().check({}, props)
    assert checked.failures == []
    return checked.inputs


def test_a_fork_is_not_deployed_until_the_deployment_is_created(railway: Railway, environment_id: str) -> None:
    assert railway.sandbox.deployments(environment_id=environment_id) == []


def test_create_starts_one_deployment_of_the_branch_with_one_request(
    railway: Railway, environment_id: str, provider: DeploymentProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    assert [entry.root_fields for entry in railway.sandbox.journal] == [("serviceInstanceDeployV2",)]
    [deployment] = railway.sandbox.deployments(environment_id=environment_id)
    assert (deployment["id"], deployment["serviceId"], deployment["branch"]) == (created.id, railway.api_id, BRANCH)


def test_the_deployment_sees_the_variables_written_before_it(
    railway: Railway, environment_id: str, provider: DeploymentProvider
) -> None:
    provider.create(inputs(railway, environment_id))
    [deployment] = railway.sandbox.deployments(environment_id=environment_id)
    assert deployment["variables"]["SUPABASE_URL"] == "https://abc.supabase.co"


def test_create_returns_at_once_while_the_build_runs(
    railway: Railway, environment_id: str, provider: DeploymentProvider
) -> None:
    provider.create(inputs(railway, environment_id))
    [deployment] = railway.sandbox.deployments(environment_id=environment_id)
    assert deployment["status"] not in ("SUCCESS", "FAILED", "CRASHED")


def test_create_returns_every_input_and_the_deployment_id(
    railway: Railway, environment_id: str, provider: DeploymentProvider
) -> None:
    props = inputs(railway, environment_id)
    created = provider.create(props)
    assert created.outs == {**props, "deployment_id": created.id}


def test_a_lost_answer_adopts_the_deployment_it_started_instead_of_starting_another(
    railway: Railway, environment_id: str, provider: DeploymentProvider
) -> None:
    railway.sandbox.faults.add("serviceInstanceDeployV2", "drop_after_apply")
    created = provider.create(inputs(railway, environment_id))
    [deployment] = railway.sandbox.deployments(environment_id=environment_id)
    assert created.id == deployment["id"]


def test_a_refused_request_is_sent_again(railway: Railway, environment_id: str, provider: DeploymentProvider) -> None:
    railway.sandbox.faults.add("serviceInstanceDeployV2", "503")
    created = provider.create(inputs(railway, environment_id))
    assert [d["id"] for d in railway.sandbox.deployments(environment_id=environment_id)] == [created.id]


def test_read_keeps_the_recorded_inputs_whatever_the_builds_progress(
    railway: Railway, environment_id: str, provider: DeploymentProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    assert provider.read(created.id, created.outs).outs == created.outs
    assert [entry.root_fields for entry in railway.sandbox.journal][-1] == ("deployment",)


def test_read_of_a_deployment_whose_environment_is_gone_reports_it_gone(
    railway: Railway, environment_id: str, provider: DeploymentProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    railway.sandbox.delete_environment(environment_id)
    assert provider.read(created.id, created.outs).id is None


def test_delete_sends_nothing_so_the_running_service_stays_up_until_its_successor_is(
    railway: Railway, environment_id: str, provider: DeploymentProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    railway.sandbox.journal_clear()
    provider.delete(created.id, created.outs)
    assert railway.sandbox.journal == []


@pytest.mark.parametrize(
    "change",
    [
        {"branch": "feature/alice-payment-v3"},
        {"variables_digest": variables_digest({"SUPABASE_URL": "https://xyz.supabase.co"})},
        {"settings": {"healthcheckPath": "/healthz"}},
    ],
    ids=["branch", "variables", "settings"],
)
def test_a_change_of_what_the_code_sees_is_a_new_deployment(
    railway: Railway, environment_id: str, change: dict
) -> None:
    olds = inputs(railway, environment_id)
    diff = DeploymentProvider().diff("d-1", {**olds, "deployment_id": "d-1"}, inputs(railway, environment_id, **change))
    assert diff.changes and diff.replaces == list(change)
    assert not diff.delete_before_replace


def test_the_same_inputs_are_no_change(railway: Railway, environment_id: str) -> None:
    olds = inputs(railway, environment_id)
    assert not DeploymentProvider().diff("d-1", {**olds, "deployment_id": "d-1"}, dict(olds)).changes


def test_check_and_diff_send_nothing(railway: Railway, environment_id: str, provider: DeploymentProvider) -> None:
    olds = inputs(railway, environment_id)
    provider.diff("d-1", olds, provider.check(olds, {**olds, "branch": "other"}).inputs)
    assert railway.sandbox.journal == []


def test_the_variables_digest_changes_with_any_value_and_reveals_none() -> None:
    variables = {"SUPABASE_KEY": "sb-secret-key-1f2e", "APP_ENV": "staging"}
    digest = variables_digest(variables)
    assert digest != variables_digest({**variables, "APP_ENV": "review"})
    assert digest == variables_digest(dict(reversed(list(variables.items()))))
    assert not any(value in digest for value in variables.values())

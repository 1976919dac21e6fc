"""railway:DeploymentTrigger against the sandbox: adopt the fork's trigger, branch changes, refresh, delete."""

from __future__ import annotations

from typing import Any

import pytest

from providers.railway.client import RailwayClient
from providers.railway.deployment_trigger import DeploymentTriggerProvider
from providers.railway.environment import EnvironmentProvider
from providers.settings import railway_settings
from tests.providers.conftest import BACKEND_REPOSITORY, Railway

BRANCH = "feature/alice-payment"


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
def provider(railway: Railway) -> DeploymentTriggerProvider:
    return railway.configure(DeploymentTriggerProvider())


def inputs(railway: Railway, environment_id: str, **overrides: Any) -> dict[str, Any]:
    props = {
        "project_id": railway.project_id,
        "environment_id": environment_id,
        "service_id": railway.api_id,
        "repository": BACKEND_REPOSITORY,
        "branch": BRANCH,
    }
    props.update(overrides)
    return DeploymentTriggerProvider().check({}, props).inputs


def test_create_adopts_the_trigger_the_fork_copied(
    railway: Railway, environment_id: str, provider: DeploymentTriggerProvider
) -> None:
    [copied] = railway.sandbox.triggers(environment_id, railway.api_id)
    created = provider.create(inputs(railway, environment_id))
    [trigger] = railway.sandbox.triggers(environment_id, railway.api_id)
    assert created.id == copied["id"] == trigger["id"]
    assert (trigger["repository"], trigger["branch"]) == (BACKEND_REPOSITORY, BRANCH)
    assert railway.sandbox.journal_count("deploymentTriggerCreate") == 0


def test_create_makes_a_trigger_when_the_fork_has_none(
    railway: Railway, environment_id: str, provider: DeploymentTriggerProvider
) -> None:
    for copied in railway.sandbox.triggers(environment_id, railway.api_id):
        railway.sandbox.delete_trigger(copied["id"])
    created = provider.create(inputs(railway, environment_id))
    [trigger] = railway.sandbox.triggers(environment_id, railway.api_id)
    assert trigger["id"] == created.id
    assert (trigger["branch"], trigger["provider"]) == (BRANCH, "github")


def test_create_returns_every_input(railway: Railway, environment_id: str, provider: DeploymentTriggerProvider) -> None:
    props = inputs(railway, environment_id)
    assert provider.create(props).outs == props


def test_create_leaves_other_services_triggers_alone(
    railway: Railway, environment_id: str, provider: DeploymentTriggerProvider
) -> None:
    provider.create(inputs(railway, environment_id))
    [worker_trigger] = railway.sandbox.triggers(environment_id, railway.worker_id)
    assert worker_trigger["branch"] == "main"


def test_a_branch_change_is_an_update(
    railway: Railway, environment_id: str, provider: DeploymentTriggerProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    news = inputs(railway, environment_id, branch="feature/alice-payment-v2")
    diff = provider.diff(created.id, created.outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    assert provider.update(created.id, created.outs, news).outs == news
    [trigger] = railway.sandbox.triggers(environment_id, railway.api_id)
    assert trigger["id"] == created.id and trigger["branch"] == "feature/alice-payment-v2"


def test_a_repository_change_is_an_update(
    railway: Railway, environment_id: str, provider: DeploymentTriggerProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    news = inputs(railway, environment_id, repository="gatewayz/fork")
    assert provider.diff(created.id, created.outs, news).replaces == []
    provider.update(created.id, created.outs, news)
    [trigger] = railway.sandbox.triggers(environment_id, railway.api_id)
    assert trigger["repository"] == "gatewayz/fork"


def test_read_returns_the_live_branch_and_repository(
    railway: Railway, environment_id: str, provider: DeploymentTriggerProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    with RailwayClient.from_settings(railway_settings()) as someone:
        someone.update_trigger(created.id, repository="someone/else", branch="hotfix")
    read = provider.read(created.id, created.outs)
    assert read.id == created.id
    assert read.outs == {**created.outs, "repository": "someone/else", "branch": "hotfix"}


def test_read_drops_a_trigger_deleted_out_of_band(
    railway: Railway, environment_id: str, provider: DeploymentTriggerProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    railway.sandbox.delete_trigger(created.id)
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (None, {})


def test_read_drops_the_trigger_when_its_environment_is_gone(
    railway: Railway, environment_id: str, provider: DeploymentTriggerProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    railway.sandbox.delete_environment(environment_id)
    assert provider.read(created.id, created.outs).id is None


def test_delete_removes_the_trigger(railway: Railway, environment_id: str, provider: DeploymentTriggerProvider) -> None:
    created = provider.create(inputs(railway, environment_id))
    provider.delete(created.id, created.outs)
    assert railway.sandbox.triggers(environment_id, railway.api_id) == []


def test_delete_of_a_trigger_already_gone_succeeds(
    railway: Railway, environment_id: str, provider: DeploymentTriggerProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    railway.sandbox.delete_trigger(created.id)
    provider.delete(created.id, created.outs)


@pytest.mark.parametrize(
    ("changed", "value"),
    [("environment_id", "other-env"), ("service_id", "other-service"), ("provider", "gitlab")],
)
def test_diff_replaces_on_environment_service_or_provider(railway: Railway, changed: str, value: str) -> None:
    olds = inputs(railway, "env-1")
    assert DeploymentTriggerProvider().diff("t-1", olds, {**olds, changed: value}).replaces == [changed]


def test_diff_of_a_new_branch_is_an_update(railway: Railway) -> None:
    olds = inputs(railway, "env-1")
    diff = DeploymentTriggerProvider().diff("t-1", olds, {**olds, "branch": "feature/other"})
    assert (diff.changes, diff.replaces) == (True, [])


def test_the_root_directory_is_not_a_trigger_setting(railway: Railway) -> None:
    olds = inputs(railway, "env-1")
    failures = DeploymentTriggerProvider().check(olds, {**olds, "root_directory": "backend"}).failures
    assert [f.property for f in failures] == ["root_directory"]


def test_check_defaults_the_provider_to_github() -> None:
    result = DeploymentTriggerProvider().check(
        {}, {"project_id": "p", "environment_id": "e", "service_id": "s", "repository": "r", "branch": "b"}
    )
    assert result.failures == [] and result.inputs["provider"] == "github"


def test_check_requires_a_branch() -> None:
    result = DeploymentTriggerProvider().check(
        {}, {"project_id": "p", "environment_id": "e", "service_id": "s", "repository": "r", "branch": ""}
    )
    [failure] = result.failures
    assert failure.property == "branch" and "must not be empty" in failure.reason

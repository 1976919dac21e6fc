"""Railway providers act on the ids their state recorded, never on a name: when the object they
made is deleted by hand and someone makes another under the same name, read reports theirs gone,
and update and delete address only the recorded id, so the stranger's object is left untouched."""

from __future__ import annotations

from typing import Any

import pytest

from providers.api import NotFound
from providers.railway.client import RailwayClient
from providers.railway.deployment_trigger import DeploymentTriggerProvider
from providers.railway.environment import EnvironmentProvider
from providers.railway.service_domain import ServiceDomainProvider
from providers.railway.variables import VariablesProvider
from tests.providers.conftest import BACKEND_REPOSITORY, Railway

NAME = "staging-dev1-alice"


def environment_inputs(railway: Railway) -> dict[str, Any]:
    props = {"project_id": railway.project_id, "name": NAME, "source_environment_id": railway.base_environment_id}
    return EnvironmentProvider().check({}, props).inputs


@pytest.fixture
def environment_id(railway: Railway) -> str:
    created = railway.configure(EnvironmentProvider()).create(environment_inputs(railway))
    railway.sandbox.journal_clear()
    return created.id


def scope(railway: Railway, environment_id: str) -> dict[str, Any]:
    return {"project_id": railway.project_id, "environment_id": environment_id, "service_id": railway.api_id}


def written_ids(railway: Railway) -> set[str]:
    """Every id a mutation named (ids, environment ids, and those of an `input`)."""
    found: set[str] = set()
    for entry in railway.sandbox.journal:
        if not entry.is_mutation:
            continue
        variables = {**entry.variables, **(entry.variables.get("input") or {})}
        found |= {str(value) for key, value in variables.items() if key in ("id", "environmentId")}
    return found


def test_environment_read_update_and_delete_address_the_recorded_id(railway: Railway) -> None:
    provider = railway.configure(EnvironmentProvider())
    created = provider.create(environment_inputs(railway))
    railway.sandbox.delete_environment(created.id)
    stranger = railway.sandbox.seed_environment(railway.project_id, NAME)
    railway.sandbox.journal_clear()

    assert provider.read(created.id, created.outs).id is None
    with pytest.raises(NotFound):
        provider.update(created.id, created.outs, {**environment_inputs(railway), "name": "staging-renamed"})
    provider.delete(created.id, created.outs)
    assert [env["id"] for env in railway.sandbox.environments(railway.project_id) if env["name"] == NAME] == [stranger]
    assert written_ids(railway) == {created.id}


def test_service_domain_read_update_and_delete_address_the_recorded_id(railway: Railway, environment_id: str) -> None:
    provider = railway.configure(ServiceDomainProvider())
    created = provider.create(ServiceDomainProvider().check({}, scope(railway, environment_id)).inputs)
    railway.sandbox.delete_service_domain(created.id)
    with RailwayClient.from_settings() as client:
        stranger = client.create_service_domain(**scope(railway, environment_id))
    railway.sandbox.journal_clear()

    assert provider.read(created.id, created.outs).id is None
    with pytest.raises(NotFound):
        news = ServiceDomainProvider().check({}, {**scope(railway, environment_id), "target_port": 9000}).inputs
        provider.update(created.id, created.outs, news)
    provider.delete(created.id, created.outs)
    [left] = railway.sandbox.service_domains(environment_id, railway.api_id)
    assert (left["id"], left["domain"]) == (stranger.id, stranger.domain)
    assert written_ids(railway) - {environment_id} == {created.id}


def test_deployment_trigger_read_update_and_delete_address_the_recorded_id(
    railway: Railway, environment_id: str
) -> None:
    provider = railway.configure(DeploymentTriggerProvider())
    props = {**scope(railway, environment_id), "repository": BACKEND_REPOSITORY, "branch": "feature/alice"}
    created = provider.create(DeploymentTriggerProvider().check({}, props).inputs)
    railway.sandbox.delete_trigger(created.id)
    with RailwayClient.from_settings() as client:
        stranger = client.create_trigger(
            **scope(railway, environment_id), provider="github", repository=BACKEND_REPOSITORY, branch="theirs"
        )
    railway.sandbox.journal_clear()

    assert provider.read(created.id, created.outs).id is None
    with pytest.raises(NotFound):
        provider.update(
            created.id, created.outs, DeploymentTriggerProvider().check({}, {**props, "branch": "feature/b"}).inputs
        )
    provider.delete(created.id, created.outs)
    [left] = railway.sandbox.triggers(environment_id, railway.api_id)
    assert (left["id"], left["branch"]) == (stranger.id, "theirs")
    assert written_ids(railway) - {environment_id} == {created.id}


def test_variables_read_and_delete_address_the_recorded_environment(railway: Railway, environment_id: str) -> None:
    provider = railway.configure(VariablesProvider())
    props = {**scope(railway, environment_id), "variables": {"FEATURE": "on"}}
    created = provider.create(VariablesProvider().check({}, props).inputs)
    railway.sandbox.delete_environment(environment_id)
    stranger = railway.sandbox.seed_environment(
        railway.project_id, NAME, source_environment_id=railway.base_environment_id
    )
    railway.sandbox.set_variable(stranger, railway.api_id, "FEATURE", "theirs")
    railway.sandbox.journal_clear()

    assert provider.read(created.id, created.outs).id is None
    provider.delete(created.id, created.outs)
    assert railway.sandbox.variables(stranger, railway.api_id)["FEATURE"] == "theirs"
    assert written_ids(railway) <= {environment_id}

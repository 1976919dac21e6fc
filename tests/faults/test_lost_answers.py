"""The worst case for a create: its answer is lost (the request was applied, the connection
dropped) on every attempt AND looking up what it made keeps failing too. The create must fail
saying that the object may exist unrecorded and what the next run does about it; following that,
the next run converges to exactly one object.

Where names are unique (Railway environments in a project, Supabase branches of a project,
a service's deploy trigger) the next `pulumi up` adopts what was made. Where they are not
(Supabase project names; a service may have several domains) the error says to delete what was
made just now first, or the next run makes a second one.
"""

from __future__ import annotations

from typing import Any

import pytest

from providers.api import ApiFailure
from providers.railway.client import RailwayClient
from providers.railway.deployment_trigger import DeploymentTriggerProvider
from providers.railway.environment import EnvironmentProvider
from providers.railway.service_domain import ServiceDomainProvider
from providers.supabase.branch import BranchProvider
from providers.supabase.client import SupabaseClient
from providers.supabase.project import ProjectProvider
from tests.faults import matrix
from tests.faults.conftest import RAILWAY_TOKEN, SUPABASE_TOKEN, World

ALWAYS = 50
MAY_EXIST = "it may have been made without being recorded"


def _arm_after_first_call(monkeypatch: pytest.MonkeyPatch, owner: type, method: str, arm: Any) -> None:
    """The first call of `owner.method` (the look before the create) works; from then on the
    sandbox fails the lookups, as an API having a bad minute would."""
    real = getattr(owner, method)
    armed: list[bool] = []

    def first_then_failing(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = real(self, *args, **kwargs)
        if not armed:
            armed.append(True)
            arm()
        return result

    monkeypatch.setattr(owner, method, first_then_failing)


def _no_secret(message: str) -> None:
    assert RAILWAY_TOKEN not in message and SUPABASE_TOKEN not in message and matrix.DB_PASS not in message


def test_an_environment_made_unrecorded_is_adopted_by_the_next_run(world: World) -> None:
    world.railway.faults.add("environmentCreate", "drop_after_apply", times=ALWAYS)
    world.railway.faults.add("environments", "503", times=ALWAYS)
    provider = world.configure(EnvironmentProvider())
    inputs = matrix._environment_inputs(world)
    with pytest.raises(ApiFailure) as failed:
        provider.create(inputs)
    message = str(failed.value)
    assert f'Railway environment "{matrix.ENVIRONMENT_NAME}" could not be created' in message
    assert MAY_EXIST in message and "the next `pulumi up` adopts it" in message
    _no_secret(message)
    [made] = world.environments()

    world.clear()
    created = provider.create(inputs)
    assert [e["id"] for e in world.environments()] == [made["id"]] == [created.id]


def test_a_trigger_made_unrecorded_is_adopted_by_the_next_run(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    environment_id, _ = matrix._new_environment(world)
    for copied in world.railway.triggers(environment_id, world.api_id):
        world.railway.delete_trigger(copied["id"])
    world.railway.faults.add("deploymentTriggerCreate", "drop_after_apply", times=ALWAYS)
    _arm_after_first_call(
        monkeypatch,
        RailwayClient,
        "list_triggers",
        lambda: world.railway.faults.add("deploymentTriggers", "503", times=ALWAYS),
    )
    provider = world.configure(DeploymentTriggerProvider())
    inputs = matrix._trigger_inputs(world, environment_id)
    with pytest.raises(ApiFailure) as failed:
        provider.create(inputs)
    assert MAY_EXIST in str(failed.value) and "the next `pulumi up` adopts it" in str(failed.value)
    [made] = world.railway.triggers(environment_id, world.api_id)

    monkeypatch.undo()
    world.clear()
    created = provider.create(inputs)
    assert [t["id"] for t in world.railway.triggers(environment_id, world.api_id)] == [made["id"]] == [created.id]


def test_a_domain_made_unrecorded_is_named_so_it_can_be_removed_before_the_next_run(world: World) -> None:
    environment_id, _ = matrix._new_environment(world)
    world.railway.faults.add("serviceDomainCreate", "drop_after_apply", times=ALWAYS)
    world.railway.faults.add("domains", "503", times=ALWAYS)
    provider = world.configure(ServiceDomainProvider())
    inputs = matrix._domain_inputs(world, environment_id)
    with pytest.raises(ApiFailure) as failed:
        provider.create(inputs)
    message = str(failed.value)
    assert f"Railway domain for service {world.api_id} in environment {environment_id} could not be created" in message
    assert MAY_EXIST in message and "delete any domain of this service made just now" in message
    [made] = world.railway.service_domains(environment_id, world.api_id)

    # What the message says to do, then the next `pulumi up`.
    world.clear()
    world.railway.delete_service_domain(made["id"])
    created = provider.create(inputs)
    assert [d["id"] for d in world.railway.service_domains(environment_id)] == [created.id]


def test_a_project_made_unrecorded_is_named_so_it_can_be_removed_before_the_next_run(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.supabase.faults.add("POST /v1/projects", "drop_after_apply", times=ALWAYS)
    _arm_after_first_call(
        monkeypatch,
        SupabaseClient,
        "find_projects",
        lambda: world.supabase.faults.add("GET /v1/organizations/{slug}/projects", "503", times=ALWAYS),
    )
    provider = world.configure(ProjectProvider())
    inputs = matrix._project_inputs(world)
    with pytest.raises(ApiFailure) as failed:
        provider.create(inputs)
    message = str(failed.value)
    assert (
        f'Supabase project "{matrix.PROJECT_NAME}" could not be created in organization {world.organization}' in message
    )
    assert MAY_EXIST in message
    assert f'delete (or `pulumi import`) any project called "{matrix.PROJECT_NAME}" made just now' in message
    _no_secret(message)
    [made] = world.projects()

    monkeypatch.undo()
    world.clear()
    world.supabase.delete_project(made["ref"])
    created = provider.create(inputs)
    assert [p["ref"] for p in world.projects()] == [created.id]


def test_a_branch_made_unrecorded_is_adopted_by_the_next_run(world: World) -> None:
    parent = matrix._parent(world)
    world.supabase.faults.add("POST /v1/projects/{ref}/branches", "drop_after_apply", times=ALWAYS)
    world.supabase.faults.add("GET /v1/projects/{ref}/branches", "503", times=ALWAYS)
    provider = world.configure(BranchProvider())
    inputs = matrix._branch_inputs(parent)
    with pytest.raises(ApiFailure) as failed:
        provider.create(inputs)
    assert MAY_EXIST in str(failed.value) and "the next `pulumi up` adopts it" in str(failed.value)
    [made] = [b for b in world.supabase.branches(parent) if not b["is_default"]]

    world.clear()
    created = provider.create(inputs)
    assert [b["id"] for b in world.supabase.branches(parent) if not b["is_default"]] == [made["id"]] == [created.id]

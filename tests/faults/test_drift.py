"""Drift: someone changes things by hand in the Railway or Supabase dashboard. `read` reports each
change, so `pulumi refresh` shows it, and the next `pulumi up` puts things back.

First each case on its own, provider by provider; then all of them at once on the whole sandbox
stack, through the real provider host: up, hand edits, refresh, up, refresh again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fleet.stackfile import load_stack_config
from harness import REPO, existing_stack
from harness.host import DynamicProviderHost
from harness.mocks import TODAY, stack_mapping
from harness.new_stack import up as up_new_stack
from programs.fleet import deploy_fleet, load_fleet_spec
from providers.railway.environment import EnvironmentProvider
from providers.railway.service_domain import ServiceDomainProvider
from providers.railway.variables import VariablesProvider
from providers.supabase.project import ProjectProvider
from providers.supabase.project_keys import ProjectKeysProvider
from sandbox.railway import RailwaySandbox
from sandbox.supabase import SupabaseSandbox
from tests.faults import matrix
from tests.faults.conftest import World

# ---------------------------------------------------------------- one provider at a time


def test_a_variable_changed_by_hand_is_reported_and_put_back(world: World) -> None:
    provider = world.configure(VariablesProvider())
    environment_id, _ = matrix._new_environment(world)
    inputs = matrix._variables_inputs(world, environment_id, {"APP_ENV": "staging", "LOG_LEVEL": "info"})
    created = provider.create(inputs)
    world.railway.set_variable(environment_id, world.api_id, "LOG_LEVEL", "debug")
    world.railway.set_variable(environment_id, world.api_id, "MINE", "a dashboard user's")

    read = provider.read(created.id, created.outs)
    assert read.outs["variables"] == {"APP_ENV": "staging", "LOG_LEVEL": "debug"}, "refresh shows the hand edit"
    diff = provider.diff(created.id, read.outs, inputs)
    assert (diff.changes, diff.replaces) == (True, [])
    provider.update(created.id, read.outs, inputs)
    assert world.railway.variables(environment_id, world.api_id) == {
        "APP_ENV": "staging",
        "LOG_LEVEL": "info",
        "MINE": "a dashboard user's",  # not managed here: left alone
    }


def test_an_environment_deleted_by_hand_is_reported_gone_and_made_again(world: World) -> None:
    provider = world.configure(EnvironmentProvider())
    environment_id, outs = matrix._new_environment(world)
    world.railway.delete_environment(environment_id)

    read = provider.read(environment_id, outs)
    assert (read.id, read.outs) == (None, {}), "refresh drops it from the state"
    # Its dependents read as gone too, so refresh drops them as well.
    variables = world.configure(VariablesProvider())
    scope = matrix._variables_inputs(world, environment_id, {"A": "1"})
    assert variables.read(f"{environment_id}:{world.api_id}", scope).id is None

    again = provider.create(matrix._environment_inputs(world))
    assert [(e["id"], e["name"]) for e in world.environments()] == [(again.id, matrix.ENVIRONMENT_NAME)]


def test_a_domain_removed_by_hand_is_reported_gone_and_made_again(world: World) -> None:
    provider = world.configure(ServiceDomainProvider())
    environment_id, _ = matrix._new_environment(world)
    inputs = matrix._domain_inputs(world, environment_id)
    created = provider.create(inputs)
    world.railway.delete_service_domain(created.id)

    assert provider.read(created.id, created.outs).id is None
    again = provider.create(inputs)
    assert [d["id"] for d in world.railway.service_domains(environment_id)] == [again.id]


def test_a_project_deleted_by_hand_is_reported_gone_with_its_keys_and_made_again(world: World) -> None:
    projects = world.configure(ProjectProvider())
    keys = world.configure(ProjectKeysProvider())
    created = projects.create(matrix._project_inputs(world))
    keys_created = keys.create(matrix._keys_inputs(created.outs))
    world.supabase.delete_project(created.id)

    assert projects.read(created.id, created.outs).id is None
    assert keys.read(keys_created.id, keys_created.outs).id is None

    again = projects.create(matrix._project_inputs(world))
    new_keys = keys.create(matrix._keys_inputs(again.outs))
    assert [p["ref"] for p in world.projects()] == [again.id] != [created.id]
    assert new_keys.outs["anon_key"] == world.supabase.api_keys(again.id)["anon"]


# ---------------------------------------------------------------- the whole stack, through the host

RAILWAY_TOKEN = "drift-railway-token-2b7c"
SUPABASE_TOKEN = "sbp_drift_token_61d0"
API = "33333333-3333-4333-8333-333333333333"


@pytest.fixture
def stack() -> Iterator[tuple[RailwaySandbox, SupabaseSandbox, DynamicProviderHost]]:
    railway_config = load_stack_config(REPO / "Pulumi.sandbox.yaml")["stagefleet:railway"]
    with (
        RailwaySandbox(tokens={RAILWAY_TOKEN}, lifetime=300) as railway,
        SupabaseSandbox(tokens={SUPABASE_TOKEN}, healthy_after=0.2, lifetime=300) as supabase,
    ):
        railway.seed_project(
            name=railway_config["projectName"],
            project_id=railway_config["projectId"],
            base_environment=railway_config["baseEnvironment"],
            base_environment_id=railway_config["baseEnvironmentId"],
            services=[
                {"name": s["name"], "id": s["id"], "repository": s["repository"]} for s in railway_config["services"]
            ],
        )
        supabase.seed_organization(slug="gatewayz-sandbox", name="Gatewayz sandbox")
        with DynamicProviderHost() as host:
            host.configure(
                {
                    "stagefleet:railwayToken": RAILWAY_TOKEN,
                    "stagefleet:railwayApiUrl": railway.url,
                    "stagefleet:supabaseAccessToken": SUPABASE_TOKEN,
                    "stagefleet:supabaseApiUrl": supabase.url,
                }
            )
            yield railway, supabase, host


def sandbox_program() -> dict[str, Any]:
    return deploy_fleet(load_fleet_spec(stack_mapping("Pulumi.sandbox.yaml")), today=TODAY)


def _by_name(state: existing_stack.State, name: str) -> existing_stack.Created:
    [resource] = [r for r in state.values() if r.name == name]
    return resource


def test_hand_edits_show_in_refresh_and_the_next_up_repairs_them(stack) -> None:
    railway, supabase, host = stack
    deployment = up_new_stack(sandbox_program, host)
    assert deployment.error is None, deployment.error
    state = existing_stack.state_of(deployment)
    project_id = _by_name(state, "main-environment").outputs["project_id"]

    # Someone in the dashboards: a variable edited, an environment and a project deleted, a domain removed.
    alice_env = _by_name(state, "dev1-alice-environment").id
    railway.set_variable(alice_env, API, "APP_ENV", "edited-by-hand")
    bob_env = _by_name(state, "dev2-bob-environment").id
    railway.delete_environment(bob_env)
    alice_project = _by_name(state, "dev1-alice-database-project").id
    supabase.delete_project(alice_project)
    main_domain = _by_name(state, "main-api-domain").id
    railway.delete_service_domain(main_domain)

    drift = {(d.name, d.kind) for d in existing_stack.refresh(state, host)}
    assert ("dev1-alice-api-variables", "changed") in drift
    assert {
        ("dev2-bob-environment", "gone"),
        ("dev2-bob-api-variables", "gone"),
        ("dev2-bob-api-trigger", "gone"),
        ("dev2-bob-api-domain", "gone"),
    } <= drift
    assert {("dev1-alice-database-project", "gone"), ("dev1-alice-database-keys", "gone")} <= drift
    assert ("main-api-domain", "gone") in drift
    unrelated = {name for name, _ in drift} - {
        name for name, _ in drift if name.startswith(("dev1-alice-", "dev2-bob-", "main-api-domain"))
    }
    assert unrelated == set(), "nothing else drifted"

    run = existing_stack.up(sandbox_program, host, state)
    assert run.error is None, run.error
    created = {step.name for step in run.ops("create")}
    assert {
        "dev2-bob-environment",
        "dev1-alice-database-project",
        "dev1-alice-database-keys",
        "main-api-domain",
    } <= created

    environments = {e["name"]: e["id"] for e in railway.environments(project_id)}
    assert environments["staging-dev2-bob"] != bob_env
    assert len(railway.service_domains(environments["staging-dev2-bob"])) == 2
    assert {t["branch"] for t in railway.triggers(environments["staging-dev2-bob"])} == {"feature/bob-chat"}
    assert [d["id"] for d in railway.service_domains(environments["staging-main"], API)] == [
        _by_name(state, "main-api-domain").id
    ]
    [alice_project_now] = [p for p in supabase.projects() if p["name"] == "gatewayz-sandbox-staging-dev1-alice"]
    assert alice_project_now["ref"] != alice_project
    alice_api = railway.variables(environments["staging-dev1-alice"], API)
    assert alice_api["APP_ENV"] == "staging"
    assert alice_api["SUPABASE_URL"] == f"https://{alice_project_now['ref']}.supabase.co"
    assert alice_api["SUPABASE_KEY"] == supabase.api_keys(alice_project_now["ref"])["service_role"]

    assert existing_stack.refresh(state, host) == [], "after the repair, refresh finds nothing to change"
    again = existing_stack.up(sandbox_program, host, state)
    assert again.error is None and again.ops("create") == again.ops("update") == again.ops("delete") == []

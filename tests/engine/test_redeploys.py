"""One deployment per change: edits of the deployed sandbox stack through the real provider host,
counted in the sandbox's deployments — never one per write, never one for nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from harness import existing_stack
from harness.mocks import TODAY, stack_mapping
from programs.fleet import deploy_fleet, load_fleet_spec
from tests.engine.test_program_up import PROJECT, SERVICES, Stack, deployed_stack
from tests.program.support import edit


def program(mapping):
    return lambda: deploy_fleet(load_fleet_spec(mapping), today=TODAY)


@pytest.fixture
def stack() -> Iterator[Stack]:
    """Each test edits what `up` made, so each has a stack of its own."""
    with deployed_stack() as own:
        yield own


@pytest.fixture
def host(stack):
    return stack.host


@pytest.fixture
def sandboxes(stack):
    return stack.sandboxes


@pytest.fixture
def state(stack):
    return existing_stack.state_of(stack.deployment)


def deployments_by_environment(railway) -> Counter:
    names = {e["id"]: e["name"] for e in railway.environments(PROJECT)}
    return Counter(names[d["environmentId"]] for d in railway.deployments())


def up_with(mapping, host, state):
    run = existing_stack.up(program(mapping), host, state)
    assert run.error is None, run.error
    return run


def test_a_no_op_up_sends_nothing_and_deploys_nothing(host, sandboxes, state):
    railway, supabase = sandboxes
    before = deployments_by_environment(railway)
    railway.journal_clear()
    supabase.journal_clear()
    up_with(stack_mapping("Pulumi.sandbox.yaml"), host, state)
    assert (railway.journal, supabase.journal) == ([], [])
    assert deployments_by_environment(railway) == before


def test_an_edit_of_one_variable_deploys_each_service_of_that_environment_once(host, sandboxes, state):
    railway, _ = sandboxes
    before = deployments_by_environment(railway)
    mapping = edit(
        stack_mapping("Pulumi.sandbox.yaml"),
        "stagefleet:environments",
        lambda envs: envs[1].setdefault("variables", {}).update(LOG_LEVEL="debug"),
    )
    up_with(mapping, host, state)
    assert deployments_by_environment(railway) - before == Counter({"staging-dev1-alice": len(SERVICES)})
    alice = next(e["id"] for e in railway.environments(PROJECT) if e["name"] == "staging-dev1-alice")
    newest = railway.deployments(environment_id=alice)[-len(SERVICES) :]
    assert {d["variables"]["LOG_LEVEL"] for d in newest} == {"debug"}
    assert {d["trigger"] for d in railway.deployments()} == {"api"}, "no write deployed anything by itself"


def test_an_edit_of_several_variables_and_a_setting_is_still_one_deployment_per_service(host, sandboxes, state):
    railway, _ = sandboxes
    before = deployments_by_environment(railway)

    def change(envs):
        envs[2].update(sleepWhenIdle=True, variables={"A": "1", "B": "2", "C": "3"})

    up_with(edit(stack_mapping("Pulumi.sandbox.yaml"), "stagefleet:environments", change), host, state)
    assert deployments_by_environment(railway) - before == Counter({"staging-payments": len(SERVICES)})


def test_a_branch_change_deploys_the_new_branch_once_per_service(host, sandboxes, state):
    railway, _ = sandboxes
    mapping = edit(
        stack_mapping("Pulumi.sandbox.yaml"),
        "stagefleet:environments",
        lambda envs: envs[3].update(branch="feature/bob-chat-v2"),
    )
    up_with(mapping, host, state)
    bob = next(e["id"] for e in railway.environments(PROJECT) if e["name"] == "staging-dev2-bob")
    branches = [d["branch"] for d in railway.deployments(environment_id=bob)]
    assert sorted(branches) == sorted(["feature/bob-chat"] * 2 + ["feature/bob-chat-v2"] * 2)
    # The other environments keep their one deployment per service.
    assert all(
        len(railway.deployments(environment_id=e["id"])) == len(SERVICES)
        for e in railway.environments(PROJECT)
        if e["name"] not in ("staging-template", "staging-dev2-bob")
    )

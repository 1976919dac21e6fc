"""Teardown through the real provider host: what a destroy (and an environment removed from the
config) sends, with `deleted_with` honoured by the engine harness as the Pulumi engine does."""

from __future__ import annotations

import contextlib
import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from harness import existing_stack
from harness.mocks import TODAY, stack_mapping
from programs.fleet import deploy_fleet, load_fleet_spec
from tests.engine.test_program_up import ENVIRONMENTS, PROJECT, Stack, deployed_stack
from tests.program.support import edit

# Writes that must never be sent for a resource whose environment goes in the same operation.
CHILD_WRITES = (
    "variableDelete",
    "variableUpsert",
    "variableCollectionUpsert",
    "deploymentTriggerDelete",
    "deploymentTriggerUpdate",
    "serviceDomainDelete",
    "serviceInstanceUpdate",
    "serviceInstanceDeployV2",
)


def program(mapping):
    return lambda: deploy_fleet(load_fleet_spec(mapping), today=TODAY)


@dataclass
class Teardown:
    run: existing_stack.Run
    railway: Counter[str]
    supabase: Counter[str]
    # Deployment ids the Railway sandbox had before the operation, and every one seen after a call.
    deployments_before: set[str]
    deployments_seen: set[str]


class DeploymentWatch:
    """After every provider call, the ids of every deployment the Railway sandbox has: a
    deployment started by a call shows up before the environment's delete forgets it."""

    def __init__(self, railway: Any) -> None:
        self.railway = railway
        self.seen: set[str] = set()

    @contextlib.contextmanager
    def __call__(self, _op: str, _urn: str) -> Iterator[None]:
        yield
        self.seen |= {d["id"] for d in self.railway.deployments()}


def _counts(journal: list[Any]) -> Counter[str]:
    return Counter(entry.root_fields[0] if entry.root_fields else entry.key for entry in journal)


def destroyed(stack: Stack, state: existing_stack.State) -> Teardown:
    railway, supabase = stack.sandboxes
    before = {d["id"] for d in railway.deployments()}
    railway.journal_clear()
    supabase.journal_clear()
    watch = DeploymentWatch(railway)
    run = existing_stack.destroy(state, stack.host, on_call=watch)
    return Teardown(run, _counts(railway.journal), _counts(supabase.journal), before, watch.seen)


@pytest.fixture(scope="module")
def teardown() -> Iterator[Teardown]:
    """The sandbox stack brought up, then destroyed (one stack for the tests that look at it)."""
    with deployed_stack() as stack:
        yield destroyed(stack, existing_stack.state_of(stack.deployment))


def test_destroy_deletes_each_railway_environment_with_one_request(teardown):
    assert teardown.railway["environmentDelete"] == len(ENVIRONMENTS)


def test_destroy_sends_no_write_for_what_goes_with_its_environment(teardown):
    assert {field: teardown.railway[field] for field in CHILD_WRITES} == dict.fromkeys(CHILD_WRITES, 0)


def test_destroy_sends_nothing_to_railway_but_the_environment_deletes(teardown):
    assert set(teardown.railway) == {"environmentDelete"}


def test_destroy_starts_no_deployment(teardown):
    assert teardown.deployments_seen <= teardown.deployments_before


def test_destroy_deletes_each_project_and_branch_with_one_request(teardown):
    assert teardown.supabase == Counter({"DELETE /v1/projects/{ref}": 2, "DELETE /v1/branches/{branch_id_or_ref}": 1})


def test_destroy_drops_what_goes_with_its_parent_without_a_provider_call(teardown):
    dropped = Counter(step.type for step in teardown.run.ops("drop"))
    deleted = Counter(step.type for step in teardown.run.ops("delete"))
    services, environments = 2, len(ENVIRONMENTS)
    per_service = ("ServiceInstance", "Variables", "DeploymentTrigger", "ServiceDomain", "Deployment")
    assert dropped == Counter(dict.fromkeys(per_service, services * environments) | {"ProjectKeys": 3})
    assert deleted == Counter({"Environment": environments, "AccessToken": environments, "Project": 2, "Branch": 1})


@pytest.fixture
def own_stack() -> Iterator[Stack]:
    with deployed_stack() as stack:
        yield stack


def test_a_state_recorded_before_deleted_with_gets_it_at_the_next_up(own_stack):
    # A stack deployed by an older stagefleet has no deleted_with in its state: one `pulumi up`
    # (which changes nothing) records it, and the destroy after it is as lean as for a new stack.
    state = {
        urn: dataclasses.replace(resource, deleted_with="")
        for urn, resource in existing_stack.state_of(own_stack.deployment).items()
    }
    noop = existing_stack.up(program(stack_mapping("Pulumi.sandbox.yaml")), own_stack.host, state)
    assert noop.error is None, noop.error
    assert noop.ops("create") == noop.ops("update") == noop.ops("delete") == []
    teardown = destroyed(own_stack, state)
    assert set(teardown.railway) == {"environmentDelete"}


def test_without_deleted_with_each_variable_is_deleted_one_by_one(own_stack):
    # The harness honours deleted_with only where the state has it: the old cost, for comparison.
    state = {
        urn: dataclasses.replace(resource, deleted_with="")
        for urn, resource in existing_stack.state_of(own_stack.deployment).items()
    }
    teardown = destroyed(own_stack, state)
    assert teardown.railway["variableDelete"] > 0
    assert teardown.run.ops("drop") == []


def test_an_environment_removed_from_the_config_is_one_environment_delete(own_stack):
    railway, _ = own_stack.sandboxes
    state = existing_stack.state_of(own_stack.deployment)
    mapping = edit(
        stack_mapping("Pulumi.sandbox.yaml"),
        "stagefleet:environments",
        lambda envs: [env for env in envs if env["name"] != "dev1-alice"],
    )
    railway.journal_clear()
    run = existing_stack.up(program(mapping), own_stack.host, state)
    assert run.error is None, run.error
    assert _counts(railway.journal) == Counter({"environmentDelete": 1})
    assert {e["name"] for e in railway.environments(PROJECT)} == (ENVIRONMENTS - {"staging-dev1-alice"}) | {
        "staging-template"
    }
    assert not any(urn.endswith("dev1-alice-api-variables") for urn in state)


def test_a_variable_removed_from_the_config_is_still_deleted_by_name(own_stack):
    railway, _ = own_stack.sandboxes
    state = existing_stack.state_of(own_stack.deployment)
    with_extra = edit(
        stack_mapping("Pulumi.sandbox.yaml"),
        "stagefleet:environments",
        lambda envs: envs[1].setdefault("variables", {}).update(LOG_LEVEL="debug"),
    )
    added = existing_stack.up(program(with_extra), own_stack.host, state)
    assert added.error is None, added.error
    railway.journal_clear()
    removed = existing_stack.up(program(stack_mapping("Pulumi.sandbox.yaml")), own_stack.host, state)
    assert removed.error is None, removed.error
    deletes = [entry.variables["input"] for entry in railway.journal if "variableDelete" in entry.root_fields]
    assert sorted((d["name"], d["serviceId"]) for d in deletes) == sorted(
        ("LOG_LEVEL", service)
        for service in ("33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444")
    )
    alice = next(e["id"] for e in railway.environments(PROJECT) if e["name"] == "staging-dev1-alice")
    assert "LOG_LEVEL" not in railway.variables(alice, "33333333-3333-4333-8333-333333333333")

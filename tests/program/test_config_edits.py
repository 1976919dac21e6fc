"""What `pulumi preview --diff` shows for the edits developers make to Pulumi.staging.yaml.

Both versions of the config run through the program under mocks; every resource whose inputs
changed goes through its own provider's check and diff, unpickled from `__provider` exactly as the
engine's provider host does it. The result is the plan a preview would print.
"""

from __future__ import annotations

import base64

import dill

from harness.mocks import Graph, evaluate, reveal, stack_mapping
from tests.program.support import edit


def plan(before: Graph, after: Graph) -> dict[str, str]:
    """Logical name -> create | delete | update | replace, for every dynamic resource that changes."""
    old = {r.name: r for r in before.resources if r.typ.startswith("pulumi-python:dynamic")}
    new = {r.name: r for r in after.resources if r.typ.startswith("pulumi-python:dynamic")}
    steps = dict.fromkeys(new.keys() - old.keys(), "create")
    steps.update(dict.fromkeys(old.keys() - new.keys(), "delete"))
    for name in old.keys() & new.keys():
        old_inputs = _plain_inputs(old[name])
        new_inputs = _plain_inputs(new[name])
        if old_inputs == new_inputs:
            continue
        provider = dill.loads(base64.b64decode(reveal(new[name].inputs["__provider"])))
        checked = provider.check(old_inputs, new_inputs)
        assert checked.failures == [], checked.failures
        diff = provider.diff(f"{name}-id", reveal(old[name].outputs), checked.inputs)
        if diff.changes is False:
            continue
        steps[name] = "replace" if diff.replaces else "update"
    return steps


def _plain_inputs(resource) -> dict:
    return {k: v for k, v in reveal(resource.inputs).items() if k != "__provider"}


def test_unchanged_config_plans_no_changes():
    assert plan(evaluate(stack_mapping()).graph, evaluate(stack_mapping()).graph) == {}


def test_changing_a_developers_branch_updates_their_triggers_and_deploys_each_service_once():
    edited = edit(
        stack_mapping(), "stagefleet:environments", lambda envs: envs[1].update(branch="feature/alice-payment-v3")
    )
    assert plan(evaluate(stack_mapping()).graph, evaluate(edited).graph) == {
        "dev1-alice-api-trigger": "update",
        "dev1-alice-web-trigger": "update",
        "dev1-alice-api-deployment": "replace",
        "dev1-alice-web-deployment": "replace",
    }


def test_adding_an_environment_only_creates_its_resources():
    newcomer = {
        "name": "dev4-dana",
        "kind": "developer",
        "owner": "dana@gatewayz.ai",
        "branch": "feature/dana-search",
        "purpose": "Search v3",
        "expires": "2027-03-15",
    }
    edited = edit(stack_mapping(), "stagefleet:environments", lambda envs: envs.append(newcomer))
    # A sixth environment at $30 a month needs room under the fleet's limits (fleet/policy.py).
    edited = edit(edited, "stagefleet:limits", lambda limits: limits.update(maxLongLived=6, monthlyBudgetUsd=200))
    steps = plan(evaluate(stack_mapping()).graph, evaluate(edited).graph)
    assert set(steps.values()) == {"create"}
    assert sorted(steps) == sorted(
        ["dev4-dana-environment", "dev4-dana-access-token"]
        + ["dev4-dana-database-project", "dev4-dana-database-keys"]
        + [
            f"dev4-dana-{s}-{kind}"
            for s in ("api", "web")
            for kind in ("settings", "variables", "trigger", "domain", "deployment")
        ]
    )


def test_removing_an_environment_only_deletes_its_resources():
    edited = edit(
        stack_mapping(), "stagefleet:environments", lambda envs: [e for e in envs if e["name"] != "dev3-charlie"]
    )
    steps = plan(evaluate(stack_mapping()).graph, evaluate(edited).graph)
    assert set(steps.values()) == {"delete"}
    # dev3-charlie's branch of main's database goes with it; main's project stays.
    assert all(name.startswith("dev3-charlie-") for name in steps) and len(steps) == 14
    assert {"dev3-charlie-database-branch", "dev3-charlie-database-keys"} <= steps.keys()


def test_changing_a_default_variable_updates_every_variables_resource_and_redeploys_each_service_once():
    edited = edit(
        stack_mapping(), "stagefleet:defaults", lambda defaults: defaults["variables"].update(LOG_LEVEL="warn")
    )
    steps = plan(evaluate(stack_mapping()).graph, evaluate(edited).graph)
    # dev2-bob overrides LOG_LEVEL itself, so its variables do not change and it is not redeployed.
    changed = [(env, svc) for env in ("main", "dev1-alice", "dev3-charlie", "payments") for svc in ("api", "web")]
    assert steps == {
        **{f"{env}-{svc}-variables": "update" for env, svc in changed},
        **{f"{env}-{svc}-deployment": "replace" for env, svc in changed},
    }


def test_changing_several_variables_of_one_environment_is_still_one_deployment_per_service():
    def override(envs: list) -> None:
        envs[1].setdefault("variables", {}).update(LOG_LEVEL="debug", FEATURE_X="on", FEATURE_Y="off")

    edited = edit(stack_mapping(), "stagefleet:environments", override)
    steps = plan(evaluate(stack_mapping()).graph, evaluate(edited).graph)
    assert steps == {
        "dev1-alice-api-variables": "update",
        "dev1-alice-web-variables": "update",
        "dev1-alice-api-deployment": "replace",
        "dev1-alice-web-deployment": "replace",
    }


def test_changing_a_healthcheck_path_updates_the_settings_and_redeploys_that_service_everywhere():
    edited = edit(
        stack_mapping(), "stagefleet:railway", lambda railway: railway["services"][0].update(healthcheckPath="/healthz")
    )
    steps = plan(evaluate(stack_mapping()).graph, evaluate(edited).graph)
    environments = ("main", "dev1-alice", "dev2-bob", "dev3-charlie", "payments")
    assert steps == {
        **{f"{env}-api-settings": "update" for env in environments},
        **{f"{env}-api-deployment": "replace" for env in environments},
    }


def test_letting_a_team_environment_sleep_updates_its_settings_and_redeploys_it():
    edited = edit(stack_mapping(), "stagefleet:environments", lambda envs: envs[4].update(sleepWhenIdle=True))
    steps = plan(evaluate(stack_mapping()).graph, evaluate(edited).graph)
    assert steps == {
        "payments-api-settings": "update",
        "payments-web-settings": "update",
        "payments-api-deployment": "replace",
        "payments-web-deployment": "replace",
    }


def test_moving_the_project_replaces_environments_instead_of_editing_them():
    edited = edit(
        stack_mapping(),
        "stagefleet:railway",
        lambda railway: railway.update(projectId="3c9d2e71-8a4b-4f60-b1d2-7e5f9a0c6b18"),
    )
    steps = plan(evaluate(stack_mapping()).graph, evaluate(edited).graph)
    assert steps["dev1-alice-environment"] == "replace"

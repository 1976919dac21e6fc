"""Deployments in the Railway sandbox: starting them, their timeline on the sandbox clock, what
they record, superseding, planned outcomes, Railway's automatic deploys and pushes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from sandbox.railway import DeployTiming, RailwaySandbox
from tests.sandbox.railway_support import (
    BACKEND,
    BUILDING_AT,
    CREATE_ENVIRONMENT,
    DELETE_ENVIRONMENT,
    DEPLOYING_AT,
    DEPLOYMENTS,
    DONE_AT,
    ENVIRONMENT_DEPLOYMENTS,
    MISSING,
    TIMING,
    VARIABLE_COLLECTION_UPSERT,
    VARIABLE_DELETE,
    VARIABLE_UPSERT,
    create_domain,
    deploy,
    deployment,
    fork,
    status,
    statuses,
)

COMMIT = re.compile(r"^[0-9a-f]{40}$")


@pytest.fixture(autouse=True)
def timing(rw: RailwaySandbox) -> None:
    rw.deploy_timing = TIMING


@pytest.fixture
def env(gql, seed) -> str:
    return fork(gql, seed)


@pytest.fixture
def api(seed) -> str:
    return seed.service_ids["api"]


@pytest.fixture
def scratch(gql, seed) -> str:
    """An environment made from nothing: it has no service instances."""
    payload = {"projectId": seed.project_id, "name": "scratch"}
    return gql.data(CREATE_ENVIRONMENT, {"input": payload})["environmentCreate"]["id"]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def scope(seed, env: str, service_id: str | None = None) -> dict:
    ids = {"projectId": seed.project_id, "environmentId": env}
    return {**ids, "serviceId": service_id} if service_id else ids


# ---------------------------------------------------------------- starting a deployment


def test_deploy_returns_the_id_of_a_new_queued_deployment(gql, env, api):
    deployment_id = deploy(gql, env, api)

    node = deployment(gql, deployment_id)
    assert (node["id"], node["status"], node["environmentId"], node["serviceId"]) == (deployment_id, "QUEUED", env, api)


def test_deploy_records_trigger_api(rw, gql, env, api):
    deploy(gql, env, api)

    assert statuses(rw, env) == [("api", "QUEUED")]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("environment", "Environment not found"),
        ("service", "Service not found"),
        ("instance", "Service instance not found"),
    ],
)
def test_deploy_of_an_unknown_target_is_not_found(gql, env, scratch, api, target, message):
    environment_id = {"environment": MISSING, "service": env, "instance": scratch}[target]
    service_id = MISSING if target == "service" else api

    errors = gql.errors(
        "mutation($e: String!, $s: String!) { serviceInstanceDeployV2(environmentId: $e, serviceId: $s) }",
        {"e": environment_id, "s": service_id},
    )

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == (message, "NOT_FOUND")


def test_unknown_deployment_is_not_found(gql, seed):
    errors = gql.errors("query($id: String!) { deployment(id: $id) { id } }", {"id": MISSING})

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == ("Deployment not found", "NOT_FOUND")


# ---------------------------------------------------------------- the timeline


def test_deployment_goes_queued_building_deploying_success_on_the_clock(gql, clock, env, api):
    deployment_id = deploy(gql, env, api)
    seen = []
    for at in (0.5, BUILDING_AT, DEPLOYING_AT - 0.5, DEPLOYING_AT, DONE_AT - 0.5, DONE_AT, DONE_AT + 100):
        clock.now = 1000.0 + at
        seen.append(status(gql, deployment_id))

    assert seen == ["QUEUED", "BUILDING", "BUILDING", "DEPLOYING", "DEPLOYING", "SUCCESS", "SUCCESS"]


def test_status_times_are_the_exact_instants_of_each_transition_however_late_they_are_read(rw, gql, clock, env, api):
    start = clock.now
    deploy(gql, env, api)
    clock.advance(1000)

    [record] = rw.deployments(environment_id=env)

    assert record["createdAt"] == start
    assert record["statusTimes"] == {
        "QUEUED": start,
        "BUILDING": start + BUILDING_AT,
        "DEPLOYING": start + DEPLOYING_AT,
        "SUCCESS": start + DONE_AT,
    }


def test_history_wall_times_move_with_the_sandbox_clock(rw, gql, clock, env, api):
    deploy(gql, env, api)
    clock.advance(DONE_AT)

    [record] = rw.deployments(environment_id=env)

    walls = {step["status"]: step["wallAt"] for step in record["history"]}
    assert walls["SUCCESS"] - walls["QUEUED"] == timedelta(seconds=DONE_AT)


def test_deployment_dates_are_its_start_and_its_last_transition(gql, clock, env, api):
    deployment_id = deploy(gql, env, api)
    clock.advance(DONE_AT + 30)

    node = deployment(gql, deployment_id)

    assert parse_time(node["statusUpdatedAt"]) - parse_time(node["createdAt"]) == timedelta(seconds=DONE_AT)
    assert node["updatedAt"] == node["statusUpdatedAt"]


def test_deploy_timing_applies_to_deployments_started_afterwards(rw, gql, clock, env, api):
    first = deploy(gql, env, api)
    clock.advance(DONE_AT)
    rw.deploy_timing = DeployTiming(queued=0.0, building=100.0, deploying=100.0)

    second = deploy(gql, env, api)
    clock.advance(DONE_AT)

    assert (rw.deployment(first)["statusTimes"]["SUCCESS"], status(gql, second)) == (1000.0 + DONE_AT, "BUILDING")


def test_a_running_deployment_is_not_stopped_and_can_be_redeployed(gql, clock, env, api):
    deployment_id = deploy(gql, env, api)
    clock.advance(DONE_AT)

    node = deployment(gql, deployment_id)

    assert (node["deploymentStopped"], node["canRedeploy"], node["canRollback"]) == (False, True, False)


# ---------------------------------------------------------------- what a deployment records


def test_meta_names_the_triggers_repository_branch_and_a_40_hex_commit(gql, env, api):
    meta = deployment(gql, deploy(gql, env, api))["meta"]

    assert (meta["repo"], meta["branch"]) == (BACKEND, "main")
    assert COMMIT.match(meta["commitHash"]) and meta["commitMessage"]


def test_the_same_branch_head_deploys_the_same_commit(gql, seed, env, api):
    other = fork(gql, seed, "staging-dev2-bob")

    first = deployment(gql, deploy(gql, env, api))["meta"]["commitHash"]
    second = deployment(gql, deploy(gql, other, api))["meta"]["commitHash"]

    assert first == second


def test_deploy_of_a_given_commit_records_that_commit(gql, env, api):
    sha = "0123456789abcdef0123456789abcdef01234567"

    meta = deployment(gql, deploy(gql, env, api, commit_sha=sha))["meta"]

    assert meta["commitHash"] == sha


def test_an_instance_without_a_repository_still_deploys_with_no_branch(rw, gql):
    seed = rw.seed_project(name="images", services=[{"name": "redis"}])

    deployment_id = deploy(gql, seed.base_environment_id, seed.service_ids["redis"])

    assert deployment(gql, deployment_id)["meta"] == {
        "branch": None,
        "repo": None,
        "commitHash": None,
        "commitMessage": None,
    }


def test_the_snapshot_has_shared_variables_overlaid_by_the_services_own(rw, gql, env, api):
    rw.set_variable(env, None, "APP_ENV", "staging")
    rw.set_variable(env, None, "PORT", "80")
    rw.set_variable(env, api, "PORT", "8000")

    deploy(gql, env, api)

    assert rw.deployments(environment_id=env)[0]["variables"] == {"APP_ENV": "staging", "PORT": "8000"}


def test_the_snapshot_keeps_the_variables_of_its_start(rw, gql, env, api):
    rw.set_variable(env, api, "PORT", "8000")
    deploy(gql, env, api)

    rw.set_variable(env, api, "PORT", "9000")

    assert rw.deployments(environment_id=env)[0]["variables"] == {"PORT": "8000"}


def test_the_snapshot_has_the_instance_settings_of_its_start(rw, gql, env, seed):
    web = seed.service_ids["web"]
    rw.update_service_instance(env, web, healthcheckPath="/ready", sleepApplication=True)
    deploy(gql, env, web)

    rw.update_service_instance(env, web, healthcheckPath="/changed")

    assert rw.deployments(environment_id=env)[0]["settings"] == {
        "healthcheckPath": "/ready",
        "healthcheckTimeout": None,
        "sleepApplication": True,
        "rootDirectory": "apps/web",
    }


def test_url_and_static_url_are_the_services_first_generated_domain(gql, env, api):
    domain = create_domain(gql, env, api)
    create_domain(gql, env, api)

    node = deployment(gql, deploy(gql, env, api))

    assert (node["url"], node["staticUrl"], node["suggestAddServiceDomain"]) == (f"https://{domain}", domain, False)


def test_url_is_null_and_a_domain_suggested_without_a_domain(gql, env, api):
    node = deployment(gql, deploy(gql, env, api))

    assert (node["url"], node["staticUrl"], node["suggestAddServiceDomain"]) == (None, None, True)


def test_deployments_helper_returns_plain_records_in_creation_order(rw, gql, seed, env, api):
    first = deploy(gql, env, api)
    second = deploy(gql, env, seed.service_ids["web"])

    records = rw.deployments(environment_id=env)

    assert [r["id"] for r in records] == [first, second]
    assert set(records[0]) == {
        "id",
        "projectId",
        "environmentId",
        "serviceId",
        "status",
        "trigger",
        "createdAt",
        "statusTimes",
        "history",
        "branch",
        "repo",
        "commitHash",
        "commitMessage",
        "variables",
        "settings",
    }


# ---------------------------------------------------------------- listing


def test_deployments_are_listed_newest_first_for_the_service(gql, seed, env, api):
    first, second = deploy(gql, env, api), deploy(gql, env, api)
    deploy(gql, env, seed.service_ids["web"])

    data = gql.data(DEPLOYMENTS, {"input": {"environmentId": env, "serviceId": api}})

    assert [e["node"]["id"] for e in data["deployments"]["edges"]] == [second, first]


def test_deployments_filter_by_status_in_and_not_in(gql, clock, env, api):
    done = deploy(gql, env, api)
    clock.advance(DONE_AT)
    building = deploy(gql, env, api)
    clock.advance(BUILDING_AT)

    def listed(status_filter: dict) -> list[str]:
        data = gql.data(DEPLOYMENTS, {"input": {"environmentId": env, "status": status_filter}})
        return [e["node"]["id"] for e in data["deployments"]["edges"]]

    assert listed({"in": ["SUCCESS"]}) == [done]
    assert listed({"notIn": ["SUCCESS", "REMOVED"]}) == [building]


def test_deployments_filter_by_project(rw, gql, seed, env, api):
    other = rw.seed_project(name="other", services=[{"name": "api", "repository": BACKEND}])
    deploy(gql, other.base_environment_id, other.service_ids["api"])
    mine = deploy(gql, env, api)

    data = gql.data(DEPLOYMENTS, {"input": {"projectId": seed.project_id}})

    assert [e["node"]["id"] for e in data["deployments"]["edges"]] == [mine]


def test_deployments_paginate_with_first_and_after(gql, env, api):
    made = [deploy(gql, env, api) for _ in range(3)]

    page = gql.data(DEPLOYMENTS, {"input": {"serviceId": api}, "first": 2})["deployments"]
    rest = gql.data(DEPLOYMENTS, {"input": {"serviceId": api}, "first": 2, "after": page["pageInfo"]["endCursor"]})

    assert [e["node"]["id"] for e in page["edges"]] == made[:0:-1]
    assert page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in rest["deployments"]["edges"]] == [made[0]]


def test_latest_deployment_of_every_instance_comes_in_one_environment_query(gql, seed, env, api):
    api_deployment = deploy(gql, env, api)

    data = gql.data(ENVIRONMENT_DEPLOYMENTS, {"id": env})

    latest = {
        e["node"]["serviceId"]: e["node"]["latestDeployment"] for e in data["environment"]["serviceInstances"]["edges"]
    }
    assert latest[api]["id"] == api_deployment and latest[api]["meta"]["branch"] == "main"
    assert latest[seed.service_ids["web"]] is None


def test_latest_deployment_is_the_newest_whatever_its_status(rw, gql, clock, env, api):
    deploy(gql, env, api)
    clock.advance(DONE_AT)
    rw.plan_outcome(env, api, "FAILED")
    failed = deploy(gql, env, api)
    clock.advance(DONE_AT)

    data = gql.data(ENVIRONMENT_DEPLOYMENTS, {"id": env})

    [node] = [e["node"] for e in data["environment"]["serviceInstances"]["edges"] if e["node"]["serviceId"] == api]
    assert node["latestDeployment"]["id"] == failed and node["latestDeployment"]["status"] == "FAILED"


def test_active_deployments_are_the_running_one(gql, clock, env, api):
    running = deploy(gql, env, api)
    clock.advance(DONE_AT)
    deploy(gql, env, api)

    data = gql.data(ENVIRONMENT_DEPLOYMENTS, {"id": env})

    [node] = [e["node"] for e in data["environment"]["serviceInstances"]["edges"] if e["node"]["serviceId"] == api]
    assert node["activeDeployments"] == [{"id": running}]


# ---------------------------------------------------------------- superseding and retiring


def test_a_new_deployment_removes_an_older_one_still_in_progress_at_once(rw, gql, clock, env, api):
    older = deploy(gql, env, api)
    clock.advance(BUILDING_AT)

    deploy(gql, env, api)

    assert rw.deployment(older)["status"] == "REMOVED"
    assert rw.deployment(older)["statusTimes"]["REMOVED"] == clock.now


def test_the_previous_running_deployment_keeps_running_while_the_next_builds(gql, clock, env, api):
    older = deploy(gql, env, api)
    clock.advance(DONE_AT)

    deploy(gql, env, api)
    clock.advance(DEPLOYING_AT)

    assert status(gql, older) == "SUCCESS"


def test_success_retires_the_previous_running_deployment_at_that_instant(rw, gql, clock, env, api):
    older = deploy(gql, env, api)
    clock.advance(DONE_AT)
    newer = deploy(gql, env, api)
    clock.advance(DONE_AT + 50)

    assert (status(gql, older), status(gql, newer)) == ("REMOVED", "SUCCESS")
    assert rw.deployment(older)["statusTimes"]["REMOVED"] == rw.deployment(newer)["statusTimes"]["SUCCESS"]


def test_a_retired_deployment_can_be_rolled_back_to(gql, clock, env, api):
    older = deploy(gql, env, api)
    clock.advance(DONE_AT)
    deploy(gql, env, api)
    clock.advance(DONE_AT)

    node = deployment(gql, older)

    assert (node["status"], node["canRollback"], node["deploymentStopped"]) == ("REMOVED", True, True)


def test_a_sleeping_deployment_is_retired_by_the_next_success(rw, gql, clock, env, api):
    older = deploy(gql, env, api)
    clock.advance(DONE_AT)
    rw.sleep(env, api)

    deploy(gql, env, api)
    clock.advance(DONE_AT)

    assert status(gql, older) == "REMOVED"


# ---------------------------------------------------------------- planned outcomes, crashes, sleep


def test_a_planned_failure_ends_failed_at_the_end_of_building(rw, gql, clock, env, api):
    rw.plan_outcome(env, api, "FAILED")
    deployment_id = deploy(gql, env, api)
    clock.advance(DONE_AT)

    record = rw.deployment(deployment_id)

    assert record["status"] == "FAILED"
    assert record["statusTimes"] == {
        "QUEUED": 1000.0,
        "BUILDING": 1000.0 + BUILDING_AT,
        "FAILED": 1000.0 + DEPLOYING_AT,
    }


def test_a_planned_crash_ends_crashed_when_it_would_have_succeeded(rw, gql, clock, env, api):
    rw.plan_outcome(env, api, "CRASHED")
    deployment_id = deploy(gql, env, api)
    clock.advance(DONE_AT)

    record = rw.deployment(deployment_id)

    assert record["status"] == "CRASHED" and "SUCCESS" not in record["statusTimes"]
    assert record["statusTimes"]["CRASHED"] == 1000.0 + DONE_AT


def test_a_failed_deployment_leaves_the_previous_one_running(rw, gql, clock, env, api):
    running = deploy(gql, env, api)
    clock.advance(DONE_AT)
    rw.plan_outcome(env, api, "FAILED")

    deploy(gql, env, api)
    clock.advance(DONE_AT)

    assert status(gql, running) == "SUCCESS"


def test_a_plan_is_used_times_times_then_deployments_succeed(rw, gql, clock, env, api):
    rw.plan_outcome(outcome="FAILED", times=2)
    made = []
    for _ in range(3):
        made.append(deploy(gql, env, api))
        clock.advance(DONE_AT)

    assert [status(gql, d) for d in made] == ["FAILED", "FAILED", "SUCCESS"]


def test_a_plan_applies_only_to_its_environment_and_service(rw, gql, clock, seed, env, api):
    web = seed.service_ids["web"]
    rw.plan_outcome(env, web, "FAILED")

    other_service = deploy(gql, env, api)
    other_environment = deploy(gql, seed.base_environment_id, web)
    clock.advance(DONE_AT)

    assert (status(gql, other_service), status(gql, other_environment)) == ("SUCCESS", "SUCCESS")


def test_plan_outcome_refuses_an_unknown_outcome(rw):
    with pytest.raises(ValueError):
        rw.plan_outcome(outcome="SUCCESS")  # type: ignore[arg-type]


@pytest.mark.parametrize("final", ["FAILED", "CRASHED", "REMOVED"])
def test_a_final_status_never_changes(rw, gql, clock, env, api, final):
    if final == "REMOVED":
        deployment_id = deploy(gql, env, api)
        deploy(gql, env, api)
    else:
        rw.plan_outcome(env, api, final)
        deployment_id = deploy(gql, env, api)
    clock.advance(DONE_AT * 10)

    assert status(gql, deployment_id) == final


def test_crash_makes_a_running_deployment_crashed(rw, gql, clock, env, api):
    deployment_id = deploy(gql, env, api)
    clock.advance(DONE_AT + 5)

    rw.crash(deployment_id)

    assert rw.deployment(deployment_id)["statusTimes"]["CRASHED"] == clock.now
    assert status(gql, deployment_id) == "CRASHED"


def test_crash_of_a_deployment_not_running_is_refused(rw, gql, env, api):
    deployment_id = deploy(gql, env, api)

    with pytest.raises(ValueError):
        rw.crash(deployment_id)
    with pytest.raises(KeyError):
        rw.crash(MISSING)


def test_sleep_makes_the_running_deployment_sleeping(rw, gql, clock, env, api):
    deployment_id = deploy(gql, env, api)
    clock.advance(DONE_AT)

    assert rw.sleep(env, api) == deployment_id
    assert status(gql, deployment_id) == "SLEEPING"


def test_sleep_without_a_running_deployment_is_refused(rw, gql, env, api):
    deploy(gql, env, api)

    with pytest.raises(ValueError):
        rw.sleep(env, api)


# ---------------------------------------------------------------- Railway's automatic deploys


def test_a_fork_without_skip_initial_deploys_deploys_every_connected_instance(rw, gql, seed):
    env = fork(gql, seed, "staging-dev3-carol", skip_initial_deploys=False)

    records = rw.deployments(environment_id=env)
    assert sorted(r["serviceId"] for r in records) == sorted(seed.service_ids.values())
    assert {r["trigger"] for r in records} == {"fork"}


def test_a_fork_with_skip_initial_deploys_deploys_nothing(rw, gql, seed):
    env = fork(gql, seed, "staging-dev3-carol", skip_initial_deploys=True)

    assert rw.deployments(environment_id=env) == []


def test_a_fork_deploys_only_instances_with_a_source(rw, gql):
    seed = rw.seed_project(name="mixed", services=[{"name": "api", "repository": BACKEND}, {"name": "redis"}])

    env = fork(gql, seed, "staging-dev3-carol", skip_initial_deploys=False)

    assert [r["serviceId"] for r in rw.deployments(environment_id=env)] == [seed.service_ids["api"]]


def test_a_variable_collection_upsert_redeploys_the_deployed_service(rw, gql, seed, env, api):
    deploy(gql, env, api)

    gql.data(VARIABLE_COLLECTION_UPSERT, {"input": {**scope(seed, env, api), "variables": {"A": "1"}}})

    assert statuses(rw, env) == [("api", "REMOVED"), ("variables", "QUEUED")]
    assert rw.deployments(environment_id=env)[-1]["variables"] == {"A": "1"}


def test_a_variable_collection_upsert_with_skip_deploys_deploys_nothing(rw, gql, seed, env, api):
    deploy(gql, env, api)

    payload = {**scope(seed, env, api), "variables": {"A": "1"}, "skipDeploys": True}
    gql.data(VARIABLE_COLLECTION_UPSERT, {"input": payload})

    assert statuses(rw, env) == [("api", "QUEUED")]


def test_a_variable_upsert_redeploys_the_deployed_service(rw, gql, seed, env, api):
    deploy(gql, env, api)

    gql.data(VARIABLE_UPSERT, {"input": {**scope(seed, env, api), "name": "A", "value": "1"}})

    assert [t for t, _ in statuses(rw, env)] == ["api", "variables"]


def test_a_variable_upsert_with_skip_deploys_deploys_nothing(rw, gql, seed, env, api):
    deploy(gql, env, api)

    gql.data(VARIABLE_UPSERT, {"input": {**scope(seed, env, api), "name": "A", "value": "1", "skipDeploys": True}})

    assert [t for t, _ in statuses(rw, env)] == ["api"]


def test_a_shared_variable_write_redeploys_every_deployed_instance(rw, gql, seed, env, api):
    web = seed.service_ids["web"]
    deploy(gql, env, api)
    deploy(gql, env, web)

    gql.data(VARIABLE_COLLECTION_UPSERT, {"input": {**scope(seed, env), "variables": {"APP_ENV": "review"}}})

    redeployed = [r["serviceId"] for r in rw.deployments(environment_id=env) if r["trigger"] == "variables"]
    assert sorted(redeployed) == sorted([api, web])


def test_a_variable_write_does_not_deploy_a_never_deployed_instance(rw, gql, seed, env, api):
    gql.data(VARIABLE_COLLECTION_UPSERT, {"input": {**scope(seed, env), "variables": {"APP_ENV": "review"}}})

    assert rw.deployments(environment_id=env) == []


def test_a_variable_delete_always_redeploys(rw, gql, seed, env, api):
    rw.set_variable(env, api, "A", "1")
    deploy(gql, env, api)

    gql.data(VARIABLE_DELETE, {"input": {**scope(seed, env, api), "name": "A"}})

    assert [t for t, _ in statuses(rw, env)] == ["api", "variables"]
    assert rw.deployments(environment_id=env)[-1]["variables"] == {}


def test_an_out_of_band_variable_change_deploys_nothing(rw, gql, env, api):
    deploy(gql, env, api)

    rw.set_variable(env, api, "A", "1")

    assert [t for t, _ in statuses(rw, env)] == ["api"]


# ---------------------------------------------------------------- git pushes


def test_a_push_deploys_every_instance_following_the_branch(rw, gql, seed, env):
    before = deployment(gql, deploy(gql, env, seed.service_ids["api"]))["meta"]["commitHash"]

    started = rw.push(BACKEND, "main")

    records = {r["id"]: r for r in rw.deployments()}
    assert {records[d]["environmentId"] for d in started} == {seed.base_environment_id, env}
    assert {records[d]["trigger"] for d in started} == {"push"}
    assert all(records[d]["commitHash"] != before and COMMIT.match(records[d]["commitHash"]) for d in started)


def test_a_push_to_another_branch_deploys_nothing(rw, seed):
    assert rw.push(BACKEND, "feature/unfollowed") == []
    assert rw.deployments() == []


def test_after_a_push_a_deploy_builds_the_new_head(rw, gql, seed, env, api):
    [pushed] = [d for d in rw.push(BACKEND, "main") if rw.deployment(d)["environmentId"] == env]

    later = deploy(gql, env, api)

    assert rw.deployment(later)["commitHash"] == rw.deployment(pushed)["commitHash"]


# ---------------------------------------------------------------- environment deletion


def test_deleting_an_environment_forgets_its_deployments(rw, gql, env, api):
    deployment_id = deploy(gql, env, api)

    gql.data(DELETE_ENVIRONMENT, {"id": env})

    assert rw.deployments(environment_id=env) == []
    errors = gql.errors("query($id: String!) { deployment(id: $id) { id } }", {"id": deployment_id})
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"

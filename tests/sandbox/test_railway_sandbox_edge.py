"""The Railway sandbox's edge: generated service domains answer HTTP from the deployment running
behind them, the way Railway's edge does."""

from __future__ import annotations

import httpx
import pytest

from sandbox.railway import RailwaySandbox
from tests.sandbox.railway_support import DONE_AT, TIMING, FakeClock, create_domain, deploy, fork

NOT_FOUND = {"status": "error", "code": 404, "message": "Application not found"}
FAILED_TO_RESPOND = {"status": "error", "code": 502, "message": "Application failed to respond"}
HTTP_TIMEOUT = 10.0


@pytest.fixture(autouse=True)
def timing(rw: RailwaySandbox) -> None:
    rw.deploy_timing = TIMING


@pytest.fixture
def env(gql, seed) -> str:
    environment_id = fork(gql, seed)
    # The api's health path is a setting, as stagefleet sets it before deploying.
    gql.data(
        "mutation($e: String, $s: String!, $i: ServiceInstanceUpdateInput!) "
        "{ serviceInstanceUpdate(environmentId: $e, serviceId: $s, input: $i) }",
        {"e": environment_id, "s": seed.service_ids["api"], "i": {"healthcheckPath": "/health"}},
    )
    return environment_id


@pytest.fixture
def api(seed) -> str:
    return seed.service_ids["api"]


@pytest.fixture
def domain(gql, env, api) -> str:
    return create_domain(gql, env, api)


@pytest.fixture
def running(gql, clock, env, api, domain) -> str:
    """The api deployed and SUCCESS in the fork; its id."""
    deployment_id = deploy(gql, env, api)
    clock.advance(DONE_AT)
    return deployment_id


def test_edge_url_is_a_loopback_url(rw):
    assert rw.edge_url.startswith("http://127.0.0.1:") and rw.edge_url != rw.url


def test_an_unknown_host_is_application_not_found(edge, seed):
    response = edge.get("nothing-here-0000.up.railway.app")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_a_domain_never_deployed_is_application_not_found(edge, domain):
    response = edge.get(domain)

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_a_domain_whose_first_deployment_is_still_building_is_application_not_found(gql, clock, edge, env, api, domain):
    deploy(gql, env, api)
    clock.advance(DONE_AT - 1)

    response = edge.get(domain, "/health")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_a_domain_whose_only_deployment_failed_is_application_not_found(rw, gql, clock, edge, env, api, domain):
    rw.plan_outcome(env, api, "FAILED")
    deploy(gql, env, api)
    clock.advance(DONE_AT)

    assert edge.get(domain).status_code == 404


def test_the_health_path_answers_ok_with_the_deployment_and_its_commit(rw, edge, domain, running):
    response = edge.get(domain, "/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "deployment": running, "commit": rw.deployment(running)["commitHash"]}


def test_other_paths_answer_the_service_and_the_deployment(edge, domain, running):
    response = edge.get(domain, "/api/v1/models")

    assert (response.status_code, response.json()) == (200, {"service": "api", "deployment": running})


def test_the_health_path_is_the_one_the_deployment_started_with(gql, clock, edge, env, api, domain, running):
    gql.data(
        "mutation($e: String, $s: String!, $i: ServiceInstanceUpdateInput!) "
        "{ serviceInstanceUpdate(environmentId: $e, serviceId: $s, input: $i) }",
        {"e": env, "s": api, "i": {"healthcheckPath": "/healthz"}},
    )
    assert edge.get(domain, "/healthz").json() == {"service": "api", "deployment": running}

    redeployed = deploy(gql, env, api)
    clock.advance(DONE_AT)

    assert edge.get(domain, "/healthz").json()["status"] == "ok"
    assert edge.get(domain, "/healthz").json()["deployment"] == redeployed


@pytest.mark.parametrize("health", [503, 500, 404])
def test_set_health_makes_the_health_path_answer_that_status(rw, edge, env, api, domain, running, health):
    rw.set_health(env, api, status=health)

    response = edge.get(domain, "/health")

    assert (response.status_code, response.json()["status"], response.json()["deployment"]) == (
        health,
        "unhealthy",
        running,
    )


def test_set_health_leaves_other_paths_answering(rw, edge, env, api, domain, running):
    rw.set_health(env, api, status=503)

    assert edge.get(domain, "/").status_code == 200


def test_a_crashed_deployment_fails_to_respond(rw, edge, domain, running):
    rw.crash(running)

    response = edge.get(domain, "/health")

    assert (response.status_code, response.json()) == (502, FAILED_TO_RESPOND)


def test_a_first_deployment_that_crashes_fails_to_respond(rw, gql, clock, edge, env, api, domain):
    rw.plan_outcome(env, api, "CRASHED")
    deploy(gql, env, api)
    clock.advance(DONE_AT)

    assert edge.get(domain).status_code == 502


def test_a_new_deployment_that_crashes_leaves_the_running_one_answering(
    rw, gql, clock, edge, env, api, domain, running
):
    rw.plan_outcome(env, api, "CRASHED")
    deploy(gql, env, api)
    clock.advance(DONE_AT)

    assert edge.get(domain).json() == {"service": "api", "deployment": running}


def test_the_running_deployment_answers_until_the_next_one_succeeds(gql, clock, edge, env, api, domain, running):
    newer = deploy(gql, env, api)
    clock.advance(DONE_AT - 1)
    assert edge.get(domain).json()["deployment"] == running

    clock.advance(1)

    assert edge.get(domain).json()["deployment"] == newer


def test_a_request_wakes_a_sleeping_deployment(rw, edge, env, api, domain, running):
    rw.sleep(env, api)

    response = edge.get(domain, "/health")

    assert response.status_code == 200
    assert rw.deployment(running)["status"] == "SUCCESS"
    assert [step["status"] for step in rw.deployment(running)["history"]][-2:] == ["SLEEPING", "SUCCESS"]


@pytest.mark.parametrize("answered", ["unknown host", "application", "crashed"])
def test_every_answer_carries_the_edge_header(rw, edge, domain, running, answered):
    if answered == "crashed":
        rw.crash(running)
    host = "nothing-here-0000.up.railway.app" if answered == "unknown host" else domain

    assert edge.get(host).headers["x-railway-edge"] == "sandbox"


def test_an_answer_of_a_deployment_names_it_in_a_header(edge, domain, running):
    assert edge.get(domain, "/health").headers["x-stagefleet-deployment-id"] == running
    assert edge.get(domain, "/").headers["x-stagefleet-deployment-id"] == running


def test_an_answer_of_the_edge_itself_names_no_deployment(rw, edge, domain, running):
    rw.crash(running)

    assert "x-stagefleet-deployment-id" not in edge.get(domain).headers
    assert "x-stagefleet-deployment-id" not in edge.get("nothing-here-0000.up.railway.app").headers


def test_the_port_in_the_host_header_is_ignored(edge, domain, running):
    assert edge.get(f"{domain}:443", "/health").status_code == 200


def test_head_answers_the_status_and_headers_without_a_body(edge, domain, running):
    response = edge.head(domain, "/health")

    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["x-stagefleet-deployment-id"] == running


def test_the_edge_works_as_an_http_proxy_for_the_domain(rw, domain, running):
    with httpx.Client(proxy=rw.edge_url, timeout=HTTP_TIMEOUT) as client:
        response = client.get(f"http://{domain}/health")

    assert (response.status_code, response.json()["deployment"]) == (200, running)


def test_a_deleted_domain_is_application_not_found(rw, edge, env, domain, running):
    [record] = [d for d in rw.service_domains(env) if d["domain"] == domain]

    rw.delete_service_domain(record["id"])

    assert edge.get(domain).status_code == 404


def test_edge_faults_are_matched_on_the_domain(rw, gql, edge, env, seed, domain, running):
    other = create_domain(gql, env, seed.service_ids["web"])
    rw.edge_faults.add(domain, "503")

    faulted, untouched = edge.get(domain), edge.get(other)

    assert (faulted.status_code, faulted.headers["x-railway-edge"]) == (503, "sandbox")
    assert faulted.json() == {"status": "error", "code": 503, "message": "Service Unavailable"}
    assert untouched.status_code == 404


def test_the_edge_journal_records_host_method_and_path(rw, edge, domain, running):
    edge.get(domain, "/health")

    [entry] = rw.edge_journal
    assert (entry.key, entry.method, entry.path, entry.status) == (domain, "GET", "/health", 200)
    assert rw.journal_count("deployment") == 0  # the API journal is separate


def test_the_edge_stops_with_the_sandbox():
    sandbox = RailwaySandbox(tokens={"edge-test"}, lifetime=30, clock=FakeClock()).start()
    edge_url = sandbox.edge_url

    sandbox.stop()

    with pytest.raises(httpx.ConnectError):
        httpx.get(edge_url, timeout=2)

"""Service instance settings in the Railway sandbox: read live, set per environment, cleared by an
explicit null, copied by a fork, and applied only by the next deployment."""

from __future__ import annotations

import pytest

from tests.sandbox.railway_support import (
    CREATE_ENVIRONMENT,
    MISSING,
    SERVICE_INSTANCE,
    SERVICE_INSTANCE_UPDATE,
    deploy,
    fork,
)


@pytest.fixture
def env(gql, seed) -> str:
    return fork(gql, seed)


@pytest.fixture
def api(seed) -> str:
    return seed.service_ids["api"]


@pytest.fixture
def seed(rw):
    """The conftest project, with the api's healthcheck path set as Pulumi.sandbox.yaml has it."""
    return rw.seed_project(
        name="gatewayz",
        services=[
            {"name": "api", "repository": "gatewayz/gatewayz-backend", "healthcheckPath": "/health"},
            {"name": "web", "repository": "gatewayz/gatewayz-frontend", "rootDirectory": "apps/web"},
        ],
    )


def read(gql, environment_id: str, service_id: str) -> dict:
    return gql.data(SERVICE_INSTANCE, {"environmentId": environment_id, "serviceId": service_id})["serviceInstance"]


def update(gql, service_id: str, settings: dict, environment_id: str | None = None) -> None:
    variables = {"serviceId": service_id, "environmentId": environment_id, "input": settings}
    assert gql.data(SERVICE_INSTANCE_UPDATE, variables) == {"serviceInstanceUpdate": True}


def test_service_instance_answers_its_settings(gql, seed, api):
    instance = read(gql, seed.base_environment_id, api)

    assert (instance["environmentId"], instance["serviceId"]) == (seed.base_environment_id, api)
    assert (instance["healthcheckPath"], instance["healthcheckTimeout"], instance["sleepApplication"]) == (
        "/health",
        None,
        None,
    )


def test_a_fork_copies_the_instance_settings(gql, seed, env):
    assert read(gql, env, seed.service_ids["api"])["healthcheckPath"] == "/health"
    assert read(gql, env, seed.service_ids["web"])["rootDirectory"] == "apps/web"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("environment", "Environment not found"),
        ("service", "Service not found"),
        ("instance", "Service instance not found"),
    ],
)
def test_service_instance_of_an_unknown_target_is_not_found(gql, seed, env, api, target, message):
    scratch = gql.data(CREATE_ENVIRONMENT, {"input": {"projectId": seed.project_id, "name": "scratch"}})
    environment_id = {"environment": MISSING, "service": env, "instance": scratch["environmentCreate"]["id"]}[target]
    service_id = MISSING if target == "service" else api

    errors = gql.errors(SERVICE_INSTANCE, {"environmentId": environment_id, "serviceId": service_id})

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == (message, "NOT_FOUND")


def test_update_sets_the_settings_of_that_environment_only(gql, seed, env, api):
    update(gql, api, {"healthcheckPath": "/healthz", "healthcheckTimeout": 120, "sleepApplication": True}, env)

    changed, base = read(gql, env, api), read(gql, seed.base_environment_id, api)
    assert (changed["healthcheckPath"], changed["healthcheckTimeout"], changed["sleepApplication"]) == (
        "/healthz",
        120,
        True,
    )
    assert (base["healthcheckPath"], base["healthcheckTimeout"], base["sleepApplication"]) == ("/health", None, None)


def test_update_leaves_omitted_settings_alone(gql, env, api):
    update(gql, api, {"healthcheckTimeout": 60}, env)

    update(gql, api, {"sleepApplication": True}, env)

    instance = read(gql, env, api)
    assert (instance["healthcheckPath"], instance["healthcheckTimeout"]) == ("/health", 60)


def test_update_with_an_explicit_null_clears_a_setting(gql, env, api):
    update(gql, api, {"healthcheckPath": None}, env)

    assert read(gql, env, api)["healthcheckPath"] is None


def test_update_deploys_nothing(rw, gql, env, api):
    update(gql, api, {"healthcheckPath": "/healthz"}, env)

    assert rw.deployments(environment_id=env) == []


def test_update_without_an_environment_changes_every_environment_that_is_not_a_fork(gql, seed, env, api):
    update(gql, api, {"healthcheckTimeout": 30})

    assert read(gql, seed.base_environment_id, api)["healthcheckTimeout"] == 30
    assert read(gql, env, api)["healthcheckTimeout"] is None


@pytest.mark.parametrize("environment", ["given", "omitted"])
def test_update_of_an_unknown_service_is_not_found(gql, env, environment):
    variables = {"serviceId": MISSING, "environmentId": env if environment == "given" else None, "input": {}}

    errors = gql.errors(SERVICE_INSTANCE_UPDATE, variables)

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == ("Service not found", "NOT_FOUND")


def test_update_in_an_unknown_environment_is_not_found(gql, api):
    errors = gql.errors(SERVICE_INSTANCE_UPDATE, {"serviceId": api, "environmentId": MISSING, "input": {}})

    assert errors[0]["message"] == "Environment not found"


def test_a_settings_change_reaches_only_deployments_started_after_it(rw, gql, env, api):
    before = deploy(gql, env, api)
    update(gql, api, {"healthcheckPath": "/healthz"}, env)
    after = deploy(gql, env, api)

    assert rw.deployment(before)["settings"]["healthcheckPath"] == "/health"
    assert rw.deployment(after)["settings"]["healthcheckPath"] == "/healthz"


def test_service_instances_helper_includes_the_settings(rw, env, api):
    [instance] = [i for i in rw.service_instances(env) if i["serviceId"] == api]

    assert {k: instance[k] for k in ("healthcheckPath", "healthcheckTimeout", "sleepApplication", "rootDirectory")} == {
        "healthcheckPath": "/health",
        "healthcheckTimeout": None,
        "sleepApplication": None,
        "rootDirectory": None,
    }


def test_update_service_instance_helper_changes_settings_out_of_band(rw, gql, env, api):
    rw.update_service_instance(env, api, healthcheckPath="/status", sleepApplication=True)

    instance = read(gql, env, api)
    assert (instance["healthcheckPath"], instance["sleepApplication"]) == ("/status", True)


def test_update_service_instance_helper_refuses_an_unknown_setting(rw, env, api):
    with pytest.raises(TypeError):
        rw.update_service_instance(env, api, startCommand="run")

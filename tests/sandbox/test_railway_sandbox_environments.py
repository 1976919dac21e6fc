"""Environments in the Railway sandbox: forking, unique names, rename, delete, listing."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.railway import RailwaySandbox, SeedResult

CREATE = """
mutation EnvironmentCreate($input: EnvironmentCreateInput!) {
  environmentCreate(input: $input) { id name projectId isEphemeral createdAt sourceEnvironment { id name } }
}"""
RENAME = """
mutation EnvironmentRename($id: String!, $input: EnvironmentRenameInput!) {
  environmentRename(id: $id, input: $input) { id name }
}"""
DELETE = "mutation EnvironmentDelete($id: String!) { environmentDelete(id: $id) }"
ENVIRONMENT = """
query Environment($id: String!, $projectId: String) {
  environment(id: $id, projectId: $projectId) {
    id name isEphemeral sourceEnvironment { id }
    serviceInstances { edges { node { serviceId serviceName rootDirectory source { repo } } } }
  }
}"""
ENVIRONMENTS = """
query Environments($projectId: String!, $isEphemeral: Boolean, $first: Int, $after: String) {
  environments(projectId: $projectId, isEphemeral: $isEphemeral, first: $first, after: $after) {
    edges { node { id name } }
    pageInfo { hasNextPage endCursor }
  }
}"""
PROJECT = """
query Project($id: String!) {
  project(id: $id) {
    id name baseEnvironmentId baseEnvironment { name }
    environments { edges { node { id name } } }
    services { edges { node { id name } } }
  }
}"""


def create(gql: Any, seed: SeedResult, name: str, **extra: Any) -> dict[str, Any]:
    payload = {"projectId": seed.project_id, "name": name, **extra}
    return gql.data(CREATE, {"input": payload})["environmentCreate"]


def fork(gql: Any, seed: SeedResult, name: str) -> dict[str, Any]:
    return create(gql, seed, name, sourceEnvironmentId=seed.base_environment_id)


def test_forked_environment_records_its_source_and_flags(gql, seed):
    env = create(gql, seed, "pr-42", sourceEnvironmentId=seed.base_environment_id, ephemeral=True)

    assert env["projectId"] == seed.project_id
    assert env["isEphemeral"] is True
    assert env["sourceEnvironment"] == {"id": seed.base_environment_id, "name": "staging-template"}
    assert env["createdAt"].endswith("Z")


def test_fork_gets_an_instance_of_every_source_service(gql, seed):
    env = fork(gql, seed, "staging-dev1-alice")

    node = gql.data(ENVIRONMENT, {"id": env["id"]})["environment"]
    instances = {e["node"]["serviceName"]: e["node"] for e in node["serviceInstances"]["edges"]}
    assert set(instances) == {"api", "web"}
    assert instances["web"]["serviceId"] == seed.service_ids["web"]
    assert instances["web"]["rootDirectory"] == "apps/web"
    assert instances["api"]["source"] == {"repo": "gatewayz/gatewayz-backend"}


def test_fork_copies_shared_and_service_variables(rw, gql, seed):
    api = seed.service_ids["api"]
    rw.set_variable(seed.base_environment_id, None, "APP_ENV", "staging")
    rw.set_variable(seed.base_environment_id, api, "PORT", "8000")

    env = fork(gql, seed, "staging-dev1-alice")

    assert rw.variables(env["id"]) == {"APP_ENV": "staging"}
    assert rw.variables(env["id"], api) == {"PORT": "8000"}


def test_fork_variables_are_independent_copies(rw, gql, seed):
    rw.set_variable(seed.base_environment_id, None, "APP_ENV", "staging")
    env = fork(gql, seed, "staging-dev1-alice")

    rw.set_variable(env["id"], None, "APP_ENV", "changed")

    assert rw.variables(seed.base_environment_id) == {"APP_ENV": "staging"}


def test_fork_copies_triggers_with_new_ids(rw, gql, seed):
    env = fork(gql, seed, "staging-dev1-alice")

    source = {t["serviceId"]: t for t in rw.triggers(seed.base_environment_id)}
    copied = {t["serviceId"]: t for t in rw.triggers(env["id"])}
    assert set(copied) == set(source) == set(seed.service_ids.values())
    for service_id, trigger in copied.items():
        assert trigger["id"] != source[service_id]["id"]
        assert trigger["environmentId"] == env["id"]
        assert (trigger["repository"], trigger["branch"]) == (
            source[service_id]["repository"],
            source[service_id]["branch"],
        )


def test_fork_does_not_copy_service_domains(rw, gql, seed):
    gql.data(
        "mutation($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { id } }",
        {"input": {"environmentId": seed.base_environment_id, "serviceId": seed.service_ids["api"]}},
    )

    env = fork(gql, seed, "staging-dev1-alice")

    assert len(rw.service_domains(seed.base_environment_id)) == 1
    assert rw.service_domains(env["id"]) == []


def test_environment_without_source_is_empty(rw, gql, seed):
    rw.set_variable(seed.base_environment_id, None, "APP_ENV", "staging")

    env = create(gql, seed, "scratch")

    assert rw.variables(env["id"]) == {}
    assert rw.triggers(env["id"]) == []
    assert rw.service_instances(env["id"]) == []


def test_duplicate_environment_name_is_a_conflict(rw, gql, seed):
    fork(gql, seed, "staging-dev1-alice")

    errors = gql.errors(CREATE, {"input": {"projectId": seed.project_id, "name": "staging-dev1-alice"}})

    assert errors[0]["message"] == "Environment with name staging-dev1-alice already exists"
    assert errors[0]["extensions"]["code"] == "CONFLICT"
    assert errors[0]["path"] == ["environmentCreate"]
    assert [e["name"] for e in rw.environments(seed.project_id)].count("staging-dev1-alice") == 1


def test_rename_to_a_taken_name_is_a_conflict(gql, seed):
    env = fork(gql, seed, "staging-dev1-alice")

    errors = gql.errors(RENAME, {"id": env["id"], "input": {"name": "staging-template"}})

    assert errors[0]["message"] == "Environment with name staging-template already exists"
    assert errors[0]["extensions"]["code"] == "CONFLICT"


def test_rename_changes_the_name_and_keeps_the_id(rw, gql, seed):
    env = fork(gql, seed, "staging-dev1-alice")

    renamed = gql.data(RENAME, {"id": env["id"], "input": {"name": "staging-dev1-alicia"}})["environmentRename"]

    assert renamed == {"id": env["id"], "name": "staging-dev1-alicia"}
    assert {e["id"]: e["name"] for e in rw.environments(seed.project_id)}[env["id"]] == "staging-dev1-alicia"


def test_same_name_is_allowed_in_another_project(rw, gql, seed):
    other = rw.seed_project(name="other", base_environment="production", services=[])

    env = gql.data(CREATE, {"input": {"projectId": other.project_id, "name": "staging-template"}})

    assert env["environmentCreate"]["name"] == "staging-template"


def test_delete_removes_the_environment_and_everything_in_it(rw, gql, seed):
    env = fork(gql, seed, "staging-dev1-alice")
    rw.set_variable(env["id"], None, "APP_ENV", "staging")

    assert gql.data(DELETE, {"id": env["id"]}) == {"environmentDelete": True}

    assert env["id"] not in {e["id"] for e in rw.environments(seed.project_id)}
    assert rw.variables(env["id"]) == {}
    assert rw.triggers(env["id"]) == []


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (DELETE, {"id": "00000000-0000-4000-8000-000000000000"}),
        (ENVIRONMENT, {"id": "00000000-0000-4000-8000-000000000000"}),
        (RENAME, {"id": "00000000-0000-4000-8000-000000000000", "input": {"name": "x"}}),
    ],
    ids=["delete", "read", "rename"],
)
def test_missing_environment_is_not_found(gql, seed, document, variables):
    errors = gql.errors(document, variables)

    assert errors[0]["message"] == "Environment not found"
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


def test_environment_of_another_project_is_not_found(rw, gql, seed):
    other = rw.seed_project(name="other", services=[])

    errors = gql.errors(ENVIRONMENT, {"id": seed.base_environment_id, "projectId": other.project_id})

    assert errors[0]["message"] == "Environment not found"


def test_fork_from_a_missing_source_is_not_found(rw, gql, seed):
    errors = gql.errors(
        CREATE,
        {"input": {"projectId": seed.project_id, "name": "x", "sourceEnvironmentId": "missing"}},
    )

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == ("Environment not found", "NOT_FOUND")
    assert len(rw.environments(seed.project_id)) == 1


def test_create_in_a_missing_project_is_not_found(gql, seed):
    errors = gql.errors(CREATE, {"input": {"projectId": "missing", "name": "x"}})

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == ("Project not found", "NOT_FOUND")


def test_environments_filter_by_ephemeral(gql, seed):
    create(gql, seed, "pr-1", ephemeral=True)
    create(gql, seed, "staging-main")

    data = gql.data(ENVIRONMENTS, {"projectId": seed.project_id, "isEphemeral": True})

    assert [e["node"]["name"] for e in data["environments"]["edges"]] == ["pr-1"]


def test_environments_paginate_with_first_and_after(gql, seed):
    for name in ("a", "b", "c"):
        create(gql, seed, name)

    names: list[str] = []
    after = None
    for _ in range(10):  # bounded: 4 environments, 2 per page
        page = gql.data(ENVIRONMENTS, {"projectId": seed.project_id, "first": 2, "after": after})["environments"]
        names += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert names == ["staging-template", "a", "b", "c"]


def test_project_lists_environments_services_and_base(gql, seed):
    fork(gql, seed, "staging-dev1-alice")

    project = gql.data(PROJECT, {"id": seed.project_id})["project"]

    assert project["name"] == "gatewayz"
    assert project["baseEnvironmentId"] == seed.base_environment_id
    assert project["baseEnvironment"] == {"name": "staging-template"}
    assert [e["node"]["name"] for e in project["environments"]["edges"]] == ["staging-template", "staging-dev1-alice"]
    assert {e["node"]["name"]: e["node"]["id"] for e in project["services"]["edges"]} == seed.service_ids


def test_missing_project_is_not_found(gql, seed):
    errors = gql.errors(PROJECT, {"id": "missing"})

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == ("Project not found", "NOT_FOUND")


def test_seed_uses_the_given_fixed_ids(rw: RailwaySandbox):
    seed = rw.seed_project(
        name="gatewayz",
        project_id="0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01",
        base_environment_id="7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10",
        services=[{"name": "api", "id": "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60", "repository": "g/b"}],
    )

    assert seed.project_id == "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01"
    assert seed.base_environment_id == "7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10"
    assert seed.service_ids == {"api": "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60"}


def test_out_of_band_delete_is_seen_by_the_api(rw, gql, seed):
    env = fork(gql, seed, "staging-dev1-alice")

    rw.delete_environment(env["id"])

    assert gql.errors(ENVIRONMENT, {"id": env["id"]})[0]["extensions"]["code"] == "NOT_FOUND"


def test_out_of_band_helpers_raise_key_error_for_missing_ids(rw, seed):
    with pytest.raises(KeyError):
        rw.delete_environment("missing")

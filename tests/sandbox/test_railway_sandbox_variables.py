"""Variables in the Railway sandbox: upsert/merge/replace, delete, scopes, reading back."""

from __future__ import annotations

import pytest

COLLECTION_UPSERT = """
mutation VariableCollectionUpsert($input: VariableCollectionUpsertInput!) {
  variableCollectionUpsert(input: $input)
}"""
UPSERT = "mutation VariableUpsert($input: VariableUpsertInput!) { variableUpsert(input: $input) }"
DELETE = "mutation VariableDelete($input: VariableDeleteInput!) { variableDelete(input: $input) }"
VARIABLES = """
query Variables($projectId: String!, $environmentId: String!, $serviceId: String) {
  variables(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId)
}"""
FOR_DEPLOYMENT = """
query VariablesForServiceDeployment($projectId: String!, $environmentId: String!, $serviceId: String!) {
  variablesForServiceDeployment(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId)
}"""
META = """
query EnvironmentVariableMeta($id: String!) {
  environment(id: $id) { variables(first: 500) { edges { node { id name serviceId environmentId isSealed } } } }
}"""


def scope(seed, service: str | None = None) -> dict:
    ids = {"projectId": seed.project_id, "environmentId": seed.base_environment_id}
    return {**ids, "serviceId": seed.service_ids[service]} if service else ids


def test_collection_upsert_merges_names(rw, gql, seed):
    rw.set_variable(seed.base_environment_id, None, "KEEP", "1")

    gql.data(COLLECTION_UPSERT, {"input": {**scope(seed), "variables": {"A": "a", "KEEP": "2"}}})

    assert rw.variables(seed.base_environment_id) == {"KEEP": "2", "A": "a"}


def test_collection_upsert_with_replace_deletes_other_names_in_that_scope_only(rw, gql, seed):
    api = seed.service_ids["api"]
    rw.set_variable(seed.base_environment_id, None, "OLD", "1")
    rw.set_variable(seed.base_environment_id, api, "SERVICE_OLD", "1")

    gql.data(COLLECTION_UPSERT, {"input": {**scope(seed), "variables": {"NEW": "n"}, "replace": True}})

    assert rw.variables(seed.base_environment_id) == {"NEW": "n"}
    assert rw.variables(seed.base_environment_id, api) == {"SERVICE_OLD": "1"}


def test_service_scope_is_separate_from_shared_scope(rw, gql, seed):
    gql.data(COLLECTION_UPSERT, {"input": {**scope(seed, "api"), "variables": {"PORT": "8000"}}})

    assert rw.variables(seed.base_environment_id, seed.service_ids["api"]) == {"PORT": "8000"}
    assert rw.variables(seed.base_environment_id) == {}


def test_variables_query_returns_the_flat_map_of_one_scope(rw, gql, seed):
    rw.set_variable(seed.base_environment_id, None, "SHARED", "s")
    rw.set_variable(seed.base_environment_id, seed.service_ids["api"], "OWN", "o")

    shared = gql.data(VARIABLES, scope(seed))["variables"]
    service = gql.data(VARIABLES, scope(seed, "api"))["variables"]

    assert shared == {"SHARED": "s"}
    assert service == {"OWN": "o"}


def test_variables_for_deployment_overlay_service_on_shared(rw, gql, seed):
    api = seed.service_ids["api"]
    rw.set_variable(seed.base_environment_id, None, "LOG_LEVEL", "info")
    rw.set_variable(seed.base_environment_id, None, "APP_ENV", "staging")
    rw.set_variable(seed.base_environment_id, api, "LOG_LEVEL", "debug")

    merged = gql.data(FOR_DEPLOYMENT, scope(seed, "api"))["variablesForServiceDeployment"]

    assert merged == {"LOG_LEVEL": "debug", "APP_ENV": "staging"}


def test_single_upsert_sets_one_name(rw, gql, seed):
    gql.data(UPSERT, {"input": {**scope(seed, "web"), "name": "NEXT_PUBLIC_APP_ENV", "value": "staging"}})

    assert rw.variables(seed.base_environment_id, seed.service_ids["web"]) == {"NEXT_PUBLIC_APP_ENV": "staging"}


def test_delete_removes_one_name(rw, gql, seed):
    rw.set_variable(seed.base_environment_id, None, "A", "1")
    rw.set_variable(seed.base_environment_id, None, "B", "2")

    assert gql.data(DELETE, {"input": {**scope(seed), "name": "A"}}) == {"variableDelete": True}

    assert rw.variables(seed.base_environment_id) == {"B": "2"}


def test_deleting_a_missing_name_is_not_an_error(gql, seed):
    assert gql.data(DELETE, {"input": {**scope(seed), "name": "NEVER_SET"}}) == {"variableDelete": True}


def test_variable_values_must_be_strings(rw, gql, seed):
    response = gql.post(COLLECTION_UPSERT, {"input": {**scope(seed), "variables": {"PORT": 8000}}})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert rw.variables(seed.base_environment_id) == {}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"projectId": "missing"}, "Project not found"),
        ({"environmentId": "missing"}, "Environment not found"),
        ({"serviceId": "missing"}, "Service not found"),
    ],
)
def test_variables_in_a_missing_scope_are_not_found(gql, seed, override, message):
    errors = gql.errors(COLLECTION_UPSERT, {"input": {**scope(seed), **override, "variables": {"A": "1"}}})

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == (message, "NOT_FOUND")


def test_environment_variable_meta_lists_names_without_values(rw, gql, seed):
    rw.set_variable(seed.base_environment_id, None, "SHARED", "secret-value")
    rw.set_variable(seed.base_environment_id, seed.service_ids["api"], "OWN", "x")

    edges = gql.data(META, {"id": seed.base_environment_id})["environment"]["variables"]["edges"]

    nodes = {e["node"]["name"]: e["node"] for e in edges}
    assert set(nodes) == {"SHARED", "OWN"}
    assert nodes["SHARED"]["serviceId"] is None
    assert nodes["OWN"]["serviceId"] == seed.service_ids["api"]
    assert nodes["OWN"]["isSealed"] is False

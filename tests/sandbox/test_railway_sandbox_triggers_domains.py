"""Deployment triggers and service domains in the Railway sandbox."""

from __future__ import annotations

import re

TRIGGER_CREATE = """
mutation DeploymentTriggerCreate($input: DeploymentTriggerCreateInput!) {
  deploymentTriggerCreate(input: $input) { id environmentId serviceId provider repository branch checkSuites }
}"""
TRIGGER_UPDATE = """
mutation DeploymentTriggerUpdate($id: String!, $input: DeploymentTriggerUpdateInput!) {
  deploymentTriggerUpdate(id: $id, input: $input) { id repository branch checkSuites }
}"""
TRIGGER_DELETE = "mutation DeploymentTriggerDelete($id: String!) { deploymentTriggerDelete(id: $id) }"
TRIGGERS = """
query DeploymentTriggers($projectId: String!, $environmentId: String!, $serviceId: String!) {
  deploymentTriggers(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
    edges { node { id branch repository } }
  }
}"""
DOMAIN_CREATE = """
mutation ServiceDomainCreate($input: ServiceDomainCreateInput!) {
  serviceDomainCreate(input: $input) { id domain suffix targetPort environmentId serviceId syncStatus }
}"""
DOMAIN_UPDATE = "mutation ServiceDomainUpdate($input: ServiceDomainUpdateInput!) { serviceDomainUpdate(input: $input) }"
DOMAIN_DELETE = "mutation ServiceDomainDelete($id: String!) { serviceDomainDelete(id: $id) }"
DOMAINS = """
query Domains($projectId: String!, $environmentId: String!, $serviceId: String!) {
  domains(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
    serviceDomains { id domain } customDomains { id }
  }
}"""
AVAILABLE = """
query ServiceDomainAvailable($domain: String!) { serviceDomainAvailable(domain: $domain) { available message } }"""
MISSING = "00000000-0000-4000-8000-000000000000"


def new_environment(gql, seed, name: str = "staging-dev1-alice") -> str:
    return gql.data(
        "mutation($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id } }",
        {"input": {"projectId": seed.project_id, "name": name}},
    )["environmentCreate"]["id"]


def create_trigger(gql, seed, environment_id: str, branch: str = "feature/x") -> dict:
    payload = {
        "projectId": seed.project_id,
        "environmentId": environment_id,
        "serviceId": seed.service_ids["api"],
        "provider": "github",
        "repository": "gatewayz/gatewayz-backend",
        "branch": branch,
    }
    return gql.data(TRIGGER_CREATE, {"input": payload})["deploymentTriggerCreate"]


def create_domain(gql, seed, environment_id: str, port: int | None = 8000) -> dict:
    payload = {"environmentId": environment_id, "serviceId": seed.service_ids["api"], "targetPort": port}
    return gql.data(DOMAIN_CREATE, {"input": payload})["serviceDomainCreate"]


def test_seeded_services_have_a_main_trigger_in_the_base_environment(rw, seed):
    triggers = rw.triggers(seed.base_environment_id, seed.service_ids["web"])

    assert [(t["repository"], t["branch"], t["provider"]) for t in triggers] == [
        ("gatewayz/gatewayz-frontend", "main", "github")
    ]


def test_trigger_create_is_listed_for_its_service(rw, gql, seed):
    env = new_environment(gql, seed)

    trigger = create_trigger(gql, seed, env)

    listed = gql.data(
        TRIGGERS, {"projectId": seed.project_id, "environmentId": env, "serviceId": seed.service_ids["api"]}
    )
    assert [e["node"]["id"] for e in listed["deploymentTriggers"]["edges"]] == [trigger["id"]]
    assert rw.triggers(env)[0]["branch"] == "feature/x"


def test_trigger_update_changes_only_given_fields(rw, gql, seed):
    trigger = create_trigger(gql, seed, new_environment(gql, seed))

    updated = gql.data(TRIGGER_UPDATE, {"id": trigger["id"], "input": {"branch": "feature/y"}})

    assert updated["deploymentTriggerUpdate"] == {
        "id": trigger["id"],
        "repository": "gatewayz/gatewayz-backend",
        "branch": "feature/y",
        "checkSuites": False,
    }


def test_trigger_delete_removes_it(rw, gql, seed):
    env = new_environment(gql, seed)
    trigger = create_trigger(gql, seed, env)

    assert gql.data(TRIGGER_DELETE, {"id": trigger["id"]}) == {"deploymentTriggerDelete": True}

    assert rw.triggers(env) == []


def test_missing_trigger_is_not_found(gql, seed):
    for document, variables in (
        (TRIGGER_DELETE, {"id": MISSING}),
        (TRIGGER_UPDATE, {"id": MISSING, "input": {"branch": "b"}}),
    ):
        errors = gql.errors(document, variables)
        assert (errors[0]["message"], errors[0]["extensions"]["code"]) == ("Deployment trigger not found", "NOT_FOUND")


def test_trigger_for_a_missing_service_is_not_found(gql, seed):
    payload = {
        "projectId": seed.project_id,
        "environmentId": seed.base_environment_id,
        "serviceId": MISSING,
        "provider": "github",
        "repository": "r/r",
        "branch": "main",
    }

    errors = gql.errors(TRIGGER_CREATE, {"input": payload})

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == ("Service not found", "NOT_FOUND")


def test_out_of_band_trigger_delete_is_seen_by_the_api(rw, gql, seed):
    env = new_environment(gql, seed)
    trigger = create_trigger(gql, seed, env)

    rw.delete_trigger(trigger["id"])

    assert gql.errors(TRIGGER_DELETE, {"id": trigger["id"]})[0]["extensions"]["code"] == "NOT_FOUND"


def test_domain_is_generated_from_service_and_environment_names(gql, seed):
    env = new_environment(gql, seed)

    domain = create_domain(gql, seed, env)

    assert re.fullmatch(r"api-staging-dev1-alice-[0-9a-f]{4}\.up\.railway\.app", domain["domain"])
    assert (domain["suffix"], domain["targetPort"], domain["syncStatus"]) == ("up.railway.app", 8000, "ACTIVE")
    assert (domain["environmentId"], domain["serviceId"]) == (env, seed.service_ids["api"])


def test_domains_lists_service_domains_and_no_custom_domains(gql, seed):
    env = new_environment(gql, seed)
    domain = create_domain(gql, seed, env)

    listed = gql.data(
        DOMAINS, {"projectId": seed.project_id, "environmentId": env, "serviceId": seed.service_ids["api"]}
    )

    assert listed["domains"] == {
        "serviceDomains": [{"id": domain["id"], "domain": domain["domain"]}],
        "customDomains": [],
    }


def test_domain_update_changes_name_and_port(rw, gql, seed):
    env = new_environment(gql, seed)
    domain = create_domain(gql, seed, env)
    payload = {
        "serviceDomainId": domain["id"],
        "environmentId": env,
        "serviceId": seed.service_ids["api"],
        "domain": "alice-api.up.railway.app",
        "targetPort": 9000,
    }

    assert gql.data(DOMAIN_UPDATE, {"input": payload}) == {"serviceDomainUpdate": True}

    assert rw.service_domains(env)[0] | {"id": None} == {
        "id": None,
        "domain": "alice-api.up.railway.app",
        "environmentId": env,
        "serviceId": seed.service_ids["api"],
        "targetPort": 9000,
    }


def test_domain_taken_by_another_is_unavailable_and_a_conflict_on_update(gql, seed):
    env = new_environment(gql, seed)
    first, second = create_domain(gql, seed, env), create_domain(gql, seed, env)
    payload = {
        "serviceDomainId": second["id"],
        "environmentId": env,
        "serviceId": seed.service_ids["api"],
        "domain": first["domain"],
    }

    available = gql.data(AVAILABLE, {"domain": first["domain"]})["serviceDomainAvailable"]
    errors = gql.errors(DOMAIN_UPDATE, {"input": payload})

    assert available["available"] is False
    assert errors[0]["extensions"]["code"] == "CONFLICT"
    assert errors[0]["message"] == f"Domain {first['domain']} is not available"


def test_domain_delete_removes_it(rw, gql, seed):
    env = new_environment(gql, seed)
    domain = create_domain(gql, seed, env)

    assert gql.data(DOMAIN_DELETE, {"id": domain["id"]}) == {"serviceDomainDelete": True}

    assert rw.service_domains(env) == []


def test_missing_domain_is_not_found(gql, seed):
    errors = gql.errors(DOMAIN_DELETE, {"id": MISSING})

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == ("Service domain not found", "NOT_FOUND")


def test_domain_in_a_missing_environment_is_not_found(gql, seed):
    errors = gql.errors(DOMAIN_CREATE, {"input": {"environmentId": MISSING, "serviceId": seed.service_ids["api"]}})

    assert (errors[0]["message"], errors[0]["extensions"]["code"]) == ("Environment not found", "NOT_FOUND")


def test_out_of_band_domain_delete_is_seen_by_the_api(rw, gql, seed):
    env = new_environment(gql, seed)
    domain = create_domain(gql, seed, env)

    rw.delete_service_domain(domain["id"])

    listed = gql.data(
        DOMAINS, {"projectId": seed.project_id, "environmentId": env, "serviceId": seed.service_ids["api"]}
    )
    assert listed["domains"]["serviceDomains"] == []

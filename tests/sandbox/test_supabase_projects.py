"""The Supabase sandbox's projects: create, status machine, read, list, rename, password, delete,
api keys, health and auth, as the Management API behaves."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest

from sandbox.supabase import SupabaseSandbox
from tests.sandbox.supabase_support import (
    HEALTHY_AFTER,
    ORG,
    TOKEN,
    Api,
    wait_until,
)


def _status(api: Api, ref: str) -> str:
    response = api.get(f"/v1/projects/{ref}")
    assert response.status_code == 200, response.text
    return response.json()["status"]


def _jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# ---------------------------------------------------------------- create


def test_create_project_answers_201_coming_up_with_a_twenty_letter_ref(api):
    response = api.post(
        "/v1/projects",
        {
            "name": "gatewayz-staging-dev1",
            "organization_slug": ORG,
            "db_pass": "pw-1234",
            "region_selection": {"type": "specific", "code": "eu-west-1"},
            "desired_instance_size": "micro",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"[a-z]{20}", body["ref"])
    assert body["status"] == "COMING_UP"
    assert (body["name"], body["organization_slug"], body["region"]) == ("gatewayz-staging-dev1", ORG, "eu-west-1")
    assert body["id"] == body["ref"] and body["created_at"].endswith("Z")


def test_create_project_accepts_the_deprecated_region_field(api):
    assert api.create_project(region="ap-south-1")["region"] == "ap-south-1"


def test_create_project_rejects_region_and_region_selection_together(api):
    response = api.post(
        "/v1/projects",
        {
            "name": "x",
            "organization_slug": ORG,
            "db_pass": "pw-1234",
            "region": "us-east-1",
            "region_selection": {"type": "specific", "code": "us-east-1"},
        },
    )

    assert response.status_code == 400
    assert "region" in response.json()["message"]


@pytest.mark.parametrize("missing", ["name", "organization_slug", "db_pass"])
def test_create_project_without_a_required_field_is_400(api, missing):
    body = {"name": "x", "organization_slug": ORG, "db_pass": "pw-1234"}
    del body[missing]

    response = api.post("/v1/projects", body)

    assert response.status_code == 400
    assert response.json() == {"message": f"{missing} is required"}


def test_create_project_rejects_unknown_fields(api):
    response = api.post("/v1/projects", {"name": "x", "organization_slug": ORG, "db_pass": "pw", "size": "xl"})

    assert response.status_code == 400
    assert response.json() == {"message": "property size should not exist"}


def test_create_project_in_an_unknown_organization_is_404(api):
    response = api.post("/v1/projects", {"name": "x", "organization_slug": "nope", "db_pass": "pw-1234"})

    assert response.status_code == 404
    assert response.json() == {"message": "Organization nope not found"}


def test_create_project_with_a_body_that_is_not_json_is_400(api):
    response = api.http.post("/v1/projects", content=b"{not json", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json() == {"message": "Request body is not valid JSON"}


def test_duplicate_project_names_are_allowed(api, sb):
    first = api.create_project("same-name")
    second = api.create_project("same-name")

    assert first["ref"] != second["ref"]
    assert [p["name"] for p in sb.projects()] == ["same-name", "same-name"]


def test_db_pass_is_stored_as_given(api, sb):
    ref = api.create_project(db_pass="correct horse battery staple")["ref"]

    assert [p["db_pass"] for p in sb.projects() if p["ref"] == ref] == ["correct horse battery staple"]


def test_state_helper_lists_created_projects(api, sb):
    ref = api.create_project("p", desired_instance_size="small")["ref"]

    (listed,) = sb.projects()
    assert listed["ref"] == ref and listed["desired_instance_size"] == "small" and listed["is_branch"] is False
    assert listed["organization_slug"] == ORG and listed["status"] == "COMING_UP"


# ---------------------------------------------------------------- status machine


def test_status_machine_goes_coming_up_then_active_healthy_after_healthy_after(api, project):
    ref = project["ref"]

    assert _status(api, ref) == "COMING_UP"
    time.sleep(HEALTHY_AFTER + 0.05)
    assert _status(api, ref) == "ACTIVE_HEALTHY"


def test_healthy_after_is_adjustable_at_run_time(api, sb, project):
    sb.healthy_after = 0.0

    assert _status(api, project["ref"]) == "ACTIVE_HEALTHY"


def test_init_failed_on_demand_for_the_next_projects(api, sb):
    sb.fail_next_projects(1, status="INIT_FAILED")
    failing = api.create_project("fails")["ref"]
    healthy = api.create_project("works")["ref"]

    assert (_status(api, failing), _status(api, healthy)) == ("COMING_UP", "COMING_UP")
    wait_until(lambda: _status(api, healthy) == "ACTIVE_HEALTHY")
    assert _status(api, failing) == "INIT_FAILED"


def test_set_status_pins_a_status_until_unpinned(api, sb, project):
    ref = project["ref"]
    sb.set_status(ref, "INACTIVE")
    time.sleep(HEALTHY_AFTER + 0.05)
    assert _status(api, ref) == "INACTIVE"

    sb.set_status(ref, None)

    assert _status(api, ref) == "ACTIVE_HEALTHY"


def test_set_status_rejects_an_unknown_status(sb, project):
    with pytest.raises(ValueError):
        sb.set_status(project["ref"], "HAPPY")


def test_seeded_project_is_active_and_does_not_consume_planned_failures(api, sb):
    sb.fail_next_projects(1)
    seeded = sb.seed_project("existing", ORG)
    created = api.create_project("new")["ref"]

    assert _status(api, seeded) == "ACTIVE_HEALTHY"
    wait_until(lambda: _status(api, created) != "COMING_UP")
    assert _status(api, created) == "INIT_FAILED"


# ---------------------------------------------------------------- read, list, rename, password, delete


def test_get_project_includes_the_database(api, project):
    body = api.get(f"/v1/projects/{project['ref']}").json()

    assert body["database"]["host"] == f"db.{project['ref']}.supabase.co"
    assert set(body["database"]) == {"host", "version", "postgres_engine", "release_channel"}


def test_unknown_project_is_404_with_a_message(api):
    response = api.get("/v1/projects/abcdefghijklmnopqrst")

    assert response.status_code == 404
    assert response.json() == {"message": "Project abcdefghijklmnopqrst not found"}


def test_list_projects_returns_every_project_with_database(api):
    refs = [api.create_project(f"p{i}")["ref"] for i in range(3)]

    listed = api.get("/v1/projects").json()

    assert [p["ref"] for p in listed] == refs
    assert all("database" in p for p in listed)


def test_organization_projects_are_paged_with_offset_and_limit(api):
    for name in ("c", "a", "b"):
        api.create_project(name)

    page = api.get(f"/v1/organizations/{ORG}/projects", params={"offset": 1, "limit": 1}).json()

    assert [p["name"] for p in page["projects"]] == ["b"]
    assert page["pagination"] == {"count": 3, "limit": 1, "offset": 1}


def test_organization_projects_can_be_searched_by_name(api):
    api.create_project("gatewayz-staging-dev1")
    api.create_project("other")

    page = api.get(f"/v1/organizations/{ORG}/projects", params={"search": "staging"}).json()

    assert [p["name"] for p in page["projects"]] == ["gatewayz-staging-dev1"]
    assert page["pagination"]["count"] == 1


def test_organization_projects_reject_a_limit_above_100(api):
    response = api.get(f"/v1/organizations/{ORG}/projects", params={"limit": 101})

    assert response.status_code == 400


def test_organization_projects_of_an_unknown_organization_is_404(api):
    assert api.get("/v1/organizations/nope/projects").status_code == 404


def test_organizations_list_the_seeded_organization(api):
    assert api.get("/v1/organizations").json() == [{"id": ORG, "slug": ORG, "name": "Gatewayz"}]


def test_rename_project_answers_the_ref_response(api, sb, project):
    response = api.patch(f"/v1/projects/{project['ref']}", {"name": "renamed"})

    assert response.status_code == 200
    assert response.json()["ref"] == project["ref"] and response.json()["name"] == "renamed"
    assert isinstance(response.json()["id"], int)
    assert sb.projects()[0]["name"] == "renamed"


def test_rename_without_a_name_is_400(api, project):
    assert api.patch(f"/v1/projects/{project['ref']}", {}).status_code == 400


def test_update_database_password_stores_the_new_password(api, sb, project):
    response = api.patch(f"/v1/projects/{project['ref']}/database/password", {"password": "n3w-pass"})

    assert response.status_code == 200
    assert response.json() == {"message": "Database password updated"}
    assert sb.projects()[0]["db_pass"] == "n3w-pass"


def test_delete_project_answers_200_then_404(api, sb, project):
    ref = project["ref"]

    response = api.delete(f"/v1/projects/{ref}")

    assert response.status_code == 200 and response.json()["ref"] == ref
    assert api.get(f"/v1/projects/{ref}").status_code == 404
    assert api.delete(f"/v1/projects/{ref}").status_code == 404
    assert sb.projects() == []


def test_out_of_band_delete_project_makes_it_404(api, sb, project):
    sb.delete_project(project["ref"])

    assert api.get(f"/v1/projects/{project['ref']}").status_code == 404


def test_out_of_band_helpers_raise_key_error_for_unknown_refs(sb):
    with pytest.raises(KeyError):
        sb.delete_project("abcdefghijklmnopqrst")


def test_instance_size_can_be_changed_with_the_compute_addon(api, sb, project):
    response = api.patch(
        f"/v1/projects/{project['ref']}/billing/addons", {"addon_type": "compute_instance", "addon_variant": "ci_small"}
    )

    assert response.status_code == 200
    assert sb.projects()[0]["desired_instance_size"] == "small"
    addons = api.get(f"/v1/projects/{project['ref']}/billing/addons").json()["selected_addons"]
    assert [(a["type"], a["variant"]["id"]) for a in addons] == [("compute_instance", "ci_small")]


# ---------------------------------------------------------------- api keys


def test_api_keys_are_redacted_without_reveal_true(api, sb, project):
    keys = api.get(f"/v1/projects/{project['ref']}/api-keys").json()
    revealed = sb.api_keys(project["ref"])

    assert [k["name"] for k in keys] == ["anon", "service_role"]
    for key in keys:
        assert key["api_key"] != revealed[key["name"]]
        assert key["api_key"].count(".") < 2


def test_api_keys_with_reveal_true_are_jwts_for_the_project(api, project):
    keys = api.get(f"/v1/projects/{project['ref']}/api-keys", params={"reveal": "true"}).json()

    by_name = {k["name"]: k["api_key"] for k in keys}
    for role, token in by_name.items():
        assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
        assert _jwt_claims(token)["role"] == role and _jwt_claims(token)["ref"] == project["ref"]


def test_api_keys_differ_per_project(api, sb):
    first, second = api.create_project("a")["ref"], api.create_project("b")["ref"]

    assert sb.api_keys(first)["anon"] != sb.api_keys(second)["anon"]
    assert sb.api_keys(first)["anon"] != sb.api_keys(first)["service_role"]


def test_api_keys_are_stable_across_reads(api, project):
    def read() -> list:
        return api.get(f"/v1/projects/{project['ref']}/api-keys", params={"reveal": "true"}).json()

    assert read() == read()


# ---------------------------------------------------------------- health


def test_health_reports_each_requested_service_coming_up_then_healthy(api, project):
    ref = project["ref"]

    assert [(h["name"], h["status"], h["healthy"]) for h in api.health(ref)] == [
        ("db", "COMING_UP", False),
        ("rest", "COMING_UP", False),
    ]
    wait_until(lambda: all(h["status"] == "ACTIVE_HEALTHY" for h in api.health(ref)))


def test_health_of_a_failed_project_is_unhealthy(api, sb):
    sb.fail_next_projects(1)
    ref = api.create_project()["ref"]

    wait_until(lambda: api.health(ref)[0]["status"] != "COMING_UP")
    assert api.health(ref)[0]["status"] == "UNHEALTHY" and api.health(ref)[0]["healthy"] is False


def test_health_without_services_is_400(api, project):
    assert api.get(f"/v1/projects/{project['ref']}/health").status_code == 400


# ---------------------------------------------------------------- auth


def test_auth_missing_token_is_401(sb):
    client = Api(sb.url, token=None)
    try:
        response = client.get("/v1/projects")
    finally:
        client.close()

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_auth_unknown_token_is_401_and_nothing_is_created(sb):
    client = Api(sb.url, token="sbp_other")
    try:
        response = client.post("/v1/projects", {"name": "x", "organization_slug": ORG, "db_pass": "pw-1234"})
    finally:
        client.close()

    assert response.status_code == 401
    assert sb.projects() == []


def test_auth_accepts_every_configured_token():
    with SupabaseSandbox(tokens={"sbp_a", "sbp_b"}, lifetime=30) as sandbox:
        statuses = []
        for token in ("sbp_a", "sbp_b"):
            client = Api(sandbox.url, token=token)
            statuses.append(client.get("/v1/projects").status_code)
            client.close()

    assert statuses == [200, 200]
    assert TOKEN not in sandbox.tokens

"""The Supabase sandbox's branches: enabling branching, branch projects, status, config, delete."""

from __future__ import annotations

import re

import pytest

from tests.sandbox.supabase_support import (
    ORG,
    Api,
    wait_until,
)


@pytest.fixture
def parent(api: Api, sb) -> str:
    """An ACTIVE_HEALTHY project to branch from."""
    return sb.seed_project("gatewayz-staging-main", ORG, db_pass="parent-pass")


def test_first_branch_enables_branching_with_a_default_main_branch(api, sb, parent):
    assert not sb.branching_enabled(parent)

    api.create_branch(parent, "pr-42", git_branch="feature/x")

    assert sb.branching_enabled(parent)
    default, created = api.get(f"/v1/projects/{parent}/branches").json()
    assert (default["name"], default["is_default"], default["project_ref"]) == ("main", True, parent)
    assert (created["name"], created["is_default"], created["git_branch"]) == ("pr-42", False, "feature/x")


def test_create_branch_answers_201_with_its_own_project_ref(api, parent):
    branch = api.create_branch(parent, "pr-42", with_data=True)

    assert re.fullmatch(r"[a-z]{20}", branch["project_ref"]) and branch["project_ref"] != parent
    assert branch["parent_project_ref"] == parent
    assert branch["with_data"] is True and branch["is_default"] is False
    assert branch["status"] == "CREATING_PROJECT" and branch["preview_project_status"] == "COMING_UP"


def test_later_branches_do_not_add_another_default(api, sb, parent):
    api.create_branch(parent, "pr-1")
    api.create_branch(parent, "pr-2")

    assert [(b["name"], b["is_default"]) for b in sb.branches(parent)] == [
        ("main", True),
        ("pr-1", False),
        ("pr-2", False),
    ]


def test_duplicate_branch_name_is_409(api, parent):
    api.create_branch(parent, "pr-42")

    response = api.post(f"/v1/projects/{parent}/branches", {"branch_name": "pr-42"})

    assert response.status_code == 409
    assert response.json() == {"message": "Branch pr-42 already exists"}


def test_branch_named_like_the_default_is_409_without_enabling_branching(api, sb, parent):
    response = api.post(f"/v1/projects/{parent}/branches", {"branch_name": "main"})

    assert response.status_code == 409
    assert not sb.branching_enabled(parent)


def test_create_branch_without_branch_name_is_400(api, parent):
    response = api.post(f"/v1/projects/{parent}/branches", {"git_branch": "x"})

    assert response.status_code == 400
    assert response.json() == {"message": "branch_name is required"}


def test_create_branch_on_an_unknown_project_is_404(api):
    assert api.post("/v1/projects/abcdefghijklmnopqrst/branches", {"branch_name": "x"}).status_code == 404


def test_branch_ref_is_404_on_get_project_but_ok_on_health_and_api_keys(api, parent):
    ref = api.create_branch(parent)["project_ref"]

    assert api.get(f"/v1/projects/{ref}").status_code == 404
    assert api.get(f"/v1/projects/{ref}/health", params={"services": "db"}).status_code == 200
    keys = api.get(f"/v1/projects/{ref}/api-keys", params={"reveal": "true"})
    assert keys.status_code == 200 and [k["name"] for k in keys.json()] == ["anon", "service_role"]


def test_branch_keys_differ_from_the_parents(api, sb, parent):
    ref = api.create_branch(parent)["project_ref"]

    assert sb.api_keys(ref)["anon"] != sb.api_keys(parent)["anon"]


def test_branch_health_goes_coming_up_then_active_healthy(api, sb, parent):
    branch = api.create_branch(parent)

    assert api.health(branch["project_ref"])[0]["status"] == "COMING_UP"
    wait_until(lambda: api.health(branch["project_ref"])[0]["status"] == "ACTIVE_HEALTHY")
    listed = api.get(f"/v1/projects/{parent}/branches/{branch['name']}").json()
    assert (listed["status"], listed["preview_project_status"]) == ("FUNCTIONS_DEPLOYED", "ACTIVE_HEALTHY")
    assert sb.branches(parent)[1]["status"] == "ACTIVE_HEALTHY"


def test_branch_fails_on_demand(api, sb, parent):
    sb.fail_next_branches(1, status="INIT_FAILED")
    branch = api.create_branch(parent)

    wait_until(lambda: api.health(branch["project_ref"])[0]["status"] != "COMING_UP")
    assert api.health(branch["project_ref"])[0]["status"] == "UNHEALTHY"
    assert api.get(f"/v1/branches/{branch['id']}").json()["status"] == "INIT_FAILED"


def test_set_status_accepts_a_branch_id(api, sb, parent):
    branch = api.create_branch(parent)

    sb.set_status(branch["id"], "INIT_FAILED")

    assert api.get(f"/v1/branches/{branch['project_ref']}").json()["status"] == "INIT_FAILED"


def test_branch_config_has_connection_details_by_id_or_ref(api, parent):
    branch = api.create_branch(parent)

    by_id = api.get(f"/v1/branches/{branch['id']}").json()
    by_ref = api.get(f"/v1/branches/{branch['project_ref']}").json()

    assert by_id == by_ref
    assert by_id["ref"] == branch["project_ref"]
    assert (by_id["db_host"], by_id["db_port"], by_id["db_user"]) == (
        f"db.{branch['project_ref']}.supabase.co",
        5432,
        "postgres",
    )
    assert by_id["db_pass"]


def test_default_branch_config_is_the_parents_database(api, parent):
    api.create_branch(parent)

    config = api.get(f"/v1/branches/{parent}").json()

    assert (config["ref"], config["db_pass"]) == (parent, "parent-pass")


def test_get_branch_by_name_and_unknown_name_is_404(api, parent):
    branch = api.create_branch(parent, "pr-7")

    assert api.get(f"/v1/projects/{parent}/branches/pr-7").json()["id"] == branch["id"]
    response = api.get(f"/v1/projects/{parent}/branches/pr-8")
    assert response.status_code == 404 and response.json() == {"message": "Branch pr-8 not found"}


def test_branch_list_of_a_project_without_branching_is_empty(api, parent):
    assert api.get(f"/v1/projects/{parent}/branches").json() == []


def test_branch_delete_answers_ok_and_removes_its_project(api, sb, parent):
    branch = api.create_branch(parent)

    response = api.delete(f"/v1/branches/{branch['id']}")

    assert (response.status_code, response.json()) == (200, {"message": "ok"})
    assert api.get(f"/v1/branches/{branch['id']}").status_code == 404
    assert api.get(f"/v1/projects/{branch['project_ref']}/health", params={"services": "db"}).status_code == 404
    assert [b["name"] for b in sb.branches(parent)] == ["main"]
    assert sb.branching_enabled(parent)


def test_branch_delete_of_a_deleted_branch_is_404(api, parent):
    branch = api.create_branch(parent)
    api.delete(f"/v1/branches/{branch['id']}")

    response = api.delete(f"/v1/branches/{branch['id']}")

    assert response.status_code == 404
    assert response.json() == {"message": f"Branch {branch['id']} not found"}


def test_default_branch_cannot_be_deleted(api, parent):
    api.create_branch(parent)
    default = api.get(f"/v1/projects/{parent}/branches/main").json()

    assert api.delete(f"/v1/branches/{default['id']}").status_code == 400


def test_out_of_band_branch_delete(api, sb, parent):
    branch = api.create_branch(parent)

    sb.delete_branch(branch["id"])

    assert api.get(f"/v1/branches/{branch['id']}").status_code == 404


def test_out_of_band_default_branch_delete_disables_branching(api, sb, parent):
    api.create_branch(parent)

    sb.delete_branch(parent)

    assert not sb.branching_enabled(parent) and sb.branches(parent) == []
    assert api.get(f"/v1/projects/{parent}").status_code == 200


def test_disable_branching_deletes_every_branch_but_keeps_the_project(api, sb, parent):
    ref = api.create_branch(parent)["project_ref"]

    response = api.delete(f"/v1/projects/{parent}/branches")

    assert response.status_code == 200
    assert not sb.branching_enabled(parent) and sb.branches(parent) == []
    assert api.get(f"/v1/projects/{parent}").status_code == 200
    assert api.get(f"/v1/projects/{ref}/api-keys").status_code == 404


def test_project_delete_removes_branches(api, sb, parent):
    ref = api.create_branch(parent)["project_ref"]

    api.delete(f"/v1/projects/{parent}")

    assert sb.branches() == [] and sb.projects() == []
    assert api.get(f"/v1/projects/{ref}/health", params={"services": "db"}).status_code == 404


def test_update_branch_renames_it(api, parent):
    branch = api.create_branch(parent, "pr-1")

    response = api.patch(f"/v1/branches/{branch['id']}", {"branch_name": "pr-2", "git_branch": "feat/2"})

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["git_branch"]) == ("pr-2", "feat/2")


def test_branch_projects_are_listed_by_the_state_helper_but_not_the_api(api, sb, parent):
    ref = api.create_branch(parent)["project_ref"]

    assert [p["ref"] for p in api.get("/v1/projects").json()] == [parent]
    assert [(p["ref"], p["is_branch"], p["parent_ref"]) for p in sb.projects() if p["is_branch"]] == [
        (ref, True, parent)
    ]


def test_branch_database_password_can_be_updated_through_its_ref(api, parent):
    branch = api.create_branch(parent)

    api.patch(f"/v1/projects/{branch['project_ref']}/database/password", {"password": "branch-pass"})

    assert api.get(f"/v1/branches/{branch['id']}").json()["db_pass"] == "branch-pass"

"""Each database strategy under mocks: which resources exist and which values reach Railway."""
from __future__ import annotations

import json

import pytest

from fleet.migrations import directory_digest
from tests.program.harness import REPO, edit, evaluate, is_secret, reveal, stack_mapping


@pytest.fixture(scope="module")
def staging():
    return evaluate(stack_mapping())


def variables_of(evaluation, env: str, service: str = "api") -> dict:
    return reveal(evaluation.graph.named(f"{env}-{service}-variables").inputs["variables"])


def test_dedicated_database_is_a_supabase_project_named_after_the_environment(staging):
    project = reveal(staging.graph.named("dev1-alice-database-project").inputs)
    assert project["name"] == "gatewayz-staging-dev1-alice"
    assert project["organization_slug"] == "gatewayz"
    assert project["region"] == "us-east-1"
    assert project["instance_size"] == "micro"


def test_instance_size_per_environment_wins_over_the_default(staging):
    assert reveal(staging.graph.named("main-database-project").inputs["instance_size"]) == "small"


def test_dedicated_database_password_is_generated_and_passed_as_a_secret(staging):
    project = staging.graph.named("dev1-alice-database-project")
    password = staging.graph.named("dev1-alice-database-password")
    assert password.typ.endswith(":AccessToken")
    assert is_secret(project.inputs["db_pass"])
    assert reveal(project.inputs["db_pass"]) == password.outputs["value"]


def test_project_keys_wait_on_the_project_with_the_configured_deadline(staging):
    keys = reveal(staging.graph.named("dev2-bob-database-keys").inputs)
    assert keys["project_ref"] == "ref-dev2-bob-database-project"
    assert keys["kind"] == "project"
    assert keys["deadline_seconds"] == 600


def test_services_get_the_key_their_config_names(staging):
    assert variables_of(staging, "dev1-alice", "api")["SUPABASE_KEY"] == "service-role-key-of-ref-dev1-alice-database-project"
    assert variables_of(staging, "dev1-alice", "web")["SUPABASE_KEY"] == "anon-key-of-ref-dev1-alice-database-project"


def test_dedicated_environment_gets_its_own_project_url(staging):
    assert variables_of(staging, "dev2-bob")["SUPABASE_URL"] == "https://ref-dev2-bob-database-project.supabase.co"


def test_branch_database_branches_the_source_environments_project(staging):
    branch = reveal(staging.graph.named("dev3-charlie-database-branch").inputs)
    assert branch["parent_ref"] == "ref-main-database-project"
    assert branch["name"] == "gatewayz-staging-dev3-charlie"
    assert branch["git_branch"] == "feature/charlie-admin"
    assert branch["with_data"] is False
    keys = reveal(staging.graph.named("dev3-charlie-database-keys").inputs)
    assert (keys["kind"], keys["branch_id"], keys["project_ref"]) == ("branch", "id-dev3-charlie-database-branch", "ref-dev3-charlie-database-branch")


def test_branch_environment_services_use_the_branch(staging):
    variables = variables_of(staging, "dev3-charlie")
    assert variables["SUPABASE_URL"] == "https://ref-dev3-charlie-database-branch.supabase.co"
    assert variables["SUPABASE_KEY"] == "service-role-key-of-ref-dev3-charlie-database-branch"


def test_shared_database_creates_nothing_and_borrows_the_owners_connection(staging):
    assert not [r for r in staging.graph.resources if r.name.startswith("payments-database")]
    assert variables_of(staging, "payments", "web")["SUPABASE_KEY"] == "anon-key-of-ref-main-database-project"


def test_external_database_creates_nothing_and_wires_the_given_url_and_key():
    mapping = edit(
        stack_mapping(),
        "stagefleet:environments",
        lambda envs: envs[2].update(database={"strategy": "external", "supabaseUrl": "https://abcdefghijklmnop.supabase.co", "supabaseKey": "given-key"}),
    )
    evaluation = evaluate(mapping)
    assert [r.name for r in evaluation.graph.resources if r.name.startswith("dev2-bob-database")] == ["dev2-bob-database"]
    variables = variables_of(evaluation, "dev2-bob")
    assert (variables["SUPABASE_URL"], variables["SUPABASE_KEY"]) == ("https://abcdefghijklmnop.supabase.co", "given-key")
    assert evaluation.exports["environments"]["dev2-bob"]["databaseRef"] == "abcdefghijklmnop"


def test_migrations_run_for_every_environment_that_owns_its_database(staging):
    commands = {r.name for r in staging.graph.of_type("command:local:Command")}
    assert {c for c in commands if c.endswith("-migrations")} == {
        f"{env}-database-migrations" for env in ("main", "dev1-alice", "dev2-bob", "dev3-charlie")
    }


def test_migrations_command_gets_the_database_in_its_environment_as_secrets(staging):
    migrations = staging.graph.named("dev1-alice-database-migrations")
    assert reveal(migrations.inputs["create"]) == 'supabase db push --db-url "$DATABASE_URL"'
    assert is_secret(migrations.inputs["environment"])
    environment = reveal(migrations.inputs["environment"])
    assert environment["DATABASE_URL"] == "postgresql://postgres:pw@db.ref-dev1-alice-database-project.supabase.co:5432/postgres"
    assert environment["SUPABASE_URL"] == "https://ref-dev1-alice-database-project.supabase.co"
    assert environment["SUPABASE_SERVICE_ROLE_KEY"] == "service-role-key-of-ref-dev1-alice-database-project"


def test_migrations_rerun_when_the_directory_content_changes(staging):
    migrations = reveal(staging.graph.named("main-database-migrations").inputs)
    assert migrations["triggers"] == [directory_digest(REPO / "supabase" / "migrations")]


def test_seed_runs_after_migrations_once_per_database(staging):
    seed = reveal(staging.graph.named("dev2-bob-database-seed").inputs)
    assert seed["create"].startswith("psql")
    assert seed["triggers"] == ["ref-dev2-bob-database-project"]


def test_branch_with_data_is_not_seeded():
    mapping = edit(stack_mapping(), "stagefleet:environments", lambda envs: envs[3]["database"].update(withData=True))
    names = {r.name for r in evaluate(mapping).graph.resources}
    assert "dev3-charlie-database-migrations" in names
    assert "dev3-charlie-database-seed" not in names


def test_no_commands_without_migrations_and_seed_config():
    def drop_commands(supabase):
        supabase.pop("migrations")
        supabase.pop("seed")

    evaluation = evaluate(edit(stack_mapping(), "stagefleet:supabase", drop_commands))
    assert evaluation.graph.of_type("command:local:Command") == []


def test_command_output_is_kept_secret(staging):
    # Output of a migration tool may echo connection details.
    assert reveal(staging.graph.named("main-database-seed").inputs["logging"]) == "none"


def test_exports_carry_database_refs_not_secrets(staging):
    environments = staging.exports["environments"]
    assert environments["dev3-charlie"]["databaseRef"] == "ref-dev3-charlie-database-branch"
    assert environments["payments"]["databaseRef"] == "ref-main-database-project"
    readable = json.dumps(environments)
    assert "postgresql://" not in readable and "key-of" not in readable

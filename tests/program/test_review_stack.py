"""A review stack pr-<n> under mocks: built from Pulumi.pr.yaml, the fleet stack's file and the
fleet stack's outputs (a mocked StackReference carrying what the real fleet program exports)."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from fleet.stackfile import load_stack_config, load_stack_document
from harness import REPO
from harness.mocks import FleetMocks, evaluate, evaluate_review, is_secret, reveal, run_program, stack_mapping
from programs.config import InvalidStackConfig

PULL_REQUEST = {"number": 42, "branch": "feature/search-v3", "title": "Search v3", "author": "dana"}


@pytest.fixture(scope="module")
def fleet_outputs() -> dict:
    return evaluate(stack_mapping()).exports


def review_mapping(**review) -> dict:
    config = load_stack_config(REPO / "Pulumi.pr.yaml")
    config["stagefleet:pullRequest"] = PULL_REQUEST
    if review:
        config["stagefleet:review"] = {**config["stagefleet:review"], **review}
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


@pytest.fixture(scope="module")
def review(fleet_outputs):
    return evaluate_review(review_mapping(), fleet_outputs)


def test_a_review_stack_builds_exactly_one_environment(review):
    components = review.graph.of_type("stagefleet:index:StagingEnvironment")
    assert [c.name for c in components] == ["pr-42"]
    assert len(review.graph.of_type("railway:Environment")) == 1


def test_the_review_environment_is_ephemeral_named_after_the_pull_request_and_forked_from_the_base(review):
    environment = reveal(review.graph.named("pr-42-environment").inputs)
    fleet_railway = json.loads(stack_mapping()["stagefleet:railway"])
    assert environment["name"] == "pr-42"
    assert environment["ephemeral"] is True
    assert environment["source_environment_id"] == fleet_railway["baseEnvironmentId"]
    assert environment["project_id"] == fleet_railway["projectId"]


def test_a_review_stacks_branch_is_a_disposable_preview(review):
    assert reveal(review.graph.named("pr-42-database-branch").inputs["persistent"]) is False


def test_services_deploy_the_pull_requests_branch(review):
    for service in ("api", "web"):
        assert reveal(review.graph.named(f"pr-42-{service}-trigger").inputs["branch"]) == "feature/search-v3"


def test_default_database_is_a_supabase_branch_of_the_shared_staging_database(review):
    branch = reveal(review.graph.named("pr-42-database-branch").inputs)
    assert branch["parent_ref"] == "ref-main-database-project"
    assert branch["name"] == "gatewayz-pr-42"
    assert branch["git_branch"] == "feature/search-v3"
    variables = reveal(review.graph.named("pr-42-api-variables").inputs["variables"])
    assert variables["SUPABASE_URL"] == "https://ref-pr-42-database-branch.supabase.co"
    assert variables["SUPABASE_KEY"] == "service-role-key-of-ref-pr-42-database-branch"


def test_review_variables_override_the_fleet_defaults(review):
    variables = reveal(review.graph.named("pr-42-web-variables").inputs["variables"])
    assert variables["APP_ENV"] == "review"
    assert variables["LOG_LEVEL"] == "info"


def test_the_review_environment_has_its_own_access_token(review):
    token = reveal(review.graph.named("pr-42-access-token").inputs)
    assert token["prefix"] == "staging_pr-42"
    assert review.secret_exports["accessTokens"] is True


def test_a_dedicated_review_database_is_its_own_project(fleet_outputs):
    evaluation = evaluate_review(review_mapping(database={"strategy": "dedicated"}), fleet_outputs)
    project = reveal(evaluation.graph.named("pr-42-database-project").inputs)
    assert project["name"] == "gatewayz-staging-pr-42"
    assert not evaluation.graph.of_type("supabase:Branch")


def test_a_shared_review_database_borrows_the_fleet_databases_keys_as_secrets(fleet_outputs):
    evaluation = evaluate_review(
        review_mapping(database={"strategy": "shared", "source": "main"}, allowSharedDatabase=True), fleet_outputs
    )
    assert not evaluation.graph.of_type("supabase:Project") and not evaluation.graph.of_type("supabase:Branch")
    variables = evaluation.graph.named("pr-42-api-variables").inputs["variables"]
    assert is_secret(variables)
    assert reveal(variables)["SUPABASE_KEY"] == "service-role-key-of-ref-main-database-project"
    assert reveal(variables)["SUPABASE_URL"] == "https://ref-main-database-project.supabase.co"


def test_a_shared_review_database_without_explicit_permission_fails_before_any_resource(fleet_outputs):
    with pytest.raises(InvalidStackConfig) as raised:
        evaluate_review(review_mapping(database={"strategy": "shared", "source": "main"}), fleet_outputs)
    assert "stagefleet:review.database" in str(raised.value)


def test_a_variable_pointing_at_production_fails_the_review_stack(fleet_outputs):
    with pytest.raises(InvalidStackConfig) as raised:
        evaluate_review(review_mapping(variables={"PAYMENTS_URL": "https://api.gatewayz.ai/v1"}), fleet_outputs)
    assert (
        'stagefleet:review.variables.PAYMENTS_URL: variable PAYMENTS_URL points at production host "gatewayz.ai"'
        in str(raised.value)
    )


def test_review_exports_carry_what_the_pull_request_comment_needs(review):
    environment = review.exports["environments"]["pr-42"]
    assert environment["urls"]["api"] == "https://pr-42-api-domain.up.railway.app"
    assert environment["branch"] == "feature/search-v3"
    assert environment["databaseRef"] == "ref-pr-42-database-branch"
    assert review.exports["pullRequest"] == 42
    readable = json.dumps(review.exports["environments"])
    assert "key-of" not in readable and "postgresql://" not in readable


def test_fleet_stack_exports_what_review_stacks_read(fleet_outputs):
    assert fleet_outputs["environments"]["main"]["databaseRef"] == "ref-main-database-project"
    assert fleet_outputs["databaseKeys"]["main"]["anonKey"] == "anon-key-of-ref-main-database-project"


def test_the_fleet_stack_exports_database_keys_as_a_secret():
    assert evaluate(stack_mapping()).secret_exports["databaseKeys"] is True


def test_the_program_entry_point_builds_a_review_stack_for_a_pr_stack(monkeypatch, fleet_outputs):
    from programs.main import main

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(review_mapping()))
    evaluation = run_program(lambda: (main(), {})[1], lambda graph: FleetMocks(graph, fleet_outputs), False, "pr-42")
    assert [c.name for c in evaluation.graph.of_type("stagefleet:index:StagingEnvironment")] == ["pr-42"]
    [reference] = evaluation.graph.of_type("pulumi:pulumi:StackReference")
    assert reveal(reference.inputs["name"]) == "organization/stagefleet/staging"


def test_the_program_entry_point_builds_the_fleet_for_the_staging_stack(monkeypatch):
    from programs.main import main

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(stack_mapping()))
    evaluation = run_program(lambda: (main(), {})[1], FleetMocks, False, "staging")
    assert len(evaluation.graph.of_type("stagefleet:index:StagingEnvironment")) == 5


def test_a_review_environment_sleeps_when_idle_by_default(review):
    for service in ("api", "web"):
        assert reveal(review.graph.named(f"pr-42-{service}-settings").inputs["sleep_application"]) is True


def test_a_review_template_may_keep_its_environment_awake(fleet_outputs):
    awake = evaluate_review(review_mapping(sleepWhenIdle=False), fleet_outputs)
    assert reveal(awake.graph.named("pr-42-api-settings").inputs["sleep_application"]) is False


def test_each_service_of_a_review_environment_is_deployed_from_the_pull_requests_branch(review):
    for service in ("api", "web"):
        deployment = review.graph.named(f"pr-42-{service}-deployment")
        assert reveal(deployment.inputs["branch"]) == "feature/search-v3"
        assert {f"pr-42-{service}-variables", f"pr-42-{service}-trigger"} <= set(deployment.dependencies)


def test_a_review_stack_prepared_twice_keeps_its_salt_and_still_builds_its_environment(tmp_path, fleet_outputs):
    from harness.mocks import DECRYPTED_PLACEHOLDER
    from tests import fleet_command

    salt = "v1:Yv9zQ2w3c0E=:v1:3Jd0eXqXn8m2kQ4b:Jc8m0Z6v2Zc4b1y7mR1vJQ5fQy3a0g=="
    shutil.copy(REPO / "Pulumi.pr.yaml", tmp_path / "Pulumi.pr.yaml")
    stack_file = tmp_path / "Pulumi.pr-42.yaml"
    for run in range(2):
        result = fleet_command.run(tmp_path, "prepare-review-stack", "--stack", "pr-42")
        assert result.returncode == 0, result.stderr
        if run == 0:  # what `pulumi stack select --create` and `pulumi config set` write the first time
            document = {"encryptionsalt": salt, **yaml.safe_load(stack_file.read_text(encoding="utf-8"))}
            document["config"]["stagefleet:pullRequest"] = PULL_REQUEST
            document["config"]["stagefleet:supabaseAccessToken"] = {"secure": "v1:bm9uY2U=:Y2lwaGVy"}
            stack_file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    assert load_stack_document(stack_file)["encryptionsalt"] == salt
    config = load_stack_config(stack_file)
    mapping = {
        key: DECRYPTED_PLACEHOLDER if isinstance(value, dict) and set(value) == {"secure"} else value
        for key, value in config.items()
    }
    evaluation = evaluate_review(
        {key: value if isinstance(value, str) else json.dumps(value) for key, value in mapping.items()},
        fleet_outputs,
    )
    assert [r.name for r in evaluation.graph.of_type("stagefleet:index:StagingEnvironment")] == ["pr-42"]

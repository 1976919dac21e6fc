"""The program under mocks, for the real Pulumi.staging.yaml: the resource graph it declares."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fleet import FleetSpec
from fleet.catalog import catalog_rows, flag_rows, render_markdown
from harness.mocks import evaluate, is_secret, reveal, stack_mapping
from programs.config import InvalidStackConfig, stack_config
from tests.program.support import edit

ENVIRONMENTS = ["main", "dev1-alice", "dev2-bob", "dev3-charlie", "payments"]
SERVICES = ["api", "web"]


@pytest.fixture(scope="module")
def staging():
    return evaluate(stack_mapping())


def test_every_environment_gets_one_component(staging):
    components = staging.graph.of_type("stagefleet:index:StagingEnvironment")
    assert sorted(c.name for c in components) == sorted(ENVIRONMENTS)


def test_every_environment_gets_exactly_one_railway_environment_named_by_convention(staging):
    environments = staging.graph.of_type("railway:Environment")
    assert sorted(reveal(e.inputs["name"]) for e in environments) == sorted(f"staging-{n}" for n in ENVIRONMENTS)


def test_railway_environments_fork_from_the_base_environment(staging):
    base = json.loads(stack_mapping()["stagefleet:railway"])["baseEnvironmentId"]
    for environment in staging.graph.of_type("railway:Environment"):
        assert reveal(environment.inputs["source_environment_id"]) == base
        assert reveal(environment.inputs["ephemeral"]) is False


DATABASE_RESOURCES = {
    "dedicated": ["database", "database-project", "database-keys", "database-migrations", "database-seed"],
    "branch": ["database", "database-branch", "database-keys", "database-migrations", "database-seed"],
    "shared": [],
}
STRATEGIES = {
    "main": "dedicated",
    "dev1-alice": "dedicated",
    "dev2-bob": "dedicated",
    "dev3-charlie": "branch",
    "payments": "shared",
}


PER_SERVICE = ("settings", "variables", "trigger", "domain", "deployment")


def test_each_environment_has_per_service_settings_variables_trigger_domain_and_deployment_one_token_and_its_database(
    staging,
):
    for env in ENVIRONMENTS:
        names = {r.name for r in staging.graph.resources if r.name.startswith(f"{env}-")}
        expected = {f"{env}-environment", f"{env}-access-token"}
        expected |= {f"{env}-{suffix}" for suffix in DATABASE_RESOURCES[STRATEGIES[env]]}
        for service in SERVICES:
            expected |= {f"{env}-{service}-{kind}" for kind in PER_SERVICE}
        assert names == expected


def test_resource_counts_match_the_fleet(staging):
    railway_per_env = 2 + len(PER_SERVICE) * len(SERVICES)
    database = {"dedicated": 2, "branch": 2, "shared": 0}
    dynamic = [r for r in staging.graph.resources if r.typ.startswith("pulumi-python:dynamic")]
    gates = 1  # one Statsig gate per feature flag: payments-v2
    assert len(dynamic) == sum(railway_per_env + database[STRATEGIES[env]] for env in ENVIRONMENTS) + gates


def test_triggers_deploy_each_environments_branch(staging):
    branches = {
        "main": "main",
        "dev1-alice": "feature/alice-payment",
        "dev2-bob": "feature/bob-chat",
        "dev3-charlie": "feature/charlie-admin",
        "payments": "feature/payment-v2",
    }
    for env, branch in branches.items():
        trigger = staging.graph.named(f"{env}-api-trigger")
        assert reveal(trigger.inputs["branch"]) == branch
        assert reveal(trigger.inputs["repository"]) == "gatewayz/gatewayz-backend"


def test_the_services_settings_carry_its_root_directory_and_not_its_trigger(staging):
    assert reveal(staging.graph.named("dev1-alice-web-settings").inputs["root_directory"]) == "apps/web"
    assert "root_directory" not in staging.graph.named("dev1-alice-web-trigger").inputs


def test_the_services_settings_carry_its_healthcheck_path(staging):
    settings = staging.graph.named("main-api-settings").inputs
    assert reveal(settings["healthcheck_path"]) == "/health"
    assert reveal(staging.graph.named("main-web-settings").inputs).get("healthcheck_path") is None


@pytest.mark.parametrize(
    ("env", "sleeps"),
    [("main", False), ("dev1-alice", True), ("dev2-bob", True), ("dev3-charlie", True), ("payments", False)],
)
def test_developer_environments_sleep_when_idle_and_shared_and_team_ones_do_not(staging, env, sleeps):
    for service in SERVICES:
        assert reveal(staging.graph.named(f"{env}-{service}-settings").inputs["sleep_application"]) is sleeps


def test_sleep_when_idle_in_config_wins_over_the_kind():
    mapping = edit(stack_mapping(), "stagefleet:environments", lambda envs: envs[1].update(sleepWhenIdle=False))
    assert reveal(evaluate(mapping).graph.named("dev1-alice-api-settings").inputs["sleep_application"]) is False


def test_each_deployment_deploys_its_environments_branch_with_the_settings_it_runs_with(staging):
    deployment = reveal(staging.graph.named("dev1-alice-web-deployment").inputs)
    assert deployment["branch"] == "feature/alice-payment"
    assert deployment["settings"] == {"sleepApplication": "true", "rootDirectory": "apps/web"}
    assert reveal(staging.graph.named("main-api-deployment").inputs)["settings"] == {
        "healthcheckPath": "/health",
        "sleepApplication": "false",
    }


def test_a_deployment_records_a_digest_of_its_variables_in_plain_text_and_no_value(staging):
    deployment = staging.graph.named("dev1-alice-api-deployment").inputs
    variables = reveal(staging.graph.named("dev1-alice-api-variables").inputs["variables"])
    digest = deployment["variables_digest"]
    assert not is_secret(digest) and digest.startswith("sha256:")
    assert not any(value in digest for value in variables.values() if len(value) > 4)


def test_a_deployment_waits_for_the_settings_variables_and_trigger_of_its_service(staging):
    deployment = staging.graph.named("main-api-deployment")
    assert set(deployment.dependencies) >= {"main-api-settings", "main-api-variables", "main-api-trigger"}


def _variables_with_plain_override(name: str, value: str) -> dict:
    """dev1-alice's api variables when `name` is overridden with plain text, leaving one secret."""
    mapping = edit(
        stack_mapping(),
        "stagefleet:environments",
        lambda envs: envs[1].setdefault("variables", {}).update({name: value}),
    )
    return evaluate(mapping).graph.named("dev1-alice-api-variables").inputs["variables"]


def test_supabase_key_reaches_services_as_a_secret():
    variables = _variables_with_plain_override("STAGING_ACCESS_TOKEN", "plain")
    assert is_secret(variables)
    assert reveal(variables)["SUPABASE_KEY"] == "service-role-key-of-ref-dev1-alice-database-project"


def test_access_token_reaches_services_as_a_secret():
    variables = _variables_with_plain_override("SUPABASE_KEY", "public-anon-key")
    assert is_secret(variables)
    assert reveal(variables)["STAGING_ACCESS_TOKEN"].startswith("staging_dev1-alice_")


def test_variables_without_secret_values_are_not_marked_secret():
    mapping = edit(
        stack_mapping(),
        "stagefleet:environments",
        lambda envs: envs[1].setdefault("variables", {}).update(SUPABASE_KEY="a", STAGING_ACCESS_TOKEN="b"),
    )
    variables = evaluate(mapping).graph.named("dev1-alice-api-variables").inputs["variables"]
    assert not is_secret(variables)


def test_shared_database_environments_use_the_owners_url(staging):
    variables = reveal(staging.graph.named("payments-api-variables").inputs["variables"])
    assert variables["SUPABASE_URL"] == "https://ref-main-database-project.supabase.co"
    assert variables["SUPABASE_KEY"] == "service-role-key-of-ref-main-database-project"


def test_wired_variables_include_app_env_and_defaults(staging):
    variables = reveal(staging.graph.named("dev1-alice-api-variables").inputs["variables"])
    assert variables["APP_ENV"] == "staging"
    assert variables["LOG_LEVEL"] == "info"


def test_environment_override_wins_over_default(staging):
    variables = reveal(staging.graph.named("dev2-bob-api-variables").inputs["variables"])
    assert variables["LOG_LEVEL"] == "debug"


def test_service_variables_apply_only_to_their_service(staging):
    web = reveal(staging.graph.named("payments-web-variables").inputs["variables"])
    api = reveal(staging.graph.named("payments-api-variables").inputs["variables"])
    assert web["NEXT_PUBLIC_APP_ENV"] == "staging"
    assert "NEXT_PUBLIC_APP_ENV" not in api
    assert api["PAYMENTS_SANDBOX"] == "true" and web["PAYMENTS_SANDBOX"] == "true"


def test_environment_override_wins_over_wired_variables():
    mapping = edit(
        stack_mapping(),
        "stagefleet:environments",
        lambda envs: envs[1].setdefault("variables", {}).update(SUPABASE_URL="https://other.example.com"),
    )
    variables = reveal(evaluate(mapping).graph.named("dev1-alice-api-variables").inputs["variables"])
    assert variables["SUPABASE_URL"] == "https://other.example.com"


def test_domains_target_the_services_port(staging):
    assert reveal(staging.graph.named("main-api-domain").inputs["target_port"]) == 8000
    assert reveal(staging.graph.named("main-web-domain").inputs["target_port"]) == 3000


def test_access_token_prefix_and_rotation_keepers(staging):
    token = staging.graph.named("dev1-alice-access-token")
    assert reveal(token.inputs["prefix"]) == "staging_dev1-alice"
    keepers = reveal(token.inputs["keepers"])
    assert keepers["environment"] == "dev1-alice"
    assert keepers["rotation"] == "2026-09-04"  # the 90-day window 2026-09-04 .. 2026-12-02


def test_access_tokens_export_is_secret(staging):
    assert staging.secret_exports["accessTokens"] is True
    assert staging.exports["accessTokens"]["main"].startswith("staging_main_")


def test_environments_export_is_readable_and_carries_urls(staging):
    assert staging.secret_exports["environments"] is False
    alice = staging.exports["environments"]["dev1-alice"]
    assert alice["owner"] == "alice@gatewayz.ai"
    assert alice["expires"] == "2027-01-31"
    assert alice["urls"]["api"] == "https://dev1-alice-api-domain.up.railway.app"
    assert alice["railwayEnvironmentId"] == "env-dev1-alice-environment"


def test_catalog_export_equals_the_rendering_of_config_with_urls(staging):
    spec = FleetSpec.from_config(stack_mapping())
    urls = {env: f"https://{env}-api-domain.up.railway.app" for env in ENVIRONMENTS}
    assert staging.exports["catalog"] == render_markdown(catalog_rows(spec, urls), flag_rows(spec))


def test_catalog_lists_purpose_owner_and_database(staging):
    catalog = staging.exports["catalog"]
    assert (
        "| payments | team | https://payments-api-domain.up.railway.app | shared (main) | Payments team integration | payments |"
        in catalog
    )
    assert "| dev3-charlie | developer | https://dev3-charlie-api-domain.up.railway.app | branch (main) |" in catalog


def test_no_secret_value_appears_in_non_secret_exports(staging):
    readable = json.dumps({k: v for k, v in staging.exports.items() if not staging.secret_exports[k]})
    for secret in ("_mock-random", "anon-key-of-", "service-role-key-of-", "postgresql://"):
        assert secret not in readable


def test_invalid_config_fails_the_program_with_the_config_path_before_any_resource():
    mapping = edit(
        stack_mapping(),
        "stagefleet:environments",
        lambda envs: (
            envs[4]["database"].update(source="mian")
            if envs[4].get("database")
            else envs[4].update(database={"strategy": "shared", "source": "mian"})
        ),
    )
    with pytest.raises(InvalidStackConfig) as raised:
        evaluate(mapping)
    assert 'stagefleet:environments[4].database.source: no environment named "mian"' in str(raised.value)


def test_preview_declares_the_same_graph_as_up():
    previewed = evaluate(stack_mapping(), preview=True)
    applied = evaluate(stack_mapping())
    assert sorted(r.name for r in previewed.graph.resources) == sorted(r.name for r in applied.graph.resources)


def test_stack_config_reads_only_the_stagefleet_namespace(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"stagefleet:limits": "{}", "aws:region": "us-east-1"}))
    assert stack_config() == {"stagefleet:limits": "{}"}


def test_token_keeper_changes_when_the_rotation_window_ends():
    last_day = evaluate(stack_mapping(), today=dt.date(2026, 12, 2)).graph.named("main-access-token")
    next_window = evaluate(stack_mapping(), today=dt.date(2026, 12, 3)).graph.named("main-access-token")
    assert reveal(last_day.inputs["keepers"])["rotation"] == "2026-09-04"
    assert reveal(next_window.inputs["keepers"])["rotation"] == "2026-12-03"


def test_the_environments_export_names_each_services_id_url_healthcheck_and_deployment(staging):
    api = staging.exports["environments"]["main"]["services"]["api"]
    assert api == {
        "serviceId": "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60",
        "url": "https://main-api-domain.up.railway.app",
        "healthcheckPath": "/health",
        "deploymentId": "deployment-main-api-deployment",
    }
    assert staging.exports["environments"]["main"]["services"]["web"]["healthcheckPath"] is None


def test_the_environments_export_says_which_environments_sleep_when_idle(staging):
    sleeping = {name: env["sleepsWhenIdle"] for name, env in staging.exports["environments"].items()}
    assert sleeping == {"main": False, "dev1-alice": True, "dev2-bob": True, "dev3-charlie": True, "payments": False}


def test_everything_per_service_is_deleted_with_its_railway_environment(staging):
    for env in ENVIRONMENTS:
        for service in SERVICES:
            for kind in PER_SERVICE:
                resource = staging.graph.named(f"{env}-{service}-{kind}")
                assert resource.deleted_with == f"{env}-environment", resource.name


def test_the_railway_environment_and_the_access_token_are_deleted_on_their_own(staging):
    for env in ENVIRONMENTS:
        assert staging.graph.named(f"{env}-environment").deleted_with is None
        assert staging.graph.named(f"{env}-access-token").deleted_with is None

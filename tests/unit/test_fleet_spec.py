"""What the program and the CLI read from a valid stack config."""

import datetime
import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from fleet import DatabaseSpec, EncryptedSecret, EnvironmentSpec, FleetSpec, ServiceSpec
from fleet.stackfile import load_stack_config

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def staging() -> FleetSpec:
    return FleetSpec.from_config(load_stack_config(REPO / "Pulumi.staging.yaml"))


def test_the_staging_stack_file_is_valid(staging):
    assert [env.name for env in staging.environments] == [
        "main",
        "dev1-alice",
        "dev2-bob",
        "dev3-charlie",
        "payments",
    ]


def test_the_staging_stack_file_describes_the_railway_project(staging):
    assert staging.railway.project_name == "gatewayz"
    assert staging.railway.base_environment == "staging-template"
    assert staging.railway.base_environment_id == "7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10"
    web = staging.railway.services[1]
    assert (web.name, web.root_directory, web.port, web.domain) == ("web", "apps/web", 3000, True)


def test_the_staging_stack_file_gives_every_database_strategy_an_owner(staging):
    strategies = {env.name: staging.database_for(env).strategy for env in staging.environments}
    assert strategies == {
        "main": "dedicated",
        "dev1-alice": "dedicated",
        "dev2-bob": "dedicated",
        "dev3-charlie": "branch",
        "payments": "shared",
    }
    assert staging.database_owner(staging.environment("payments")).name == "main"


def test_expiry_from_yaml_is_a_date(staging):
    assert staging.environment("dev1-alice").expires == datetime.date(2027, 1, 31)


def test_defaults_apply_when_the_stack_file_leaves_them_out(config):
    del config["stagefleet:defaults"]
    for environment in config["stagefleet:environments"]:
        environment.setdefault("database", {"strategy": "dedicated"})

    spec = FleetSpec.from_config(config)

    assert spec.defaults.token_rotation_days == 90
    assert spec.defaults.variables == {}
    assert spec.limits.max_long_lived is None
    # Every database is dedicated, so the stagefleet:supabase block is there; its optional keys default.
    supabase = spec.supabase
    assert (supabase.instance_size, supabase.project_prefix, supabase.readiness_deadline_seconds) == (
        "micro",
        None,
        600,
    )
    assert (supabase.migrations, supabase.seed) == (None, None)


def test_variables_merge_defaults_then_service_then_environment(config):
    config["stagefleet:defaults"]["variables"] = {"APP_ENV": "staging", "LOG_LEVEL": "info", "A": "defaults"}
    config["stagefleet:railway"]["services"][0]["variables"] = {"LOG_LEVEL": "warn", "B": "service"}
    config["stagefleet:environments"][2]["variables"] = {"LOG_LEVEL": "debug", "C": "environment"}
    spec = FleetSpec.from_config(config)

    merged = spec.variables_for(spec.environment("payments"), spec.railway.services[0])

    assert merged == {
        "APP_ENV": "staging",
        "LOG_LEVEL": "debug",
        "A": "defaults",
        "B": "service",
        "C": "environment",
    }


def test_service_variables_override_defaults(config):
    config["stagefleet:railway"]["services"][0]["variables"] = {"APP_ENV": "api-staging"}
    spec = FleetSpec.from_config(config)

    assert spec.variables_for(spec.environment("payments"), spec.railway.services[0])["APP_ENV"] == "api-staging"


def test_database_for_prefers_the_environments_own_database(config):
    spec = FleetSpec.from_config(config)

    assert spec.database_for(spec.environment("main")).strategy == "dedicated"


def test_database_for_falls_back_to_the_default_database(config):
    spec = FleetSpec.from_config(config)

    assert spec.database_for(spec.environment("payments")) == DatabaseSpec(strategy="shared", source="main")


def test_database_owner_follows_a_shared_source_to_the_owner(config):
    spec = FleetSpec.from_config(config)  # payments -> (default, shared) main

    assert spec.database_owner(spec.environment("payments")).name == "main"


def test_database_owner_of_an_environment_sharing_a_branch_is_the_branch_owner(config):
    config["stagefleet:environments"][1]["database"] = {"strategy": "shared", "source": "payments"}
    config["stagefleet:environments"][2]["database"] = {"strategy": "branch", "source": "main"}
    spec = FleetSpec.from_config(config)  # dev1-alice -> payments (a branch of main)

    assert spec.database_owner(spec.environment("dev1-alice")).name == "payments"


def test_database_owner_follows_a_chain_of_shared_sources_in_a_spec_built_in_python(config):
    # from_config rejects such a chain; a spec built in Python still resolves it to the owner.
    spec = FleetSpec.from_config(config)
    alice = spec.environment("dev1-alice").model_copy(
        update={"database": DatabaseSpec(strategy="shared", source="payments")}
    )
    chained = spec.model_copy(update={"environments": [spec.environments[0], alice, spec.environments[2]]})

    assert chained.database_owner(alice).name == "main"


def test_database_owner_of_a_branch_database_is_the_environment_itself(config):
    config["stagefleet:environments"][2]["database"] = {"strategy": "branch", "source": "main"}
    spec = FleetSpec.from_config(config)

    assert spec.database_owner(spec.environment("payments")).name == "payments"


def test_environment_lookup_of_an_unknown_name_raises_key_error(config):
    spec = FleetSpec.from_config(config)

    with pytest.raises(KeyError, match='no environment named "nobody"'):
        spec.environment("nobody")


def test_whole_number_floats_become_ints(config):
    # Pulumi hands numbers to the program as floats.
    config["stagefleet:defaults"]["tokenRotationDays"] = 30.0
    config["stagefleet:limits"] = {"maxLongLived": 5.0, "maxPullRequests": 10.0, "monthlyBudgetUsd": 150.0}
    config["stagefleet:railway"]["services"][0]["port"] = 8000.0

    spec = FleetSpec.from_config(config)

    numbers = [spec.defaults.token_rotation_days, spec.limits.max_long_lived, spec.railway.services[0].port]
    assert numbers == [30, 5, 8000]
    assert all(type(number) is int for number in numbers)


def test_structured_values_given_as_json_strings_are_decoded(config):
    # The Pulumi runtime hands structured config to the program as JSON text.
    as_json = {key: json.dumps(value) for key, value in config.items()}
    main = {"name": "main", "kind": "shared", "branch": "main", "expires": "2027-01-31"}
    as_json["stagefleet:environments"] = json.dumps([{**main, "database": {"strategy": "dedicated"}}])

    spec = FleetSpec.from_config(as_json)

    assert spec.railway.services[1].name == "web"
    assert spec.environment("main").expires == datetime.date(2027, 1, 31)


def test_decrypted_secrets_are_secret_strings(config):
    config["stagefleet:railwayToken"] = "rw-token"
    config["stagefleet:environments"][2]["database"] = {
        "strategy": "external",
        "supabaseUrl": "https://abc.supabase.co",
        "supabaseKey": "service-key",
    }

    spec = FleetSpec.from_config(config)

    assert spec.railway_token == SecretStr("rw-token")
    assert spec.environment("payments").database.supabase_key == SecretStr("service-key")
    assert not isinstance(spec.railway_token, EncryptedSecret)


def test_encrypted_secrets_from_the_stack_file_are_marked_encrypted(config):
    config["stagefleet:supabaseAccessToken"] = {"secure": "v1:ciphertext"}

    token = FleetSpec.from_config(config).supabase_access_token

    assert isinstance(token, EncryptedSecret)
    assert token.get_secret_value() == "v1:ciphertext"


def test_supabase_block_is_read(config):
    config["stagefleet:supabase"] = {"organizationSlug": "gatewayz", "region": "us-east-1", "instanceSize": "micro"}

    supabase = FleetSpec.from_config(config).supabase

    assert (supabase.organization_slug, supabase.region, supabase.instance_size) == ("gatewayz", "us-east-1", "micro")


def test_specs_can_be_built_by_attribute_name_in_python():
    service = ServiceSpec(
        name="api", id="5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60", repository="o/r", healthcheck_path="/health"
    )
    env = EnvironmentSpec(name="dev1", kind="team", branch="main", database=DatabaseSpec(strategy="dedicated"))

    assert (service.healthcheck_path, env.database.strategy) == ("/health", "dedicated")


def test_specs_are_immutable(config):
    spec = FleetSpec.from_config(config)

    with pytest.raises(Exception, match="frozen"):
        spec.environments[0].name = "other"

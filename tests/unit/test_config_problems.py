"""Every way a stack config can be wrong: the exact config path and the message a DevOps
engineer reads in CI."""

import datetime

import pytest

from fleet import FleetSpec

RAILWAY = "stagefleet:railway"
DEFAULTS = "stagefleet:defaults"
LIMITS = "stagefleet:limits"
ENVS = "stagefleet:environments"


# --- unknown keys -----------------------------------------------------------------------------


def test_unknown_stagefleet_key_is_rejected(config, problems_of):
    config["stagefleet:railwy"] = {}

    assert problems_of(config) == [("stagefleet:railwy", "unknown key")]


def test_unknown_stagefleet_key_suggests_the_closest_key(config, error_of):
    config["stagefleet:railwy"] = {}

    assert error_of(config).problems[0].hint == 'did you mean "stagefleet:railway"?'


def test_keys_of_other_namespaces_are_ignored(config):
    config["aws:region"] = "us-east-1"
    config["railway"] = "not ours"

    assert FleetSpec.from_config(config).railway.project_id == "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01"


def test_unknown_environment_key_is_rejected_with_its_path(config, problems_of, error_of):
    config[ENVS][2]["ownr"] = "payments"

    assert problems_of(config) == [(f"{ENVS}[2].ownr", "unknown key")]
    assert error_of(config).problems[0].hint == 'did you mean "owner"?'


def test_snake_case_key_is_unknown_and_points_to_the_camel_case_one(config, problems_of, error_of):
    railway = config[RAILWAY]
    railway["project_id"] = railway.pop("projectId")

    assert problems_of(config) == [
        (f"{RAILWAY}.projectId", "required key is missing"),
        (f"{RAILWAY}.project_id", "unknown key"),
    ]
    assert error_of(config).problems[1].hint == 'did you mean "projectId"?'


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(config, error_of):
    config[LIMITS] = {"color": "blue"}

    problem = error_of(config).problems[0]
    assert (problem.path, problem.message) == (f"{LIMITS}.color", "unknown key")
    assert problem.hint == (
        "allowed keys: maxLongLived, maxPullRequests, monthlyBudgetUsd, reviewStackTtlDays, maxDeveloperDays, "
        "maxFlagDays"
    )


def test_unknown_database_key_is_rejected(config, problems_of):
    config[ENVS][0]["database"]["size"] = "micro"

    assert problems_of(config) == [(f"{ENVS}[0].database.size", "unknown key")]


# --- missing required keys --------------------------------------------------------------------


def test_missing_railway_block_is_reported(config, problems_of):
    del config[RAILWAY]

    assert problems_of(config) == [(RAILWAY, "required key is missing")]


@pytest.mark.parametrize("key", ["projectId", "baseEnvironmentId", "services"])
def test_missing_railway_key_is_reported(config, problems_of, key):
    del config[RAILWAY][key]

    assert problems_of(config) == [(f"{RAILWAY}.{key}", "required key is missing")]


@pytest.mark.parametrize("key", ["name", "id", "repository"])
def test_missing_service_key_is_reported(config, problems_of, key):
    del config[RAILWAY]["services"][1][key]

    # A service without a name or id cannot collide with another one: only the gap is reported.
    assert problems_of(config) == [(f"{RAILWAY}.services[1].{key}", "required key is missing")]


@pytest.mark.parametrize("key", ["name", "kind", "branch"])
def test_missing_environment_key_is_reported(config, problems_of, key):
    del config[ENVS][2][key]

    assert problems_of(config) == [(f"{ENVS}[2].{key}", "required key is missing")]


def test_missing_database_strategy_is_reported(config, problems_of):
    config[ENVS][0]["database"] = {}

    assert problems_of(config) == [(f"{ENVS}[0].database.strategy", "required key is missing")]


# --- wrong types ------------------------------------------------------------------------------


def test_services_given_as_a_mapping_is_a_type_error(config, problems_of):
    config[RAILWAY]["services"] = {"api": {}}

    assert problems_of(config) == [(f"{RAILWAY}.services", "expected a list, got a mapping")]


def test_environments_given_as_plain_text_is_a_type_error(config, problems_of):
    config[ENVS] = "main"

    assert problems_of(config) == [(ENVS, "expected a list, got a string")]


def test_environment_given_as_a_string_is_a_type_error(config, problems_of):
    config[ENVS][2] = "payments"

    assert problems_of(config) == [(f"{ENVS}[2]", "expected a mapping of keys to values, got a string")]


def test_number_where_text_is_expected_is_a_type_error(config, problems_of):
    config[RAILWAY]["projectId"] = 42

    assert problems_of(config) == [(f"{RAILWAY}.projectId", "expected a string, got a number")]


def test_boolean_variable_value_is_rejected_with_a_quoting_hint(config, problems_of, error_of):
    config[ENVS][2]["variables"] = {"PAYMENTS_SANDBOX": True}

    assert problems_of(config) == [(f"{ENVS}[2].variables.PAYMENTS_SANDBOX", "expected a string, got a boolean")]
    assert error_of(config).problems[0].hint == 'put it in quotes, e.g. "true"'


def test_port_given_as_text_is_a_type_error(config, problems_of):
    config[RAILWAY]["services"][0]["port"] = "8000"

    assert problems_of(config) == [(f"{RAILWAY}.services[0].port", "expected a whole number, got a string")]


def test_fractional_port_is_rejected(config, problems_of):
    config[RAILWAY]["services"][0]["port"] = 8000.5

    assert problems_of(config) == [(f"{RAILWAY}.services[0].port", "expected a whole number, got 8000.5")]


def test_port_outside_the_tcp_range_is_rejected(config, problems_of):
    config[RAILWAY]["services"][0]["port"] = 70000

    assert problems_of(config) == [(f"{RAILWAY}.services[0].port", "must be at most 65535")]


def test_domain_given_as_text_is_a_type_error(config, problems_of):
    config[RAILWAY]["services"][0]["domain"] = "no"

    assert problems_of(config) == [(f"{RAILWAY}.services[0].domain", "expected true or false, got a string")]


def test_unknown_environment_kind_is_rejected_with_the_choices(config, problems_of):
    config[ENVS][2]["kind"] = "squad"

    assert problems_of(config) == [(f"{ENVS}[2].kind", 'must be one of shared, team or developer, got "squad"')]


def test_unknown_database_strategy_is_rejected_with_the_choices(config, problems_of):
    config[ENVS][0]["database"] = {"strategy": "snapshot"}

    assert problems_of(config) == [
        (f"{ENVS}[0].database.strategy", 'must be one of dedicated, shared, branch or external, got "snapshot"')
    ]


def test_empty_text_is_rejected(config, problems_of):
    config[RAILWAY]["baseEnvironmentId"] = ""

    assert problems_of(config) == [(f"{RAILWAY}.baseEnvironmentId", "must not be empty")]


# --- duplicates -------------------------------------------------------------------------------


def test_duplicate_environment_name_is_rejected(config, problems_of):
    config[ENVS].append({"name": "dev1-alice", "kind": "team", "branch": "main"})

    assert problems_of(config) == [(f"{ENVS}[3].name", f'environment name "dev1-alice" is already used by {ENVS}[1]')]


def test_duplicate_service_name_is_rejected(config, problems_of):
    config[RAILWAY]["services"][1]["name"] = "api"

    assert problems_of(config) == [
        (f"{RAILWAY}.services[1].name", f'service name "api" is already used by {RAILWAY}.services[0]')
    ]


def test_duplicate_service_id_is_rejected(config, problems_of):
    config[RAILWAY]["services"][1]["id"] = "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60"

    assert problems_of(config) == [
        (
            f"{RAILWAY}.services[1].id",
            f'service id "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60" is already used by {RAILWAY}.services[0]',
        )
    ]


# --- environment names and branches ------------------------------------------------------------


@pytest.mark.parametrize("name", ["Dev1-alice", "-dev1", "dev1_alice", "dev1.alice", "a" * 32, "dev 1"])
def test_environment_name_outside_the_allowed_pattern_is_rejected(config, problems_of, name):
    config[ENVS][2]["name"] = name

    assert problems_of(config) == [(f"{ENVS}[2].name", f'"{name}" is not a valid environment name')]


@pytest.mark.parametrize("name", ["a", "0", "pr-42", "a" * 31])
def test_environment_name_within_the_allowed_pattern_is_accepted(config, name):
    config[ENVS][2]["name"] = name

    assert FleetSpec.from_config(config).environments[2].name == name


def test_invalid_environment_name_explains_the_rule(config, error_of):
    config[ENVS][2]["name"] = "Payments"

    assert error_of(config).problems[0].hint == (
        'use 1 to 31 lowercase letters, digits and "-", starting with a letter or digit'
    )


def test_invalid_branch_is_rejected_with_the_reason(config, problems_of):
    config[ENVS][1]["branch"] = "feature..alice"

    assert problems_of(config) == [
        (f"{ENVS}[1].branch", '"feature..alice" is not a valid git branch name: it contains ".."')
    ]


# --- databases --------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["shared", "branch"])
def test_sourced_strategy_without_source_is_rejected(config, problems_of, strategy):
    config[ENVS][2]["database"] = {"strategy": strategy}

    assert problems_of(config) == [(f"{ENVS}[2].database.source", f"required for strategy {strategy}")]


@pytest.mark.parametrize("strategy", ["shared", "branch"])
def test_source_naming_no_environment_is_rejected(config, problems_of, strategy):
    config[ENVS][2]["database"] = {"strategy": strategy, "source": "mian"}

    assert problems_of(config) == [(f"{ENVS}[2].database.source", 'no environment named "mian"')]


def test_misspelt_source_suggests_the_environment_meant(config, error_of):
    config[ENVS][2]["database"] = {"strategy": "shared", "source": "mian"}

    assert error_of(config).problems[0].hint == 'did you mean "main"?'


def test_default_database_source_naming_no_environment_is_rejected(config, problems_of):
    config[DEFAULTS]["database"]["source"] = "staging"

    assert problems_of(config) == [(f"{DEFAULTS}.database.source", 'no environment named "staging"')]


def test_source_naming_a_faulty_environment_is_not_reported_as_missing(config, problems_of):
    config[ENVS][0]["branch"] = "main."
    config[ENVS][2]["database"] = {"strategy": "shared", "source": "main"}

    assert problems_of(config) == [(f"{ENVS}[0].branch", '"main." is not a valid git branch name: it ends with "."')]


def test_environment_sharing_its_own_database_is_rejected(config, problems_of):
    config[ENVS][2]["database"] = {"strategy": "shared", "source": "payments"}

    assert problems_of(config) == [
        (f"{ENVS}[2].database.source", 'environment "payments" cannot use its own database as the source')
    ]


def test_databases_shared_in_a_cycle_are_rejected_once(config, problems_of):
    config[ENVS][1]["database"] = {"strategy": "shared", "source": "payments"}
    config[ENVS][2]["database"] = {"strategy": "branch", "source": "dev1-alice"}

    assert problems_of(config) == [
        (f"{ENVS}[1].database.source", "database sources form a cycle: dev1-alice -> payments -> dev1-alice")
    ]


def test_environment_inheriting_a_default_database_shared_from_itself_is_rejected(config, problems_of):
    del config[ENVS][0]["database"]  # main now inherits "shared from main"

    assert problems_of(config) == [
        (f"{ENVS}[0].database", 'the default database source "main" leads back to this environment: main -> main')
    ]


def test_external_database_without_url_is_rejected(config, problems_of):
    config[ENVS][2]["database"] = {"strategy": "external", "supabaseKey": "service-role-key"}

    assert problems_of(config) == [(f"{ENVS}[2].database.supabaseUrl", "required for strategy external")]


def test_external_database_without_key_is_rejected_with_the_command_to_set_it(config, problems_of, error_of):
    config[ENVS][2]["database"] = {"strategy": "external", "supabaseUrl": "https://abc.supabase.co"}

    assert problems_of(config) == [(f"{ENVS}[2].database.supabaseKey", "required for strategy external")]
    assert error_of(config).problems[0].hint == (
        f"set it with: pulumi config set --secret --path '{ENVS}[2].database.supabaseKey' <service role key>"
    )


@pytest.mark.parametrize("url", ["http://abc.supabase.co", "abc.supabase.co", "https://"])
def test_external_database_url_must_be_https(config, problems_of, url):
    config[ENVS][2]["database"] = {"strategy": "external", "supabaseUrl": url, "supabaseKey": "k"}

    assert problems_of(config) == [(f"{ENVS}[2].database.supabaseUrl", "must be an https:// URL")]


def test_source_with_a_dedicated_database_is_rejected(config, problems_of):
    config[ENVS][0]["database"] = {"strategy": "dedicated", "source": "payments"}

    assert problems_of(config) == [
        (f"{ENVS}[0].database.source", "only used with strategy shared or branch, not dedicated")
    ]


def test_supabase_url_without_external_strategy_is_rejected(config, problems_of):
    config[ENVS][0]["database"] = {"strategy": "dedicated", "supabaseUrl": "https://abc.supabase.co"}

    assert problems_of(config) == [
        (f"{ENVS}[0].database.supabaseUrl", "only used with strategy external, not dedicated")
    ]


def test_unknown_instance_size_is_rejected(config, problems_of):
    config["stagefleet:supabase"] = {"organizationSlug": "gatewayz", "region": "us-east-1", "instanceSize": "huge"}

    [(path, message)] = problems_of(config)
    assert path == "stagefleet:supabase.instanceSize"
    assert message.startswith("must be one of nano, micro, small, medium, large, xlarge, 2xlarge")
    assert message.endswith('got "huge"')


def test_supabase_block_without_organization_is_reported_where_a_dedicated_database_needs_it(config, problems_of):
    # organizationSlug is required only once a database lives on Supabase; region is optional.
    config["stagefleet:supabase"] = {"instanceSize": "micro"}

    assert problems_of(config) == [
        (
            f"{ENVS}[0].database.strategy",
            'strategy "dedicated" needs a Supabase organization: set stagefleet:supabase.organizationSlug',
        ),
    ]


# --- owners, variables, numbers, dates ----------------------------------------------------------


def test_developer_environment_without_owner_is_rejected(config, problems_of):
    del config[ENVS][1]["owner"]

    assert problems_of(config) == [(f"{ENVS}[1].owner", "required for developer environments")]


def test_team_environment_without_owner_is_accepted(config):
    assert FleetSpec.from_config(config).environment("payments").owner is None


@pytest.mark.parametrize(
    ("place", "path"),
    [
        (lambda c: c[DEFAULTS], f"{DEFAULTS}.variables"),
        (lambda c: c[RAILWAY]["services"][1], f"{RAILWAY}.services[1].variables"),
        (lambda c: c[ENVS][2], f"{ENVS}[2].variables"),
    ],
    ids=["defaults", "service", "environment"],
)
def test_invalid_variable_name_is_rejected(config, problems_of, place, path):
    place(config)["variables"] = {"GOOD_NAME": "x", "2FA-MODE": "on"}

    assert problems_of(config) == [(f'{path}["2FA-MODE"]', '"2FA-MODE" is not a valid variable name')]


def test_secret_variable_value_is_rejected_with_an_alternative(config, problems_of, error_of):
    config[ENVS][2]["variables"] = {"STRIPE_KEY": {"secure": "v1:abc"}}

    assert problems_of(config) == [(f"{ENVS}[2].variables.STRIPE_KEY", "secret values are not supported in variables")]
    assert "base Railway environment" in str(error_of(config).problems[0].hint)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "must be greater than 0"),
        (-30, "must be greater than 0"),
        (7.5, "expected a whole number, got 7.5"),
        (True, "expected a whole number, got a boolean"),
    ],
)
def test_token_rotation_days_must_be_a_positive_whole_number(config, problems_of, value, message):
    config[DEFAULTS]["tokenRotationDays"] = value

    assert problems_of(config) == [(f"{DEFAULTS}.tokenRotationDays", message)]


@pytest.mark.parametrize("key", ["maxLongLived", "maxPullRequests", "monthlyBudgetUsd"])
def test_negative_limit_is_rejected(config, problems_of, key):
    config[LIMITS] = {key: -1}

    assert problems_of(config) == [(f"{LIMITS}.{key}", "must not be negative")]


@pytest.mark.parametrize("value", ["2027-1-31", "31/01/2027", 20270131])
def test_expiry_that_is_not_a_date_is_rejected(config, problems_of, value):
    config[ENVS][1]["expires"] = value

    assert problems_of(config) == [(f"{ENVS}[1].expires", "expected a date (YYYY-MM-DD)")]


def test_expiry_on_a_day_that_does_not_exist_is_rejected(config, problems_of):
    config[ENVS][1]["expires"] = "2027-02-30"

    assert problems_of(config) == [(f"{ENVS}[1].expires", '"2027-02-30" is not a calendar date')]


def test_expiry_with_a_time_of_day_is_rejected(config, problems_of):
    config[ENVS][1]["expires"] = datetime.datetime(2027, 1, 31, 12, 0)

    assert problems_of(config) == [(f"{ENVS}[1].expires", "expected a date (YYYY-MM-DD), not a date and time")]


@pytest.mark.parametrize("key", ["railwayApiUrl", "supabaseApiUrl"])
def test_api_url_must_be_http_or_https(config, problems_of, key):
    config[f"stagefleet:{key}"] = "ftp://api.example.com"

    assert problems_of(config) == [(f"stagefleet:{key}", "must be an http:// or https:// URL")]


# --- JSON from the Pulumi runtime ---------------------------------------------------------------


def test_invalid_json_is_reported_once_with_its_position(config, problems_of, json_error_of):
    config[RAILWAY] = '{"projectId": "p1",}'
    decoder = json_error_of(config[RAILWAY])

    assert problems_of(config) == [(RAILWAY, f"is not valid JSON: {decoder}")]
    assert problems_of(config)[0][1].endswith(f": line 1 column {decoder.colno} (char {decoder.pos})")


# --- reporting --------------------------------------------------------------------------------


def test_every_problem_is_reported_together(config, problems_of):
    del config[RAILWAY]["services"][0]["id"]
    del config[ENVS][1]["owner"]
    config[ENVS][2]["database"] = {"strategy": "shared", "source": "mian"}

    assert problems_of(config) == [
        (f"{RAILWAY}.services[0].id", "required key is missing"),
        (f"{ENVS}[1].owner", "required for developer environments"),
        (f"{ENVS}[2].database.source", 'no environment named "mian"'),
    ]


def test_problems_of_one_environment_do_not_hide_each_other(config, problems_of):
    config[ENVS][1] = {"name": "Dev1", "kind": "developer", "branch": "a b", "database": {"strategy": "shared"}}

    assert problems_of(config) == [
        (f"{ENVS}[1].branch", '"a b" is not a valid git branch name: it contains a space'),
        (f"{ENVS}[1].database.source", "required for strategy shared"),
        (f"{ENVS}[1].name", '"Dev1" is not a valid environment name'),
        (f"{ENVS}[1].owner", "required for developer environments"),
    ]


def test_problems_are_ordered_by_list_position_not_text(config, problems_of):
    config[ENVS] += [{"name": f"team-{n}", "kind": "team", "branch": "main"} for n in range(9)]
    config[ENVS][11]["kind"] = "x"
    config[ENVS][2]["kind"] = "x"

    assert [path for path, _ in problems_of(config)] == [f"{ENVS}[2].kind", f"{ENVS}[11].kind"]


def test_error_text_has_one_line_per_problem(config, error_of):
    del config[ENVS][1]["owner"]
    config[ENVS][2]["database"] = {"strategy": "shared", "source": "mian"}

    assert str(error_of(config)) == (
        f'{ENVS}[1].owner: required for developer environments\n{ENVS}[2].database.source: no environment named "mian"'
    )


def test_problems_are_errors(config, error_of):
    del config[ENVS][1]["owner"]

    assert [problem.severity for problem in error_of(config).problems] == ["error"]


def test_environment_without_database_and_without_default_database_is_rejected():
    from fleet import FleetConfigError, FleetSpec

    mapping = {
        "stagefleet:railway": {
            "projectId": "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01",
            "baseEnvironmentId": "7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10",
            "services": [{"name": "api", "id": "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60", "repository": "o/r"}],
        },
        "stagefleet:environments": [{"name": "team-a", "kind": "team", "branch": "main"}],
    }
    with pytest.raises(FleetConfigError) as raised:
        FleetSpec.from_config(mapping)
    assert str(raised.value) == (
        "stagefleet:environments[0].database: no database: this environment names none and defaults.database is not set"
    )


# --- service health and sleeping ----------------------------------------------------------------


def test_healthcheck_path_must_be_a_url_path(config, problems_of):
    config[RAILWAY]["services"][0]["healthcheckPath"] = "health"

    assert problems_of(config) == [(f"{RAILWAY}.services[0].healthcheckPath", '"health" is not a URL path')]


def test_healthcheck_timeout_is_at_most_an_hour(config, problems_of):
    config[RAILWAY]["services"][0]["healthcheckTimeout"] = 7200

    assert problems_of(config) == [(f"{RAILWAY}.services[0].healthcheckTimeout", "must be at most 3600")]


def test_healthcheck_timeout_is_read_in_seconds(config):
    config[RAILWAY]["services"][0]["healthcheckTimeout"] = 120

    assert FleetSpec.from_config(config).railway.services[0].healthcheck_timeout == 120


def test_sleep_when_idle_must_be_true_or_false(config, problems_of):
    config[ENVS][0]["sleepWhenIdle"] = "yes"

    assert problems_of(config) == [(f"{ENVS}[0].sleepWhenIdle", "expected true or false, got a string")]


@pytest.mark.parametrize(("kind", "sleeps"), [("developer", True), ("team", False), ("shared", False)])
def test_environments_sleep_when_idle_by_kind_unless_they_say(config, kind, sleeps):
    config[ENVS][1].update(kind=kind, owner="someone", expires="2027-01-01")
    default = FleetSpec.from_config(config).environments[1]
    config[ENVS][1]["sleepWhenIdle"] = not sleeps
    overridden = FleetSpec.from_config(config).environments[1]

    assert (default.sleeps_when_idle, overridden.sleeps_when_idle) == (sleeps, not sleeps)

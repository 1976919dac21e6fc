"""stagefleet:supabase, the databases that live on Supabase and the keys services get: every rule
with the exact config path and message, and what the program reads from a valid config."""

import pytest

from fleet import FleetSpec
from fleet.config import INSTANCE_SIZES, SUPABASE_REGIONS

RAILWAY = "stagefleet:railway"
SUPABASE = "stagefleet:supabase"
DEFAULTS = "stagefleet:defaults"
ENVS = "stagefleet:environments"

NEEDS_ORGANIZATION = "needs a Supabase organization: set stagefleet:supabase.organizationSlug"
ORGANIZATION_HINT = "set it with: pulumi config set --path 'stagefleet:supabase.organizationSlug' <organization slug>"
EXTERNAL = {"strategy": "external", "supabaseUrl": "https://abc.supabase.co", "supabaseKey": "service-role-key"}


# --- organizationSlug: required once a database lives on Supabase -------------------------------


def test_dedicated_database_without_supabase_block_names_the_missing_organization(config, problems_of, error_of):
    del config[SUPABASE]

    assert problems_of(config) == [(f"{ENVS}[0].database.strategy", f'strategy "dedicated" {NEEDS_ORGANIZATION}')]
    assert error_of(config).problems[0].hint == ORGANIZATION_HINT


def test_branch_database_without_organization_is_reported_on_its_strategy(config, problems_of):
    del config[SUPABASE]
    config[ENVS].insert(
        0, {"name": "pr-1", "kind": "team", "branch": "pr-1", "database": {"strategy": "branch", "source": "main"}}
    )

    # Reported once, on the first environment that needs it.
    assert problems_of(config) == [(f"{ENVS}[0].database.strategy", f'strategy "branch" {NEEDS_ORGANIZATION}')]


def test_organization_needed_by_the_default_database_is_reported_on_the_default(config, problems_of):
    del config[SUPABASE]
    config[ENVS][0]["database"] = EXTERNAL
    config[DEFAULTS]["database"] = {"strategy": "dedicated"}

    assert problems_of(config) == [
        (
            f"{DEFAULTS}.database.strategy",
            f'strategy "dedicated" (used by environment "dev1-alice") {NEEDS_ORGANIZATION}',
        )
    ]


def test_organization_explicitly_null_is_reported_as_missing(config, problems_of):
    config[SUPABASE]["organizationSlug"] = None

    assert problems_of(config) == [(f"{ENVS}[0].database.strategy", f'strategy "dedicated" {NEEDS_ORGANIZATION}')]


def test_fleet_without_supabase_databases_needs_no_supabase_block(config):
    del config[SUPABASE]
    config[ENVS][0]["database"] = EXTERNAL

    assert FleetSpec.from_config(config).supabase is None


def test_a_default_database_no_environment_uses_needs_no_organization(config):
    del config[SUPABASE]
    config[DEFAULTS]["database"] = {"strategy": "dedicated"}
    for environment in config[ENVS]:
        environment["database"] = EXTERNAL

    assert FleetSpec.from_config(config).supabase is None


def test_invalid_organization_slug_is_reported_once_where_it_is_written(config, problems_of, error_of):
    config[SUPABASE]["organizationSlug"] = "gateway z"

    assert problems_of(config) == [(f"{SUPABASE}.organizationSlug", '"gateway z" is not a Supabase organization slug')]
    assert error_of(config).problems[0].hint == (
        'use letters, digits, "_" and "-": the slug in the dashboard URL supabase.com/dashboard/org/<slug>'
    )


def test_supabase_block_that_is_not_valid_json_is_reported_once(config, problems_of, json_error_of):
    config[SUPABASE] = '{"organizationSlug": "gatewayz",}'
    decoder = json_error_of(config[SUPABASE])

    assert problems_of(config) == [(SUPABASE, f"is not valid JSON: {decoder}")]
    assert problems_of(config)[0][1].endswith(f": line 1 column {decoder.colno} (char {decoder.pos})")


def test_supabase_block_that_is_not_a_mapping_is_reported_once(config, problems_of):
    config[SUPABASE] = "gatewayz"

    assert problems_of(config) == [(SUPABASE, "expected a mapping of keys to values, got a string")]


# --- region, instanceSize, projectPrefix, readinessDeadlineSeconds ------------------------------


@pytest.mark.parametrize("region", SUPABASE_REGIONS)
def test_every_specific_supabase_region_is_accepted(config, region):
    config[SUPABASE]["region"] = region

    assert FleetSpec.from_config(config).supabase.region == region


def test_unknown_region_is_rejected_with_the_closest_one(config, problems_of, error_of):
    config[SUPABASE]["region"] = "eu-centrl-1"

    assert problems_of(config) == [(f"{SUPABASE}.region", '"eu-centrl-1" is not a Supabase region')]
    assert error_of(config).problems[0].hint == 'did you mean "eu-central-1"?'


def test_unknown_region_without_a_close_one_lists_the_regions(config, error_of):
    config[SUPABASE]["region"] = "mars"

    assert error_of(config).problems[0].hint == "one of " + ", ".join(SUPABASE_REGIONS)


def test_region_group_is_rejected_in_favour_of_a_specific_region(config, problems_of, error_of):
    config[SUPABASE]["region"] = "emea"

    assert problems_of(config) == [(f"{SUPABASE}.region", '"emea" is a Supabase region group, not a region')]
    assert error_of(config).problems[0].hint == "name a specific region, e.g. us-east-1 or eu-central-1"


def test_region_is_optional(config):
    del config[SUPABASE]["region"]

    assert FleetSpec.from_config(config).supabase.region is None


@pytest.mark.parametrize("size", INSTANCE_SIZES)
def test_every_supabase_instance_size_is_accepted(config, size):
    config[SUPABASE]["instanceSize"] = size

    assert FleetSpec.from_config(config).supabase.instance_size == size


def test_instance_size_given_as_a_number_is_a_type_error(config, problems_of):
    config[SUPABASE]["instanceSize"] = 2

    [(path, message)] = problems_of(config)
    assert path == f"{SUPABASE}.instanceSize"
    assert message.startswith("must be one of nano, micro, small")
    assert message.endswith("48xlarge_high_memory, got a number")


@pytest.mark.parametrize("size", INSTANCE_SIZES)
def test_every_supabase_instance_size_is_accepted_for_branches(config, size):
    config[SUPABASE]["branchInstanceSize"] = size

    assert FleetSpec.from_config(config).supabase.branch_instance_size == size


def test_a_branch_instance_size_supabase_does_not_have_is_reported_at_its_key(config, problems_of):
    config[SUPABASE]["branchInstanceSize"] = "mikro"

    [(path, message)] = problems_of(config)
    assert path == f"{SUPABASE}.branchInstanceSize"
    assert message.startswith("must be one of nano, micro, small")
    assert message.endswith('48xlarge_high_memory, got "mikro"')


def test_branches_get_the_branch_instance_size(config):
    config[SUPABASE]["branchInstanceSize"] = "small"
    config[ENVS][2]["database"] = {"strategy": "branch", "source": "main"}
    spec = FleetSpec.from_config(config)

    assert spec.branch_instance_size_for(spec.environment("payments")) == "small"


def test_without_a_branch_instance_size_a_branch_gets_supabases_default(config):
    config[ENVS][2]["database"] = {"strategy": "branch", "source": "main"}
    spec = FleetSpec.from_config(config)

    assert spec.supabase.branch_instance_size is None
    assert spec.branch_instance_size_for(spec.environment("payments")) is None


def test_supabase_block_defaults(config):
    supabase = FleetSpec.from_config(config).supabase

    assert (supabase.organization_slug, supabase.region) == ("gatewayz", "us-east-1")
    assert (supabase.instance_size, supabase.project_prefix, supabase.readiness_deadline_seconds) == (
        "micro",
        None,
        600,
    )
    assert (supabase.migrations, supabase.seed) == (None, None)


def test_empty_project_prefix_is_rejected(config, problems_of):
    config[SUPABASE]["projectPrefix"] = ""

    assert problems_of(config) == [(f"{SUPABASE}.projectPrefix", "must not be empty")]


def test_project_prefix_too_long_for_a_supabase_project_name_is_rejected(config, problems_of):
    config[SUPABASE]["projectPrefix"] = "p" * 217

    assert problems_of(config) == [
        (
            f"{SUPABASE}.projectPrefix",
            "is 217 characters long; at most 216 fit in a Supabase project name "
            "(<prefix>-staging-<environment>, at most 256 characters)",
        )
    ]


def test_longest_project_prefix_is_accepted(config):
    config[SUPABASE]["projectPrefix"] = "p" * 216

    assert len(FleetSpec.from_config(config).supabase_project_name("a" * 31)) == 256


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "must be greater than 0"),
        (-60, "must be greater than 0"),
        (90.5, "expected a whole number, got 90.5"),
        ("600", "expected a whole number, got a string"),
        (False, "expected a whole number, got a boolean"),
    ],
)
def test_readiness_deadline_must_be_a_positive_whole_number(config, problems_of, value, message):
    config[SUPABASE]["readinessDeadlineSeconds"] = value

    assert problems_of(config) == [(f"{SUPABASE}.readinessDeadlineSeconds", message)]


def test_readiness_deadline_given_as_a_whole_float_becomes_an_int(config):
    # Pulumi hands numbers to the program as floats.
    config[SUPABASE]["readinessDeadlineSeconds"] = 900.0

    deadline = FleetSpec.from_config(config).supabase.readiness_deadline_seconds

    assert (deadline, type(deadline)) == (900, int)


# --- migrations and seed ----------------------------------------------------------------------


def test_migrations_and_seed_are_read_with_the_default_directory(config):
    config[SUPABASE]["migrations"] = {"command": 'supabase db push --db-url "$DATABASE_URL"'}
    config[SUPABASE]["seed"] = {"command": 'psql "$DATABASE_URL" -f supabase/seed.sql'}

    supabase = FleetSpec.from_config(config).supabase

    assert supabase.migrations.command == 'supabase db push --db-url "$DATABASE_URL"'
    assert supabase.migrations.directory == "supabase/migrations"
    assert supabase.seed.command == 'psql "$DATABASE_URL" -f supabase/seed.sql'


def test_migrations_directory_can_be_set(config):
    config[SUPABASE]["migrations"] = {"command": "make migrate", "directory": "db/migrations"}

    assert FleetSpec.from_config(config).supabase.migrations.directory == "db/migrations"


@pytest.mark.parametrize("key", ["migrations", "seed"])
def test_migrations_and_seed_need_a_command(config, problems_of, key):
    config[SUPABASE][key] = {}

    assert problems_of(config) == [(f"{SUPABASE}.{key}.command", "required key is missing")]


def test_seed_given_as_a_command_string_is_a_type_error(config, problems_of):
    config[SUPABASE]["seed"] = "psql -f seed.sql"

    assert problems_of(config) == [(f"{SUPABASE}.seed", "expected a mapping of keys to values, got a string")]


def test_misspelt_migrations_key_suggests_the_right_one(config, problems_of, error_of):
    config[SUPABASE]["migrations"] = {"command": "make migrate", "dir": "db"}

    assert problems_of(config) == [(f"{SUPABASE}.migrations.dir", "unknown key")]
    assert error_of(config).problems[0].hint == "allowed keys: command, directory"


def test_empty_migrations_directory_is_rejected(config, problems_of):
    config[SUPABASE]["migrations"] = {"command": "make migrate", "directory": ""}

    assert problems_of(config) == [(f"{SUPABASE}.migrations.directory", "must not be empty")]


# --- a source must own the database it lends ---------------------------------------------------


def test_sharing_an_environment_that_shares_is_rejected_pointing_at_the_owner(config, problems_of, error_of):
    # payments shares main's database (the default), so it has none of its own to lend.
    config[ENVS][1]["database"] = {"strategy": "shared", "source": "payments"}

    assert problems_of(config) == [
        (
            f"{ENVS}[1].database.source",
            'environment "payments" does not own a database (it shares "main"\'s); point at "main", which owns it',
        )
    ]
    assert (
        error_of(config).problems[0].hint == "name the environment that owns the database: shared sources do not chain"
    )


def test_each_link_of_a_chain_of_shared_sources_points_at_the_owner(config, problems_of):
    config[ENVS] += [
        {"name": "a", "kind": "team", "branch": "main", "database": {"strategy": "shared", "source": "b"}},
        {"name": "b", "kind": "team", "branch": "main", "database": {"strategy": "shared", "source": "c"}},
        {"name": "c", "kind": "team", "branch": "main", "database": {"strategy": "shared", "source": "main"}},
    ]

    assert problems_of(config) == [
        (
            f"{ENVS}[3].database.source",
            'environment "b" does not own a database (it shares "c"\'s); point at "main", which owns it',
        ),
        (
            f"{ENVS}[4].database.source",
            'environment "c" does not own a database (it shares "main"\'s); point at "main", which owns it',
        ),
    ]


def test_default_database_shared_from_an_environment_that_shares_is_reported_on_the_default(config, problems_of):
    config[DEFAULTS]["database"] = {"strategy": "shared", "source": "payments"}
    config[ENVS][2]["database"] = {"strategy": "shared", "source": "main"}

    assert problems_of(config) == [
        (
            f"{DEFAULTS}.database.source",
            'environment "payments" does not own a database (it shares "main"\'s); point at "main", which owns it',
        )
    ]


@pytest.mark.parametrize("strategy", ["dedicated", "branch", "external"])
def test_sharing_an_environment_that_owns_its_database_is_accepted(config, strategy):
    database = {"dedicated": {"strategy": "dedicated"}, "branch": {"strategy": "branch", "source": "main"}}
    config[ENVS][2]["database"] = database.get(strategy, EXTERNAL)
    config[ENVS][1]["database"] = {"strategy": "shared", "source": "payments"}

    spec = FleetSpec.from_config(config)

    assert spec.database_owner(spec.environment("dev1-alice")).name == "payments"


def test_branching_an_environment_that_shares_is_rejected_naming_its_strategy(config, problems_of, error_of):
    config[ENVS][2]["database"] = {"strategy": "branch", "source": "dev1-alice"}

    assert problems_of(config) == [
        (
            f"{ENVS}[2].database.source",
            'environment "dev1-alice" has no Supabase project to branch: its database strategy is shared '
            "(from stagefleet:defaults.database), not dedicated",
        )
    ]
    assert error_of(config).problems[0].hint == 'did you mean "main"? it owns the database "dev1-alice" uses'


def test_branching_an_external_database_is_rejected(config, problems_of, error_of):
    config[ENVS][0]["database"] = EXTERNAL
    config[ENVS][2]["database"] = {"strategy": "branch", "source": "main"}

    assert problems_of(config) == [
        (
            f"{ENVS}[2].database.source",
            'environment "main" has no Supabase project to branch: its database strategy is external, not dedicated',
        )
    ]
    assert error_of(config).problems[0].hint == "branch from an environment with strategy dedicated"


def test_branching_a_branch_is_rejected(config, problems_of):
    config[ENVS][1]["database"] = {"strategy": "branch", "source": "main"}
    config[ENVS][2]["database"] = {"strategy": "branch", "source": "dev1-alice"}

    assert problems_of(config) == [
        (
            f"{ENVS}[2].database.source",
            'environment "dev1-alice" has no Supabase project to branch: its database strategy is branch, not dedicated',
        )
    ]


def test_default_database_branched_from_a_non_dedicated_environment_is_reported_on_the_default(config, problems_of):
    config[ENVS][0]["database"] = EXTERNAL
    config[DEFAULTS]["database"] = {"strategy": "branch", "source": "main"}

    assert problems_of(config) == [
        (
            f"{DEFAULTS}.database.source",
            'environment "main" has no Supabase project to branch: its database strategy is external, not dedicated',
        )
    ]


def test_a_cycle_of_sources_is_reported_as_a_cycle_only(config, problems_of):
    config[ENVS][0]["database"] = {"strategy": "shared", "source": "payments"}
    config[ENVS][2]["database"] = {"strategy": "shared", "source": "main"}
    config[ENVS][1]["database"] = {"strategy": "branch", "source": "main"}

    # dev1-alice's source is in the cycle: whether it may branch it depends on how that is broken.
    assert problems_of(config) == [
        (f"{ENVS}[0].database.source", "database sources form a cycle: main -> payments -> main"),
    ]


def test_a_source_naming_itself_is_reported_once(config, problems_of):
    config[ENVS][2]["database"] = {"strategy": "shared", "source": "payments"}
    config[ENVS][1]["database"] = {"strategy": "shared", "source": "payments"}

    assert problems_of(config) == [
        (f"{ENVS}[2].database.source", 'environment "payments" cannot use its own database as the source')
    ]


# --- instanceSize and withData on a database ----------------------------------------------------


def test_instance_size_of_a_dedicated_database_overrides_the_supabase_default(config):
    config[ENVS][0]["database"] = {"strategy": "dedicated", "instanceSize": "small"}
    config[SUPABASE]["instanceSize"] = "nano"

    spec = FleetSpec.from_config(config)

    assert spec.environment("main").database.instance_size == "small"
    assert spec.instance_size_for(spec.environment("main")) == "small"


def test_instance_size_falls_back_to_the_supabase_block(config):
    config[SUPABASE]["instanceSize"] = "medium"
    spec = FleetSpec.from_config(config)

    assert spec.instance_size_for(spec.environment("main")) == "medium"


def test_instance_size_defaults_to_micro(config):
    spec = FleetSpec.from_config(config)

    assert spec.instance_size_for(spec.environment("main")) == "micro"


def test_instance_size_without_a_supabase_block_is_micro(config):
    del config[SUPABASE]
    config[ENVS][0]["database"] = EXTERNAL
    spec = FleetSpec.from_config(config)

    assert spec.instance_size_for(spec.environment("main")) == "micro"


def test_instance_size_of_a_default_dedicated_database_applies_to_environments_inheriting_it(config):
    config[DEFAULTS]["database"] = {"strategy": "dedicated", "instanceSize": "large"}
    spec = FleetSpec.from_config(config)

    assert spec.instance_size_for(spec.environment("payments")) == "large"


@pytest.mark.parametrize("strategy", ["shared", "branch"])
def test_instance_size_on_a_database_that_is_not_dedicated_is_rejected(config, problems_of, strategy):
    config[ENVS][2]["database"] = {"strategy": strategy, "source": "main", "instanceSize": "small"}

    assert problems_of(config) == [
        (f"{ENVS}[2].database.instanceSize", f"only used with strategy dedicated, not {strategy}")
    ]


def test_instance_size_on_the_default_shared_database_is_rejected(config, problems_of):
    config[DEFAULTS]["database"]["instanceSize"] = "small"

    assert problems_of(config) == [
        (f"{DEFAULTS}.database.instanceSize", "only used with strategy dedicated, not shared")
    ]


def test_unknown_database_instance_size_is_rejected(config, problems_of):
    config[ENVS][0]["database"]["instanceSize"] = "tiny"

    [(path, message)] = problems_of(config)
    assert path == f"{ENVS}[0].database.instanceSize"
    assert message.startswith("must be one of nano, micro")
    assert message.endswith('got "tiny"')


def test_with_data_on_a_branch_is_read_and_defaults_to_false(config):
    config[ENVS][1]["database"] = {"strategy": "branch", "source": "main", "withData": True}
    config[ENVS][2]["database"] = {"strategy": "branch", "source": "main"}

    spec = FleetSpec.from_config(config)

    assert spec.environment("dev1-alice").database.with_data is True
    assert spec.environment("payments").database.with_data is False


@pytest.mark.parametrize("value", [True, False])
def test_with_data_on_a_database_that_is_not_a_branch_is_rejected(config, problems_of, value):
    config[ENVS][0]["database"] = {"strategy": "dedicated", "withData": value}

    assert problems_of(config) == [(f"{ENVS}[0].database.withData", "only used with strategy branch, not dedicated")]


def test_with_data_given_as_text_is_a_type_error(config, problems_of):
    config[ENVS][2]["database"] = {"strategy": "branch", "source": "main", "withData": "yes"}

    assert problems_of(config) == [(f"{ENVS}[2].database.withData", "expected true or false, got a string")]


# --- which key a service gets -----------------------------------------------------------------


def test_service_gets_the_anon_key_unless_it_asks_for_the_service_role_key(config):
    config[RAILWAY]["services"][0]["supabaseKey"] = "service_role"

    api, web = FleetSpec.from_config(config).railway.services

    assert (api.supabase_key, web.supabase_key) == ("service_role", "anon")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("admin", "must be anon or service_role, got another string (not shown: it may be a key)"),
        (1, "must be anon or service_role, got a number"),
        ({"secure": "v1:abc"}, "must be anon or service_role, got a mapping"),
    ],
)
def test_service_supabase_key_must_name_a_key(config, problems_of, error_of, value, message):
    config[RAILWAY]["services"][1]["supabaseKey"] = value

    assert problems_of(config) == [(f"{RAILWAY}.services[1].supabaseKey", message)]
    assert error_of(config).problems[0].hint == (
        "it names the key the service gets as SUPABASE_KEY; the key itself comes from the database"
    )


# --- Supabase project names -------------------------------------------------------------------


def test_supabase_project_name_uses_the_configured_prefix(config):
    config[RAILWAY]["projectName"] = "gatewayz"
    config[SUPABASE]["projectPrefix"] = "gw"
    spec = FleetSpec.from_config(config)

    assert spec.supabase_project_prefix() == "gw"
    assert spec.supabase_project_name(spec.environment("dev1-alice")) == "gw-staging-dev1-alice"


def test_supabase_project_name_falls_back_to_the_railway_project_name(config):
    config[RAILWAY]["projectName"] = "gatewayz"
    spec = FleetSpec.from_config(config)

    assert spec.supabase_project_name(spec.environment("main")) == "gatewayz-staging-main"


def test_supabase_project_name_falls_back_to_stagefleet(config):
    spec = FleetSpec.from_config(config)

    assert spec.supabase_project_name(spec.environment("main")) == "stagefleet-staging-main"


def test_supabase_project_name_without_a_supabase_block(config):
    del config[SUPABASE]
    config[ENVS][0]["database"] = EXTERNAL
    config[RAILWAY]["projectName"] = "gatewayz"
    spec = FleetSpec.from_config(config)

    assert spec.supabase_project_name("payments") == "gatewayz-staging-payments"


# --- reporting --------------------------------------------------------------------------------


def test_every_supabase_problem_is_reported_together(config, problems_of):
    del config[SUPABASE]["organizationSlug"]
    config[SUPABASE]["region"] = "emea"
    config[SUPABASE]["readinessDeadlineSeconds"] = 0
    config[RAILWAY]["services"][0]["supabaseKey"] = "anon-key"
    config[ENVS][1]["database"] = {"strategy": "shared", "source": "payments", "withData": True}

    assert problems_of(config) == [
        (
            f"{RAILWAY}.services[0].supabaseKey",
            "must be anon or service_role, got another string (not shown: it may be a key)",
        ),
        (f"{SUPABASE}.readinessDeadlineSeconds", "must be greater than 0"),
        (f"{SUPABASE}.region", '"emea" is a Supabase region group, not a region'),
        (f"{ENVS}[0].database.strategy", f'strategy "dedicated" {NEEDS_ORGANIZATION}'),
        (
            f"{ENVS}[1].database.source",
            'environment "payments" does not own a database (it shares "main"\'s); point at "main", which owns it',
        ),
        (f"{ENVS}[1].database.withData", "only used with strategy branch, not shared"),
    ]

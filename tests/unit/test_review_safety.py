"""The safety rules of a pull request environment (issue 4, item 3): it never writes to a
long-lived environment's database unless the template says so, and none of its variables
points at a production host."""

from typing import Any

import pytest

from fleet import FleetConfigError, FleetSpec, ReviewSpec
from tests.unit.review_support import PULL_REQUEST, fleet_config


def review_config(**review: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"stagefleet:fleetStack": "staging", "stagefleet:pullRequest": dict(PULL_REQUEST)}
    if review:
        config["stagefleet:review"] = review
    return config


def fleet_with(production_hosts: list[str] | None = None, **changes: Any) -> FleetSpec:
    config = fleet_config()
    if production_hosts is not None:
        config["stagefleet:policy"] = {"productionHosts": production_hosts}
    config.update(changes)
    return FleetSpec.from_config(config)


def problems(mapping: dict[str, Any], fleet: FleetSpec) -> list[tuple[str, str]]:
    with pytest.raises(FleetConfigError) as caught:
        ReviewSpec.from_config(mapping, fleet)
    return [(problem.path, problem.message) for problem in caught.value.problems]


# --- databases ---------------------------------------------------------------------------------


def test_sharing_a_long_lived_environments_database_is_rejected():
    config = review_config(database={"strategy": "shared", "source": "main"})

    assert problems(config, fleet_with()) == [
        (
            "stagefleet:review.database.strategy",
            'a pull request environment may not share the database of the long-lived environment "main": '
            "it would write to its data",
        )
    ]


def test_sharing_is_rejected_for_any_fleet_environment_not_only_shared_ones():
    config = review_config(database={"strategy": "shared", "source": "dev1-alice"})

    [(path, message)] = problems(config, fleet_with())

    assert path == "stagefleet:review.database.strategy"
    assert '"dev1-alice"' in message


def test_sharing_a_long_lived_database_is_allowed_when_the_template_says_so():
    config = review_config(database={"strategy": "shared", "source": "main"}, allowSharedDatabase=True)

    spec = ReviewSpec.from_config(config, fleet_with())

    assert (spec.database.strategy, spec.allow_shared_database) == ("shared", True)


def test_sharing_an_external_database_of_the_fleet_is_rejected_too():
    config = review_config(database={"strategy": "shared", "source": "legacy"})

    [(path, _)] = problems(config, fleet_with())

    assert path == "stagefleet:review.database.strategy"


def test_allow_shared_database_must_be_a_boolean():
    config = review_config(allowSharedDatabase="yes")

    assert problems(config, fleet_with()) == [
        ("stagefleet:review.allowSharedDatabase", "expected true or false, got a string")
    ]


def test_a_shared_source_must_own_its_database():
    config = review_config(database={"strategy": "shared", "source": "payments"}, allowSharedDatabase=True)

    assert problems(config, fleet_with()) == [
        (
            "stagefleet:review.database.source",
            'environment "payments" does not own a database (it shares "main"\'s); point at "main", which owns it',
        )
    ]


def test_a_branch_source_must_have_a_dedicated_database():
    config = review_config(database={"strategy": "branch", "source": "legacy"})

    assert problems(config, fleet_with()) == [
        (
            "stagefleet:review.database.source",
            'environment "legacy" has no Supabase project to branch: its database strategy is external, not dedicated',
        )
    ]


def test_a_branch_of_an_environment_that_shares_points_at_the_owner():
    config = review_config(database={"strategy": "branch", "source": "payments"})

    with pytest.raises(FleetConfigError) as caught:
        ReviewSpec.from_config(config, fleet_with())

    [problem] = caught.value.problems
    assert problem.hint == 'did you mean "main"? it owns the database "payments" uses'


def test_the_default_branch_source_must_be_dedicated_too():
    config = fleet_config()
    config["stagefleet:environments"][0]["database"] = {
        "strategy": "external",
        "supabaseUrl": "https://mainref.supabase.co",
        "supabaseKey": "k",
    }
    fleet = FleetSpec.from_config(config)

    [(path, message)] = problems(review_config(), fleet)

    assert path == "stagefleet:review.database"
    assert message.startswith('environment "main" has no Supabase project to branch: its database strategy is external')
    assert message.endswith("(the default database: a branch of the fleet's first shared environment)")


def test_a_dedicated_review_database_needs_the_fleets_supabase_organization():
    config = fleet_config()
    del config["stagefleet:supabase"]
    config["stagefleet:defaults"]["database"] = {
        "strategy": "external",
        "supabaseUrl": "https://x.supabase.co",
        "supabaseKey": "k",
    }
    fleet = FleetSpec.from_config(config)

    [(path, message)] = problems(review_config(database={"strategy": "dedicated"}), fleet)

    assert path == "stagefleet:review.database.strategy"
    assert "stagefleet:supabase.organizationSlug in the fleet stack staging" in message


def test_a_dedicated_review_database_is_accepted():
    spec = ReviewSpec.from_config(review_config(database={"strategy": "dedicated"}), fleet_with())

    assert (spec.database.strategy, spec.database_source()) == ("dedicated", None)


# --- production hosts --------------------------------------------------------------------------


def test_a_review_variable_pointing_at_a_production_host_is_rejected():
    config = review_config(variables={"API_URL": "https://api.gatewayz.ai/v1"})

    assert problems(config, fleet_with(["api.gatewayz.ai"])) == [
        (
            "stagefleet:review.variables.API_URL",
            'variable API_URL points at production host "api.gatewayz.ai" (stagefleet:policy.productionHosts)',
        )
    ]


def test_a_subdomain_of_a_production_host_counts():
    config = review_config(variables={"DB_HOST": "db.eu.gatewayz.ai"})

    [(path, message)] = problems(config, fleet_with(["gatewayz.ai"]))

    assert path == "stagefleet:review.variables.DB_HOST"
    assert '"gatewayz.ai"' in message


def test_production_hosts_match_case_insensitively():
    config = review_config(variables={"API_URL": "HTTPS://API.GatewayZ.AI"})

    [(path, _)] = problems(config, fleet_with(["Api.Gatewayz.ai"]))

    assert path == "stagefleet:review.variables.API_URL"


def test_a_bare_hostname_with_a_port_counts():
    config = review_config(variables={"REDIS": "cache.gatewayz.ai:6379"})

    [(path, _)] = problems(config, fleet_with(["cache.gatewayz.ai"]))

    assert path == "stagefleet:review.variables.REDIS"


def test_a_host_inside_a_connection_string_with_a_user_counts():
    config = review_config(variables={"DATABASE_URL": "postgres://app@db.gatewayz.ai:5432/app"})

    [(path, message)] = problems(config, fleet_with(["db.gatewayz.ai"]))

    assert path == "stagefleet:review.variables.DATABASE_URL"
    assert "looks like" not in message


def test_a_connection_string_with_a_password_is_refused_as_a_credential():
    config = review_config(variables={"DATABASE_URL": "postgres://app:hunter2@db.staging.example:5432/app"})

    assert problems(config, fleet_with()) == [
        (
            "stagefleet:review.variables.DATABASE_URL",
            "looks like a URL with a password: variables are written to the stack file in plain text",
        )
    ]


def test_the_message_never_shows_the_value():
    config = review_config(variables={"DATABASE_URL": "postgres://app:hunter2@db.gatewayz.ai:5432/app"})

    with pytest.raises(FleetConfigError) as caught:
        ReviewSpec.from_config(config, fleet_with(["gatewayz.ai"]))

    assert "hunter2" not in str(caught.value)
    assert "postgres://" not in str(caught.value)
    assert "db.gatewayz.ai" not in str(caught.value)


@pytest.mark.parametrize(
    "value",
    [
        "https://notgatewayz.ai/",  # another domain that merely ends the same
        "https://gatewayz.ai.evil.example",  # the production name as a label of another host
        "https://staging.gatewayz.dev",
        "support@gatewayz.ai",  # an e-mail address, not a host
        "gatewayz",
    ],
)
def test_values_that_do_not_point_at_the_host_are_accepted(value):
    spec = ReviewSpec.from_config(review_config(variables={"X": value}), fleet_with(["gatewayz.ai"]))

    assert spec.variables == {"X": value}


def test_a_production_host_inherited_from_the_fleet_defaults_is_rejected_at_its_fleet_path():
    config = fleet_config()
    config["stagefleet:defaults"]["variables"]["PAYMENTS_API"] = "https://pay.gatewayz.ai"
    fleet = FleetSpec.from_config(config | {"stagefleet:policy": {"productionHosts": ["pay.gatewayz.ai"]}})

    assert problems(review_config(), fleet) == [
        (
            "stagefleet:defaults.variables.PAYMENTS_API",
            'variable PAYMENTS_API points at production host "pay.gatewayz.ai" '
            "(stagefleet:policy.productionHosts): the pull request environment inherits it from the "
            "defaults of the fleet stack staging",
        )
    ]


def test_a_production_host_inherited_from_a_service_is_rejected_at_the_service_path():
    config = fleet_config()
    config["stagefleet:railway"]["services"][1]["variables"] = {"NEXT_PUBLIC_API": "https://api.gatewayz.ai"}
    fleet = FleetSpec.from_config(config | {"stagefleet:policy": {"productionHosts": ["api.gatewayz.ai"]}})

    [(path, message)] = problems(review_config(), fleet)

    assert path == "stagefleet:railway.services[1].variables.NEXT_PUBLIC_API"
    assert message.endswith('inherits it from service "web" of the fleet stack staging')


def test_overriding_an_inherited_production_host_in_the_review_makes_it_safe():
    config = fleet_config()
    config["stagefleet:defaults"]["variables"]["PAYMENTS_API"] = "https://pay.gatewayz.ai"
    fleet = FleetSpec.from_config(config | {"stagefleet:policy": {"productionHosts": ["pay.gatewayz.ai"]}})

    spec = ReviewSpec.from_config(review_config(variables={"PAYMENTS_API": "https://pay.staging.dev"}), fleet)

    assert spec.variables_for(fleet.railway.services[0])["PAYMENTS_API"] == "https://pay.staging.dev"


def test_the_review_configs_own_policy_applies_too():
    config = review_config(variables={"API_URL": "https://api.gatewayz.ai"})
    config["stagefleet:policy"] = {"productionHosts": ["gatewayz.ai"]}

    [(path, _)] = problems(config, fleet_with())

    assert path == "stagefleet:review.variables.API_URL"


def test_the_production_hosts_of_both_policies_are_exposed():
    config = review_config()
    config["stagefleet:policy"] = {"productionHosts": ["gatewayz.io"]}

    spec = ReviewSpec.from_config(config, fleet_with(["gatewayz.ai"]))

    assert spec.production_hosts == ("gatewayz.ai", "gatewayz.io")


def test_an_external_review_database_on_a_production_host_is_rejected():
    database = {"strategy": "external", "supabaseUrl": "https://prodref.supabase.co", "supabaseKey": "k"}
    config = review_config(database=database)

    assert problems(config, fleet_with(["prodref.supabase.co"])) == [
        (
            "stagefleet:review.database.supabaseUrl",
            'points at production host "prodref.supabase.co" (stagefleet:policy.productionHosts)',
        )
    ]


def test_the_fleet_itself_may_use_production_hosts():
    # The rule is about pull request environments: long-lived ones are reviewed by people.
    config = fleet_config()
    config["stagefleet:environments"][1]["variables"] = {"API_URL": "https://api.gatewayz.ai"}

    fleet = FleetSpec.from_config(config | {"stagefleet:policy": {"productionHosts": ["gatewayz.ai"]}})

    assert fleet.policy.production_hosts == ["gatewayz.ai"]

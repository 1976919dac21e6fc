"""The cost model, checked against amounts computed by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from fleet import DatabaseSpec, FleetConfigError, FleetSpec, cost
from fleet.config import DEFAULT_SUPABASE_COMPUTE_USD, INSTANCE_SIZES
from tests.unit.fleet_support import (
    FLEET_COSTS,
    FLEET_TOTAL,
    STAGING_COSTS,
    STAGING_TOTAL,
    fleet_config,
    spec_of,
    staging_spec,
)


def D(text: str) -> Decimal:
    return Decimal(text)


def totals(estimate: cost.FleetCost) -> dict[str, str]:
    return {c.environment: str(c.total) for c in estimate.environments}


# --- the fleet's monthly estimate -------------------------------------------------------------


def test_the_staging_stack_costs_what_was_computed_by_hand():
    estimate = cost.estimate(staging_spec())

    assert totals(estimate) == STAGING_COSTS
    assert str(estimate.total) == STAGING_TOTAL
    assert (estimate.railway, estimate.supabase) == (D("100.00"), D("44.73"))
    assert estimate.budget == D("150.00")
    assert estimate.over_budget is None


def test_every_strategy_is_charged_by_its_rule():
    estimate = cost.estimate(spec_of(fleet_config()))

    assert totals(estimate) == FLEET_COSTS
    assert str(estimate.total) == FLEET_TOTAL
    main, alice, qa, payments, legacy = estimate.environments
    assert (main.railway, main.supabase, main.instance_size) == (D("20.00"), D("60.00"), "medium")
    assert (alice.supabase, alice.instance_size) == (D("10.00"), "micro")  # stagefleet:supabase.instanceSize
    assert (qa.supabase, qa.instance_size) == (D("9.73"), None)  # 0.32 / 24 * 730 = 9.7333
    assert payments.supabase == D("0.00")  # shared: free to the borrower
    assert legacy.supabase == D("0.00")  # external: not ours to pay
    assert [c.describe_database() for c in estimate.environments] == [
        "dedicated medium",
        "dedicated micro",
        "branch of main",
        "shared with main",
        "external",
    ]


def test_the_price_table_overrides_the_defaults_key_by_key():
    config = fleet_config()
    config["stagefleet:prices"] = {
        "railwayPerLongLivedEnvironmentUsd": 25,
        "supabaseComputeUsd": {"medium": 55.5},
        "supabaseBranchPerDayUsd": 0.5,
    }

    estimate = cost.estimate(spec_of(config))

    # main 25 + 55.50; alice 25 + 10 (micro keeps its default); qa 25 + 0.5 / 24 * 730 = 15.2083 -> 15.21
    assert totals(estimate) == {
        "main": "80.50",
        "dev1-alice": "35.00",
        "qa": "40.21",
        "payments": "25.00",
        "legacy": "25.00",
    }
    assert estimate.total == D("205.71")


def test_pulumi_numbers_arrive_as_floats_and_as_json_text():
    config = dict(fleet_config().items())
    config["stagefleet:prices"] = '{"railwayPerLongLivedEnvironmentUsd": 20.0, "supabaseComputeUsd": {"micro": 10.0}}'

    assert str(cost.estimate(spec_of(config)).total) == FLEET_TOTAL


def test_the_default_compute_prices_are_supabases_published_ones():
    assert DEFAULT_SUPABASE_COMPUTE_USD == {
        "nano": 0,
        "micro": 10,
        "small": 15,
        "medium": 60,
        "large": 110,
        "xlarge": 210,
        "2xlarge": 410,
        "4xlarge": 960,
        "8xlarge": 1870,
        "12xlarge": 2800,
        "16xlarge": 3730,
    }
    assert set(DEFAULT_SUPABASE_COMPUTE_USD) < set(INSTANCE_SIZES)


@pytest.mark.parametrize(
    ("size", "monthly"),
    [("nano", "20.00"), ("small", "35.00"), ("large", "130.00"), ("xlarge", "230.00"), ("16xlarge", "3750.00")],
)
def test_a_dedicated_database_costs_its_instance_size(size, monthly):
    config = fleet_config()
    config["stagefleet:environments"][0]["database"]["instanceSize"] = size

    assert str(cost.estimate(spec_of(config)).environment("main").total) == monthly


def test_an_instance_size_without_a_published_price_has_no_estimate_until_priced():
    config = fleet_config()
    config["stagefleet:environments"][0]["database"]["instanceSize"] = "24xlarge"
    with pytest.raises(cost.UnknownPriceError) as raised:
        cost.estimate(spec_of(config))
    assert raised.value.instance_size == "24xlarge"

    config["stagefleet:prices"] = {"supabaseComputeUsd": {"24xlarge": 5600}}
    assert cost.estimate(spec_of(config)).environment("main").total == D("5620.00")


def test_amounts_round_half_up_to_cents_line_by_line():
    config = fleet_config()
    config["stagefleet:prices"] = {"railwayPerLongLivedEnvironmentUsd": 20.005}

    estimate = cost.estimate(spec_of(config))

    # 20.005 rounds to 20.01 (half up, not to even); the total adds the rounded lines: 5 x 20.01
    assert estimate.environment("payments").railway == D("20.01")
    assert estimate.railway == D("100.05")
    assert estimate.total == estimate.railway + estimate.supabase


def test_over_budget_is_the_excess_of_the_total():
    config = fleet_config()
    config["stagefleet:limits"] = {"monthlyBudgetUsd": 150}

    estimate = cost.estimate(spec_of(config))

    assert estimate.over_budget == D("29.73")  # 179.73 - 150
    config["stagefleet:limits"] = {"monthlyBudgetUsd": 179.73}
    assert cost.estimate(spec_of(config)).over_budget is None  # exactly the budget is within it


# --- billing by the hour ----------------------------------------------------------------------


def test_partial_hours_bill_as_full_hours():
    micro = cost.HourlyRate.per_month(10)  # 10 / 730 an hour

    assert micro.bill(0) == 0
    assert micro.bill(0.01) == Fraction(10, 730)  # a minute is a full hour
    assert micro.bill(1) == Fraction(10, 730)
    assert micro.bill(1.5) == Fraction(20, 730)
    assert cost.cents(micro.bill(26.5)) == D("0.37")  # 27 hours: 270 / 730 = 0.3699
    assert cost.cents(micro.bill(730.2)) == D("10.01")  # 731 hours: 7310 / 730 = 10.0137


def test_a_month_is_730_hours_and_a_day_24():
    assert (cost.HOURS_PER_MONTH, cost.HOURS_PER_DAY) == (730, 24)
    assert cost.HourlyRate.per_month(20).monthly() == D("20.00")
    assert cost.HourlyRate.per_month(20).daily() == D("0.66")  # 20 / 730 * 24 = 0.6575
    assert cost.HourlyRate.per_day(0.32).monthly() == D("9.73")  # 0.32 / 24 * 730 = 9.7333
    assert cost.HourlyRate.per_day(0.32).daily() == D("0.32")


def test_negative_hours_are_refused():
    with pytest.raises(ValueError):
        cost.HourlyRate.per_month(10).bill(-1)


def test_a_branch_of_the_default_size_costs_the_daily_branch_price():
    config = fleet_config()
    config["stagefleet:supabase"]["branchInstanceSize"] = "micro"

    qa = cost.estimate(spec_of(config)).environment("qa")

    assert (qa.supabase, qa.instance_size) == (D("9.73"), "micro")  # 0.32 / 24 * 730
    assert qa.describe_database() == "branch of main (micro)"


def test_a_branch_of_another_size_is_priced_like_a_project_of_that_size():
    config = fleet_config()
    config["stagefleet:supabase"]["branchInstanceSize"] = "medium"

    qa = cost.estimate(spec_of(config)).environment("qa")

    assert (qa.supabase, qa.instance_size) == (D("60.00"), "medium")
    assert qa.describe_database() == "branch of main (medium)"


def test_a_branch_size_follows_the_price_table():
    config = fleet_config()
    config["stagefleet:supabase"]["branchInstanceSize"] = "small"
    config["stagefleet:prices"] = {"supabaseComputeUsd": {"small": 20}}

    assert cost.estimate(spec_of(config)).environment("qa").supabase == D("20.00")


def test_a_branch_size_without_a_price_cannot_be_estimated():
    config = fleet_config()
    config["stagefleet:supabase"]["branchInstanceSize"] = "48xlarge"

    with pytest.raises(cost.UnknownPriceError):
        cost.estimate(spec_of(config))


def test_a_review_stacks_branch_is_priced_by_the_branch_instance_size():
    config = fleet_config()
    config["stagefleet:supabase"]["branchInstanceSize"] = "medium"
    spec = spec_of(config)

    review = cost.review_stack_cost(spec, DatabaseSpec(strategy="branch", source="main"))

    assert (review.instance_size, review.supabase) == ("medium", D("1.97"))  # 60 / 730 * 24


# --- review stacks, per day -------------------------------------------------------------------


def test_a_review_stack_with_a_branch_costs_a_railway_day_and_a_branch_day():
    estimate = cost.estimate(staging_spec())
    review = estimate.review_stack

    assert review is not None
    assert review.database == DatabaseSpec(strategy="branch", source="main")  # Pulumi.pr.yaml's default
    assert (review.railway, review.supabase, review.total) == (D("0.66"), D("0.32"), D("0.98"))
    assert estimate.max_pull_requests == 10  # at most 10 x 0.98 = 9.80 a day


@pytest.mark.parametrize(
    ("database", "size", "supabase"),
    [
        (DatabaseSpec(strategy="dedicated"), "micro", "0.33"),  # 10 / 730 * 24 = 0.3288
        (DatabaseSpec(strategy="dedicated"), "medium", "1.97"),  # 60 / 730 * 24 = 1.9726
        (DatabaseSpec(strategy="shared", source="main"), None, "0.00"),
    ],
)
def test_a_review_stacks_database_is_charged_per_day(database, size, supabase):
    review = cost.review_stack_cost(staging_spec(), database, size)

    assert review.supabase == D(supabase)
    assert review.total == D("0.66") + D(supabase)


def test_a_fleet_without_a_shared_environment_has_no_review_estimate():
    config = fleet_config()
    config["stagefleet:environments"][0]["kind"] = "team"

    assert cost.estimate(spec_of(config)).review_stack is None


# --- comparing two configs ----------------------------------------------------------------------


def test_adding_an_environment_adds_its_cost():
    base = cost.estimate(staging_spec())
    config = staging_config_with(
        lambda envs: envs.append(
            {
                "name": "dev4-dana",
                "kind": "developer",
                "owner": "dana@gatewayz.ai",
                "branch": "feature/dana",
                "expires": "2027-01-31",
            }
        )
    )

    diff = cost.compare(base, cost.estimate(FleetSpec.from_config(config)))

    [change] = diff.changes
    assert (change.environment, change.change, change.before, change.after_total) == (
        "dev4-dana",
        "added",
        None,
        D("30.00"),
    )
    assert diff.delta == D("30.00")
    assert diff.summary() == "this adds $30.00/month (estimated total $174.73/month, $24.73 over the $150.00 budget)"


def test_removing_and_changing_environments_is_reported_per_environment():
    base = cost.estimate(staging_spec())

    def edit(envs):
        envs[:] = [env for env in envs if env["name"] != "dev3-charlie"]
        envs[1]["database"] = {"strategy": "shared", "source": "main"}  # dev1-alice: dedicated micro -> shared

    diff = cost.compare(base, cost.estimate(FleetSpec.from_config(staging_config_with(edit))))

    assert [(c.environment, c.change, str(c.before_total), str(c.after_total), str(c.delta)) for c in diff.changes] == [
        ("dev1-alice", "changed", "30.00", "20.00", "-10.00"),
        ("dev3-charlie", "removed", "29.73", "0.00", "-29.73"),
    ]
    assert diff.changes[0].describe() == "dedicated micro -> shared with main"
    assert diff.delta == D("-39.73")  # 144.73 -> 105.00
    assert diff.summary() == "this saves $39.73/month (estimated total $105.00/month, budget $150.00)"


def test_an_unchanged_cost_is_not_a_change():
    base = cost.estimate(staging_spec())
    renamed = staging_config_with(lambda envs: envs[0].update(purpose="Something else"))

    diff = cost.compare(base, cost.estimate(FleetSpec.from_config(renamed)))

    assert diff.changes == []
    assert diff.summary() == "this does not change the estimated cost (estimated total $144.73/month, budget $150.00)"


def test_a_price_change_shows_on_every_environment_it_touches():
    config = staging_config_with(lambda envs: None)
    config["stagefleet:prices"] = {"supabaseComputeUsd": {"micro": 12}}

    diff = cost.compare(cost.estimate(staging_spec()), cost.estimate(FleetSpec.from_config(config)))

    assert [(c.environment, c.describe(), str(c.delta)) for c in diff.changes] == [
        ("dev1-alice", "dedicated micro (prices)", "2.00"),
        ("dev2-bob", "dedicated micro (prices)", "2.00"),
    ]


def test_the_diff_without_a_budget_says_only_the_total():
    config = fleet_config()
    base = cost.estimate(spec_of(config))
    config["stagefleet:environments"].pop()

    diff = cost.compare(base, cost.estimate(spec_of(config)))

    assert diff.summary() == "this saves $20.00/month (estimated total $159.73/month)"


def test_the_estimate_and_the_diff_as_json():
    base = cost.estimate(staging_spec())
    head = cost.estimate(FleetSpec.from_config(staging_config_with(lambda envs: envs.pop())))

    document = head.as_json()
    assert document["totalMonthlyUsd"] == 124.73
    assert document["budget"] == {"monthlyUsd": 150.0, "remainingUsd": 25.27, "over": False}
    assert document["environments"][0] == {
        "name": "main",
        "kind": "shared",
        "database": {"strategy": "dedicated", "source": None, "instanceSize": "small"},
        "railwayUsd": 20.0,
        "supabaseUsd": 15.0,
        "monthlyUsd": 35.0,
    }
    assert document["reviewStack"]["perDayUsd"] == 0.98
    assert document["reviewStack"]["maxPerDayUsd"] == 9.8
    assert cost.compare(base, head).as_json() == {
        "changes": [
            {
                "name": "payments",
                "change": "removed",
                "beforeUsd": 20.0,
                "afterUsd": None,
                "deltaUsd": -20.0,
                "database": "shared with main",
            },
        ],
        "beforeUsd": 144.73,
        "afterUsd": 124.73,
        "deltaUsd": -20.0,
        "summary": "this saves $20.00/month (estimated total $124.73/month, budget $150.00)",
    }


def test_money_is_formatted_with_thousands_and_signs():
    assert cost.usd(D("1870.5")) == "$1,870.50"
    assert cost.usd(D("-9.73")) == "-$9.73"
    assert cost.signed_usd(D("30")) == "+$30.00"
    assert cost.signed_usd(D("-9.73")) == "-$9.73"
    assert cost.signed_usd(D("0")) == "$0.00"


# --- the price table in config ------------------------------------------------------------------


def test_prices_are_validated_with_config_paths(problems_of):
    config = fleet_config()
    config["stagefleet:prices"] = {
        "supabaseComputeUsd": {"smal": 16, "large": -1},
        "supabaseBranchPerDayUsd": "cheap",
        "railwayPerEnvironment": 20,
    }

    assert problems_of(config) == [
        ("stagefleet:prices.railwayPerEnvironment", "unknown key"),
        ("stagefleet:prices.supabaseBranchPerDayUsd", "expected a number, got a string"),
        ("stagefleet:prices.supabaseComputeUsd.large", "must not be negative"),
        ("stagefleet:prices.supabaseComputeUsd.smal", '"smal" is not a Supabase instance size'),
    ]


def test_an_unknown_instance_size_key_suggests_the_closest(error_of):
    config = fleet_config()
    config["stagefleet:prices"] = {"supabaseComputeUsd": {"2xlarg": 400}}

    problem = error_of(config).problems[0]
    assert (problem.path, problem.hint) == ('stagefleet:prices.supabaseComputeUsd["2xlarg"]', 'did you mean "2xlarge"?')


def test_prices_belong_to_the_fleet_stack_not_to_review_stacks():
    from fleet.review import FLEET_ONLY_KEYS

    assert "prices" in FLEET_ONLY_KEYS


def test_max_developer_days_defaults_to_90_and_must_be_positive(problems_of):
    config = fleet_config()
    assert spec_of(config).limits.max_developer_days == 90

    config["stagefleet:limits"] = {"maxDeveloperDays": 0}
    assert problems_of(config) == [("stagefleet:limits.maxDeveloperDays", "must be greater than 0")]

    config["stagefleet:limits"] = {"maxDeveloperDays": 30.0}
    assert spec_of(config).limits.max_developer_days == 30


def staging_config_with(change):
    from tests.unit.fleet_support import staging_config

    config = staging_config()
    environments = [dict(env) for env in config["stagefleet:environments"]]
    change(environments)
    config["stagefleet:environments"] = environments
    return config


def test_fleet_config_error_is_what_prices_raise():
    config = fleet_config()
    config["stagefleet:prices"] = []
    with pytest.raises(FleetConfigError):
        spec_of(config)

"""The fleet's rules (fleet/policy.py): each rule, its config path, its hint, and its severity."""

from __future__ import annotations

import datetime as dt

import pytest

from fleet import policy
from tests.unit.fleet_support import TODAY, fleet_config, spec_of, staging_spec

ENVS = "stagefleet:environments"


def found(config, today: dt.date = TODAY, base: dict | None = None) -> list[tuple[str, str, str]]:
    """(severity, path, message) of every rule the config breaks; `base`: the config the pull
    request merges into."""
    baseline = policy.Baseline.of(spec_of(base)) if base is not None else None
    return [(p.severity, p.path, p.message) for p in policy.check(spec_of(config), today, baseline)]


def test_the_committed_staging_stack_breaks_no_rule_today():
    assert policy.check(staging_spec(), TODAY) == []


def test_the_example_fleet_breaks_no_rule():
    assert found(fleet_config()) == []


# --- long-lived environments ------------------------------------------------------------------


def test_as_many_environments_as_max_long_lived_is_fine():
    config = fleet_config()
    config["stagefleet:limits"] = {"maxLongLived": 5}

    assert found(config) == []


def test_more_environments_than_max_long_lived_is_an_error_at_the_first_one_beyond():
    config = fleet_config()
    config["stagefleet:limits"] = {"maxLongLived": 3}

    [problem] = policy.check(spec_of(config), TODAY)

    assert (problem.severity, problem.path, problem.message) == (
        "error",
        f"{ENVS}[3]",
        "5 long-lived environments, 2 more than stagefleet:limits.maxLongLived allows (3)",
    )
    assert "pulumi config set --path 'stagefleet:limits.maxLongLived' 5" in problem.hint


# --- the budget -------------------------------------------------------------------------------


def test_a_total_within_the_budget_is_fine():
    config = fleet_config()
    config["stagefleet:limits"] = {"monthlyBudgetUsd": 179.73}  # exactly the estimate

    assert found(config) == []


def test_a_total_over_the_budget_is_an_error_with_the_largest_environments():
    config = fleet_config()
    config["stagefleet:limits"] = {"monthlyBudgetUsd": 150}

    [problem] = policy.check(spec_of(config), TODAY)

    assert (problem.severity, problem.path) == ("error", "stagefleet:limits.monthlyBudgetUsd")
    assert problem.message == (
        "the estimated monthly cost $179.73 is $29.73 over the budget of $150.00 "
        "(largest: main $80.00, dev1-alice $30.00, qa $29.73)"
    )
    assert problem.hint.startswith("a shared database costs nothing and a Supabase branch $9.73 a month")


def test_the_budget_uses_the_price_table():
    config = fleet_config()
    config["stagefleet:limits"] = {"monthlyBudgetUsd": 179.73}
    config["stagefleet:prices"] = {"supabaseBranchPerDayUsd": 0.33}  # qa: 0.33 / 24 * 730 = 10.0375 -> 10.04

    assert found(config) == [
        (
            "error",
            "stagefleet:limits.monthlyBudgetUsd",
            "the estimated monthly cost $180.04 is $0.31 over the budget of $179.73 "
            "(largest: main $80.00, qa $30.04, dev1-alice $30.00)",
        ),
    ]


# --- expiry -----------------------------------------------------------------------------------


def with_expiry(kind: str, expires: str | None, **limits):
    config = fleet_config()
    env = config[ENVS][1]
    env["kind"] = kind
    if expires is None:
        env.pop("expires", None)
    else:
        env["expires"] = expires
    if limits:
        config["stagefleet:limits"] = limits
    return config


EXPIRED_ALICE = 'environment "dev1-alice" (owner alice@gatewayz.ai) expired on 2026-11-20, 6 days ago'


@pytest.mark.parametrize("kind", ["developer", "team", "shared"])
def test_an_environment_past_its_expiry_is_a_warning_naming_its_owner_and_the_days_past(kind):
    config = with_expiry(kind, "2026-11-20")
    if kind == "shared":
        config[ENVS][0]["kind"] = "team"  # one shared environment is enough

    [problem] = policy.check(spec_of(config), TODAY)

    assert (problem.severity, problem.path, problem.message) == (
        "warning",
        f"{ENVS}[1].expires",
        f"{EXPIRED_ALICE}; it keeps running until it is removed",
    )
    assert problem.hint.startswith(
        "remove it from stagefleet:environments (the janitor workflow opens a pull request that does), or extend "
        "it: pulumi config set --path "
    )


def test_an_environment_that_expired_since_the_base_is_a_warning():
    config = with_expiry("developer", "2026-11-20")

    assert found(config, base=config) == [
        ("warning", f"{ENVS}[1].expires", f"{EXPIRED_ALICE}; it keeps running until it is removed")
    ]


def test_an_unrelated_edit_of_an_expired_environment_is_a_warning():
    base = with_expiry("developer", "2026-11-20")
    config = with_expiry("developer", "2026-11-20")
    config[ENVS][1]["purpose"] = "Payment v2, now with refunds"

    assert [severity for severity, _, _ in found(config, base=base)] == ["warning"]


def test_a_pull_request_adding_an_expired_environment_fails():
    base = fleet_config()
    del base[ENVS][1]
    config = with_expiry("developer", "2026-11-20")

    [problem] = policy.check(spec_of(config), TODAY, policy.Baseline.of(spec_of(base)))

    assert (problem.severity, problem.path, problem.message) == (
        "error",
        f"{ENVS}[1].expires",
        f"{EXPIRED_ALICE}: a pull request may not add an expired entry or extend one to a date that has passed",
    )
    assert problem.hint == f"set a date from today on: pulumi config set --path '{ENVS}[1].expires' 2027-02-24"


def test_a_pull_request_extending_an_environment_to_a_past_date_fails():
    base = with_expiry("developer", "2026-11-01")

    assert [severity for severity, _, _ in found(with_expiry("developer", "2026-11-20"), base=base)] == ["error"]


def test_a_pull_request_extending_an_environment_within_the_limit_passes():
    base = with_expiry("developer", "2026-11-01")

    assert found(with_expiry("developer", "2027-01-31"), base=base) == []


def test_a_pull_request_extending_an_environment_past_max_developer_days_fails():
    base = with_expiry("developer", "2026-11-01")

    assert found(with_expiry("developer", "2027-02-25"), base=base) == [
        (
            "error",
            f"{ENVS}[1].expires",
            "2027-02-25 is 91 days away; a developer environment may last at most 90 days from today "
            "(stagefleet:limits.maxDeveloperDays)",
        ),
    ]


def test_an_unchanged_environment_beyond_max_developer_days_is_a_warning_under_a_base():
    # The base allowed more days, or was checked on another day: the pull request did not ask for it.
    config = with_expiry("developer", "2027-02-25")

    assert [severity for severity, _, _ in found(config, base=config)] == ["warning"]


def test_a_pull_request_lowering_max_developer_days_is_held_to_every_entry():
    base = with_expiry("developer", "2027-01-31", maxDeveloperDays=90)
    config = with_expiry("developer", "2027-01-31", maxDeveloperDays=30)

    assert [(severity, path) for severity, path, _ in found(config, base=base)] == [("error", f"{ENVS}[1].expires")]


def test_a_pull_request_turning_a_team_environment_into_a_developer_one_is_held_to_the_limit():
    base = with_expiry("team", "2030-01-01")

    assert [severity for severity, _, _ in found(with_expiry("developer", "2030-01-01"), base=base)] == ["error"]


def test_against_an_empty_base_every_entry_is_added():
    [problem] = policy.check(spec_of(with_expiry("team", "2026-11-20")), TODAY, policy.Baseline.empty())

    assert problem.severity == "error"


def test_the_expiry_date_itself_is_still_valid_with_a_warning():
    assert found(with_expiry("developer", "2026-11-26")) == [
        (
            "warning",
            f"{ENVS}[1].expires",
            'environment "dev1-alice" (owner alice@gatewayz.ai) expires today, on 2026-11-26',
        ),
    ]
    assert found(with_expiry("developer", "2026-11-25"))[0][2].endswith(
        "expired on 2026-11-25, 1 day ago; it keeps running until it is removed"
    )


@pytest.mark.parametrize(
    ("expires", "when"),
    [("2026-11-27", "tomorrow"), ("2026-11-30", "in 4 days"), ("2026-12-03", "in 7 days")],
)
def test_expiring_within_7_days_is_a_warning(expires, when):
    [problem] = policy.check(spec_of(with_expiry("team", expires)), TODAY)

    assert (problem.severity, problem.message) == (
        "warning",
        f'environment "dev1-alice" (owner alice@gatewayz.ai) expires {when}, on {expires}',
    )
    assert problem.hint.startswith(
        "after that date it keeps running, reported as expired, and the janitor workflow proposes removing it; "
        "to keep it: pulumi config set --path "
    )


def test_expiring_in_8_days_is_no_warning():
    assert found(with_expiry("developer", "2026-12-04")) == []


def test_a_developer_environment_without_expiry_is_an_error():
    [problem] = policy.check(spec_of(with_expiry("developer", None)), TODAY)

    assert (problem.severity, problem.path, problem.message) == (
        "error",
        f"{ENVS}[1].expires",
        "required for developer environments",
    )
    assert problem.hint == (
        "at most 90 days from today (stagefleet:limits.maxDeveloperDays), "
        f"e.g. pulumi config set --path '{ENVS}[1].expires' 2027-02-24"
    )


def test_team_and_shared_environments_need_no_expiry_and_have_no_maximum():
    assert found(with_expiry("team", None)) == []
    assert found(with_expiry("team", "2030-01-01")) == []


def test_a_developer_environment_may_last_max_developer_days():
    assert found(with_expiry("developer", "2027-02-24")) == []  # TODAY + 90 days

    assert found(with_expiry("developer", "2027-02-25")) == [
        (
            "error",
            f"{ENVS}[1].expires",
            "2027-02-25 is 91 days away; a developer environment may last at most 90 days from today "
            "(stagefleet:limits.maxDeveloperDays)",
        ),
    ]


def test_max_developer_days_comes_from_the_limits():
    assert found(with_expiry("developer", "2026-12-26", maxDeveloperDays=30)) == []
    [problem] = policy.check(spec_of(with_expiry("developer", "2026-12-27", maxDeveloperDays=30)), TODAY)
    assert problem.message.startswith("2026-12-27 is 31 days away; a developer environment may last at most 30 days")
    assert problem.hint.startswith("set 2026-12-26 or earlier")


def test_today_decides_and_is_given_by_the_caller():
    # dev1-alice and dev2-bob expire on 2027-01-31, dev3-charlie on 2027-02-28; the feature flag
    # payments-v2 on 2027-01-31.
    spec = staging_spec()
    flag = "stagefleet:featureFlags[0].expires"

    assert policy.check(spec, dt.date(2027, 1, 23)) == []
    assert [(p.severity, p.path) for p in policy.check(spec, dt.date(2027, 1, 24))] == [
        ("warning", f"{ENVS}[1].expires"),
        ("warning", f"{ENVS}[2].expires"),
        ("warning", flag),
    ]
    assert [(p.severity, p.path) for p in policy.check(spec, dt.date(2027, 2, 1))] == [
        ("warning", f"{ENVS}[1].expires"),
        ("warning", f"{ENVS}[2].expires"),
        ("warning", flag),
    ]


# --- branches ---------------------------------------------------------------------------------


def test_two_environments_deploying_the_same_branch_is_a_warning_at_the_second():
    config = fleet_config()
    config[ENVS][3]["branch"] = "feature/alice"

    [problem] = policy.check(spec_of(config), TODAY)

    assert (problem.severity, problem.path, problem.message) == (
        "warning",
        f"{ENVS}[3].branch",
        f'branch "feature/alice" is already deployed by environment "dev1-alice" ({ENVS}[1]): '
        "every push to it deploys api and web to both",
    )
    assert problem.hint == 'give "payments" a branch of its own, or use "dev1-alice" instead of a second copy'


def test_every_later_environment_on_a_branch_is_reported_against_the_first():
    config = fleet_config()
    for env in config[ENVS][2:4]:
        env["branch"] = "main"

    assert [(p.path, p.message.split(" (")[0]) for p in policy.check(spec_of(config), TODAY)] == [
        (f"{ENVS}[2].branch", 'branch "main" is already deployed by environment "main"'),
        (f"{ENVS}[3].branch", 'branch "main" is already deployed by environment "main"'),
    ]


# --- prices -----------------------------------------------------------------------------------


def test_an_instance_size_without_a_price_is_an_error_where_it_is_set():
    config = fleet_config()
    config[ENVS][0]["database"]["instanceSize"] = "48xlarge"
    config["stagefleet:limits"] = {"monthlyBudgetUsd": 10}  # not checked without every price

    [problem] = policy.check(spec_of(config), TODAY)

    assert (problem.severity, problem.path) == ("error", f"{ENVS}[0].database.instanceSize")
    assert problem.message.startswith('no price for Supabase instance size "48xlarge" (used by environment "main")')
    assert problem.hint == (
        "give its monthly price in USD: pulumi config set --path "
        "'stagefleet:prices.supabaseComputeUsd[\"48xlarge\"]' <amount>"
    )


def test_a_branch_instance_size_without_a_price_is_reported_at_its_key():
    config = fleet_config()
    config["stagefleet:supabase"]["branchInstanceSize"] = "48xlarge"

    [problem] = policy.check(spec_of(config), TODAY)

    assert (problem.severity, problem.path) == ("error", "stagefleet:supabase.branchInstanceSize")
    assert problem.message.startswith('no price for Supabase instance size "48xlarge" (used by environment "qa")')


def test_a_default_instance_size_without_a_price_is_reported_at_stagefleet_supabase():
    config = fleet_config()
    config["stagefleet:supabase"]["instanceSize"] = "24xlarge_high_memory"

    assert [(p.path, p.severity) for p in policy.check(spec_of(config), TODAY)] == [
        ("stagefleet:supabase.instanceSize", "error"),
    ]
    config["stagefleet:prices"] = {"supabaseComputeUsd": {"24xlarge_high_memory": 10000}}
    assert found(config) == []


# --- together ---------------------------------------------------------------------------------


def test_every_violation_is_reported_together_in_config_order():
    config = fleet_config()
    config["stagefleet:limits"] = {"maxLongLived": 4, "monthlyBudgetUsd": 100}
    config[ENVS][1].pop("expires")
    config[ENVS][2]["expires"] = "2026-11-01"
    config[ENVS][3]["branch"] = "release"
    config[ENVS][4]["expires"] = "2026-11-28"

    assert [(s, path) for s, path, _ in found(config)] == [
        ("error", "stagefleet:limits.monthlyBudgetUsd"),
        ("error", f"{ENVS}[1].expires"),
        ("warning", f"{ENVS}[2].expires"),
        ("warning", f"{ENVS}[3].branch"),
        ("error", f"{ENVS}[4]"),
        ("warning", f"{ENVS}[4].expires"),
    ]


def test_enforce_returns_warnings_and_raises_with_errors_and_warnings():
    config = fleet_config()
    config[ENVS][3]["branch"] = "release"
    assert [p.path for p in policy.enforce(spec_of(config), TODAY)] == [f"{ENVS}[3].branch"]

    config["stagefleet:limits"] = {"maxLongLived": 1}
    with pytest.raises(policy.PolicyViolation) as raised:
        policy.enforce(spec_of(config), TODAY)
    assert [p.path for p in raised.value.problems] == [f"{ENVS}[1]"]
    assert [p.path for p in raised.value.warnings] == [f"{ENVS}[3].branch"]
    assert (
        str(raised.value)
        == f"{ENVS}[1]: 5 long-lived environments, 4 more than stagefleet:limits.maxLongLived allows (1)"
    )


def test_problem_lines_mark_warnings_and_indent_hints():
    config = fleet_config()
    config[ENVS][3]["branch"] = "release"
    [warning] = policy.check(spec_of(config), TODAY)

    assert policy.problem_lines(warning) == [
        f'warning: {ENVS}[3].branch: branch "release" is already deployed by environment "qa" ({ENVS}[2]): '
        "every push to it deploys api and web to both",
        '  hint: give "payments" a branch of its own, or use "qa" instead of a second copy',
    ]

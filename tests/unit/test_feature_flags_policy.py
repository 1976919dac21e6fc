"""The expiry rules of feature flags (fleet/policy.py): like developer environments', bounded by
stagefleet:limits.maxFlagDays; and `python -m fleet validate` saying so."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
import yaml

from fleet import policy
from tests import fleet_command
from tests.unit.fleet_support import REPO, TODAY, fleet_config, spec_of, staging_spec

FLAGS = "stagefleet:featureFlags"


def with_flags(*flags: dict, **config) -> dict:
    fleet = fleet_config()
    fleet[FLAGS] = [
        {"name": f"flag-{i}", "owner": "platform", "enabledFor": ["user_1"], **flag} for i, flag in enumerate(flags)
    ]
    fleet.update(config)
    return fleet


def found(config, today: dt.date = TODAY, base: dict | None = None) -> list[tuple[str, str, str]]:
    baseline = policy.Baseline.of(spec_of(base)) if base is not None else None
    return [(p.severity, p.path, p.message) for p in policy.check(spec_of(config), today, baseline)]


def hints(config, today: dt.date = TODAY) -> list[str | None]:
    return [p.hint for p in policy.check(spec_of(config), today)]


EXPIRED = 'feature flag "flag-0" (owner platform) expired on 2026-11-01, 25 days ago'


def test_the_committed_staging_flags_break_no_rule_today():
    assert staging_spec().feature_flags, "Pulumi.staging.yaml has an example flag"
    assert policy.check(staging_spec(), TODAY) == []


def test_a_flag_expiring_within_max_flag_days_is_fine():
    assert found(with_flags({"expires": "2027-02-24"})) == []  # exactly 90 days


def test_a_flag_without_expires_is_an_error_with_a_date_to_set():
    config = with_flags({})

    assert found(config) == [("error", f"{FLAGS}[0].expires", "required for feature flags")]
    assert hints(config) == [
        "at most 90 days from today (stagefleet:limits.maxFlagDays), "
        f"e.g. pulumi config set --path '{FLAGS}[0].expires' 2027-02-24"
    ]


def test_a_flag_past_its_expiry_is_a_warning_it_keeps_running():
    config = with_flags({"expires": "2026-11-01"})

    assert found(config) == [("warning", f"{FLAGS}[0].expires", f"{EXPIRED}; it keeps running until it is removed")]
    assert hints(config) == [
        "remove it from stagefleet:featureFlags (its Statsig gate is then deleted; the janitor workflow opens a "
        f"pull request that does), or extend it: pulumi config set --path '{FLAGS}[0].expires' 2027-02-24"
    ]


def test_a_flag_that_expired_since_the_base_is_a_warning_under_validate_base():
    config = with_flags({"expires": "2026-11-01"})

    assert [severity for severity, _, _ in found(config, base=config)] == ["warning"]


def test_a_pull_request_adding_an_expired_flag_fails():
    base = with_flags()
    config = with_flags({"expires": "2026-11-01"})

    assert found(config, base=base) == [
        (
            "error",
            f"{FLAGS}[0].expires",
            f"{EXPIRED}: a pull request may not add an expired entry or extend one to a date that has passed",
        )
    ]


def test_a_pull_request_extending_a_flag_to_a_past_date_fails():
    base = with_flags({"expires": "2026-10-01"})

    assert found(with_flags({"expires": "2026-11-01"}), base=base)[0][0] == "error"


def test_a_pull_request_extending_a_flag_past_max_flag_days_fails():
    base = with_flags({"expires": "2026-11-01"})

    assert [severity for severity, _, _ in found(with_flags({"expires": "2027-02-25"}), base=base)] == ["error"]


def test_the_hint_of_an_expired_flag_says_archived_when_gates_are_archived():
    config = with_flags({"expires": "2026-11-25"}, **{"stagefleet:statsig": {"onDelete": "archive"}})

    assert found(config)[0][2] == (
        'feature flag "flag-0" (owner platform) expired on 2026-11-25, 1 day ago; it keeps running until it is removed'
    )
    assert hints(config)[0].startswith("remove it from stagefleet:featureFlags (its Statsig gate is then archived;")


def test_a_flag_expiring_today_is_still_valid_with_a_warning():
    config = with_flags({"expires": "2026-11-26"})

    assert found(config) == [
        ("warning", f"{FLAGS}[0].expires", 'feature flag "flag-0" (owner platform) expires today, on 2026-11-26'),
    ]
    assert hints(config) == [
        "after that date it keeps running, reported as expired, and the janitor workflow proposes removing it; "
        f"to keep it: pulumi config set --path '{FLAGS}[0].expires' 2026-12-26"
    ]


@pytest.mark.parametrize(("expires", "when"), [("2026-11-27", "tomorrow"), ("2026-12-03", "in 7 days")])
def test_a_flag_expiring_within_7_days_is_a_warning(expires, when):
    assert found(with_flags({"expires": expires})) == [
        ("warning", f"{FLAGS}[0].expires", f'feature flag "flag-0" (owner platform) expires {when}, on {expires}'),
    ]


def test_a_flag_expiring_in_8_days_is_fine():
    assert found(with_flags({"expires": "2026-12-04"})) == []


def test_a_flag_expiring_beyond_max_flag_days_is_an_error():
    config = with_flags({"expires": "2027-02-25"})

    assert found(config) == [
        (
            "error",
            f"{FLAGS}[0].expires",
            "2027-02-25 is 91 days away; a feature flag may last at most 90 days from today (stagefleet:limits.maxFlagDays)",
        ),
    ]
    assert hints(config) == [
        "set 2027-02-24 or earlier and extend it when the time comes, or raise stagefleet:limits.maxFlagDays"
    ]


def test_max_flag_days_moves_the_limit_and_is_independent_of_max_developer_days():
    config = with_flags(
        {"expires": "2026-12-27"}, **{"stagefleet:limits": {"maxFlagDays": 30, "maxDeveloperDays": 120}}
    )

    assert found(config) == [
        (
            "error",
            f"{FLAGS}[0].expires",
            "2026-12-27 is 31 days away; a feature flag may last at most 30 days from today (stagefleet:limits.maxFlagDays)",
        ),
    ]
    config["stagefleet:limits"]["maxFlagDays"] = 31
    assert found(config) == []


def test_the_warning_hint_never_suggests_a_date_beyond_the_limit():
    config = with_flags({"expires": "2026-11-30"}, **{"stagefleet:limits": {"maxFlagDays": 10}})

    assert hints(config)[0].endswith(f"pulumi config set --path '{FLAGS}[0].expires' 2026-12-06")


def test_every_flag_is_checked_and_reported_in_config_order_after_the_environments():
    config = with_flags({"expires": "2027-06-01"}, {}, {"expires": "2026-11-01"})
    config["stagefleet:environments"][1]["expires"] = "2026-11-01"  # dev1-alice, expired

    assert [(severity, path) for severity, path, _ in found(config)] == [
        ("warning", "stagefleet:environments[1].expires"),
        ("error", f"{FLAGS}[0].expires"),
        ("error", f"{FLAGS}[1].expires"),
        ("warning", f"{FLAGS}[2].expires"),
    ]


def test_enforce_returns_an_expired_flag_as_a_warning():
    [warning] = policy.enforce(spec_of(with_flags({"expires": "2026-11-01"})), TODAY)

    assert str(warning) == f"{FLAGS}[0].expires: {EXPIRED}; it keeps running until it is removed"


# --- python -m fleet validate ------------------------------------------------------------------


def fleet(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return fleet_command.run(cwd, *args)


def write_stack(path: Path, config: dict) -> None:
    """The stack file of a config as the program gets it: the external database's key encrypted."""
    for environment in config["stagefleet:environments"]:
        database = environment.get("database") or {}
        if "supabaseKey" in database:
            database["supabaseKey"] = {"secure": "v1:ciphertext"}
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")


def test_validate_warns_about_an_expired_flag_with_its_path_and_hint_and_passes(tmp_path):
    write_stack(tmp_path / "Pulumi.staging.yaml", with_flags({"expires": "2026-11-01"}))

    result = fleet(tmp_path, "validate", "--stack", "staging", "--today", "2026-11-26")

    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        f"warning: {FLAGS}[0].expires: {EXPIRED}; it keeps running until it is removed",
        "  hint: remove it from stagefleet:featureFlags (its Statsig gate is then deleted; the janitor workflow opens "
        f"a pull request that does), or extend it: pulumi config set --path '{FLAGS}[0].expires' 2027-02-24",
    ]


def test_validate_warns_about_a_flag_expiring_soon_and_passes(tmp_path):
    write_stack(tmp_path / "Pulumi.staging.yaml", with_flags({"expires": "2026-11-28"}))

    result = fleet(tmp_path, "validate", "--stack", "staging", "--today", "2026-11-26")

    assert result.returncode == 0
    assert result.stderr.splitlines()[0] == (
        f'warning: {FLAGS}[0].expires: feature flag "flag-0" (owner platform) expires in 2 days, on 2026-11-28'
    )


def test_validate_reports_a_shape_problem_of_a_flag_with_its_path(tmp_path):
    write_stack(tmp_path / "Pulumi.staging.yaml", with_flags({"expires": "2027-01-31", "owner": "mallory"}))

    result = fleet(tmp_path, "validate", "--stack", "staging", "--today", "2026-11-26")

    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == f'{FLAGS}[0].owner: "mallory" owns no environment of the fleet'


@pytest.mark.parametrize("stack", ["staging", "pr", "sandbox"])
def test_the_committed_stacks_still_validate_on_the_reference_day(stack):
    result = fleet(REPO, "validate", "--stack", stack, "--today", "2026-11-26")

    assert (result.returncode, result.stderr) == (0, "")

"""Feature flags in the catalog (markdown, table, JSON; the CLI as CI runs it) and in the janitor's
report of expired flags."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from fleet import catalog, janitor
from fleet.janitor import ExpiredFlag
from tests import fleet_command
from tests.unit.fleet_support import REPO, fleet_config, spec_of, staging_spec

FLAGS = "stagefleet:featureFlags"

STAGING_FLAGS_MARKDOWN = """\

Feature flags (Statsig gates):

| flag | enabled for | owner | expires |
| --- | --- | --- | --- |
| payments-v2 | alice@gatewayz.ai | alice@gatewayz.ai | 2027-01-31 |
"""


def with_flags() -> dict:
    config = fleet_config()
    config[FLAGS] = [
        {
            "name": "payments-v2",
            "description": "Payment v2 checkout",
            "owner": "alice@gatewayz.ai",
            "enabledFor": ["alice@gatewayz.ai", "user_4821"],
            "expires": "2027-01-31",
        },
        {
            "name": "Release Notes.Beta",
            "owner": "qa",
            "enabledFor": ["qa-bot"],
            "environments": ["staging", "development"],
            "expires": "2026-12-15",
        },
    ]
    return config


def fleet(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return fleet_command.run(cwd, *args)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("Pulumi.staging.yaml", "Pulumi.pr.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


# --- the catalog ------------------------------------------------------------------------------


def test_flag_rows_carry_each_flag_in_config_order():
    rows = catalog.flag_rows(spec_of(with_flags()))

    assert [row.cells() for row in rows] == [
        ["payments-v2", "alice@gatewayz.ai, user_4821", "alice@gatewayz.ai", "2027-01-31"],
        ["Release Notes.Beta", "qa-bot", "qa", "2026-12-15"],
    ]


def test_the_markdown_lists_the_flags_after_the_environments_and_their_total():
    markdown = catalog.catalog_markdown(spec_of(with_flags()))

    environments, flags = markdown.split("\n\nFeature flags (Statsig gates):\n\n")
    assert environments == catalog.catalog_markdown(spec_of(fleet_config())).rstrip("\n")
    assert flags == (
        "| flag | enabled for | owner | expires |\n"
        "| --- | --- | --- | --- |\n"
        "| payments-v2 | alice@gatewayz.ai, user_4821 | alice@gatewayz.ai | 2027-01-31 |\n"
        "| Release Notes.Beta | qa-bot | qa | 2026-12-15 |\n"
    )


def test_a_fleet_without_flags_has_no_flag_table():
    assert "Feature flags" not in catalog.catalog_markdown(spec_of(fleet_config()))
    assert catalog.render_json(catalog.catalog_rows(spec_of(fleet_config())))["featureFlags"] == []


def test_the_table_format_aligns_the_flag_table_too():
    spec = spec_of(with_flags())

    text = catalog.render_table(catalog.catalog_rows(spec), catalog.flag_rows(spec))

    assert text.splitlines()[-7:] == [
        "",
        "Feature flags (Statsig gates):",
        "",
        "flag                enabled for                   owner              expires",
        "------------------  ----------------------------  -----------------  ----------",
        "payments-v2         alice@gatewayz.ai, user_4821  alice@gatewayz.ai  2027-01-31",
        "Release Notes.Beta  qa-bot                        qa                 2026-12-15",
    ]


def test_the_json_lists_flags_with_gate_ids_owners_and_environments():
    spec = spec_of(with_flags())

    document = catalog.render_json(catalog.catalog_rows(spec), catalog.flag_rows(spec))

    assert document["featureFlags"] == [
        {
            "flag": "payments-v2",
            "gateId": "payments-v2",
            "description": "Payment v2 checkout",
            "enabledFor": ["alice@gatewayz.ai", "user_4821"],
            "environments": ["staging"],
            "owner": "alice@gatewayz.ai",
            "expires": "2027-01-31",
        },
        {
            "flag": "Release Notes.Beta",
            "gateId": "release_notes.beta",
            "description": None,
            "enabledFor": ["qa-bot"],
            "environments": ["staging", "development"],
            "owner": "qa",
            "expires": "2026-12-15",
        },
    ]


def test_the_staging_catalog_ends_with_the_example_flag():
    markdown = catalog.catalog_markdown(staging_spec())

    assert markdown.endswith("\n5 environments, estimated $144.73 a month in total.\n" + STAGING_FLAGS_MARKDOWN)


def test_catalog_cli_markdown_json_and_table_list_the_flags(project):
    markdown = fleet(project, "catalog", "--stack", "staging", "--format", "markdown")
    document = json.loads(fleet(project, "catalog", "--stack", "staging", "--format", "json").stdout)
    table = fleet(project, "catalog", "--stack", "staging", "--format", "table")

    assert (markdown.returncode, markdown.stderr) == (0, "")
    assert markdown.stdout == catalog.catalog_markdown(staging_spec())
    assert markdown.stdout.endswith(STAGING_FLAGS_MARKDOWN)
    assert document["featureFlags"] == [
        {
            "flag": "payments-v2",
            "gateId": "payments-v2",
            "description": "Payment v2 checkout, in progress on feature/alice-payment",
            "enabledFor": ["alice@gatewayz.ai"],
            "environments": ["staging"],
            "owner": "alice@gatewayz.ai",
            "expires": "2027-01-31",
        },
    ]
    assert table.stdout.splitlines()[-5:] == [
        "Feature flags (Statsig gates):",
        "",
        "flag         enabled for        owner              expires",
        "-----------  -----------------  -----------------  ----------",
        "payments-v2  alice@gatewayz.ai  alice@gatewayz.ai  2027-01-31",
    ]


# --- the janitor ------------------------------------------------------------------------------

NOW = "2026-11-26T09:00:00Z"
STACKS = [
    {"name": "staging", "current": True, "lastUpdate": "2026-11-25T08:00:00.000Z"},
    {"name": "pr-12", "current": False, "lastUpdate": "2026-11-25T17:03:10.000Z"},
]


def janitor_project(tmp_path: Path, flags: list[dict]) -> Path:
    config = fleet_config()
    config[FLAGS] = flags
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    (tmp_path / "stacks.json").write_text(json.dumps(STACKS), encoding="utf-8")
    (tmp_path / "prs.json").write_text("[]", encoding="utf-8")
    return tmp_path


def run_janitor(cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return fleet(cwd, "janitor", "--stacks", "stacks.json", "--open-prs", "prs.json", "--now", NOW, *extra)


EXPIRING = [
    {
        "name": "payments-v2",
        "owner": "alice@gatewayz.ai",
        "enabledFor": ["alice@gatewayz.ai", "user_4821"],
        "expires": "2026-11-01",
    },
    {"name": "Search Beta", "owner": "qa", "enabledFor": ["qa-bot"], "expires": "2026-11-26"},  # today: still valid
    {"name": "old-admin", "owner": "platform", "enabledFor": ["ops@gatewayz.ai"], "expires": "2026-11-25"},
]


def test_the_janitor_reports_expired_flags_as_json(tmp_path):
    project = janitor_project(tmp_path, EXPIRING)

    result = run_janitor(project, "--stack", "staging", "--format", "json")

    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["expiredFlags"] == [
        {
            "flag": "payments-v2",
            "gateId": "payments-v2",
            "expires": "2026-11-01",
            "owner": "alice@gatewayz.ai",
            "enabledFor": ["alice@gatewayz.ai", "user_4821"],
            "daysAgo": 25,
        },
        {
            "flag": "old-admin",
            "gateId": "old-admin",
            "expires": "2026-11-25",
            "owner": "platform",
            "enabledFor": ["ops@gatewayz.ai"],
            "daysAgo": 1,
        },
    ]


def test_the_janitor_reports_flags_expiring_within_7_days_as_json(tmp_path):
    project = janitor_project(tmp_path, EXPIRING)

    result = run_janitor(project, "--stack", "staging", "--format", "json")

    assert [(flag["flag"], flag["daysLeft"]) for flag in json.loads(result.stdout)["expiringFlags"]] == [
        ("Search Beta", 0)
    ]


def test_the_janitor_lists_expired_flags_last_in_its_text_output(tmp_path):
    project = janitor_project(tmp_path, EXPIRING)

    lines = run_janitor(project, "--stack", "staging").stdout.splitlines()

    assert lines[0] == "destroy pr-12: pull request #12 is closed"
    assert lines[-3:] == [
        "expired-flag payments-v2: expired on 2026-11-01, 25 days ago (owner alice@gatewayz.ai; Statsig gate "
        "payments-v2, enabled for alice@gatewayz.ai, user_4821)",
        "expired-flag old-admin: expired on 2026-11-25, 1 day ago (owner platform; Statsig gate old-admin, enabled "
        "for ops@gatewayz.ai)",
        "expiring-flag Search Beta: expires on 2026-11-26, today (owner qa; Statsig gate search_beta, enabled for "
        "qa-bot)",
    ]
    assert [line.split(":")[0] for line in lines if line.startswith("expired-flag ")] == [
        "expired-flag payments-v2",
        "expired-flag old-admin",
    ]


def test_without_the_fleet_stack_no_flag_is_reported(tmp_path):
    project = janitor_project(tmp_path, EXPIRING)

    assert json.loads(run_janitor(project, "--format", "json").stdout)["expiredFlags"] == []


def test_the_committed_staging_stack_has_no_expired_flag_today(project):
    (project / "stacks.json").write_text(json.dumps(STACKS), encoding="utf-8")
    (project / "prs.json").write_text("[]", encoding="utf-8")

    assert json.loads(run_janitor(project, "--stack", "staging", "--format", "json").stdout)["expiredFlags"] == []


def test_plan_reports_expired_flags_in_config_order():
    config = fleet_config()
    config[FLAGS] = EXPIRING

    report = janitor.plan([], [], now=dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC), fleet=spec_of(config))

    assert report.expired_flags == [
        ExpiredFlag(
            "payments-v2",
            "payments-v2",
            dt.date(2026, 11, 1),
            "alice@gatewayz.ai",
            ("alice@gatewayz.ai", "user_4821"),
            25,
        ),
        ExpiredFlag("old-admin", "old-admin", dt.date(2026, 11, 25), "platform", ("ops@gatewayz.ai",), 1),
    ]

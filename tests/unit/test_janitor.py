"""`python -m fleet janitor` on recorded `pulumi stack ls --json` and `gh pr list --json` output.

Run as CI runs it: a process in the project directory, inputs as files."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.fleet_support import REPO
from tests.unit.review_support import run_fleet as fleet

NOW = "2026-11-26T09:00:00Z"

# `pulumi stack ls --json` on a self-managed backend, recorded; the fleet stack, review stacks in
# every state, and stacks that are not review stacks at all.
STACKS = [
    {
        "name": "staging",
        "current": True,
        "lastUpdate": "2026-11-25T08:00:00.000Z",
        "updateInProgress": False,
        "resourceCount": 57,
    },
    # pull request #12 was merged; its stack is still there
    {
        "name": "pr-12",
        "current": False,
        "lastUpdate": "2026-11-25T17:03:10.000Z",
        "updateInProgress": False,
        "resourceCount": 14,
    },
    # #15 is open and was pushed yesterday
    {
        "name": "pr-15",
        "current": False,
        "lastUpdate": "2026-11-25T10:00:00.000Z",
        "updateInProgress": False,
        "resourceCount": 14,
    },
    # #9 is open but nobody has pushed for 10 days
    {
        "name": "pr-9",
        "current": False,
        "lastUpdate": "2026-11-16T08:00:00.000Z",
        "updateInProgress": False,
        "resourceCount": 14,
    },
    # #20 is closed, but its stack is being updated right now
    {
        "name": "pr-20",
        "current": False,
        "lastUpdate": "2026-11-26T08:59:00.000Z",
        "updateInProgress": True,
        "resourceCount": 3,
    },
    # #21 is open; CI created the stack but the first `pulumi up` has not finished yet
    {"name": "pr-21", "current": False, "updateInProgress": False, "resourceCount": 0},
    # not review stacks, whatever their age
    {"name": "sandbox", "current": False, "lastUpdate": "2025-01-01T00:00:00.000Z", "updateInProgress": False},
    {"name": "pr-abc", "current": False, "lastUpdate": "2025-01-01T00:00:00.000Z", "updateInProgress": False},
    {"name": "preview-12", "current": False, "lastUpdate": "2025-01-01T00:00:00.000Z", "updateInProgress": False},
]

# `gh pr list --state open --json number,headRefName,updatedAt`, recorded.
OPEN_PRS = [
    {"headRefName": "feature/search", "number": 15, "updatedAt": "2026-11-25T09:58:12Z"},
    {"headRefName": "feature/old-idea", "number": 9, "updatedAt": "2026-11-16T07:40:00Z"},
    {"headRefName": "feature/new", "number": 21, "updatedAt": "2026-11-26T08:55:00Z"},
]

FLEET_WITH_TTL = """\
config:
  stagefleet:railway:
    projectId: 0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01
    baseEnvironmentId: 7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10
    services:
      - {name: api, id: 5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60, repository: gatewayz/gatewayz-backend}
  stagefleet:supabase: {organizationSlug: gatewayz}
  stagefleet:limits: {reviewStackTtlDays: 30}
  stagefleet:environments:
    - {name: main, kind: shared, branch: main, database: {strategy: dedicated}}
    - {name: dev1-alice, kind: developer, owner: alice@gatewayz.ai, branch: feature/alice,
       database: {strategy: shared, source: main}, expires: 2026-11-01}
    - {name: dev2-bob, kind: developer, owner: bob@gatewayz.ai, branch: feature/bob,
       database: {strategy: shared, source: main}, expires: 2026-11-26}
"""


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    (tmp_path / "stacks.json").write_text(json.dumps(STACKS, indent=2), encoding="utf-8")
    (tmp_path / "prs.json").write_text(json.dumps(OPEN_PRS), encoding="utf-8")
    return tmp_path


def janitor(cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return fleet(cwd, "janitor", "--stacks", "stacks.json", "--open-prs", "prs.json", "--now", NOW, *extra)


def report(cwd: Path, *extra: str) -> dict:
    result = janitor(cwd, "--format", "json", *extra)
    assert (result.returncode, result.stderr) == (0, "")
    return json.loads(result.stdout)


def decision(entries: list[dict], stack: str) -> dict:
    [entry] = [e for e in entries if e["stack"] == stack]
    return entry


def destroyed(cwd: Path, *extra: str) -> list[str]:
    return [entry["stack"] for entry in report(cwd, *extra)["destroy"]]


def test_the_stack_of_a_closed_pull_request_is_destroyed(inputs):
    assert decision(report(inputs)["destroy"], "pr-12") == {
        "stack": "pr-12",
        "pullRequest": 12,
        "reason": "pull request #12 is closed",
    }


PR9_IDLE = "no activity for 10 days (TTL 7; pull request updated 2026-11-16, stack updated 2026-11-16)"


def test_a_stack_idle_beyond_the_ttl_is_destroyed(inputs):
    assert decision(report(inputs)["destroy"], "pr-9") == {"stack": "pr-9", "pullRequest": 9, "reason": PR9_IDLE}


def test_the_stack_of_an_open_fresh_pull_request_is_kept(inputs):
    assert decision(report(inputs)["keep"], "pr-15") == {
        "stack": "pr-15",
        "pullRequest": 15,
        "reason": "pull request #15 is open, last activity 0 days ago (TTL 7)",
    }


def test_the_ttl_counts_from_the_pull_requests_activity_not_the_stacks_last_update(inputs):
    # Nobody pushed to #9 for 10 days, but it was reviewed yesterday: its environment is in use.
    prs = [dict(pr, updatedAt="2026-11-25T16:00:00Z") if pr["number"] == 9 else pr for pr in OPEN_PRS]
    (inputs / "prs.json").write_text(json.dumps(prs), encoding="utf-8")

    assert decision(report(inputs)["keep"], "pr-9")["reason"] == (
        "pull request #9 is open, last activity 0 days ago (TTL 7)"
    )


def test_the_ttl_counts_from_the_stacks_update_when_it_is_newer_than_the_pull_request(inputs):
    prs = [dict(pr, updatedAt="2026-11-01T00:00:00Z") if pr["number"] == 15 else pr for pr in OPEN_PRS]
    (inputs / "prs.json").write_text(json.dumps(prs), encoding="utf-8")

    assert "pr-15" not in destroyed(inputs)


def test_stacks_without_a_pull_request_number_are_never_destroyed(inputs):
    kept = report(inputs)["keep"]

    for stack in ("staging", "sandbox", "pr-abc", "preview-12"):
        assert decision(kept, stack) == {
            "stack": stack,
            "pullRequest": None,
            "reason": "not a review stack (its name is not pr-<number>)",
        }


def test_a_stack_with_an_update_in_progress_is_left_alone_even_when_its_pull_request_is_closed(inputs):
    assert decision(report(inputs)["keep"], "pr-20")["reason"] == "an update is in progress; left for the next run"


def test_a_never_updated_stack_of_an_open_pull_request_is_kept_by_the_pull_requests_activity(inputs):
    assert decision(report(inputs)["keep"], "pr-21")["reason"] == (
        "pull request #21 is open, last activity 0 days ago (TTL 7)"
    )


def test_a_never_updated_stack_of_a_pull_request_without_a_date_is_kept(inputs):
    (inputs / "prs.json").write_text(json.dumps([{"number": 21}]), encoding="utf-8")

    assert decision(report(inputs)["keep"], "pr-21")["reason"] == (
        "pull request #21 is open; the stack was never updated"
    )


def test_exactly_what_should_go_is_destroyed(inputs):
    assert destroyed(inputs) == ["pr-9", "pr-12"]


def test_fully_qualified_stack_names_are_understood_and_kept_whole(inputs):
    stacks = [dict(stack, name=f"gatewayz/stagefleet/{stack['name']}") for stack in STACKS]
    (inputs / "stacks.json").write_text(json.dumps(stacks), encoding="utf-8")

    result = report(inputs)

    assert [(e["stack"], e["pullRequest"]) for e in result["destroy"]] == [
        ("gatewayz/stagefleet/pr-9", 9),
        ("gatewayz/stagefleet/pr-12", 12),
    ]
    assert decision(result["keep"], "gatewayz/stagefleet/staging")["pullRequest"] is None


def test_text_output_is_one_destroy_line_per_stack_first_in_a_stable_order(inputs):
    result = janitor(inputs)

    assert result.returncode == 0
    assert result.stdout.splitlines()[:2] == [
        f"destroy pr-9: {PR9_IDLE}",
        "destroy pr-12: pull request #12 is closed",
    ]


def test_text_output_lists_kept_stacks_after_the_destroy_lines(inputs):
    lines = janitor(inputs).stdout.splitlines()

    assert lines[2:] == [
        "keep pr-15: pull request #15 is open, last activity 0 days ago (TTL 7)",
        "keep pr-20: an update is in progress; left for the next run",
        "keep pr-21: pull request #21 is open, last activity 0 days ago (TTL 7)",
        "keep pr-abc: not a review stack (its name is not pr-<number>)",
        "keep preview-12: not a review stack (its name is not pr-<number>)",
        "keep sandbox: not a review stack (its name is not pr-<number>)",
        "keep staging: not a review stack (its name is not pr-<number>)",
    ]


def test_the_text_output_feeds_grep_and_cut(inputs):
    lines = janitor(inputs).stdout.splitlines()

    stacks = [line.split(" ")[1].rstrip(":") for line in lines if line.startswith("destroy ")]

    assert stacks == ["pr-9", "pr-12"]


def test_ttl_days_changes_what_is_idle(inputs):
    assert destroyed(inputs, "--ttl-days", "11") == ["pr-12"]


def test_a_stack_idle_for_exactly_the_ttl_is_kept(inputs):
    # pr-9 was last updated exactly 10 days before this --now.
    assert "pr-9" not in destroyed(inputs, "--now", "2026-11-26T08:00:00Z", "--ttl-days", "10")


def test_the_ttl_comes_from_the_fleet_stack_when_given(inputs):
    (inputs / "Pulumi.staging.yaml").write_text(FLEET_WITH_TTL, encoding="utf-8")

    assert decision(report(inputs, "--stack", "staging")["keep"], "pr-9")["reason"].endswith("(TTL 30)")


def test_ttl_days_overrides_the_fleet_stack(inputs):
    (inputs / "Pulumi.staging.yaml").write_text(FLEET_WITH_TTL, encoding="utf-8")

    assert destroyed(inputs, "--stack", "staging", "--ttl-days", "7") == ["pr-9", "pr-12"]


def test_environments_whose_expiry_has_passed_are_reported(inputs):
    (inputs / "Pulumi.staging.yaml").write_text(FLEET_WITH_TTL, encoding="utf-8")

    # dev2-bob expires today: still valid until the day is over.
    assert report(inputs, "--stack", "staging")["expired"] == [
        {"environment": "dev1-alice", "expires": "2026-11-01", "owner": "alice@gatewayz.ai", "daysAgo": 25},
    ]


def test_environments_expiring_within_7_days_are_reported(inputs):
    (inputs / "Pulumi.staging.yaml").write_text(FLEET_WITH_TTL, encoding="utf-8")

    assert report(inputs, "--stack", "staging")["expiring"] == [
        {"environment": "dev2-bob", "expires": "2026-11-26", "owner": "bob@gatewayz.ai", "daysLeft": 0},
    ]


def test_expired_and_expiring_environments_are_listed_in_the_text_output(inputs):
    (inputs / "Pulumi.staging.yaml").write_text(FLEET_WITH_TTL, encoding="utf-8")

    lines = janitor(inputs, "--stack", "staging").stdout.splitlines()

    assert lines[-2:] == [
        "expired dev1-alice: expired on 2026-11-01, 25 days ago (owner alice@gatewayz.ai)",
        "expiring dev2-bob: expires on 2026-11-26, today (owner bob@gatewayz.ai)",
    ]


def test_the_fleet_stack_alone_lists_its_expired_environments_without_review_stack_inputs(inputs):
    (inputs / "Pulumi.staging.yaml").write_text(FLEET_WITH_TTL, encoding="utf-8")

    result = fleet(inputs, "janitor", "--stack", "staging", "--now", NOW)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "expired dev1-alice: expired on 2026-11-01, 25 days ago (owner alice@gatewayz.ai)",
        "expiring dev2-bob: expires on 2026-11-26, today (owner bob@gatewayz.ai)",
    ]


def test_the_committed_staging_stack_alone_works_from_the_project_directory():
    result = fleet(REPO, "janitor", "--stack", "staging", "--now", "2027-02-01T00:00:00Z")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == (
        "expired dev1-alice: expired on 2027-01-31, 1 day ago (owner alice@gatewayz.ai)"
    )


def test_stacks_without_open_pull_requests_is_a_usage_error(inputs):
    result = fleet(inputs, "janitor", "--stacks", "stacks.json")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --stacks needs --open-prs too: a stack missing from the open pull requests would be destroyed\n"
    )


def test_no_input_at_all_is_a_usage_error(inputs):
    result = fleet(inputs, "janitor")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: nothing to look at: give --stack staging")


def test_without_a_fleet_stack_nothing_is_reported_expired(inputs):
    assert report(inputs)["expired"] == []


def test_an_empty_list_of_open_pull_requests_destroys_every_review_stack_not_being_updated(inputs):
    (inputs / "prs.json").write_text("[]", encoding="utf-8")

    assert destroyed(inputs) == ["pr-9", "pr-12", "pr-15", "pr-21"]


def malformed(inputs: Path, file: str, content: str) -> subprocess.CompletedProcess[str]:
    (inputs / file).write_text(content, encoding="utf-8")
    return janitor(inputs)


def test_malformed_json_exits_2_naming_the_file_and_lists_nothing(inputs):
    result = malformed(inputs, "stacks.json", '[{"name": "pr-12",')

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: stacks.json: not valid JSON: ")
    assert result.stderr.endswith("error: nothing listed for destruction\n")


def test_a_stack_list_that_is_not_a_list_is_rejected(inputs):
    result = malformed(inputs, "stacks.json", '{"stacks": []}')

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == (
        "error: stacks.json: expected a JSON list (the output of `pulumi stack ls --json`), got an object"
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"current": False}, 'entry 0: "name" must be a non-empty string'),
        ({"name": 12}, 'entry 0: "name" must be a non-empty string'),
        (
            {"name": "pr-12", "lastUpdate": "last tuesday"},
            'entry 0 ("pr-12"): "lastUpdate" must be an ISO 8601 date and time',
        ),
        ({"name": "pr-12", "updateInProgress": "no"}, 'entry 0 ("pr-12"): "updateInProgress" must be true or false'),
        ({"name": "pr-12", "resourceCount": "14"}, 'entry 0 ("pr-12"): "resourceCount" must be a whole number'),
    ],
)
def test_a_stack_entry_of_the_wrong_shape_is_rejected(inputs, entry, message):
    result = malformed(inputs, "stacks.json", json.dumps([entry]))

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == f"error: stacks.json: {message}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"number": "15"}]', 'entry 0: "number" must be a pull request number (1 or more)'),
        ("[15, 16]", "entry 0: expected an object, got a number"),
        ('[{"number": 15, "updatedAt": 5}]', 'entry 0: "updatedAt" must be an ISO 8601 date and time'),
        (
            "null",
            "expected a JSON list (the output of `gh pr list --state open --json "
            "number,headRefName,updatedAt`), got null",
        ),
    ],
)
def test_an_open_pull_request_list_of_the_wrong_shape_is_rejected(inputs, content, message):
    result = malformed(inputs, "prs.json", content)

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == f"error: prs.json: {message}"


def test_a_missing_input_file_exits_2(inputs):
    (inputs / "prs.json").unlink()

    result = janitor(inputs)

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == "error: prs.json: no such file"


def test_json_output_has_destroy_keep_expired_and_expiring(inputs):
    assert set(report(inputs)) == {"destroy", "keep", "expired", "expiredFlags", "expiring", "expiringFlags"}


@pytest.mark.parametrize(
    "option", [["--ttl-days", "0"], ["--ttl-days", "x"], ["--now", "tomorrow"], ["--format", "xml"]]
)
def test_bad_options_are_usage_errors(inputs, option):
    result = janitor(inputs, *option)

    assert (result.returncode, result.stdout) == (2, "")


def test_markdown_tells_the_owners_what_expires_soon():
    result = fleet(REPO, "janitor", "--stack", "staging", "--now", "2027-01-29T00:00:00Z", "--format", "markdown")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "<!-- stagefleet:janitor -->\n"
        "As of 2027-01-29.\n"
        "\n"
        "Expiring within 7 days of the fleet stack `staging`: to keep one, change its `expires` in a pull request "
        "(one line):\n"
        "\n"
        "| entry | owner | expires | when |\n"
        "| --- | --- | --- | --- |\n"
        "| environment `dev1-alice` | alice@gatewayz.ai | 2027-01-31 | in 2 days |\n"
        "| environment `dev2-bob` | bob@gatewayz.ai | 2027-01-31 | in 2 days |\n"
        "| feature flag `payments-v2` | alice@gatewayz.ai | 2027-01-31 | in 2 days |\n"
    )


def test_markdown_lists_expired_entries_and_stacks_to_destroy(inputs):
    (inputs / "Pulumi.staging.yaml").write_text(FLEET_WITH_TTL, encoding="utf-8")

    text = janitor(inputs, "--stack", "staging", "--format", "markdown").stdout

    assert "| `pr-12` | pull request #12 is closed |\n" in text
    assert "| environment `dev1-alice` | alice@gatewayz.ai | 2026-11-01 | 25 days ago |\n" in text
    assert "| environment `dev2-bob` | bob@gatewayz.ai | 2026-11-26 | today |\n" in text


def test_markdown_is_empty_when_there_is_nothing_to_say():
    result = fleet(REPO, "janitor", "--stack", "staging", "--now", "2026-11-26T00:00:00Z", "--format", "markdown")

    assert (result.returncode, result.stdout) == (0, "")


def test_the_janitors_decisions_load_without_the_config_model():
    # fleet/wording.py: the janitor must not import pydantic (it reads command output, not config).
    code = "import sys, fleet.janitor; sys.exit('pydantic' in sys.modules)"

    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60).returncode == 0

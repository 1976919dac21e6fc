"""`python -m fleet validate --stack pr` (the review template) and `--stack pr-<n>`, and
`python -m fleet review-comment`, run as CI runs them."""

import json
from pathlib import Path

import pytest

from tests.unit.review_support import REPO
from tests.unit.review_support import run_fleet as fleet

FLEET = """\
config:
  stagefleet:railway:
    projectId: 0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01
    baseEnvironmentId: 7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10
    services:
      - {name: api, id: 5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60, repository: gatewayz/gatewayz-backend}
  stagefleet:supabase: {organizationSlug: gatewayz}
  stagefleet:policy: {productionHosts: [gatewayz.ai]}
  stagefleet:environments:
    - {name: main, kind: shared, branch: main, database: {strategy: dedicated}}
    - {name: dev1-alice, kind: developer, owner: alice@gatewayz.ai, branch: feature/alice,
       database: {strategy: shared, source: main}}
"""

TEMPLATE = """\
config:
  stagefleet:fleetStack: staging
  stagefleet:review:
    variables: {PREVIEW: "true"}
"""

# What `pulumi config set --path stagefleet:pullRequest.* ...` leaves in Pulumi.pr-12.yaml.
REVIEW_STACK = (
    TEMPLATE
    + """\
  stagefleet:pullRequest:
    number: 12
    branch: feature/search
    title: "Search: first cut"
    author: bob
"""
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.staging.yaml").write_text(FLEET, encoding="utf-8")
    (tmp_path / "Pulumi.pr.yaml").write_text(TEMPLATE, encoding="utf-8")
    return tmp_path


def test_the_template_validates_without_a_pull_request(project):
    result = fleet(project, "validate", "--stack", "pr")

    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "ok: review stack pr — template of the pr-<number> stacks; fleet stack staging; "
        "database: branch of main (default)\n",
        "",
    )


def test_a_review_stack_validates_with_its_pull_request(project):
    (project / "Pulumi.pr-12.yaml").write_text(REVIEW_STACK, encoding="utf-8")

    result = fleet(project, "validate", "--stack", "pr-12")

    assert (result.returncode, result.stdout) == (
        0,
        "ok: review stack pr-12 — environment pr-12 for pull request #12 (feature/search); "
        "fleet stack staging; database: branch of main (default)\n",
    )


def test_a_review_stack_without_its_pull_request_is_invalid(project):
    (project / "Pulumi.pr-12.yaml").write_text(TEMPLATE, encoding="utf-8")

    result = fleet(project, "validate", "--stack", "pr-12")

    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "stagefleet:pullRequest: required in a review stack: CI sets it for each pull request"
    )


def test_a_review_stack_of_another_pull_request_number_is_invalid(project):
    (project / "Pulumi.pr-13.yaml").write_text(REVIEW_STACK, encoding="utf-8")

    result = fleet(project, "validate", "--stack", "pr-13")

    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "stagefleet:pullRequest.number: is 12, but this is the stack of pull request #13 (pr-13)"
    )


def test_an_unknown_source_in_the_template_is_reported_with_the_fleet_stack(project):
    (project / "Pulumi.pr.yaml").write_text(
        TEMPLATE + "    database: {strategy: branch, source: mian}\n", encoding="utf-8"
    )

    result = fleet(project, "validate", "--stack", "pr")

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        'stagefleet:review.database.source: no environment named "mian" in the fleet stack staging',
        '  hint: did you mean "main"?',
        "error: stack pr is invalid: 1 problem in Pulumi.pr.yaml",
    ]


def test_a_template_variable_pointing_at_production_is_reported(project):
    (project / "Pulumi.pr.yaml").write_text(
        TEMPLATE.replace('PREVIEW: "true"', "API_URL: https://api.gatewayz.ai"), encoding="utf-8"
    )

    result = fleet(project, "validate", "--stack", "pr")

    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        'stagefleet:review.variables.API_URL: variable API_URL points at production host "gatewayz.ai" '
        "(stagefleet:policy.productionHosts)"
    )


def test_a_template_without_a_fleet_stack_is_invalid(project):
    (project / "Pulumi.pr.yaml").write_text("config:\n  stagefleet:review: {}\n", encoding="utf-8")

    result = fleet(project, "validate", "--stack", "pr")

    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "stagefleet:fleetStack: required key is missing"


def test_a_template_naming_a_missing_fleet_stack_file_is_invalid(project):
    (project / "Pulumi.pr.yaml").write_text(TEMPLATE.replace("staging", "stagin"), encoding="utf-8")

    result = fleet(project, "validate", "--stack", "pr")

    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"stagefleet:fleetStack: no stack file for the fleet stack stagin: {project / 'Pulumi.stagin.yaml'} "
        "does not exist"
    )


def test_an_invalid_fleet_stack_is_reported_as_the_fleets_problem(project):
    (project / "Pulumi.staging.yaml").write_text(FLEET.replace("kind: shared", "kind: pr"), encoding="utf-8")

    result = fleet(project, "validate", "--stack", "pr")

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: fleet stack staging, read by review stack pr, is invalid: 1 problem in Pulumi.staging.yaml"
    )


def test_the_real_review_template_validates_against_the_real_fleet_stack():
    if not (REPO / "Pulumi.pr.yaml").exists():
        pytest.skip("Pulumi.pr.yaml (the review stack template) is not in the repository yet")

    result = fleet(REPO, "validate", "--stack", "pr")

    assert (result.returncode, result.stderr) == (0, "")


OUTPUTS = {
    "environments": {
        "pr-12": {
            "kind": "pr",
            "branch": "feature/search",
            "urls": {"api": "https://api-pr-12-1a2b.up.railway.app", "web": "https://web-pr-12-3c4d.up.railway.app"},
            "databaseUrl": "https://abcdefghijklmnopqrst.supabase.co",
            "databaseRef": "abcdefghijklmnopqrst",
        }
    },
    "accessTokens": "[secret]",
}


def test_the_review_comment_lists_the_urls_and_the_database(tmp_path):
    (tmp_path / "outputs.json").write_text(json.dumps(OUTPUTS), encoding="utf-8")

    result = fleet(tmp_path, "review-comment", "--outputs", "outputs.json", "--stack", "pr-12", "--ttl-days", "7")

    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "<!-- stagefleet:review-stack -->",
        "### Review environment `pr-12`",
        "",
        "| service | URL |",
        "| --- | --- |",
        "| api | https://api-pr-12-1a2b.up.railway.app |",
        "| web | https://web-pr-12-3c4d.up.railway.app |",
        "",
        "**Database:** `abcdefghijklmnopqrst` — https://abcdefghijklmnopqrst.supabase.co",
        "**Branch:** `feature/search`",
        "",
        "Pulumi stack `pr-12`: updated on every push, destroyed when the pull request is closed, "
        "or after 7 days without a push.",
    ]


def test_the_review_comment_never_shows_hidden_secrets(tmp_path):
    outputs = {"environments": {"pr-12": {"urls": {"api": "[secret]"}, "databaseUrl": "[secret]"}}}
    (tmp_path / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")

    result = fleet(tmp_path, "review-comment", "--outputs", "outputs.json", "--stack", "pr-12")

    assert "[secret]" not in result.stdout
    assert "No service URL yet" in result.stdout


def test_the_review_comment_of_unreadable_outputs_exits_2(tmp_path):
    (tmp_path / "outputs.json").write_text("[1, 2", encoding="utf-8")

    result = fleet(tmp_path, "review-comment", "--outputs", "outputs.json", "--stack", "pr-12")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error: outputs.json: not valid JSON")

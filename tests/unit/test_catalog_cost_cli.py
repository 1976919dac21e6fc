"""`python -m fleet catalog`, `cost` and the policy in `validate`, run as CI runs them: a process in
the project directory (output piped, so markdown unless --format says otherwise)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fleet import catalog, cli
from tests import fleet_command
from tests.unit.fleet_support import REPO, staging_spec

TODAY = ("--today", "2026-11-26")

STAGING_COST_MARKDOWN = """\
| environment | kind | database | Railway | Supabase | monthly |
| --- | --- | --- | ---: | ---: | ---: |
| main | shared | dedicated small | $20.00 | $15.00 | $35.00 |
| dev1-alice | developer | dedicated micro | $20.00 | $10.00 | $30.00 |
| dev2-bob | developer | dedicated micro | $20.00 | $10.00 | $30.00 |
| dev3-charlie | developer | branch of main | $20.00 | $9.73 | $29.73 |
| payments | team | shared with main | $20.00 | $0.00 | $20.00 |
| total |  |  | $100.00 | $44.73 | $144.73 |

Budget: $144.73 of $150.00 a month (stagefleet:limits.monthlyBudgetUsd), $5.27 left.
Review stacks: $0.98 a day each (Railway $0.66, branch of main $0.32); at most 10 at once \
(stagefleet:limits.maxPullRequests): $9.80 a day; not in the monthly total.
"""

NEWCOMER = """\
    - name: dev4-dana
      kind: developer
      owner: dana@gatewayz.ai
      branch: feature/dana-search
      purpose: Search v3
      expires: 2027-01-31
"""


def fleet(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return fleet_command.run(cwd, *args)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory holding copies of the real stack files."""
    for name in ("Pulumi.staging.yaml", "Pulumi.pr.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def add_environment(project: Path, text: str = NEWCOMER) -> None:
    path = project / "Pulumi.staging.yaml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


# --- catalog ----------------------------------------------------------------------------------


def test_catalog_piped_is_the_markdown_of_the_stack_output(project):
    result = fleet(project, "catalog", "--stack", "staging")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == catalog.catalog_markdown(staging_spec())
    assert result.stdout.startswith("| environment | kind | URL | database |")


def test_catalog_with_the_stacks_outputs_shows_real_urls(project):
    outputs = {
        "environments": {
            "main": {"urls": {"api": "https://api-main.up.railway.app", "web": "https://web-main.up.railway.app"}},
            "payments": {"urls": {"api": "https://api-payments.up.railway.app"}},
        },
        "accessTokens": "[secret]",
    }
    (project / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")

    result = fleet(project, "catalog", "--stack", "staging", "--outputs", "outputs.json")

    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[2].startswith("| main | shared | https://api-main.up.railway.app | dedicated |")
    assert lines[3].startswith("| dev1-alice | developer | pending | dedicated |")
    assert lines[6].startswith("| payments | team | https://api-payments.up.railway.app | shared (main) |")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "outputs.json: no such file"),
        ("{not json", "outputs.json: not valid JSON: "),
        ('{"pullRequest": 3}', "outputs.json: no `environments` output: is it the output of the fleet stack?"),
    ],
)
def test_catalog_with_outputs_that_are_not_the_fleet_stacks_exits_2(project, content, message):
    if content is not None:
        (project / "outputs.json").write_text(content, encoding="utf-8")

    result = fleet(project, "catalog", "--stack", "staging", "--outputs", "outputs.json")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: {message}")


def status_document(**verdicts: str) -> dict:
    """What `python -m fleet status --format json` prints, reduced to what the catalog reads."""
    return {
        "stack": "staging",
        "environments": {
            name: {"verdict": verdict, "services": {"api": {"url": f"https://{name}-api.up.railway.app"}}}
            for name, verdict in verdicts.items()
        },
    }


def test_catalog_with_a_status_shows_each_environments_readiness_next_to_its_url(project):
    status = status_document(main="healthy", payments="failed")
    (project / "status.json").write_text(json.dumps(status), encoding="utf-8")

    result = fleet(project, "catalog", "--stack", "staging", "--status", "status.json")

    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[2].startswith("| main | shared | https://main-api.up.railway.app (ready) | dedicated |")
    assert lines[3].startswith("| dev1-alice | developer | pending | dedicated |")
    assert lines[6].startswith("| payments | team | https://payments-api.up.railway.app (failed) | shared (main) |")


def test_catalog_takes_urls_from_the_outputs_and_readiness_from_the_status(project):
    outputs = {"environments": {"main": {"urls": {"api": "https://from-outputs.up.railway.app"}}}}
    (project / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")
    (project / "status.json").write_text(json.dumps(status_document(main="waiting")), encoding="utf-8")

    result = fleet(
        project,
        "catalog",
        "--stack",
        "staging",
        "--outputs",
        "outputs.json",
        "--status",
        "status.json",
        "--format",
        "json",
    )

    main = json.loads(result.stdout)["environments"][0]
    assert (main["url"], main["readiness"]) == ("https://from-outputs.up.railway.app", "waiting")


def test_catalog_with_a_file_that_is_not_a_status_exits_2(project):
    (project / "status.json").write_text('{"environments": {"main": {"urls": {}}}}', encoding="utf-8")

    result = fleet(project, "catalog", "--stack", "staging", "--status", "status.json")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: status.json: environments.main: expected its services and a verdict (healthy, failed, waiting)\n"
    )


def test_catalog_as_json(project):
    result = fleet(project, "catalog", "--stack", "staging", "--format", "json")

    document = json.loads(result.stdout)
    assert document["stack"] == "staging"
    assert [env["environment"] for env in document["environments"]] == [
        "main",
        "dev1-alice",
        "dev2-bob",
        "dev3-charlie",
        "payments",
    ]
    assert document["totalMonthlyCostUsd"] == 144.73


def test_catalog_as_a_table(project):
    result = fleet(project, "catalog", "--stack", "staging", "--format", "table")

    lines = result.stdout.splitlines()
    assert lines[0].startswith("environment   kind       URL      database       purpose")
    assert lines[2].startswith("main          shared     pending  dedicated      Latest main")
    assert lines[0].endswith("expires     when idle  monthly cost")
    assert lines[3].endswith("2027-01-31  sleeps           $30.00")  # dev1-alice: a developer's


def test_catalog_and_cost_print_a_table_to_a_terminal(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)

    assert cli.main(["cost", "--stack", "staging"]) == 0
    assert capsys.readouterr().out.splitlines()[:3] == [
        "environment   kind       database          Railway  Supabase  monthly",
        "------------  ---------  ----------------  -------  --------  -------",
        "main          shared     dedicated small    $20.00    $15.00   $35.00",
    ]
    assert cli.main(["catalog", "--stack", "staging"]) == 0
    assert capsys.readouterr().out.startswith("environment   kind       URL")


def test_catalog_of_a_review_stack_is_a_usage_error(project):
    result = fleet(project, "catalog", "--stack", "pr")

    assert result.returncode == 2
    assert result.stderr == "error: pr is a review stack; catalog works on the fleet stack (e.g. staging)\n"


# --- cost -------------------------------------------------------------------------------------


def test_cost_piped_is_markdown_with_the_total_the_budget_and_review_stacks(project):
    result = fleet(project, "cost", "--stack", "staging")

    assert (result.returncode, result.stdout, result.stderr) == (0, STAGING_COST_MARKDOWN, "")


def test_cost_as_json(project):
    document = json.loads(fleet(project, "cost", "--stack", "staging", "--format", "json").stdout)

    assert document["stack"] == "staging"
    assert document["totalMonthlyUsd"] == 144.73
    assert document["budget"] == {"monthlyUsd": 150.0, "remainingUsd": 5.27, "over": False}
    assert [env["monthlyUsd"] for env in document["environments"]] == [35.0, 30.0, 30.0, 29.73, 20.0]


def test_cost_against_a_base_file_starts_with_the_summary(project):
    shutil.copy(project / "Pulumi.staging.yaml", project / "base.yaml")
    add_environment(project)

    result = fleet(project, "cost", "--stack", "staging", "--base", "base.yaml")

    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "this adds $30.00/month (estimated total $174.73/month, $24.73 over the $150.00 budget)"
    assert lines[1:8] == [
        "",
        "Against base.yaml:",
        "",
        "| environment | change | database | before | after | difference |",
        "| --- | --- | --- | ---: | ---: | ---: |",
        "| dev4-dana | added | dedicated micro | — | $30.00 | +$30.00 |",
        "| total |  |  | $144.73 | $174.73 | +$30.00 |",
    ]
    assert "Budget: $174.73 of $150.00 a month (stagefleet:limits.monthlyBudgetUsd), $24.73 over." in lines


def test_cost_against_a_base_as_json(project):
    shutil.copy(project / "Pulumi.staging.yaml", project / "base.yaml")
    add_environment(project)

    document = json.loads(
        fleet(project, "cost", "--stack", "staging", "--base", "base.yaml", "--format", "json").stdout
    )

    assert document["diff"]["base"] == "base.yaml"
    assert document["diff"]["deltaUsd"] == 30.0
    assert document["diff"]["summary"].startswith("this adds $30.00/month")
    assert document["diff"]["changes"] == [
        {
            "name": "dev4-dana",
            "change": "added",
            "beforeUsd": None,
            "afterUsd": 30.0,
            "deltaUsd": 30.0,
            "database": "dedicated micro",
        },
    ]


def test_cost_against_an_identical_base(project):
    result = fleet(project, "cost", "--stack", "staging", "--base", "Pulumi.staging.yaml")

    assert result.stdout.splitlines()[:3] == [
        "this does not change the estimated cost (estimated total $144.73/month, budget $150.00)",
        "",
        "No environment's cost differs from Pulumi.staging.yaml.",
    ]


def test_cost_of_a_review_stack_is_per_day(project):
    result = fleet(project, "cost", "--stack", "pr")

    assert (result.returncode, result.stdout) == (
        0,
        "Review stack pr: $0.98 a day (Railway $0.66, branch of main $0.32); left idle, the janitor destroys it after 7 days.\n",
    )


def test_an_instance_size_without_a_price_makes_catalog_and_cost_exit_1(project):
    path = project / "Pulumi.staging.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("instanceSize: small", "instanceSize: 48xlarge"), encoding="utf-8"
    )

    for command in ("catalog", "cost"):
        result = fleet(project, command, "--stack", "staging")
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.startswith(
            'stagefleet:environments[0].database.instanceSize: no price for Supabase instance size "48xlarge"'
        )


def test_an_invalid_base_exits_1_and_says_it_is_the_base(project):
    (project / "base.yaml").write_text("config:\n  stagefleet:environments: []\n", encoding="utf-8")

    result = fleet(project, "cost", "--stack", "staging", "--base", "base.yaml")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "stagefleet:railway: required key is missing",
        "error: stack staging at --base base.yaml is invalid: 1 problem in base.yaml",
    ]


def test_a_missing_base_file_exits_2(project):
    result = fleet(project, "cost", "--stack", "staging", "--base", "nowhere.yaml")

    assert result.returncode == 2
    assert result.stderr == "error: --base nowhere.yaml: no such stack file\n"


# --- --base PATH@REF, read with git -------------------------------------------------------------


def git(cwd: Path, *args: str) -> None:
    """git in a throwaway repository of the test's own: never the project's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(cwd), GIT_CONFIG_NOSYSTEM="1", GIT_CEILING_DIRECTORIES=str(cwd.parent))
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def repository(project: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "Pulumi.staging.yaml")
    git(project, "commit", "--quiet", "-m", "fleet")
    add_environment(project)  # the pull request's change, not committed
    return project


def test_cost_against_a_git_revision(repository):
    result = fleet(repository, "cost", "--stack", "staging", "--base", "Pulumi.staging.yaml@main")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == (
        "this adds $30.00/month (estimated total $174.73/month, $24.73 over the $150.00 budget)"
    )
    assert "Against Pulumi.staging.yaml@main:" in result.stdout


def test_cost_against_a_git_revision_from_another_directory(repository):
    sub = repository / "ci"
    sub.mkdir()

    result = fleet(
        sub, "cost", "--stack", "staging", "--file", "../Pulumi.staging.yaml", "--base", "../Pulumi.staging.yaml@HEAD"
    )

    assert result.returncode == 0
    assert result.stdout.startswith("this adds $30.00/month")


def test_an_unknown_revision_is_a_clear_error(repository):
    result = fleet(repository, "cost", "--stack", "staging", "--base", "Pulumi.staging.yaml@mian")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(
        "error: --base Pulumi.staging.yaml@mian: git cannot read mian:Pulumi.staging.yaml ("
    )


def test_a_file_missing_at_the_revision_is_a_clear_error(repository):
    result = fleet(repository, "cost", "--stack", "staging", "--base", "Pulumi.pr.yaml@main")

    assert result.returncode == 2
    assert result.stderr.startswith("error: --base Pulumi.pr.yaml@main: git cannot read main:Pulumi.pr.yaml (")


def test_a_revision_outside_a_git_repository_is_a_clear_error(project):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env_cwd = project  # tmp directories are not inside a repository

    result = fleet(env_cwd, "cost", "--stack", "staging", "--base", "Pulumi.staging.yaml@main")

    assert result.returncode == 2
    assert result.stderr == (
        f"error: --base Pulumi.staging.yaml@main: {project.resolve()} is not in a git repository: "
        "give a plain path instead\n"
    )


def test_a_ref_that_looks_like_an_option_is_refused(project):
    result = fleet(project, "cost", "--stack", "staging", "--base", "Pulumi.staging.yaml@--output=x")

    assert result.returncode == 2
    assert "expected PATH or PATH@REF" in result.stderr


# --- validate runs the policy -------------------------------------------------------------------


SOON = (
    "after that date it keeps running, reported as expired, and the janitor workflow proposes removing it; "
    "to keep it: pulumi config set --path"
)


def test_validate_prints_warnings_to_stderr_and_passes(project):
    result = fleet(project, "validate", "--stack", "staging", "--today", "2027-01-25")

    assert result.returncode == 0
    assert result.stdout == "ok: stack staging — 5 environments (main, dev1-alice, dev2-bob, dev3-charlie, payments)\n"
    assert result.stderr.splitlines() == [
        'warning: stagefleet:environments[1].expires: environment "dev1-alice" (owner alice@gatewayz.ai) '
        "expires in 6 days, on 2027-01-31",
        f"  hint: {SOON} 'stagefleet:environments[1].expires' 2027-03-02",
        'warning: stagefleet:environments[2].expires: environment "dev2-bob" (owner bob@gatewayz.ai) '
        "expires in 6 days, on 2027-01-31",
        f"  hint: {SOON} 'stagefleet:environments[2].expires' 2027-03-02",
        # The example feature flag expires with alice's environment.
        'warning: stagefleet:featureFlags[0].expires: feature flag "payments-v2" (owner alice@gatewayz.ai) '
        "expires in 6 days, on 2027-01-31",
        f"  hint: {SOON} 'stagefleet:featureFlags[0].expires' 2027-03-02",
    ]


def test_validate_fails_on_policy_errors_listing_warnings_too(project):
    add_environment(project, NEWCOMER.replace("feature/dana-search", "main"))

    result = fleet(project, "validate", "--stack", "staging", *TODAY)

    assert (result.returncode, result.stdout) == (1, "")
    lines = result.stderr.splitlines()
    assert [line.split(": ")[0] for line in lines if not line.startswith("  hint")] == [
        "stagefleet:limits.monthlyBudgetUsd",
        "stagefleet:environments[5]",
        "warning",
        "error",
    ]
    assert lines[0] == (
        "stagefleet:limits.monthlyBudgetUsd: the estimated monthly cost $174.73 is $24.73 over the budget "
        "of $150.00 (largest: main $35.00, dev1-alice $30.00, dev2-bob $30.00)"
    )
    assert lines[-1] == "error: stack staging is invalid: 2 problems (and 1 warning) in Pulumi.staging.yaml"


def test_validate_of_the_committed_stack_files_on_the_reference_date():
    for stack in ("staging", "pr"):
        result = fleet(REPO, "validate", "--stack", stack, *TODAY)
        assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("value", ["26/11/2026", "2026-11-31", "2026-1-1", "20261126"])
def test_validate_with_a_today_that_is_not_a_date_is_a_usage_error(project, value):
    result = fleet(project, "validate", "--stack", "staging", "--today", value)

    assert result.returncode == 2
    assert f"not a date (YYYY-MM-DD): {value!r}" in result.stderr

"""The workflows work when copied into a repository of one's own (issue 13): every secret the stacks
need is passed and documented, jobs that need the state backend skip with a notice where it is not
configured (forks, Dependabot, a fresh copy), deploys run in a GitHub environment, review stack
files are merged rather than copied over, the janitor opens the removal pull request, the tests
and the e2e test run on GitHub, Dependabot keeps the pins fresh."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.workflows.test_workflows import (
    FILES,
    REPO,
    WORKFLOWS,
    commands,
    job_named,
    load,
    steps,
)

SCRIPT = REPO / ".github" / "scripts" / "require-backend.sh"
README = REPO / "docs" / "operating.md"  # the secrets table
USED_SECRET = re.compile(r"\bsecrets\.([A-Z][A-Z0-9_]*)")


def secrets_used() -> set[str]:
    return {name for path in FILES for name in USED_SECRET.findall(path.read_text(encoding="utf-8"))}


# --- secrets ---------------------------------------------------------------------------------------


def test_the_deploy_passes_every_secret_the_fleet_stack_needs():
    env = job_named("deploy.yml", "deploy")["env"]

    for name in ("RAILWAY_API_TOKEN", "SUPABASE_ACCESS_TOKEN", "STATSIG_CONSOLE_API_KEY"):
        assert env[name] == f"${{{{ secrets.{name} }}}}"
    for name in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN"):
        assert env[name] == f"${{{{ secrets.{name} }}}}"


@pytest.mark.parametrize(
    ("file", "name"), [("review-stack.yml", "deploy"), ("review-stack.yml", "destroy"), ("janitor.yml", "sweep")]
)
def test_review_stack_jobs_pass_the_railway_and_supabase_tokens(file, name):
    env = job_named(file, name)["env"]

    assert {env["RAILWAY_API_TOKEN"], env["SUPABASE_ACCESS_TOKEN"]} == {
        "${{ secrets.RAILWAY_API_TOKEN }}",
        "${{ secrets.SUPABASE_ACCESS_TOKEN }}",
    }


def test_every_secret_a_workflow_uses_is_in_the_readmes_secrets_table():
    readme = README.read_text(encoding="utf-8")
    table = readme[readme.index("Repository secrets the workflows use") :]
    table = table[: table.index("\n\n", table.index("| secret |"))]

    documented = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", table))

    assert secrets_used() <= documented, secrets_used() - documented


@pytest.mark.parametrize(("file", "stack"), [("deploy.yml", "staging"), ("review-stack.yml", '"$STACK"')])
def test_the_api_tokens_the_stack_needs_are_checked_before_pulumi_up(file, stack):
    job = job_named(file, "deploy")
    scripts = [step.get("run", "") for step in steps(job)]
    check = next(i for i, run in enumerate(scripts) if f"python -m fleet credentials --stack {stack}" in run)
    up = next(i for i, run in enumerate(scripts) if run.startswith("pulumi up"))

    assert check < up


# --- skipping without a backend ------------------------------------------------------------------

GATED = {
    ("preview.yml", "preview"),
    ("review-stack.yml", "deploy"),
    ("review-stack.yml", "destroy"),
    ("janitor.yml", "sweep"),
    ("janitor.yml", "orphans"),
}


@pytest.mark.parametrize(("file", "name"), sorted(GATED), ids=str)
def test_jobs_that_need_the_backend_run_only_once_the_check_says_it_is_there(file, name):
    job = job_named(file, name)

    needs = job["needs"] if isinstance(job["needs"], list) else [job["needs"]]
    assert "backend" in needs
    assert "needs.backend.outputs.ready == 'true'" in job["if"]


@pytest.mark.parametrize("file", ["preview.yml", "review-stack.yml", "janitor.yml"])
def test_the_backend_check_job_sees_whether_secrets_are_set_never_their_values(file):
    job = job_named(file, "backend")
    [check] = [step for step in steps(job) if step.get("id") == "backend"]

    assert job["permissions"] == {"contents": "read"}
    assert job["outputs"] == {"ready": "${{ steps.backend.outputs.ready }}"}
    assert check["run"] == "bash .github/scripts/require-backend.sh"
    for name, value in check["env"].items():
        if name.startswith("HAS_"):
            assert value == f"${{{{ secrets.{name.removeprefix('HAS_')} != '' }}}}"


def test_the_deploy_checks_for_the_backend_first_and_skips_every_later_step_without_it():
    job = job_named("deploy.yml", "deploy")
    check_index = next(i for i, step in enumerate(steps(job)) if step.get("id") == "backend")

    assert check_index == 1  # right after the checkout that brings the script
    for step in steps(job)[check_index + 1 :]:
        assert str(step.get("if", "")).startswith("steps.backend.outputs.ready == 'true'"), step.get("name")


def run_check(tmp_path: Path, **env: str) -> tuple[str, str]:
    output = tmp_path / "output"
    summary = tmp_path / "summary"
    base = {
        "PATH": os.environ["PATH"],
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "WHAT": "pulumi preview",
    }
    result = subprocess.run(["bash", str(SCRIPT)], env={**base, **env}, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return output.read_text(encoding="utf-8"), result.stdout


def test_a_configured_passphrase_backend_is_ready(tmp_path):
    output, stdout = run_check(tmp_path, HAS_PULUMI_BACKEND_URL="true", HAS_PULUMI_CONFIG_PASSPHRASE="true")

    assert (output, stdout) == ("ready=true\n", "")


def test_pulumi_cloud_is_ready(tmp_path):
    assert run_check(tmp_path, HAS_PULUMI_ACCESS_TOKEN="true") == ("ready=true\n", "")


def test_a_backend_without_a_passphrase_is_ready_with_a_warning(tmp_path):
    output, stdout = run_check(tmp_path, HAS_PULUMI_BACKEND_URL="true")

    assert output == "ready=true\n"
    assert stdout.startswith("::warning title=PULUMI_CONFIG_PASSPHRASE is not set::")


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"IS_FORK": "true"}, "pull requests from forks get no repository secrets"),
        (
            {"IS_FORK": "false", "GITHUB_ACTOR": "dependabot[bot]"},
            "runs started by Dependabot get only Dependabot secrets (Settings > Secrets and variables > Dependabot)",
        ),
        (
            {"IS_FORK": "false", "GITHUB_ACTOR": "alice"},
            "this repository has not set PULUMI_ACCESS_TOKEN, or PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE "
            "(README: Run it on your own accounts)",
        ),
    ],
    ids=["fork", "dependabot", "unconfigured"],
)
def test_without_a_backend_the_job_is_skipped_with_a_notice_saying_why(tmp_path, env, why):
    output, stdout = run_check(
        tmp_path,
        HAS_PULUMI_ACCESS_TOKEN="false",
        HAS_PULUMI_BACKEND_URL="false",
        HAS_PULUMI_CONFIG_PASSPHRASE="false",
        **env,
    )

    assert output == "ready=false\n"
    assert stdout == f"::notice title=pulumi preview skipped::no Pulumi state backend: {why}\n"
    assert (tmp_path / "summary").read_text(
        encoding="utf-8"
    ) == f"pulumi preview skipped: no Pulumi state backend: {why}.\n"


# --- deploy ----------------------------------------------------------------------------------------


def test_the_deploy_runs_in_a_github_environment():
    assert job_named("deploy.yml", "deploy")["environment"] == "staging"


# --- review stack files ----------------------------------------------------------------------------


def test_no_workflow_copies_the_template_over_a_review_stacks_file():
    for path in FILES:
        assert "cp Pulumi.pr.yaml" not in path.read_text(encoding="utf-8"), path.name


def test_review_stacks_are_prepared_with_their_state_when_they_exist():
    deploy = commands("review-stack.yml", "deploy")
    destroy = commands("review-stack.yml", "destroy")
    sweep = commands("janitor.yml", "sweep")

    assert 'if pulumi stack export --stack "$STACK" > state.json 2> /dev/null; then' in deploy
    assert 'venv/bin/python -m fleet prepare-review-stack --stack "$STACK" --state state.json' in destroy
    assert 'venv/bin/python -m fleet prepare-review-stack --stack "$stack" --state state.json < /dev/null' in sweep


# --- the janitor: expiry ---------------------------------------------------------------------------


def test_the_janitor_opens_or_updates_one_pull_request_removing_expired_entries():
    job = job_named("janitor.yml", "expiry")
    script = commands("janitor.yml", "expiry")

    assert "venv/bin/python -m fleet remove-expired --stack staging --body pr.md" in script
    assert 'gh pr list --repo "$GITHUB_REPOSITORY" --head "$BRANCH" --state open' in script
    assert 'gh pr edit "$number" --repo "$GITHUB_REPOSITORY" --body-file pr.md' in script
    assert "gh pr create" in script and "--body-file pr.md" in script
    # The commit goes through the API: no git credentials are left on the runner.
    assert "git push" not in script
    assert 'gh api --method PUT "repos/${GITHUB_REPOSITORY}/contents/Pulumi.staging.yaml"' in script
    assert job["env"]["BRANCH"] == "stagefleet/remove-expired"
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "issues": "write"}


def test_the_janitor_tells_the_owners_in_one_issue_edited_in_place():
    script = commands("janitor.yml", "expiry")

    assert "venv/bin/python -m fleet janitor --stack staging --format markdown > notice.md" in script
    assert 'startswith("<!-- stagefleet:janitor -->")' in script
    assert 'gh issue edit "$number" --repo "$GITHUB_REPOSITORY" --body-file issue.md' in script
    assert 'gh issue close "$number"' in script


def test_the_janitors_expiry_job_needs_no_secret():
    job = job_named("janitor.yml", "expiry")

    assert not USED_SECRET.search(yaml.safe_dump(job))
    assert job["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_a_dry_run_of_the_janitor_opens_nothing():
    script = commands("janitor.yml", "expiry")

    assert script.count('if [ "$DRY_RUN" = "true" ]; then') == 2


# --- tests and e2e on GitHub -----------------------------------------------------------------------


def test_the_test_workflow_runs_ci_run_on_every_supported_python():
    document = load(WORKFLOWS / "test.yml")
    job = job_named("test.yml", "test")

    assert set(document["on"]) == {"pull_request", "push"}
    assert job["strategy"]["matrix"]["python-version"] == ["3.11", "3.12", "3.13"]
    [setup] = [s for s in steps(job) if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    assert commands("test.yml", "test") == ".ci/run"


def test_the_e2e_workflow_installs_the_pulumi_cli_and_runs_the_e2e_test():
    document = load(WORKFLOWS / "e2e.yml")
    job = job_named("e2e.yml", "e2e")
    uses = [str(step.get("uses", "")) for step in steps(job)]

    assert set(document["on"]) == {"workflow_dispatch", "schedule"}
    assert any(u.startswith("pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d") for u in uses)
    assert "pulumi version\nvenv/bin/python -m pytest -q -p no:cacheprovider -rs tests/e2e" in commands(
        "e2e.yml", "e2e"
    )


@pytest.mark.parametrize("file", ["test.yml", "e2e.yml"])
def test_the_test_workflows_use_no_secret(file):
    assert not USED_SECRET.search((WORKFLOWS / file).read_text(encoding="utf-8"))


# --- Dependabot ------------------------------------------------------------------------------------


def test_dependabot_updates_the_actions_and_the_python_requirements():
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text(encoding="utf-8"))

    assert config["version"] == 2
    assert {(u["package-ecosystem"], u["directory"]) for u in config["updates"]} == {
        ("github-actions", "/"),
        ("pip", "/"),
    }

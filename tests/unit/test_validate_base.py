"""Expiry never stops the fleet: the day after an environment's `expires`, `validate` of the unchanged
stack file passes with a warning, and `validate --base` fails only the pull request that adds an
entry or extends one past the limits (the program's side: tests/program/test_policy_program.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import fleet_command
from tests.unit.fleet_support import REPO

# dev1-alice and dev2-bob (and the flag payments-v2) expire on 2027-01-31 in Pulumi.staging.yaml.
DAY_AFTER = ("--today", "2027-02-01")
ALICE = "stagefleet:environments[1].expires"
ALICE_EXPIRED = (
    f'{ALICE}: environment "dev1-alice" (owner alice@gatewayz.ai) expired on 2027-01-31, 1 day ago; '
    "it keeps running until it is removed"
)
OK = "ok: stack staging — 5 environments (main, dev1-alice, dev2-bob, dev3-charlie, payments)\n"
DANA = """\
    - name: dev4-dana
      kind: developer
      owner: dana@gatewayz.ai
      branch: feature/dana-search
      purpose: Search v3
      expires: {expires}
      database:
        strategy: shared
        source: main
"""


def fleet(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return fleet_command.run(cwd, *args)


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
def project(tmp_path: Path) -> Path:
    """A git repository whose main holds the real Pulumi.staging.yaml; the working tree is the pull request."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shutil.copy(REPO / "Pulumi.staging.yaml", tmp_path / "Pulumi.staging.yaml")
    git(tmp_path, "init", "--quiet", "--initial-branch=main")
    git(tmp_path, "add", "Pulumi.staging.yaml")
    git(tmp_path, "commit", "--quiet", "-m", "fleet")
    return tmp_path


def edit(project: Path, old: str, new: str, count: int = 1) -> None:
    path = project / "Pulumi.staging.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def add_dana(project: Path, expires: str) -> None:
    path = project / "Pulumi.staging.yaml"
    path.write_text(path.read_text(encoding="utf-8") + DANA.format(expires=expires), encoding="utf-8")
    # A sixth environment: room for it under the limits, so only the expiry rules speak.
    edit(project, "maxLongLived: 5", "maxLongLived: 6")
    edit(project, "monthlyBudgetUsd: 150", "monthlyBudgetUsd: 200")


def validate(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return fleet(project, "validate", "--stack", "staging", *DAY_AFTER, *extra)


def test_the_day_after_an_expiry_validate_of_the_unchanged_file_passes_with_a_warning(project):
    result = validate(project)

    assert (result.returncode, result.stdout) == (0, OK)
    assert f"warning: {ALICE_EXPIRED}" in result.stderr.splitlines()


def test_the_day_after_an_expiry_a_pull_request_that_does_not_touch_it_passes_validate_base(project):
    edit(project, "LOG_LEVEL: debug", "LOG_LEVEL: trace")

    result = validate(project, "--base", "Pulumi.staging.yaml@main")

    assert (result.returncode, result.stdout) == (0, OK)
    assert f"warning: {ALICE_EXPIRED}" in result.stderr.splitlines()


def test_a_pull_request_editing_an_expired_entry_without_extending_it_passes(project):
    edit(project, "purpose: Payment v2\n", "purpose: Payment v2 and refunds\n")

    assert validate(project, "--base", "Pulumi.staging.yaml@main").returncode == 0


def test_a_pull_request_extending_an_expired_entry_within_the_limit_passes(project):
    edit(project, "expires: 2027-01-31\n    - name: dev2-bob", "expires: 2027-03-31\n    - name: dev2-bob")

    result = validate(project, "--base", "Pulumi.staging.yaml@main")

    assert (result.returncode, result.stdout) == (0, OK)
    assert ALICE not in result.stderr


def test_a_pull_request_extending_an_entry_past_max_developer_days_fails(project):
    # maxDeveloperDays is 120 in Pulumi.staging.yaml: 2027-06-02 is 121 days after 2027-02-01.
    edit(project, "expires: 2027-01-31\n    - name: dev2-bob", "expires: 2027-06-02\n    - name: dev2-bob")

    result = validate(project, "--base", "Pulumi.staging.yaml@main")

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines()[:2] == [
        f"{ALICE}: 2027-06-02 is 121 days away; a developer environment may last at most 120 days from today "
        "(stagefleet:limits.maxDeveloperDays)",
        "  hint: set 2027-06-01 or earlier and extend it when the time comes, or raise "
        "stagefleet:limits.maxDeveloperDays",
    ]
    assert result.stderr.splitlines()[-1] == (
        "error: stack staging is invalid: 1 problem (and 2 warnings) in Pulumi.staging.yaml"
    )


def test_a_pull_request_adding_an_expired_entry_fails_validate_base(project):
    add_dana(project, "2027-01-15")

    result = validate(project, "--base", "Pulumi.staging.yaml@main")

    assert (result.returncode, result.stdout) == (1, "")
    assert (
        'stagefleet:environments[5].expires: environment "dev4-dana" (owner dana@gatewayz.ai) expired on '
        "2027-01-15, 17 days ago: a pull request may not add an expired entry or extend one to a date that has "
        "passed"
    ) in result.stderr.splitlines()


def test_a_pull_request_adding_an_entry_within_the_limits_passes_validate_base(project):
    add_dana(project, "2027-03-31")

    assert validate(project, "--base", "Pulumi.staging.yaml@main").returncode == 0


def test_a_base_without_the_stack_file_counts_every_entry_as_added(project):
    git(project, "checkout", "--quiet", "--orphan", "empty")
    git(project, "rm", "--quiet", "--cached", "Pulumi.staging.yaml")
    git(project, "commit", "--quiet", "--allow-empty", "-m", "nothing")

    result = validate(project, "--base", "Pulumi.staging.yaml@empty")

    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "note: --base Pulumi.staging.yaml@empty: no such file at empty; every entry counts as added"
    )


def test_a_base_ref_git_does_not_know_is_a_usage_error(project):
    result = validate(project, "--base", "Pulumi.staging.yaml@mian")

    assert result.returncode == 2
    assert result.stderr.startswith("error: --base Pulumi.staging.yaml@mian: git cannot read mian:")


def test_base_is_refused_for_a_review_stack(project):
    shutil.copy(REPO / "Pulumi.pr.yaml", project / "Pulumi.pr.yaml")

    result = fleet(project, "validate", "--stack", "pr", "--base", "Pulumi.pr.yaml@main")

    assert (result.returncode, result.stderr) == (
        2,
        "error: --base compares fleet stacks; a review stack has no expiry dates\n",
    )

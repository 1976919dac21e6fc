"""`python -m fleet prepare-review-stack`: Pulumi.pr-<n>.yaml is the template merged into the stack's
own file, never the template copied over it, so the salt Pulumi wrote (and every secret encrypted
with it) survives every run of the review-stack workflow."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from fleet.stackfile import load_stack_document
from tests import fleet_command
from tests.unit.fleet_support import REPO

# What `pulumi stack init` with a passphrase writes, and a secret encrypted under that salt
# (`pulumi config set --secret`): the shapes Pulumi uses, the bytes made up.
SALT = "v1:Yv9zQ2w3c0E=:v1:3Jd0eXqXn8m2kQ4b:Jc8m0Z6v2Zc4b1y7mR1vJQ5fQy3a0g=="
SECRET = {"secure": "v1:pQ3sT9xYk2mN7bV1:Wm9vK2xZc3R5dTg0aGJnYzVhZGV2MTIzNDU2Nzg5MA=="}


def fleet(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return fleet_command.run(cwd, *args)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("Pulumi.pr.yaml", "Pulumi.staging.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def prepare(project: Path, *extra: str, stack: str = "pr-12") -> subprocess.CompletedProcess[str]:
    result = fleet(project, "prepare-review-stack", "--stack", stack, *extra)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result


def pulumi_writes(project: Path, stack: str = "pr-12") -> None:
    """What `pulumi stack select --create` and the workflow's `pulumi config set` calls do to the
    file: the salt at the top, the pull request and a secret (a token set on the stack) in config."""
    path = project / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document = {"encryptionsalt": SALT, **document}
    document["config"]["stagefleet:pullRequest"] = {"number": 12, "branch": "feature/x", "title": "X", "author": "a"}
    document["config"]["stagefleet:supabaseAccessToken"] = SECRET
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def test_the_first_run_writes_the_template_as_it_is(project):
    result = prepare(project)

    assert (project / "Pulumi.pr-12.yaml").read_bytes() == (project / "Pulumi.pr.yaml").read_bytes()
    assert result.stdout == "wrote Pulumi.pr-12.yaml from Pulumi.pr.yaml: a copy of the template\n"


def test_the_review_preparation_run_twice_keeps_the_passphrase_salt_and_the_secret(project):
    prepare(project)
    pulumi_writes(project)

    prepare(project)
    prepare(project)

    document = load_stack_document(project / "Pulumi.pr-12.yaml")
    assert document["encryptionsalt"] == SALT
    assert document["config"]["stagefleet:supabaseAccessToken"] == SECRET
    assert document["config"]["stagefleet:pullRequest"]["number"] == 12


def test_the_second_run_says_what_it_kept(project):
    prepare(project)
    pulumi_writes(project)

    result = prepare(project)

    assert result.stdout == (
        "wrote Pulumi.pr-12.yaml from Pulumi.pr.yaml: kept encryptionsalt, stagefleet:pullRequest, "
        "stagefleet:supabaseAccessToken\n"
    )


def test_the_templates_keys_win_over_the_stacks(project):
    prepare(project)
    pulumi_writes(project)
    template = project / "Pulumi.pr.yaml"
    template.write_text(
        template.read_text(encoding="utf-8").replace("APP_ENV: review", "APP_ENV: preview"), encoding="utf-8"
    )

    prepare(project)

    review = load_stack_document(project / "Pulumi.pr-12.yaml")["config"]["stagefleet:review"]
    assert review["variables"] == {"APP_ENV": "preview"}


def test_the_merged_file_validates_as_the_review_stack(project):
    prepare(project)
    pulumi_writes(project)
    prepare(project)

    result = fleet(project, "validate", "--stack", "pr-12")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("ok: review stack pr-12 — environment pr-12 for pull request #12 (feature/x)")


def export(provider: dict) -> str:
    return json.dumps({"version": 3, "deployment": {"manifest": {}, "secrets_providers": provider, "resources": []}})


def test_a_fresh_checkout_gets_the_passphrase_salt_back_from_the_stacks_state(project):
    (project / "state.json").write_text(export({"type": "passphrase", "state": {"salt": SALT}}), encoding="utf-8")

    result = prepare(project, "--state", "state.json")

    document = load_stack_document(project / "Pulumi.pr-12.yaml")
    assert document["encryptionsalt"] == SALT
    assert document["config"] == load_stack_document(project / "Pulumi.pr.yaml")["config"]
    assert result.stdout == (
        "wrote Pulumi.pr-12.yaml from Pulumi.pr.yaml: kept encryptionsalt (from the stack's state)\n"
    )


def test_a_fresh_checkout_gets_a_cloud_secrets_provider_back_from_the_stacks_state(project):
    provider = {"type": "cloud", "state": {"url": "awskms://alias/stagefleet", "encryptedkey": "ZW5jcnlwdGVk"}}
    (project / "state.json").write_text(export(provider), encoding="utf-8")

    prepare(project, "--state", "state.json")

    document = load_stack_document(project / "Pulumi.pr-12.yaml")
    assert (document["secretsprovider"], document["encryptedkey"]) == ("awskms://alias/stagefleet", "ZW5jcnlwdGVk")


def test_the_salt_in_the_file_wins_over_the_state(project):
    prepare(project)
    pulumi_writes(project)
    other = {"type": "passphrase", "state": {"salt": "v1:b3RoZXI=:v1:b3RoZXI=:b3RoZXI="}}
    (project / "state.json").write_text(export(other), encoding="utf-8")

    prepare(project, "--state", "state.json")

    assert load_stack_document(project / "Pulumi.pr-12.yaml")["encryptionsalt"] == SALT


def test_pulumi_clouds_own_secrets_provider_needs_nothing_in_the_file(project):
    (project / "state.json").write_text(export({"type": "service", "state": {"url": "x"}}), encoding="utf-8")

    prepare(project, "--state", "state.json")

    assert (project / "Pulumi.pr-12.yaml").read_bytes() == (project / "Pulumi.pr.yaml").read_bytes()


def test_only_review_stacks_are_prepared(project):
    result = fleet(project, "prepare-review-stack", "--stack", "staging")

    assert (result.returncode, result.stderr) == (2, "error: staging is not a review stack: expected pr-<number>\n")
    assert (project / "Pulumi.staging.yaml").read_bytes() == (REPO / "Pulumi.staging.yaml").read_bytes()


def test_a_state_file_that_is_not_an_export_is_a_usage_error(project):
    (project / "state.json").write_text("[]", encoding="utf-8")

    result = fleet(project, "prepare-review-stack", "--stack", "pr-12", "--state", "state.json")

    assert (result.returncode, result.stderr) == (
        2,
        "error: state.json: expected the JSON object `pulumi stack export` prints\n",
    )
    assert not (project / "Pulumi.pr-12.yaml").exists()

"""`python -m fleet remove-expired`: the janitor's pull request edit. The stack file comes out byte for
byte as it was, minus the expired entries; what a remaining entry needs stays."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fleet import expiry
from tests import fleet_command
from tests.unit.fleet_support import REPO

STAGING = (REPO / "Pulumi.staging.yaml").read_text(encoding="utf-8")
DAY_AFTER = "2027-02-01"  # dev1-alice, dev2-bob and the flag payments-v2 expired on 2027-01-31


def fleet(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return fleet_command.run(cwd, *args)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "Pulumi.staging.yaml", tmp_path / "Pulumi.staging.yaml")
    return tmp_path


def remove(project: Path, today: str = DAY_AFTER, *extra: str) -> subprocess.CompletedProcess[str]:
    return fleet(project, "remove-expired", "--stack", "staging", "--today", today, *extra)


def without(text: str, first: str, up_to: str) -> str:
    """`text` without the lines from the one that is `first` up to (not including) the one that is `up_to`."""
    lines = text.splitlines(keepends=True)
    start = lines.index(first + "\n")
    stop = lines.index(up_to + "\n", start)
    return "".join(lines[:start] + lines[stop:])


def expected_day_after() -> str:
    """The real Pulumi.staging.yaml minus dev1-alice, dev2-bob and payments-v2, worked out line by line."""
    text = without(STAGING, "    - name: dev1-alice", "    - name: dev3-charlie")
    text = without(
        text,
        "    - name: payments-v2",
        "  # A gate whose flag is removed is archived, not deleted: its history stays in the Statsig console.",
    )
    return text.replace("  stagefleet:featureFlags:\n", "  stagefleet:featureFlags: []\n")


def test_the_real_stack_file_minus_the_expired_entries_byte_for_byte(project):
    result = remove(project)

    assert (result.returncode, result.stderr) == (0, "")
    assert (project / "Pulumi.staging.yaml").read_text(encoding="utf-8") == expected_day_after()


def test_it_says_what_it_removed_with_owners_and_days_past(project):
    assert remove(project).stdout.splitlines() == [
        "removed environment dev1-alice (expired on 2027-01-31, 1 day ago, owner alice@gatewayz.ai)",
        "removed environment dev2-bob (expired on 2027-01-31, 1 day ago, owner bob@gatewayz.ai)",
        "removed feature flag payments-v2 (expired on 2027-01-31, 1 day ago, owner alice@gatewayz.ai)",
    ]


def test_the_edited_file_validates_and_passes_validate_base_against_the_original(project):
    shutil.copy(REPO / "Pulumi.staging.yaml", project / "base.yaml")
    remove(project)

    result = fleet(project, "validate", "--stack", "staging", "--today", DAY_AFTER, "--base", "base.yaml")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "ok: stack staging — 3 environments (main, dev3-charlie, payments)\n"


def test_the_pull_request_body_lists_each_entry_and_its_owner(project):
    remove(project, DAY_AFTER, "--body", "body.md")

    assert (project / "body.md").read_text(encoding="utf-8").splitlines()[:8] == [
        "<!-- stagefleet:expired -->",
        "These entries of `Pulumi.staging.yaml` expired before 2027-02-01. They keep running until this pull "
        "request is merged; the deploy then destroys them.",
        "",
        "| entry | owner | expired on | days ago |",
        "| --- | --- | --- | ---: |",
        "| environment `dev1-alice` | alice@gatewayz.ai | 2027-01-31 | 1 |",
        "| environment `dev2-bob` | bob@gatewayz.ai | 2027-01-31 | 1 |",
        "| feature flag `payments-v2` | alice@gatewayz.ai | 2027-01-31 | 1 |",
    ]


def test_nothing_expired_leaves_the_file_untouched(project):
    result = remove(project, "2027-01-31", "--body", "body.md")

    assert result.stdout == "nothing to remove: no entry of Pulumi.staging.yaml has expired\n"
    assert (project / "Pulumi.staging.yaml").read_text(encoding="utf-8") == STAGING
    assert not (project / "body.md").exists()


def test_a_later_day_removes_the_branch_of_main_too_but_never_main(project):
    remove(project, "2027-03-01")

    text = (project / "Pulumi.staging.yaml").read_text(encoding="utf-8")
    assert "dev3-charlie" not in text and "# A Supabase branch of main's project" not in text
    assert "    - name: main\n" in text and "    - name: payments\n" in text


def test_an_expired_environment_whose_database_a_remaining_one_uses_stays(project):
    path = project / "Pulumi.staging.yaml"
    path.write_text(STAGING.replace("source: main", "source: dev1-alice", 1), encoding="utf-8")  # dev3-charlie
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "strategy: branch\n        source: dev1-alice", "strategy: shared\n        source: dev1-alice"
        ),
        encoding="utf-8",
    )

    result = remove(project)

    assert 'kept environment dev1-alice (expired on 2027-01-31): environment "dev3-charlie" uses its database' in (
        result.stdout.splitlines()
    )
    assert "    - name: dev1-alice\n" in path.read_text(encoding="utf-8")


def test_the_owner_of_a_flag_that_stays_keeps_an_environment(project):
    path = project / "Pulumi.staging.yaml"
    path.write_text(
        STAGING.replace("      expires: 2027-01-31\n  # A gate", "      expires: 2027-04-30\n  # A gate"),
        encoding="utf-8",
    )

    result = remove(project)

    assert result.stdout.splitlines() == [
        "removed environment dev2-bob (expired on 2027-01-31, 1 day ago, owner bob@gatewayz.ai)",
        'kept environment dev1-alice (expired on 2027-01-31): its owner answers for feature flag "payments-v2", '
        "which has not expired",
    ]


# --- the line edit itself -------------------------------------------------------------------------

LIST = """\
config:
  stagefleet:environments:
    # main: never expires
    - name: main   # the shared one
      branch: main

    # bob's
    - name: dev2-bob
      branch: feature/bob
      # his variables
      variables: {A: "1"}

  # after the list, about the next key
  stagefleet:limits: {maxLongLived: 5}
"""


def test_an_entry_goes_with_the_comments_directly_above_it_and_nothing_else():
    assert expiry.remove_list_items(LIST, "stagefleet:environments", [1]) == LIST.replace(
        """    # bob's
    - name: dev2-bob
      branch: feature/bob
      # his variables
      variables: {A: "1"}
""",
        "",
    )


def test_the_first_entry_keeps_the_lines_around_it():
    assert expiry.remove_list_items(LIST, "stagefleet:environments", [0]) == LIST.replace(
        "    # main: never expires\n    - name: main   # the shared one\n      branch: main\n", ""
    )


def test_an_emptied_list_becomes_an_empty_flow_list():
    edited = expiry.remove_list_items(LIST, "stagefleet:environments", [0, 1])

    assert edited == (
        "config:\n  stagefleet:environments: []\n\n\n  # after the list, about the next key\n"
        "  stagefleet:limits: {maxLongLived: 5}\n"
    )


def test_a_list_indented_like_its_key_is_edited_too():
    text = "config:\n  stagefleet:environments:\n  - name: a\n    branch: a\n  - name: b\n    branch: b\n  stagefleet:x: 1\n"

    assert expiry.remove_list_items(text, "stagefleet:environments", [0]) == (
        "config:\n  stagefleet:environments:\n  - name: b\n    branch: b\n  stagefleet:x: 1\n"
    )


def test_a_flow_style_list_is_refused_and_the_file_untouched(project):
    path = project / "Pulumi.staging.yaml"
    flow = (
        STAGING.split("  stagefleet:environments:\n")[0]
        + "  stagefleet:environments: [{name: main, kind: shared, owner: platform, branch: main}, "
        "{name: dev1-alice, kind: developer, owner: alice@gatewayz.ai, branch: feature/alice-payment, "
        "expires: 2027-01-31}]\n"
    )
    path.write_text(flow, encoding="utf-8")

    result = remove(project)

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "error: Pulumi.staging.yaml: stagefleet:environments: written in flow style ([...]) or with an anchor; "
        "edit it by hand\n"
    )
    assert path.read_text(encoding="utf-8") == flow


def test_a_review_stack_is_refused(project):
    shutil.copy(REPO / "Pulumi.pr.yaml", project / "Pulumi.pr.yaml")

    result = fleet(project, "remove-expired", "--stack", "pr")

    assert (result.returncode, result.stderr) == (2, "error: pr is a review stack; only fleet stacks expire\n")

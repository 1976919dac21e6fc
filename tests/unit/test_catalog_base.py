"""`python -m fleet catalog --base`: the catalog rows a pull request adds, changes or removes, for its
preview comment."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import fleet_command
from tests.unit.fleet_support import REPO

HEADER = (
    "| change | environment | kind | URL | database | purpose | owner | branch | expires | when idle | monthly cost |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | ---: |\n"
)
DANA = """\
    - name: dev4-dana
      kind: developer
      owner: dana@gatewayz.ai
      branch: feature/dana-search
      purpose: Search v3
      expires: 2027-01-31
      database:
        strategy: shared
        source: main
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "Pulumi.staging.yaml", tmp_path / "Pulumi.staging.yaml")
    shutil.copy(REPO / "Pulumi.staging.yaml", tmp_path / "base.yaml")
    return tmp_path


def edit(project: Path, old: str, new: str) -> None:
    path = project / "Pulumi.staging.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def catalog(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    result = fleet_command.run(project, "catalog", "--stack", "staging", "--base", "base.yaml", *extra)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result


def test_an_added_environment_is_one_added_row(project):
    path = project / "Pulumi.staging.yaml"
    path.write_text(path.read_text(encoding="utf-8") + DANA, encoding="utf-8")

    assert catalog(project).stdout == (
        "Catalog rows this changes:\n\n"
        + HEADER
        + "| added | dev4-dana | developer | pending | shared (main) | Search v3 | dana@gatewayz.ai | "
        "feature/dana-search | 2027-01-31 | sleeps | $20.00 |\n"
    )


def test_a_changed_environment_names_the_columns_that_changed(project):
    edit(project, "branch: feature/bob-chat", "branch: feature/bob-chat-v2")
    edit(project, "purpose: Chat rewrite", "purpose: Chat v2")

    assert catalog(project).stdout.splitlines()[-1] == (
        "| changed (purpose, branch) | dev2-bob | developer | pending | dedicated | Chat v2 | bob@gatewayz.ai | "
        "feature/bob-chat-v2 | 2027-01-31 | sleeps | $30.00 |"
    )


def test_a_removed_environment_shows_its_row_before_the_change(project):
    shutil.copy(REPO / "Pulumi.staging.yaml", project / "Pulumi.staging.yaml")
    fleet_command.run(project, "remove-expired", "--stack", "staging", "--today", "2027-02-01")

    lines = catalog(project).stdout.splitlines()

    assert lines[4].startswith("| removed | dev1-alice | developer | pending | dedicated | Payment v2 |")
    assert lines[5].startswith("| removed | dev2-bob |")
    assert lines[6:] == [
        "",
        "Feature flags this changes:",
        "",
        "| change | flag | enabled for | owner | expires |",
        "| --- | --- | --- | --- | --- |",
        "| removed | payments-v2 | alice@gatewayz.ai | alice@gatewayz.ai | 2027-01-31 |",
    ]


def test_no_change_says_so(project):
    assert catalog(project).stdout == "No catalog row changes.\n"


def test_json_lists_each_change_with_its_row(project):
    edit(project, "purpose: Chat rewrite", "purpose: Chat v2")

    document = json.loads(catalog(project, "--format", "json").stdout)

    assert document["environments"] == [
        {
            "change": "changed",
            "fields": ["purpose"],
            "row": {
                "environment": "dev2-bob",
                "kind": "developer",
                "URL": "pending",
                "database": "dedicated",
                "purpose": "Chat v2",
                "owner": "bob@gatewayz.ai",
                "branch": "feature/bob-chat",
                "expires": "2027-01-31",
                "when idle": "sleeps",
                "monthly cost": "$30.00",
            },
        }
    ]
    assert document["featureFlags"] == []

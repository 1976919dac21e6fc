"""Every example of command output in the README and docs/ is the command's real output.

An output block (a fence with no language) says where it comes from on the line above it:

    <!-- output of: stagefleet ARGS [with FILE appended to Pulumi.staging.yaml] -->

is run here, in a copy of the project that is a git repository whose `main` holds the committed
stack files (so `--base Pulumi.staging.yaml@main` works as in a pull request), with FILE's
environments appended to the working tree's Pulumi.staging.yaml; the block must be exactly what the
command prints (stdout, then stderr). Output that needs the emulators says which test checks it:

    <!-- output checked by: tests/PATH.py -->
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import fleet_command

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
STACK_FILES = ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.pr.yaml", "Pulumi.sandbox.yaml")

RUN_MARKER = re.compile(
    r"<!-- output of: stagefleet (?P<args>.+?)(?: with (?P<extra>\S+) appended to Pulumi\.staging\.yaml)? -->"
)
CHECKED_MARKER = re.compile(r"<!-- output checked by: (?P<test>\S+) -->")


@dataclass(frozen=True)
class OutputBlock:
    document: Path
    line: int  # of the opening fence, 1-based
    marker: str  # the line above the fence
    text: str

    def __str__(self) -> str:
        return f"{self.document.relative_to(REPO)}:{self.line}"


def output_blocks(document: Path) -> list[OutputBlock]:
    lines = document.read_text(encoding="utf-8").split("\n")
    blocks, index = [], 0
    while index < len(lines):
        if not lines[index].startswith("```"):
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        if lines[index] == "```":
            marker = lines[index - 1] if index > 0 else ""
            blocks.append(OutputBlock(document, index + 1, marker, "\n".join(lines[index + 1 : end]) + "\n"))
        index = end + 1
    return blocks


BLOCKS = [block for document in DOCUMENTS for block in output_blocks(document)]
RUN = [block for block in BLOCKS if RUN_MARKER.fullmatch(block.marker)]


def test_every_output_block_says_where_its_output_comes_from() -> None:
    unmarked = [str(b) for b in BLOCKS if not (RUN_MARKER.fullmatch(b.marker) or CHECKED_MARKER.fullmatch(b.marker))]
    assert unmarked == [], "mark each with <!-- output of: stagefleet ... --> or <!-- output checked by: tests/... -->"


@pytest.mark.parametrize("block", [b for b in BLOCKS if CHECKED_MARKER.fullmatch(b.marker)], ids=str)
def test_a_block_checked_elsewhere_names_a_test_that_reads_its_document(block: OutputBlock) -> None:
    match = CHECKED_MARKER.fullmatch(block.marker)
    assert match is not None
    test_file = REPO / match["test"]
    assert test_file.is_file(), f"{block}: no {match['test']}"
    assert block.document.relative_to(REPO).as_posix() in test_file.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack files, committed on `main` of a repository of their own."""
    directory = tmp_path_factory.mktemp("project")
    for name in STACK_FILES:
        shutil.copy(REPO / name, directory / name)
    git = ["git", "-C", str(directory), "-c", "user.name=docs", "-c", "user.email=docs@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "the committed stack files"], check=True)
    return directory


@pytest.mark.parametrize("block", RUN, ids=str)
def test_the_example_is_what_the_command_prints(block: OutputBlock, project: Path) -> None:
    match = RUN_MARKER.fullmatch(block.marker)
    assert match is not None
    stack_file = project / "Pulumi.staging.yaml"
    committed = (REPO / "Pulumi.staging.yaml").read_text(encoding="utf-8")
    extra = (REPO / match["extra"]).read_text(encoding="utf-8") if match["extra"] else ""
    stack_file.write_text(committed + extra, encoding="utf-8")
    try:
        result = fleet_command.run(project, *shlex.split(match["args"]))
    finally:
        stack_file.write_text(committed, encoding="utf-8")

    assert result.stdout + result.stderr == block.text

"""The `fleet status` example in docs/operating.md is the command's real output (stdout: the table,
the summary and the failing services) for the fleet it shows: dev1-alice, whose web build failed,
and main, all healthy. Ids, generated domains, latencies and ages differ from run to run and are
compared as what they are, not by value."""

from __future__ import annotations

import re

from tests.docs.test_examples import REPO, output_blocks

DOC = REPO / "docs" / "operating.md"

VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"-[0-9a-f]{4}\.up\.railway\.app"), "-<hash>.up.railway.app"),
    (re.compile(r"\b\d+ ms\b"), "<n> ms"),
    (re.compile(r"(?<= )\d+[smhd](?= )"), "<age>"),
    (re.compile(r"-{2,}"), "--"),  # column rules: as wide as the widest value
    (re.compile(r" {2,}"), "  "),  # column padding, likewise
]


def comparable(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def documented_example() -> str:
    [block] = [b for b in output_blocks(DOC) if "tests/status/test_docs_example.py" in b.marker]
    return block.text


def test_the_documented_status_example_is_the_real_output(sandbox_fleet):
    sandbox_fleet.sandbox.plan_outcome(service_id=sandbox_fleet.service_id("web"), outcome="FAILED")
    sandbox_fleet.add_environment("dev1-alice")  # the first web deployment: the one that fails
    sandbox_fleet.add_environment("main")

    result = sandbox_fleet.status("--format", "table")

    assert result.returncode == 1
    assert comparable(result.stdout) == comparable(documented_example())


def test_the_comparison_still_tells_a_healthy_service_from_a_failed_one():
    example = documented_example()
    assert comparable(example.replace("failed   FAILED", "healthy  SUCCESS", 1)) != comparable(example)

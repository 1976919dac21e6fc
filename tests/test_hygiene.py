"""The suite's own rules: no test asserts a wall-clock time, and a test session leaves every
tracked file as it found it (tests write to tmp_path; benchmarks, not tests, write bench/results)."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from tests.hygiene import changed_between, tracked_changes, wall_clock_assertions

TESTS = Path(__file__).resolve().parent


def test_no_test_asserts_a_wall_clock_time() -> None:
    found = [
        str(finding)
        for path in sorted(TESTS.rglob("*.py"))
        for finding in wall_clock_assertions(path.read_text(encoding="utf-8"), str(path.relative_to(TESTS.parent)))
    ]
    assert found == [], (
        "assert what the timing means instead (counts, order, a clock or sleep seam, or the "
        "sandbox journal's timestamps relative to each other):\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    "source",
    [
        "import time\nstarted = time.monotonic()\nrun()\nassert time.monotonic() - started < 2.0\n",
        "import time\nstarted = time.perf_counter()\nrun()\nelapsed = time.perf_counter() - started\nassert 0.5 <= elapsed < 3.0\n",
        "import time\ndef test():\n    t0 = time.time()\n    run()\n    took = time.time() - t0\n    assert took < 1, took\n",
        "from time import monotonic as now\nstart = now()\nrun()\nassert ok and now() - start >= 0.3\n",
    ],
    ids=["inline", "via-a-name", "in-a-function", "imported-clock"],
)
def test_the_rule_finds_a_wall_clock_assertion(source: str) -> None:
    assert len(wall_clock_assertions(source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        "assert accepted.at - rejected.at >= 0.3\n",  # the sandbox journal's timestamps
        "import time\nbefore = time.monotonic()\nrun()\nassert before <= journal[-1].at <= time.monotonic()\n",
        "import time\ngive_up = time.monotonic() + 5\nassert time.monotonic() < give_up, 'never got there'\n",
        "assert sum(clock.sleeps) == pytest.approx(0.5)\n",
    ],
    ids=["journal-timestamps", "ordering", "wait-guard", "fake-clock"],
)
def test_the_rule_leaves_other_comparisons_alone(source: str) -> None:
    assert wall_clock_assertions(source) == []


def _git(directory: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=directory, check=True, capture_output=True, timeout=60)


def test_a_tracked_file_written_between_two_snapshots_is_named(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    for name in ("kept.json", "written.json", "edited-before.json"):
        (tmp_path / name).write_text("{}\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "seed")
    (tmp_path / "edited-before.json").write_text('{"by": "hand"}\n')  # changed before the session
    before = tracked_changes(tmp_path)
    (tmp_path / "written.json").write_text('{"by": "a test"}\n')
    (tmp_path / "untracked.json").write_text("{}\n")  # not tracked: not this rule's business

    assert before is not None and list(before) == ["edited-before.json"]
    assert changed_between(before, tracked_changes(tmp_path) or {}) == ["written.json"]


def test_outside_a_git_checkout_there_is_nothing_to_compare(tmp_path: Path) -> None:
    assert tracked_changes(tmp_path / "nowhere") is None


@pytest.mark.session_end
def test_the_session_changed_no_tracked_file(tracked_at_session_start: dict[str, str] | None) -> None:
    if tracked_at_session_start is None:
        pytest.skip("not in a git checkout: nothing to compare")
    changed = changed_between(tracked_at_session_start, tracked_changes(TESTS.parent) or {})
    assert changed == [], (
        "tracked files changed while the tests ran (by a test, or by hand meanwhile); tests write "
        "to tmp_path, and bench/results is written by `python -m bench.<name>` only: " + ", ".join(changed)
    )


SOURCE_PACKAGES = ("fleet", "providers", "components", "programs", "harness", "sandbox", "bench")
LONG_MODULE_LINES = 600


def test_no_source_module_is_over_600_lines_without_saying_why_at_its_top() -> None:
    repo = TESTS.parent
    unexplained = [
        f"{path.relative_to(repo)}: {lines} lines"
        for package in SOURCE_PACKAGES
        for path in sorted((repo / package).rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > LONG_MODULE_LINES
        and "Long on purpose:" not in (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "")
    ]
    assert unexplained == [], "split it, or say at its top why it is one module ('Long on purpose: ...')"

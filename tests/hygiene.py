"""The test suite's own rules, as functions tests/test_hygiene.py and tests/conftest.py use.

- No test asserts a wall-clock time: `wall_clock_assertions` finds an `assert` comparing a
  difference of clock readings (`time.monotonic()`, `time.time()`, `time.perf_counter()`, ... or
  a name bound to one) with anything. What a timing assertion means is asserted on counts, order,
  a clock seam or the sandboxes' journal timestamps instead.
- No test writes a tracked file: `tracked_changes` snapshots the checkout's modified tracked
  files (path and content digest) so a session can compare its start with its end.
"""

from __future__ import annotations

import ast
import hashlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Functions of the `time` module that read a clock.
CLOCKS = frozenset({"monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "time", "time_ns", "process_time"})


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    source: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source}"


def _clock_aliases(tree: ast.AST) -> set[str]:
    """Names a module binds to a clock with `from time import monotonic [as m]`."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "time"
        for alias in node.names
        if alias.name in CLOCKS
    }


def _is_clock_call(node: ast.AST, aliases: set[str]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in CLOCKS and isinstance(func.value, ast.Name) and func.value.id == "time"
    return isinstance(func, ast.Name) and func.id in aliases


def _assigned(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name) and node.value:
            yield node.target.id, node.value


def _wall_clock_asserts(tree: ast.Module) -> Iterator[ast.Assert]:
    aliases = _clock_aliases(tree)
    # Names holding a clock reading (started = time.monotonic()), then names holding a difference
    # of one (elapsed = time.monotonic() - started), to a fixed point. Names are not told apart by
    # scope: a name bound to a clock reading anywhere in the module counts everywhere in it.
    readings: set[str] = set()
    elapsed: set[str] = set()

    def reads_clock(node: ast.AST) -> bool:
        return any(
            _is_clock_call(child, aliases) or (isinstance(child, ast.Name) and child.id in readings)
            for child in ast.walk(node)
        )

    def is_difference(node: ast.AST) -> bool:
        return any(
            (
                isinstance(child, ast.BinOp)
                and isinstance(child.op, ast.Sub)
                and (reads_clock(child.left) or reads_clock(child.right))
            )
            or (isinstance(child, ast.Name) and child.id in elapsed)
            for child in ast.walk(node)
        )

    assignments = list(_assigned(tree))
    while True:
        before = (len(readings), len(elapsed))
        for name, value in assignments:
            if is_difference(value):
                elapsed.add(name)
            elif _is_clock_call(value, aliases):
                readings.add(name)
        if (len(readings), len(elapsed)) == before:
            break
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and any(
            isinstance(compare, ast.Compare)
            and any(is_difference(side) for side in [compare.left, *compare.comparators])
            for compare in ast.walk(node.test)
        ):
            yield node


def wall_clock_assertions(source: str, path: str = "<source>") -> list[Finding]:
    """Every assert in `source` that compares a difference of clock readings."""
    lines = source.splitlines()
    found = sorted({node.lineno for node in _wall_clock_asserts(ast.parse(source, path))})
    return [Finding(path, line, lines[line - 1].strip()) for line in found]


def tracked_changes(root: Path) -> dict[str, str] | None:
    """The tracked files of the git checkout at `root` that differ from HEAD, each with a digest
    of what it holds now ("deleted" when gone); None when `root` is not in a git checkout."""
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain=v1", "-z", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    fields = status.decode("utf-8", "surrogateescape").split("\0")
    paths: list[str] = []
    index = 0
    while index < len(fields):
        entry = fields[index]
        index += 1
        if not entry:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # a rename or copy: the next field is where it came from
            index += 1
    changes: dict[str, str] = {}
    for path in paths:
        file = root / path
        changes[path] = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else "deleted"
    return changes


def changed_between(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The tracked files whose state differs between two `tracked_changes` snapshots."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))

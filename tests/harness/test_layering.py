"""Who imports whom: the harness and the benchmarks stand outside tests/ and import nothing from it."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from harness import REPO


def _imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every absolute import in the file, at any depth (functions included)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def _imports_of(package: str, forbidden: str) -> list[str]:
    return [
        f"{path.relative_to(REPO)}:{line}: imports {module}"
        for path in sorted((REPO / package).rglob("*.py"))
        for line, module in _imported_modules(path)
        if module.split(".")[0] == forbidden
    ]


def test_the_harness_imports_nothing_from_the_tests() -> None:
    assert _imports_of("harness", "tests") == []


def test_the_benchmarks_import_nothing_from_the_tests() -> None:
    assert _imports_of("bench", "tests") == []


def test_the_scan_sees_an_import_from_the_tests(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("import json\n\ndef f():\n    from tests.engine import conftest\n    import tests.program\n")
    assert [name for _, name in _imported_modules(module)] == ["json", "tests.engine", "tests.program"]

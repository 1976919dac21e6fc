"""Who imports whom. The program's layers point one way: __main__ -> programs -> components ->
providers, and the config model in fleet/ imports none of them (its CLI's API commands use the
providers' clients). The harness and the benchmarks stand outside tests/ and import nothing from it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from harness import REPO

OURS = ("fleet", "providers", "components", "programs", "sandbox", "harness", "bench", "tests")
# Of our packages, which each one may import (itself included).
MAY_IMPORT = {
    "fleet": {"fleet", "providers"},
    "providers": {"providers", "fleet"},
    "components": {"components", "providers", "fleet"},
    "programs": {"programs", "components", "providers", "fleet"},
    "sandbox": {"sandbox", "fleet"},
    "harness": {"harness", "programs", "components", "providers", "fleet", "sandbox"},
    "bench": {"bench", "harness", "programs", "components", "providers", "fleet", "sandbox"},
}


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


def _ours_imported_by(path: Path) -> Iterator[tuple[int, str]]:
    for line, module in _imported_modules(path):
        if module.split(".")[0] in OURS:
            yield line, module


def test_each_package_imports_only_the_layers_below_it() -> None:
    found = [
        f"{path.relative_to(REPO)}:{line}: {package} imports {module}"
        for package, allowed in MAY_IMPORT.items()
        for path in sorted((REPO / package).rglob("*.py"))
        for line, module in _ours_imported_by(path)
        if module.split(".")[0] not in allowed
    ]
    assert found == []


# Below the providers and the sandbox, fleet/ offers only its pure rules: names and dates.
PURE_RULES = {"fleet.naming", "fleet.dates"}


def _fleet_modules_imported_by(package: str) -> list[str]:
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "fleet":
                found += [f"{path.relative_to(REPO)}: fleet.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("fleet."):
                found.append(f"{path.relative_to(REPO)}: {node.module}")
            elif isinstance(node, ast.Import):
                found += [f"{path.relative_to(REPO)}: {a.name}" for a in node.names if a.name.startswith("fleet")]
    return found


def test_the_providers_and_the_sandbox_take_only_names_and_dates_from_fleet() -> None:
    for package in ("providers", "sandbox"):
        imported = _fleet_modules_imported_by(package)
        assert [entry for entry in imported if entry.split(": ")[1] not in PURE_RULES] == []


def test_the_program_entry_point_runs_the_programs_main() -> None:
    assert [module for _, module in _ours_imported_by(REPO / "__main__.py")] == ["programs.main"]


def test_components_hold_component_resources_only() -> None:
    """Every module of components/ defines a ComponentResource (its other classes are their
    arguments and connections); the package itself defines nothing."""
    for path in sorted((REPO / "components").glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
        if path.name == "__init__.py":
            assert classes == [] and not [n for n in tree.body if isinstance(n, ast.FunctionDef)]
            continue
        components = [c.name for c in classes if any(ast.unparse(b) == "pulumi.ComponentResource" for b in c.bases)]
        assert components, f"{path.name} defines no ComponentResource"


def test_the_harness_imports_nothing_from_the_tests() -> None:
    assert _imports_of("harness", "tests") == []


def test_the_benchmarks_import_nothing_from_the_tests() -> None:
    assert _imports_of("bench", "tests") == []


def test_the_scan_sees_an_import_from_the_tests(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("import json\n\ndef f():\n    from tests.engine import conftest\n    import tests.program\n")
    assert [name for _, name in _imported_modules(module)] == ["json", "tests.engine", "tests.program"]


def test_no_module_imports_another_modules_private_names() -> None:
    """An underscore name is its module's own: what others need is public, in one home."""
    found = []
    for package in ("fleet", "providers", "components", "programs", "harness", "bench"):
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
                    continue
                if node.module.split(".")[0] not in OURS:
                    continue
                private_module = any(part.startswith("_") and part != "__init__" for part in node.module.split("."))
                private_names = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if private_module or private_names:
                    found.append(
                        f"{path.relative_to(REPO)}:{node.lineno}: from {node.module} import {private_names or '...'}"
                    )
    assert found == []

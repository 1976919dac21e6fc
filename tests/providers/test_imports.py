"""No module imports another module's underscore names: nothing under providers/ does, and
nothing in the program's packages imports a name the providers keep private."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("providers", "fleet", "components", "programs", "sandbox", "harness", "bench")


def _private_imports(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, module, name) for each `from <module> import _<name>` in the file."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    yield node.lineno, node.module, alias.name


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


def test_no_provider_module_imports_another_modules_underscore_names() -> None:
    found = [
        f"{path.relative_to(REPO)}:{line}: from {module} import {name}"
        for path in _modules("providers")
        for line, module, name in _private_imports(path)
    ]
    assert found == []


def test_no_package_imports_the_providers_private_names() -> None:
    found = [
        f"{path.relative_to(REPO)}:{line}: from {module} import {name}"
        for package in PACKAGES
        for path in _modules(package)
        for line, module, name in _private_imports(path)
        if module == "providers" or module.startswith("providers.")
    ]
    assert found == []

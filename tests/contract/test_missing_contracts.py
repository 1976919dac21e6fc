"""Without ../shared/contracts the contract tests skip on a developer's machine and fail in CI,
saying where the contracts should be."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract import contracts

RELATIVE = "railway/railway-cli-schema.json"


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    missing = tmp_path / "shared" / "contracts"
    monkeypatch.setattr(contracts, "CONTRACTS", missing)
    return missing / RELATIVE


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_in_ci_a_missing_contract_fails_the_test_naming_where_it_should_be(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception) as failed:
        contracts.contract(RELATIVE, "Railway's published schema")
    assert f"Railway's published schema is not at {nowhere}" in str(failed.value)
    assert "CI is set" in str(failed.value)


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_elsewhere_a_missing_contract_skips_the_test_naming_where_it_should_be(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception) as skipped:
        contracts.contract(RELATIVE, "Railway's published schema")
    assert f"Railway's published schema is not at {nowhere}" in str(skipped.value)


def test_a_contract_that_is_there_is_its_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(contracts, "CONTRACTS", tmp_path)
    (tmp_path / "railway").mkdir()
    (tmp_path / RELATIVE).write_text("{}")
    assert contracts.contract(RELATIVE, "Railway's published schema") == tmp_path / RELATIVE


def test_every_contract_test_finds_its_contracts_through_this_module() -> None:
    # A test that checked for shared/contracts on its own could skip in CI again.
    for path in Path(__file__).parent.glob("test_*.py"):
        source = path.read_text(encoding="utf-8")
        if "shared" in source and path.name != Path(__file__).name:
            assert "contract(" in source and "pytest.skip(" not in source and "skipif(" not in source, path.name

"""Where the published API contracts are, and what a contract test does when they are not there.

The contracts live in ../shared/contracts, beside the repository, not in it. On a developer's
machine without that checkout the tests that need one skip, saying where it should be; in CI (the
environment variable `CI` set, as every CI service sets it) they fail instead, so a pipeline that
lost its contracts cannot pass while checking none of them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO.parent / "shared" / "contracts"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def contract(relative: str, what: str) -> Path:
    """The path of the contract `relative` to shared/contracts (`what` names it in the message);
    skips the test when it is missing, or fails it in CI."""
    path = CONTRACTS / relative
    if not path.is_file():
        where = f"{what} is not at {path} (shared/contracts is a checkout of its own, beside the repository)"
        if in_ci():
            pytest.fail(
                f"{where}; CI is set, so the contract tests must run: check out shared beside the repository",
                pytrace=False,
            )
        pytest.skip(where)
    return path

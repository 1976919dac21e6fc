"""Session-wide: the state of the checkout's tracked files when the session starts, for
tests/test_hygiene.py's last test (it runs after every other test), which compares it with the
state at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from providers.limits import forget_limiters
from providers.rate_ledger import LEDGER_DIRECTORY_ENV
from tests.hygiene import tracked_changes

REPO = Path(__file__).resolve().parents[1]
_AT_START = pytest.StashKey[dict[str, str] | None]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "session_end: runs after every other test of the session")
    config.addinivalue_line("markers", "own_stack: the test changes what its module's shared deployment made")


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_AT_START] = tracked_changes(REPO)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("session_end") is not None)


@pytest.fixture(autouse=True)
def fresh_rate_limiters(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts with none of the process's API limiters (providers.limits) and a ledger
    directory of its own: what one test's answers taught (a Retry-After, a spent
    X-RateLimit-Remaining, requests in the shared ledger) must not hold the next one back."""
    monkeypatch.setenv(LEDGER_DIRECTORY_ENV, str(tmp_path_factory.mktemp("rate-ledgers")))
    forget_limiters()
    yield
    forget_limiters()


@pytest.fixture
def tracked_at_session_start(request: pytest.FixtureRequest) -> dict[str, str] | None:
    return request.config.stash.get(_AT_START, None)

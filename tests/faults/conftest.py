"""Fault and drift tests: every provider operation against the sandboxes while they misbehave
(429 with Retry-After, 500/502/503, an answer slower than the client's read timeout, the
connection dropped after the request was applied, a request never answered and applied after the
client gave up), run in-process with tiny backoff, a shrunken read timeout and late-answer window
and fast readiness polling, so the whole matrix takes minutes, not hours.

The matrix, its worlds and its settings are defined in bench/fault_matrix.py; every cell is a
test here, and nothing is written: `venv/bin/python -m bench.fault_matrix` prints the tables and
writes bench/results/fault_matrix.json.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.fault_matrix import (  # noqa: F401 - World and the credentials, for the tests that import them from here
    RAILWAY_TOKEN,
    RETRY_AFTER,
    SLOW_ANSWER,
    STATSIG_KEY,
    SUPABASE_TOKEN,
    World,
    calm,
    fast_settings,
    new_world,
    railway_and_supabase_sandboxes,
    statsig_sandbox,
)
from sandbox.railway import RailwaySandbox
from sandbox.statsig import StatsigSandbox
from sandbox.supabase import SupabaseSandbox


@pytest.fixture(autouse=True)
def fault_settings() -> Iterator[None]:
    """No credentials from the shell, fast retries, a short read timeout, fast polling, and no
    stack config left behind."""
    with fast_settings():
        yield


@pytest.fixture(scope="session")
def shared_statsig() -> Iterator[StatsigSandbox]:
    with statsig_sandbox() as statsig:
        yield statsig


@pytest.fixture(scope="session")
def shared_sandboxes() -> Iterator[tuple[RailwaySandbox, SupabaseSandbox]]:
    # One pair of servers for the session; every test works in a project and organization of its own.
    with railway_and_supabase_sandboxes() as sandboxes:
        yield sandboxes


@pytest.fixture
def world(shared_sandboxes: tuple[RailwaySandbox, SupabaseSandbox], shared_statsig: StatsigSandbox) -> Iterator[World]:
    railway, supabase = shared_sandboxes
    yield new_world(railway, supabase, shared_statsig)
    calm(railway, supabase, shared_statsig)

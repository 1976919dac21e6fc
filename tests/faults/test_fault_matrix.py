"""Every provider operation under every fault the sandboxes inject, once and on every attempt.

For each cell: the operation either succeeds within its retry budget or fails with an error that
names what failed and the API call (and no credential); running it again, as the next `pulumi up`
would, succeeds; and the sandbox then holds exactly what the provider reported, no duplicate and
no orphan. A fault on one request only must never fail an operation.
"""
from __future__ import annotations

import time
from typing import Any

import pytest

from providers.api import ApiError
from sandbox.server import JournalEntry
from tests.faults import matrix
from tests.faults.conftest import (
    RAILWAY_TOKEN,
    RETRY_AFTER,
    SLOW_ANSWER,
    STATSIG_KEY,
    SUPABASE_TOKEN,
    World,
)

EVERY_ATTEMPT = 50  # more than any retry budget: 5 attempts, or 5 creates each looked up
# What a failure says about the problem, per fault.
PROBLEM_WORDS = {
    "429": ("HTTP 429",),
    "500": ("HTTP 500",),
    "502": ("HTTP 502",),
    "503": ("HTTP 503",),
    "slow": ("ReadTimeout", "timed out"),
    "drop_after_apply": ("RemoteProtocolError", "disconnected", "ReadError"),
}
SECRETS = (RAILWAY_TOKEN, SUPABASE_TOKEN, STATSIG_KEY, matrix.DB_PASS, matrix.NEW_DB_PASS)


def _consumed(sandbox: Any, keys: tuple[str, ...], times: int) -> int:
    left = sum(fault.times for fault in sandbox.faults.pending() if fault.key in keys)
    return times * len(keys) - left


def _journal_after_slow_answers(sandbox: Any, expected_slow: int) -> list[JournalEntry]:
    """The journal, once every slow request has been answered (its entry is written then)."""
    give_up_at = time.monotonic() + SLOW_ANSWER * 4 + 2.0
    while True:
        entries = sandbox.journal
        if sum(1 for e in entries if e.fault == "slow") >= expected_slow or time.monotonic() > give_up_at:
            return entries
        time.sleep(0.02)


def classify(operation: matrix.Operation, fault: str, error: BaseException | None, entries: list[JournalEntry]) -> str:
    if error is not None:
        return matrix.FAILED_THEN_CONVERGED
    faulted = [e for e in entries if e.fault == fault and e.key in operation.keys]
    if not faulted:
        return matrix.OK
    if operation.create_key is not None and fault in ("slow", "drop_after_apply"):
        creates = [e for e in entries if e.key == operation.create_key]
        if creates and all(e.fault in ("slow", "drop_after_apply") for e in creates):
            return matrix.ADOPTED
    return matrix.OK_AFTER_RETRY


def assert_clear(error: BaseException, operation: matrix.Operation, state: dict[str, Any], fault: str) -> None:
    message = str(error)
    assert isinstance(error, ApiError), f"{type(error).__name__}: {message}"
    assert any(name in message for name in operation.names(state)), f"names none of {operation.names(state)}: {message}"
    assert any(f"({api} " in message for api in ("Railway", "Supabase", "Statsig")), f"no API call named: {message}"
    assert any(word in message for word in PROBLEM_WORDS[fault]), f"the problem is not named: {message}"
    assert [secret for secret in SECRETS if secret in message] == []
    assert error.__cause__ is None


@pytest.mark.parametrize("mode", matrix.MODES)
@pytest.mark.parametrize("fault", matrix.FAULTS)
@pytest.mark.parametrize("operation", matrix.OPERATIONS, ids=lambda op: op.name)
def test_operation_under_fault(world: World, operation: matrix.Operation, fault: str, mode: str) -> None:
    state = operation.prepare(world)
    world.clear()
    sandbox = world.sandbox_for(operation.api)
    times = 1 if mode == "once" else EVERY_ATTEMPT
    for key in operation.keys:
        sandbox.faults.add(key, fault, times=times, retry_after=RETRY_AFTER, delay=SLOW_ANSWER)  # type: ignore[arg-type]

    error: BaseException | None = None
    try:
        state["result"] = operation.act(world, state)
    except Exception as caught:  # noqa: BLE001 - judged below
        error = caught
    consumed = _consumed(sandbox, operation.keys, times)
    sandbox.faults.clear()
    # A slow request is applied at once but journaled when its late answer goes out: wait for
    # those entries only where the outcome depends on them (a success: retried, or adopted?).
    late = consumed if fault == "slow" and error is None else 0
    entries = _journal_after_slow_answers(sandbox, late)

    assert consumed >= 1, f"{operation.name} sent none of {operation.keys}"
    if mode == "once":
        assert error is None, f"one {fault} failed {operation.name}: {error}"
    if error is not None:
        assert_clear(error, operation, state, fault)

    operation.run_again(world, state, error is not None)
    operation.expect(world, state)
    matrix.RESULTS.record(operation.name, fault, mode, classify(operation, fault, error, entries))

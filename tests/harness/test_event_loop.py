"""The harness runs the program whatever state the thread's event loop was left in: after
`asyncio.run` (which leaves no current loop, as tests/status does before tests/bench runs) and
after the current loop was closed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from harness import existing_stack, new_stack
from harness.host import DynamicProviderHost
from harness.mocks import evaluate, stack_mapping


async def _nothing() -> None:
    await asyncio.sleep(0)


def _leave_no_current_loop() -> None:
    asyncio.run(_nothing())


def _close_the_current_loop() -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.close()


LEFT_BEHIND = pytest.mark.parametrize(
    "leave", [_leave_no_current_loop, _close_the_current_loop], ids=["after asyncio.run", "after a closed loop"]
)


@pytest.fixture(scope="module")
def host() -> Iterator[DynamicProviderHost]:
    with DynamicProviderHost() as provider_host:
        provider_host.configure({})
        yield provider_host


def _exports_only() -> dict[str, int]:
    return {"answer": 42}


@LEFT_BEHIND
def test_the_program_runs_under_mocks(leave: Callable[[], None]) -> None:
    leave()
    evaluation = evaluate(stack_mapping())
    assert len(evaluation.graph.of_type("stagefleet:index:StagingEnvironment")) == 5


@LEFT_BEHIND
def test_a_new_stack_comes_up(leave: Callable[[], None], host: DynamicProviderHost) -> None:
    leave()
    deployment = new_stack.up(_exports_only, host)
    assert (deployment.error, deployment.exports) == (None, {"answer": 42})


@LEFT_BEHIND
def test_an_existing_stack_comes_up_and_previews(leave: Callable[[], None], host: DynamicProviderHost) -> None:
    leave()
    run = existing_stack.up(_exports_only, host, {})
    assert (run.error, run.exports) == (None, {"answer": 42})
    leave()
    assert existing_stack.up(_exports_only, host, {}, preview=True).error is None

"""The pauses between Railway polls and between probes, and the per-environment request budget."""

from __future__ import annotations

import pytest

from fleet.watch import SCHEDULE, Backoff, RateBound


def api_backoff() -> Backoff:
    return Backoff(SCHEDULE.api_first, SCHEDULE.api_growth, SCHEDULE.api_cap)


def test_railway_polls_pause_2s_then_grow_by_half_up_to_10s():
    backoff = api_backoff()

    assert [backoff.next() for _ in range(7)] == [2.0, 3.0, 4.5, 6.75, 10.0, 10.0, 10.0]


def test_a_reset_starts_the_pauses_again_from_the_first():
    backoff = api_backoff()
    for _ in range(4):
        backoff.next()

    backoff.reset()

    assert [backoff.next(), backoff.next()] == [2.0, 3.0]


def test_probes_start_quick_and_back_off_to_2s():
    backoff = Backoff(SCHEDULE.probe_quick, SCHEDULE.probe_growth, SCHEDULE.probe_cap)
    pauses = [backoff.next() for _ in range(20)]

    assert pauses[0] == 0.25
    assert pauses == sorted(pauses)
    assert pauses[-1] == 2.0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_environment_may_send_two_requests_at_once_then_one_per_2s():
    clock = Clock()
    bound = RateBound(SCHEDULE.api_per_second, SCHEDULE.api_burst, clock)
    for _ in range(2):
        assert bound.wait_time() == 0
        bound.take()

    assert bound.wait_time() == pytest.approx(2.0)
    clock.now += 2.0
    assert bound.wait_time() == 0


def test_the_budget_over_a_minute_is_the_burst_plus_one_per_2s():
    clock = Clock()
    bound = RateBound(SCHEDULE.api_per_second, SCHEDULE.api_burst, clock)
    sent = 0
    # Ask every 1/8 s from 0 s to 60 s: far more often than the bucket allows.
    for _ in range(60 * 8 + 1):
        if bound.wait_time() == 0:
            bound.take()
            sent += 1
        clock.now += 0.125

    assert sent == 2 + 60 // 2


def test_unused_tokens_do_not_pile_up_beyond_the_burst():
    clock = Clock()
    bound = RateBound(SCHEDULE.api_per_second, SCHEDULE.api_burst, clock)
    clock.now += 3600

    sent = 0
    while bound.wait_time() == 0:
        bound.take()
        sent += 1

    assert sent == 2

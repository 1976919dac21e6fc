"""providers/limits.py: the process-wide pacing of each API, on an injected clock (no sleeping):
bursts up to a window's limit, threads sharing one limiter, what the server's answers teach
(a limit lower than configured, what remains, Retry-After), the ledger shared between
processes, and the plans."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from providers.limits import (
    DEFAULT_RAILWAY_PLAN,
    RAILWAY_PLANS,
    Limiter,
    NoTurnInTime,
    Plan,
    Request,
    Turn,
    Window,
    parse_railway_plan,
    railway_limiter,
    statsig_limiter,
    supabase_limiter,
)
from providers.rate_ledger import Ledger

READ = Request("EnvironmentDeployments", mutation=False)
WRITE = Request("POST /console/v1/gates", mutation=True)


class Clock:
    """Monotonic and wall time that move only when told (or when the limiter sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wall = 1_700_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return self.wall

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.wall += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)


def limiter(clock: Clock, *windows: Window, **options: object) -> Limiter:
    return Limiter(
        "Railway",
        windows,
        clock=clock,
        wall_clock=clock.wall_clock,
        sleep=clock.sleep,
        **options,  # type: ignore[arg-type]
    )


def take(limiter: Limiter, request: Request = READ) -> Turn:
    turn, wait, reason = limiter.reserve(request)
    assert turn is not None, f"refused: {reason} (wait {wait})"
    return turn


def refused(limiter: Limiter, request: Request = READ) -> float:
    turn, wait, _ = limiter.reserve(request)
    assert turn is None
    return wait


def per_second(limit: int) -> Window:
    return Window(limit, 1.0, "a second")


# ---------------------------------------------------------------- windows


def test_a_burst_up_to_the_limit_goes_at_once_and_the_next_waits_for_the_window():
    clock = Clock()
    pacing = limiter(clock, per_second(3))
    for turn in [take(pacing) for _ in range(3)]:
        pacing.release(turn)

    assert refused(pacing) == pytest.approx(1.0)


def test_an_answered_request_counts_for_a_window_from_its_answer_not_its_sending():
    clock = Clock()
    pacing = limiter(clock, per_second(1))
    turn = take(pacing)
    clock.advance(0.4)  # the answer took 0.4 s: the server may have counted it at any point until then
    pacing.release(turn)
    clock.advance(0.9)

    assert refused(pacing) == pytest.approx(0.1)


def test_requests_in_flight_count_against_the_window():
    clock = Clock()
    pacing = limiter(clock, per_second(2))
    take(pacing)
    take(pacing)

    assert refused(pacing) == float("inf")


def test_the_window_frees_a_turn_when_its_oldest_answer_leaves_it():
    clock = Clock()
    pacing = limiter(clock, per_second(2))
    first = take(pacing)
    pacing.release(first)
    clock.advance(0.5)
    pacing.release(take(pacing))
    clock.advance(0.6)

    assert take(pacing) is not None


def test_an_hourly_budget_holds_back_requests_the_per_second_limit_would_allow():
    clock = Clock()
    pacing = limiter(clock, per_second(10), Window(5, 3600.0, "an hour"))
    for _ in range(5):
        pacing.release(take(pacing))
        clock.advance(1.0)

    assert refused(pacing) == pytest.approx(3600.0 - 5.0)


def test_per_endpoint_windows_count_each_endpoint_apart():
    clock = Clock()
    pacing = limiter(clock, Window(1, 60.0, "a minute", per_endpoint=True))
    pacing.release(take(pacing, Request("GET /v1/projects/{ref}", mutation=False)))

    assert take(pacing, Request("GET /v1/projects/{ref}/api-keys", mutation=False)) is not None
    assert refused(pacing, Request("GET /v1/projects/{ref}", mutation=False)) == pytest.approx(60.0)


def test_a_mutations_only_window_lets_reads_through():
    clock = Clock()
    pacing = limiter(clock, Window(1, 10.0, "per 10 seconds", mutations_only=True))
    pacing.release(take(pacing, WRITE))

    assert take(pacing, READ) is not None
    assert refused(pacing, WRITE) == pytest.approx(10.0)


def test_threads_sharing_a_limiter_are_admitted_no_more_than_the_limit_together():
    clock = Clock()  # frozen: no turn frees up while they race
    pacing = limiter(clock, per_second(10))
    admitted: list[Turn] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        for _ in range(20):
            turn, _, _ = pacing.reserve(READ)
            if turn is not None:
                with lock:
                    admitted.append(turn)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(admitted) == 10


def test_acquire_waits_for_the_turn_on_the_limiters_clock():
    clock = Clock()
    pacing = limiter(clock, per_second(1))
    pacing.release(take(pacing))

    pacing.acquire(READ)

    assert sum(clock.slept) == pytest.approx(1.0)


def test_acquire_gives_up_at_once_when_the_turn_comes_after_its_deadline():
    clock = Clock()
    pacing = limiter(clock, per_second(10), Window(1, 3600.0, "an hour"))
    pacing.release(take(pacing))

    with pytest.raises(NoTurnInTime, match=r"1 requests an hour are used.*3600\.0 s.*60\.0 s left"):
        pacing.acquire(READ, deadline=clock.now + 60.0)
    assert clock.slept == []


def test_a_release_is_counted_once():
    clock = Clock()
    pacing = limiter(clock, per_second(2))
    turn = take(pacing)
    pacing.release(turn)
    pacing.release(turn)

    assert take(pacing) is not None


# ---------------------------------------------------------------- what the answers teach


def test_a_server_that_says_its_limit_is_lower_than_configured_lowers_it():
    clock = Clock()
    pacing = limiter(clock, per_second(50), Window(10_000, 3600.0, "an hour"), header_window=1)
    pacing.release(take(pacing), status=200, headers={"X-RateLimit-Limit": "3"})
    pacing.release(take(pacing), status=200, headers={})
    pacing.release(take(pacing), status=200, headers={})

    assert refused(pacing) == pytest.approx(3600.0)
    assert pacing.limit(pacing.windows[1]) == 3


def test_a_spent_x_ratelimit_remaining_holds_requests_until_its_reset():
    clock = Clock()
    pacing = limiter(clock)  # an emulator: nothing configured
    pacing.release(take(pacing), status=200, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"})

    assert refused(pacing) == pytest.approx(30.0)
    clock.advance(30.0)
    assert take(pacing) is not None


def test_what_remains_is_counted_down_by_the_turns_taken_after_the_answer():
    clock = Clock()
    pacing = limiter(clock)
    pacing.release(take(pacing), status=200, headers={"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "10"})
    take(pacing)
    take(pacing)

    assert refused(pacing) == pytest.approx(10.0)


def test_requests_in_flight_when_an_answer_says_what_remains_are_taken_from_it():
    clock = Clock()
    pacing = limiter(clock)
    answered = take(pacing)
    take(pacing)  # still in flight: it may reach the server after this answer was counted
    pacing.release(answered, status=200, headers={"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "5"})

    assert refused(pacing) == pytest.approx(5.0)


def test_an_older_answer_does_not_raise_what_a_newer_one_said_remains():
    clock = Clock()
    pacing = limiter(clock)
    older, newer = take(pacing), take(pacing)
    pacing.release(newer, status=200, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "5"})
    pacing.release(older, status=200, headers={"X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "5"})

    assert refused(pacing) == pytest.approx(5.0)


def test_a_429_holds_the_other_threads_until_its_retry_after():
    clock = Clock()
    pacing = limiter(clock)
    pacing.release(take(pacing), status=429, headers={"Retry-After": "4"})

    assert refused(pacing) == pytest.approx(4.0)


def test_the_refused_thread_itself_is_not_held_again_after_its_retry_policy_waited():
    clock = Clock()
    pacing = limiter(clock)
    pacing.release(take(pacing), status=429, headers={"Retry-After": "4"})

    turn, _, _ = pacing.reserve(READ, refused=True)

    assert turn is not None


def test_a_429_without_retry_after_is_held_until_its_x_ratelimit_reset():
    clock = Clock()
    pacing = limiter(clock)
    pacing.release(take(pacing), status=429, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"})

    assert refused(pacing) == pytest.approx(7.0)


def test_per_endpoint_answers_hold_only_their_endpoint():
    clock = Clock()
    pacing = limiter(clock, per_endpoint_scope=True)
    keys = Request("GET /v1/projects/{ref}/api-keys", mutation=False)
    pacing.release(take(pacing, keys), status=429, headers={"Retry-After": "9"})

    assert take(pacing, Request("GET /v1/projects/{ref}", mutation=False)) is not None
    assert refused(pacing, keys) == pytest.approx(9.0)


def test_remaining_is_the_budget_less_what_was_sent_and_no_more_than_the_server_says():
    clock = Clock()
    hour = Window(1000, 3600.0, "an hour")
    pacing = limiter(clock, per_second(10), hour, header_window=1)
    for _ in range(3):
        pacing.release(take(pacing))
    assert pacing.remaining(hour) == 997

    pacing.release(take(pacing), status=200, headers={"X-RateLimit-Remaining": "120", "X-RateLimit-Reset": "900"})
    assert pacing.remaining(hour) == 120


# ---------------------------------------------------------------- the ledger


def test_another_processs_answers_recorded_in_the_ledger_count_here(tmp_path: Path):
    clock = Clock()
    ours = Ledger(tmp_path, "railway-test", 3600.0, wall_clock=clock.wall_clock, process="ours")
    theirs = Ledger(tmp_path, "railway-test", 3600.0, wall_clock=clock.wall_clock, process="theirs")
    pacing = limiter(clock, per_second(10), Window(2, 3600.0, "an hour"), ledger=ours)
    theirs.record(READ.endpoint, READ.mutation, clock.wall - 100.0)
    theirs.record(READ.endpoint, READ.mutation, clock.wall - 50.0)

    assert refused(pacing) == pytest.approx(3600.0 - 100.0)


def test_this_processs_own_ledger_lines_are_not_counted_twice(tmp_path: Path):
    clock = Clock()
    ledger = Ledger(tmp_path, "railway-test", 3600.0, wall_clock=clock.wall_clock, process="ours")
    pacing = limiter(clock, Window(2, 3600.0, "an hour"), ledger=ledger)
    pacing.release(take(pacing))

    assert take(pacing) is not None


def test_ledger_lines_older_than_the_window_are_ignored(tmp_path: Path):
    clock = Clock()
    ours = Ledger(tmp_path, "railway-test", 3600.0, wall_clock=clock.wall_clock, process="ours")
    theirs = Ledger(tmp_path, "railway-test", 3600.0, wall_clock=clock.wall_clock, process="theirs")
    pacing = limiter(clock, Window(1, 3600.0, "an hour"), ledger=ours)
    theirs.record(READ.endpoint, READ.mutation, clock.wall - 3601.0)

    assert take(pacing) is not None


def test_ledger_files_two_periods_old_are_removed(tmp_path: Path):
    clock = Clock()
    period = int(clock.wall // 60.0)
    stale = tmp_path / f"railway-test-{period - 2}.log"
    recent = tmp_path / f"railway-test-{period - 1}.log"
    stale.write_text("")
    recent.write_text("")

    Ledger(tmp_path, "railway-test", 60.0, wall_clock=clock.wall_clock)

    assert (stale.exists(), recent.exists()) == (False, True)


# ---------------------------------------------------------------- plans and APIs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hobby", RAILWAY_PLANS["hobby"]),
        (" Pro ", RAILWAY_PLANS["pro"]),
        ({"perSecond": 20, "perHour": 5000}, Plan("custom", 20, 5000)),
        ({"perSecond": 20.0, "perHour": 5000.0}, Plan("custom", 20, 5000)),
        ('{"perSecond": 5, "perHour": 100}', Plan("custom", 5, 100)),
    ],
)
def test_a_plan_is_a_name_or_explicit_numbers(value: object, expected: Plan):
    assert parse_railway_plan(value) == expected


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("team", '"team" is not a plan'),
        ({"perSecond": 0, "perHour": 10}, "perSecond must be a whole number of at least 1"),
        ({"perSecond": 10}, "perHour must be"),
        ({"perSecond": 10, "perHour": 100, "perDay": 1}, "unknown key 'perDay'"),
        ("{not json", "not valid JSON"),
        (7, 'use "hobby", "pro"'),
    ],
)
def test_a_plan_that_is_neither_says_what_is_wrong(value: object, says: str):
    with pytest.raises(ValueError, match=says):
        parse_railway_plan(value)


def test_the_hobby_and_pro_plans_have_railways_documented_limits():
    assert (RAILWAY_PLANS["hobby"].per_second, RAILWAY_PLANS["hobby"].per_hour) == (10, 1_000)
    assert (RAILWAY_PLANS["pro"].per_second, RAILWAY_PLANS["pro"].per_hour) == (50, 10_000)
    assert DEFAULT_RAILWAY_PLAN is RAILWAY_PLANS["pro"]


def test_railways_own_host_is_paced_by_the_plan_per_second_and_per_hour():
    pacing = railway_limiter(
        api_url="https://backboard.railway.com/graphql/v2?source=stagefleet",
        token="t-1",
        plan=RAILWAY_PLANS["hobby"],
        emulated_scale=None,
    )
    assert [(w.limit, w.seconds) for w in pacing.windows] == [(10, 1.0), (1000, 3600.0)]


def test_an_emulator_is_paced_only_by_its_answers_unless_emulated_limits_are_asked_for():
    url = "http://127.0.0.1:9/graphql/v2"
    plain = railway_limiter(api_url=url, token="t-2", plan=DEFAULT_RAILWAY_PLAN, emulated_scale=None)
    emulated = railway_limiter(api_url=url, token="t-2", plan=DEFAULT_RAILWAY_PLAN, emulated_scale=30.0)

    assert plain.windows == ()
    assert [(w.limit, w.seconds) for w in emulated.windows] == [(50, 1 / 30), (10_000, 120.0)]


def test_one_limiter_per_api_account_and_url_in_a_process():
    first = supabase_limiter(api_url="https://api.supabase.com", token="sbp_a", emulated_scale=None)
    again = supabase_limiter(api_url="https://api.supabase.com", token="sbp_a", emulated_scale=None)
    other = supabase_limiter(api_url="https://api.supabase.com", token="sbp_b", emulated_scale=None)

    assert first is again and first is not other


def test_supabase_is_paced_per_endpoint_per_minute_and_statsig_per_mutation():
    supabase = supabase_limiter(api_url="https://api.supabase.com", token="sbp_c", emulated_scale=None)
    statsig = statsig_limiter(api_url="https://statsigapi.net", api_key="console-d", emulated_scale=None)

    assert [(w.limit, w.seconds, w.per_endpoint) for w in supabase.windows] == [(120, 60.0, True)]
    assert [(w.limit, w.seconds, w.mutations_only) for w in statsig.windows] == [(100, 10.0, True), (900, 900.0, True)]

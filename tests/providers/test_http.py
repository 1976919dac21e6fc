"""providers/http.py: the retry, backoff, deadline and Retry-After mechanism, on httpx.MockTransport."""

from __future__ import annotations

import email.utils
from collections.abc import Callable

import httpx
import pytest

from providers.http import (
    LATE_ANSWER_GRACE,
    READ_TIMEOUT,
    DeadlineExceeded,
    HttpFailure,
    HttpSession,
    OutcomeUnknown,
    RetriesExhausted,
    RetryPolicy,
    apply_once,
    new_client,
    retry_after_seconds,
)

TOKEN = "tok-5e1f-very-secret"
URL = "https://api.example.test/graphql/v2?source=stagefleet"


class FakeTime:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self, wall: float = 1_700_000_000.0):
        self.now = 0.0
        self.wall = wall
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.wall += seconds

    def policy(self, **overrides: object) -> RetryPolicy:
        settings: dict[str, object] = {
            "sleep": self.sleep,
            "clock": lambda: self.now,
            "wall_clock": lambda: self.wall,
            "jitter": lambda: 1.0,
            "base_delay": 0.1,
            "max_delay": 1.0,
        }
        settings.update(overrides)
        return RetryPolicy(**settings)  # type: ignore[arg-type]


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def session(handler: Callable[[httpx.Request], httpx.Response], policy: RetryPolicy) -> HttpSession:
    return HttpSession(
        headers={"Authorization": f"Bearer {TOKEN}"}, policy=policy, transport=httpx.MockTransport(handler)
    )


def scripted(*steps: object) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    """A handler answering each request with the next step: an int status, a Response, or an
    exception class to raise. The last step repeats."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen), len(steps)) - 1]
        if isinstance(step, type) and issubclass(step, Exception):
            raise step(f"failure while talking to {request.url} with {request.headers['authorization']}")
        if isinstance(step, httpx.Response):
            return step
        return httpx.Response(int(step), json={"ok": step == 200})  # type: ignore[call-overload]

    return handler, seen


def test_a_successful_response_is_returned_after_one_request(fake_time: FakeTime) -> None:
    handler, seen = scripted(200)
    with session(handler, fake_time.policy()) as http:
        response = http.send("POST", URL, json={"q": 1}, idempotent=False)
    assert response.status_code == 200 and len(seen) == 1 and fake_time.sleeps == []


def test_client_errors_are_returned_to_the_caller_without_retry(fake_time: FakeTime) -> None:
    handler, seen = scripted(404)
    with session(handler, fake_time.policy()) as http:
        assert http.send("GET", URL, idempotent=True).status_code == 404
    assert len(seen) == 1


def test_new_client_uses_5s_connect_and_30s_read_timeouts() -> None:
    with new_client() as client:
        assert client.timeout.connect == 5.0
        assert client.timeout.read == 30.0


def test_requests_carry_the_authorization_header(fake_time: FakeTime) -> None:
    handler, seen = scripted(200)
    with session(handler, fake_time.policy()) as http:
        http.send("POST", URL, idempotent=True)
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_a_request_timeout_never_exceeds_the_remaining_deadline(fake_time: FakeTime) -> None:
    handler, seen = scripted(200)
    with session(handler, fake_time.policy(deadline=12.0)) as http:
        http.send("GET", URL, idempotent=True)
    assert seen[0].extensions["timeout"]["read"] == 12.0
    assert seen[0].extensions["timeout"]["connect"] == 5.0


def test_503_is_retried_for_idempotent_requests(fake_time: FakeTime) -> None:
    handler, seen = scripted(503, 503, 200)
    with session(handler, fake_time.policy()) as http:
        assert http.send("GET", URL, idempotent=True).status_code == 200
    assert len(seen) == 3


def test_backoff_is_exponential_with_full_jitter_and_capped_per_sleep(fake_time: FakeTime) -> None:
    handler, _ = scripted(500)
    with session(handler, fake_time.policy(attempts=6, base_delay=0.25, max_delay=1.5)) as http:
        with pytest.raises(RetriesExhausted):
            http.send("GET", URL, idempotent=True)
    assert fake_time.sleeps == [0.25, 0.5, 1.0, 1.5, 1.5]


def test_jitter_scales_each_backoff_sleep(fake_time: FakeTime) -> None:
    handler, _ = scripted(502, 200)
    with session(handler, fake_time.policy(jitter=lambda: 0.5, base_delay=0.4)) as http:
        http.send("GET", URL, idempotent=True)
    assert fake_time.sleeps == [0.2]


def test_attempts_are_bounded(fake_time: FakeTime) -> None:
    handler, seen = scripted(503)
    with session(handler, fake_time.policy(attempts=4)) as http:
        with pytest.raises(RetriesExhausted, match="gave up after 4 attempts; last problem: HTTP 503") as caught:
            http.send("GET", URL, idempotent=True)
    assert len(seen) == 4
    assert caught.value.status_code == 503


def test_429_waits_for_retry_after_seconds(fake_time: FakeTime) -> None:
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "2"}), 200)
    with session(handler, fake_time.policy()) as http:
        assert http.send("POST", URL, idempotent=False).status_code == 200
    assert fake_time.sleeps == [2.0] and len(seen) == 2


def test_429_waits_until_a_retry_after_http_date(fake_time: FakeTime) -> None:
    when = email.utils.formatdate(fake_time.wall + 7, usegmt=True)
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After": when}), 200)
    with session(handler, fake_time.policy()) as http:
        http.send("GET", URL, idempotent=True)
    assert fake_time.sleeps == [pytest.approx(7.0, abs=1.0)]


def test_429_retry_after_is_capped(fake_time: FakeTime) -> None:
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After": "3600"}), 200)
    with session(handler, fake_time.policy(max_retry_after=5.0)) as http:
        http.send("GET", URL, idempotent=True)
    assert fake_time.sleeps == [5.0]


def test_429_without_retry_after_backs_off(fake_time: FakeTime) -> None:
    handler, _ = scripted(429, 200)
    with session(handler, fake_time.policy(base_delay=0.3)) as http:
        http.send("POST", URL, idempotent=False)
    assert fake_time.sleeps == [0.3]


def test_a_retry_after_beyond_the_deadline_fails_at_once(fake_time: FakeTime) -> None:
    handler, seen = scripted(httpx.Response(429, headers={"Retry-After": "50"}))
    with session(handler, fake_time.policy(deadline=10.0, max_retry_after=60.0)) as http:
        with pytest.raises(DeadlineExceeded, match="rate limited"):
            http.send("GET", URL, idempotent=True)
    assert len(seen) == 1 and fake_time.sleeps == []


def test_the_overall_deadline_bounds_retries(fake_time: FakeTime) -> None:
    handler, seen = scripted(503)
    policy = fake_time.policy(attempts=100, base_delay=1.0, max_delay=1.0, deadline=3.5)
    with session(handler, policy) as http:
        with pytest.raises(DeadlineExceeded, match="deadline of 3.5s"):
            http.send("GET", URL, idempotent=True)
    assert sum(fake_time.sleeps) <= 3.5 and len(seen) == 4


def test_a_write_answered_with_5xx_raises_outcome_unknown_without_retrying(fake_time: FakeTime) -> None:
    handler, seen = scripted(502)
    with session(handler, fake_time.policy()) as http:
        with pytest.raises(OutcomeUnknown, match="may have been applied") as caught:
            http.send("POST", URL, idempotent=False)
    assert len(seen) == 1 and caught.value.status_code == 502


@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteTimeout])
def test_a_write_that_may_have_been_sent_raises_outcome_unknown(fake_time: FakeTime, failure: type[Exception]) -> None:
    handler, seen = scripted(failure)
    with session(handler, fake_time.policy()) as http:
        with pytest.raises(OutcomeUnknown):
            http.send("POST", URL, idempotent=False)
    assert len(seen) == 1


@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
def test_an_idempotent_request_is_retried_after_a_lost_response(fake_time: FakeTime, failure: type[Exception]) -> None:
    handler, seen = scripted(failure, 200)
    with session(handler, fake_time.policy()) as http:
        assert http.send("GET", URL, idempotent=True).status_code == 200
    assert len(seen) == 2


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_a_write_that_never_reached_the_server_is_retried(fake_time: FakeTime, failure: type[Exception]) -> None:
    handler, seen = scripted(failure, 200)
    with session(handler, fake_time.policy()) as http:
        assert http.send("POST", URL, idempotent=False).status_code == 200
    assert len(seen) == 2


def test_an_error_no_retry_can_fix_is_raised_at_once(fake_time: FakeTime) -> None:
    handler, seen = scripted(httpx.UnsupportedProtocol)
    with session(handler, fake_time.policy()) as http:
        with pytest.raises(HttpFailure) as caught:
            http.send("GET", URL, idempotent=True)
    assert type(caught.value) is HttpFailure and len(seen) == 1


FAILURE_MODES = {
    "retries exhausted": (503,),
    "deadline": (httpx.Response(429, headers={"Retry-After": "999"}),),
    "outcome unknown (status)": (500,),
    "outcome unknown (timeout)": (httpx.ReadTimeout,),
    "connect errors exhausted": (httpx.ConnectError,),
    "unfixable": (httpx.UnsupportedProtocol,),
}


@pytest.mark.parametrize("steps", FAILURE_MODES.values(), ids=FAILURE_MODES.keys())
def test_no_raised_error_contains_the_token(fake_time: FakeTime, steps: tuple[object, ...]) -> None:
    handler, _ = scripted(*steps)
    with session(handler, fake_time.policy(deadline=60.0, max_retry_after=999.0)) as http:
        with pytest.raises(HttpFailure) as caught:
            http.send("POST", f"https://user:{TOKEN}@api.example.test/graphql?token={TOKEN}", idempotent=False)
    error = caught.value
    assert TOKEN not in str(error) and TOKEN not in repr(error) and TOKEN not in error.url
    assert error.__cause__ is None and error.__context__ is None


def test_error_messages_scrub_secrets_the_transport_reports(fake_time: FakeTime) -> None:
    handler, _ = scripted(httpx.UnsupportedProtocol)
    with session(handler, fake_time.policy()) as http:
        with pytest.raises(HttpFailure) as caught:
            http.send("GET", URL, idempotent=True)
    assert "***" in str(caught.value) and TOKEN not in str(caught.value)


def test_apply_once_returns_the_write_result(fake_time: FakeTime) -> None:
    assert apply_once(lambda: "created", lambda: None, policy=fake_time.policy()) == "created"


def test_apply_once_adopts_what_a_write_with_unknown_outcome_applied(fake_time: FakeTime) -> None:
    writes = []

    def write() -> str:
        writes.append(1)
        raise OutcomeUnknown("lost", method="POST", url=URL)

    assert apply_once(write, lambda: "found", policy=fake_time.policy()) == "found"
    assert len(writes) == 1


def test_apply_once_writes_again_when_nothing_was_applied(fake_time: FakeTime) -> None:
    outcomes = iter([OutcomeUnknown("lost", method="POST", url=URL), "created"])

    def write() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert apply_once(write, lambda: None, policy=fake_time.policy()) == "created"


def test_apply_once_gives_up_after_the_policy_attempts(fake_time: FakeTime) -> None:
    writes = []

    def write() -> str:
        writes.append(1)
        raise OutcomeUnknown("lost", method="POST", url=URL)

    with pytest.raises(OutcomeUnknown):
        apply_once(write, lambda: None, policy=fake_time.policy(attempts=3))
    assert len(writes) == 3


# ------------------------------------------------------------ apply_once: the late-answer window


class LostOnce:
    """A write whose first answer is lost and whose next ones succeed; records when each was sent.
    Its lookup finds the lost write's object from `lands_at` on (never, when None)."""

    def __init__(self, fake_time: FakeTime, lands_at: float | None = None, always_lost: bool = False):
        self.fake_time = fake_time
        self.lands_at = lands_at
        self.always_lost = always_lost
        self.writes: list[float] = []
        self.lookups: list[float] = []

    def write(self) -> str:
        self.writes.append(self.fake_time.now)
        if len(self.writes) == 1 or self.always_lost:
            raise OutcomeUnknown("POST /v1/projects: ReadTimeout; may have been applied", method="POST", url=URL)
        return "sent again"

    def find(self) -> str | None:
        self.lookups.append(self.fake_time.now)
        landed = self.lands_at is not None and self.fake_time.now >= self.lands_at
        return "made late" if landed else None


def test_the_default_grace_window_outlasts_the_read_timeout_and_two_lost_answers_fit_the_deadline() -> None:
    policy = RetryPolicy()
    assert policy.late_answer_grace == LATE_ANSWER_GRACE == 45.0
    assert policy.late_answer_grace > READ_TIMEOUT
    assert 2 * (READ_TIMEOUT + policy.late_answer_grace) < policy.deadline


def test_a_lost_answer_is_looked_for_again_and_again_until_the_window_ends(fake_time: FakeTime) -> None:
    write = LostOnce(fake_time)

    apply_once(write.write, write.find, policy=fake_time.policy(late_answer_grace=3.0))

    assert write.lookups == pytest.approx([0.0, 0.1, 0.3, 0.7, 1.5, 2.5, 3.0])


def test_lookups_back_off_exponentially_up_to_the_cap_and_stop_at_the_windows_end(fake_time: FakeTime) -> None:
    write = LostOnce(fake_time)

    apply_once(write.write, write.find, policy=fake_time.policy(late_answer_grace=3.0))

    assert fake_time.sleeps == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 0.5])


def test_even_the_least_jitter_leaves_a_bounded_number_of_lookups_in_a_window(fake_time: FakeTime) -> None:
    write = LostOnce(fake_time)

    apply_once(write.write, write.find, policy=fake_time.policy(late_answer_grace=45.0, jitter=lambda: 0.0))

    # Equal jitter: at least half of each backoff ceiling (0.05, 0.1, 0.2, 0.4, then 0.5 s).
    assert min(fake_time.sleeps[:-1]) == pytest.approx(0.05)
    assert len(write.lookups) <= 4 + 45.0 / 0.5 + 1


def test_what_a_lost_write_made_late_is_adopted_and_never_written_twice(fake_time: FakeTime) -> None:
    write = LostOnce(fake_time, lands_at=1.0)

    result = apply_once(write.write, write.find, policy=fake_time.policy(late_answer_grace=3.0))

    assert result == "made late"
    assert write.writes == [0.0]


def test_the_write_is_sent_again_exactly_once_when_the_window_passes_with_nothing_found(
    fake_time: FakeTime,
) -> None:
    write = LostOnce(fake_time)

    result = apply_once(write.write, write.find, policy=fake_time.policy(late_answer_grace=3.0))

    assert result == "sent again"
    assert write.writes == pytest.approx([0.0, 3.0])  # not before the window had ended


def test_a_deadline_that_cuts_the_window_short_sends_nothing_again(fake_time: FakeTime) -> None:
    write = LostOnce(fake_time)

    with pytest.raises(OutcomeUnknown):
        apply_once(write.write, write.find, policy=fake_time.policy(late_answer_grace=3.0, deadline=2.0))

    assert write.writes == [0.0]
    assert fake_time.now == pytest.approx(2.0)
    assert write.lookups[-1] == pytest.approx(2.0)


def test_every_lost_answer_gets_a_window_of_its_own_within_the_attempts(fake_time: FakeTime) -> None:
    write = LostOnce(fake_time, always_lost=True)

    with pytest.raises(OutcomeUnknown):
        apply_once(write.write, write.find, policy=fake_time.policy(attempts=3, late_answer_grace=3.0))

    assert write.writes == pytest.approx([0.0, 3.0, 6.0])
    assert fake_time.now == pytest.approx(9.0)


def test_a_grace_of_zero_looks_once_and_writes_again_at_once(fake_time: FakeTime) -> None:
    write = LostOnce(fake_time)

    apply_once(write.write, write.find, policy=fake_time.policy(late_answer_grace=0.0))

    assert (write.lookups, write.writes, fake_time.sleeps) == ([0.0], [0.0, 0.0], [])


def test_a_rate_limited_lookup_waits_for_its_retry_after(fake_time: FakeTime) -> None:
    lookups = iter([httpx.Response(429, headers={"Retry-After": "7"}, json={}), httpx.Response(200, json={"id": "a"})])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        if request.method == "POST":
            raise httpx.ReadTimeout("timed out", request=request)
        return next(lookups)

    policy = fake_time.policy(late_answer_grace=3.0)
    with session(handler, policy) as http:
        result = apply_once(
            lambda: http.send("POST", URL, idempotent=False).json(),
            lambda: http.send("GET", URL, idempotent=True).json(),
            policy=policy,
        )

    assert result == {"id": "a"}
    assert fake_time.sleeps == [7.0]
    assert seen == ["POST", "GET", "GET"]


def test_retry_policy_rejects_a_negative_grace() -> None:
    with pytest.raises(ValueError, match="late_answer_grace"):
        RetryPolicy(late_answer_grace=-1.0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-4", 0.0), (None, None), ("", None), ("soon", None)],
)
def test_retry_after_seconds_reads_delta_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header, now=0.0) == expected


def test_retry_after_seconds_reads_an_http_date() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert retry_after_seconds(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_retry_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


# ------------------------------------------------------------ pacing: the spread of each pause


@pytest.mark.parametrize("jitter", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("seconds", [0.0, 0.4, 4.0])
def test_a_spread_stretches_each_pause_within_its_fraction(fake_time: FakeTime, seconds: float, jitter: float) -> None:
    fake_time.policy(spread=0.25, jitter=lambda: jitter).pause(seconds)
    [slept] = fake_time.sleeps
    assert seconds <= slept <= seconds * 1.25
    assert slept == pytest.approx(seconds + seconds * 0.25 * jitter)


def test_the_spread_of_a_long_pause_is_capped(fake_time: FakeTime) -> None:
    fake_time.policy(spread=0.25, max_spread=2.0, jitter=lambda: 1.0).pause(20.0)
    assert fake_time.sleeps == [22.0]


def test_without_a_spread_a_pause_is_exact_and_draws_no_jitter(fake_time: FakeTime) -> None:
    drawn: list[int] = []

    def jitter() -> float:
        drawn.append(1)
        return 1.0

    fake_time.policy(jitter=jitter).pause(3.0)
    assert fake_time.sleeps == [3.0] and drawn == []
    assert RetryPolicy().spread == 0.0


def test_retries_pause_with_the_policys_spread(fake_time: FakeTime) -> None:
    # jitter 0.5: a backoff of half the 0.1 s ceiling, stretched by a quarter of itself at 0.5.
    policy = fake_time.policy(spread=0.25, jitter=lambda: 0.5)
    handler, _ = scripted(503, 200)
    with session(handler, policy) as http:
        http.send("GET", URL, idempotent=True)
    assert fake_time.sleeps == pytest.approx([0.05 * 1.125])


def test_a_429_waits_at_least_its_retry_after_however_the_pause_is_spread(fake_time: FakeTime) -> None:
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After": "2"}), 200)
    with session(handler, fake_time.policy(spread=0.5, jitter=lambda: 0.0)) as http:
        http.send("GET", URL, idempotent=True)
    assert fake_time.sleeps == [2.0]


def test_retry_policy_rejects_a_negative_spread() -> None:
    with pytest.raises(ValueError, match="spread"):
        RetryPolicy(spread=-0.1)

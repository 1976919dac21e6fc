"""providers/http.py: a 429 without Retry-After is waited out by its X-RateLimit-Reset header
(Supabase sends it with every answer while rate limiting). On httpx.MockTransport."""

from __future__ import annotations

import httpx
import pytest

from providers.http import DeadlineExceeded, HttpSession, RetryPolicy, rate_limit_reset_seconds

URL = "https://api.supabase.test/v1/projects"
NOW = 1_700_000_000.0


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.wall = NOW
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.wall += seconds

    def policy(self, **overrides: object) -> RetryPolicy:
        values: dict[str, object] = {
            "sleep": self.sleep,
            "clock": lambda: self.now,
            "wall_clock": lambda: self.wall,
            "jitter": lambda: 1.0,
            "base_delay": 0.1,
            "max_delay": 1.0,
            "late_answer_grace": 0.0,
        }
        values.update(overrides)
        return RetryPolicy(**values)  # type: ignore[arg-type]


def send(fake: FakeTime, *responses: httpx.Response, **policy: object) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses[min(len(seen), len(responses)) - 1]

    with HttpSession(policy=fake.policy(**policy), transport=httpx.MockTransport(handler)) as http:
        http.send("POST", URL, idempotent=False)
    return seen


def limited(**headers: str) -> httpx.Response:
    return httpx.Response(429, headers=headers, json={"message": "Too Many Requests"})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("0.25", 0.25),
        ("-1", 0.0),
        (str(int(NOW + 30)), 30.0),  # a Unix time in seconds
        (str(int((NOW + 12) * 1000)), 12.0),  # a Unix time in milliseconds
        (str(int(NOW - 30)), 0.0),  # already past
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_rate_limit_reset_seconds_reads_deltas_and_unix_times(header: str | None, expected: float | None) -> None:
    assert rate_limit_reset_seconds(header, now=NOW) == (pytest.approx(expected) if expected is not None else None)


def test_a_429_without_retry_after_waits_for_x_ratelimit_reset() -> None:
    fake = FakeTime()
    seen = send(
        fake,
        limited(**{"X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4"}),
        httpx.Response(201, json={}),
    )
    assert fake.sleeps == [4.0] and len(seen) == 2


def test_retry_after_wins_over_x_ratelimit_reset() -> None:
    fake = FakeTime()
    send(fake, limited(**{"Retry-After": "2", "X-RateLimit-Reset": "9"}), httpx.Response(201, json={}))
    assert fake.sleeps == [2.0]


def test_an_unreadable_x_ratelimit_reset_falls_back_to_backoff() -> None:
    fake = FakeTime()
    send(fake, limited(**{"X-RateLimit-Reset": "later"}), httpx.Response(201, json={}), base_delay=0.3)
    assert fake.sleeps == [0.3]


def test_x_ratelimit_reset_is_capped_like_retry_after() -> None:
    fake = FakeTime()
    send(fake, limited(**{"X-RateLimit-Reset": "3600"}), httpx.Response(201, json={}), max_retry_after=5.0)
    assert fake.sleeps == [5.0]


def test_an_x_ratelimit_reset_beyond_the_deadline_fails_at_once() -> None:
    fake = FakeTime()
    with pytest.raises(DeadlineExceeded, match="rate limited"):
        send(fake, limited(**{"X-RateLimit-Reset": "50"}), deadline=10.0, max_retry_after=60.0)
    assert fake.sleeps == []

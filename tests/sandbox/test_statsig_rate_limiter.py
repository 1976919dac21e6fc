"""sandbox.server.MutationRateLimiter: a sliding window over mutation attempts in which
rejected attempts count (Statsig's Console API), and its wiring into LoopbackServer."""

from __future__ import annotations

import time

import httpx

from sandbox.server import (
    LoopbackServer,
    MutationRateLimiter,
    Request,
    RequestInfo,
    Response,
    json_response,
)


def test_admits_up_to_the_limit_then_rejects():
    limiter = MutationRateLimiter()

    decisions = [limiter.admit(2, 10.0).admitted for _ in range(3)]

    assert decisions == [True, True, False]


def test_rejected_attempts_are_recorded():
    limiter = MutationRateLimiter()
    for _ in range(5):
        limiter.admit(1, 10.0)

    assert limiter.attempts() == 5


def test_reset_is_when_the_window_holds_fewer_than_limit_attempts():
    limiter = MutationRateLimiter()
    limiter.admit(2, 1.0)
    time.sleep(0.2)
    limiter.admit(2, 1.0)

    decision = limiter.admit(2, 1.0)  # three attempts: the two oldest must leave

    assert not decision.admitted and 0.9 < decision.reset <= 1.0


def test_attempts_leave_the_window_after_it_passes():
    limiter = MutationRateLimiter()
    limiter.admit(1, 0.2)
    time.sleep(0.25)

    assert limiter.admit(1, 0.2).admitted


def test_no_limit_admits_everything_and_forgets_the_traffic():
    limiter = MutationRateLimiter()

    assert limiter.admit(None, 10.0) is None
    assert limiter.attempts() == 0 and limiter.admit(1, 10.0).admitted


class _Echo:
    """A minimal Application: POST is a mutation, GET is not."""

    def describe(self, request: Request) -> RequestInfo:
        return RequestInfo(key=f"{request.method} {request.path}", is_mutation=request.method != "GET")

    def __call__(self, request: Request) -> Response:
        return json_response(200, {"ok": True})


def test_loopback_server_limits_only_mutations_and_sends_retry_after():
    with LoopbackServer(_Echo(), lifetime=30) as server:
        server.mutation_limit_per_window, server.mutation_window = 1, 5.0
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            posts = [http.post("/x") for _ in range(2)]
            gets = [http.get("/x").status_code for _ in range(3)]

    assert [r.status_code for r in posts] == [200, 429] and gets == [200, 200, 200]
    assert 4.0 < float(posts[1].headers["Retry-After"]) <= 5.0


def test_loopback_server_has_no_mutation_limit_by_default():
    with LoopbackServer(_Echo(), lifetime=30) as server, httpx.Client(base_url=server.base_url, timeout=10) as http:
        statuses = {http.post("/x").status_code for _ in range(20)}

    assert server.mutation_limit_per_window is None and statuses == {200}

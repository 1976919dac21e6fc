"""providers/api.py: what the three API clients share, on httpx.MockTransport: every request of
every client goes through the one request path, 429s that outlast the retry policy are
RateLimited, and errors are one family that names the API and the operation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from providers import api
from providers.api import ApiClient, ApiError, ApiFailure, NotFound, RateLimited
from providers.http import RetryPolicy
from providers.limits import RAILWAY_PLANS, Limiter, Request
from providers.railway.client import RailwayClient
from providers.settings import RailwaySettings, StatsigSettings, SupabaseSettings
from providers.statsig.client import StatsigClient
from providers.supabase.client import SupabaseClient

SECRET = "api-test-credential-4b7e19"
NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0, sleep=lambda _: None, late_answer_grace=0.0)

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass(frozen=True)
class Api:
    """One API's client, and calls of it that each send one request."""

    build: Callable[[RetryPolicy, httpx.BaseTransport], ApiClient]
    # Each call reads or deletes something the API answers is not there.
    calls: tuple[Callable[[Any], Any], ...]
    # What the API answers for "not there".
    missing: Handler
    # One call, and the operation its errors name.
    call: Callable[[Any], Any]
    operation: str


def _railway_missing(_request: httpx.Request) -> httpx.Response:
    said = {"message": "Not found", "extensions": {"code": "NOT_FOUND"}}
    return httpx.Response(200, json={"data": None, "errors": [said]})


APIS = {
    "Railway": Api(
        build=lambda policy, transport: RailwayClient(
            RailwaySettings(SECRET, "https://railway.test/graphql/v2"), policy=policy, transport=transport
        ),
        calls=(
            lambda railway: railway.get_environment("env-1"),
            lambda railway: railway.delete_environment("env-1"),
            lambda railway: railway.delete_trigger("trigger-1"),
            lambda railway: railway.delete_service_domain("domain-1"),
            lambda railway: railway.get_deployment("deployment-1"),
            lambda railway: railway.latest_deployments("env-1"),
            lambda railway: railway.get_service_instance(environment_id="env-1", service_id="svc-1"),
        ),
        missing=_railway_missing,
        call=lambda railway: railway.rename_environment("env-1", "staging-b"),
        operation="EnvironmentRename",
    ),
    "Supabase": Api(
        build=lambda policy, transport: SupabaseClient(
            SupabaseSettings(SECRET, "https://supabase.test"), policy=policy, transport=transport
        ),
        calls=(
            lambda supabase: supabase.get_project("abcdefghijklmnopqrst"),
            lambda supabase: supabase.delete_project("abcdefghijklmnopqrst"),
            lambda supabase: supabase.get_api_keys("abcdefghijklmnopqrst"),
            lambda supabase: supabase.get_health("abcdefghijklmnopqrst"),
            lambda supabase: supabase.get_branch("branch-1"),
            lambda supabase: supabase.delete_branch("branch-1"),
        ),
        missing=lambda _request: httpx.Response(404, json={"message": "Not found"}),
        call=lambda supabase: supabase.rename_project("abcdefghijklmnopqrst", "gatewayz-staging-b"),
        operation="PATCH /v1/projects/{ref}",
    ),
    "Statsig": Api(
        build=lambda policy, transport: StatsigClient(
            StatsigSettings(SECRET, "https://statsig.test"), policy=policy, transport=transport
        ),
        calls=(
            lambda statsig: statsig.get_gate("checkout_v2"),
            lambda statsig: statsig.delete_gate("checkout_v2"),
            lambda statsig: statsig.archive_gate("checkout_v2", reason="gone"),
        ),
        missing=lambda _request: httpx.Response(404, json={"status": 404, "message": "Gate not found."}),
        call=lambda statsig: statsig.unarchive_gate("checkout_v2"),
        operation="PUT /console/v1/gates/{id}/unarchive",
    ),
}


def _counting(handler: Handler) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return httpx.MockTransport(recording), seen


@pytest.mark.parametrize("name", APIS)
def test_every_request_of_every_client_goes_through_the_one_request_path(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    real_send = ApiClient.send

    def counted(self: ApiClient, method: str, url: Any, **kwargs: Any) -> httpx.Response:
        sent.append(kwargs["operation"])
        return real_send(self, method, url, **kwargs)

    monkeypatch.setattr(ApiClient, "send", counted)
    tested = APIS[name]
    transport, seen = _counting(tested.missing)
    with tested.build(NO_WAIT, transport) as client:
        for call in tested.calls:
            call(client)
    assert len(seen) == len(tested.calls) == len(sent)


@pytest.mark.parametrize("name", APIS)
def test_429s_beyond_the_retry_attempts_are_rate_limited(name: str) -> None:
    tested = APIS[name]
    transport, seen = _counting(lambda _request: httpx.Response(429, headers={"Retry-After": "0"}))
    with tested.build(NO_WAIT, transport) as client, pytest.raises(RateLimited) as caught:
        tested.call(client)
    error = caught.value
    assert len(seen) == NO_WAIT.attempts
    assert (error.api, error.operation, error.status_code) == (name, tested.operation, 429)
    message = str(error)
    assert f"{name} API unavailable: " in message and "gave up after 3 attempts; last problem: HTTP 429" in message
    assert message.endswith(f"({name} {tested.operation})")
    assert SECRET not in message and error.__cause__ is None


@pytest.mark.parametrize("name", APIS)
def test_a_retry_after_beyond_the_deadline_is_rate_limited(name: str) -> None:
    tested = APIS[name]
    transport, seen = _counting(lambda _request: httpx.Response(429, headers={"Retry-After": "600"}))
    policy = RetryPolicy(attempts=3, deadline=10.0, max_retry_after=600.0, sleep=lambda _: None)
    with tested.build(policy, transport) as client, pytest.raises(RateLimited) as caught:
        tested.call(client)
    assert len(seen) == 1 and "would pass the deadline" in str(caught.value)


@pytest.mark.parametrize("name", APIS)
def test_other_failures_that_outlast_the_retries_are_api_failures(name: str) -> None:
    tested = APIS[name]
    transport, _ = _counting(lambda _request: httpx.Response(503))
    with tested.build(NO_WAIT, transport) as client, pytest.raises(ApiFailure) as caught:
        tested.call(client)
    assert not isinstance(caught.value, RateLimited)
    assert (caught.value.api, caught.value.status_code) == (name, 503)
    assert "last problem: HTTP 503" in str(caught.value)


def test_the_family_is_one_tree_under_api_error() -> None:
    for kind in (api.NotFound, api.Conflict, api.AuthError, api.RateLimited, api.ApiFailure):
        assert issubclass(kind, ApiError)
    error = NotFound(
        "Statsig gate x could not be read: HTTP 404 (Statsig GET /console/v1/gates/{id})",
        api="Statsig",
        operation="GET /console/v1/gates/{id}",
        status_code=404,
    )
    assert (error.api, error.operation, error.status_code) == ("Statsig", "GET /console/v1/gates/{id}", 404)


# ---------------------------------------------------------------- pacing


@dataclass
class Turns:
    taken: list[str]
    reported: list[int | None]


def _watch_turns(monkeypatch: pytest.MonkeyPatch) -> Turns:
    turns = Turns([], [])
    real_reserve, real_release = Limiter.reserve, Limiter.release

    def reserve(self: Limiter, request: Request, **kwargs: Any) -> Any:
        found = real_reserve(self, request, **kwargs)
        if found[0] is not None:
            turns.taken.append(request.endpoint)
        return found

    def release(self: Limiter, turn: Any, **kwargs: Any) -> None:
        turns.reported.append(kwargs.get("status"))
        real_release(self, turn, **kwargs)

    monkeypatch.setattr(Limiter, "reserve", reserve)
    monkeypatch.setattr(Limiter, "release", release)
    return turns


@pytest.mark.parametrize("name", APIS)
def test_every_attempt_of_every_client_takes_a_turn_retries_included(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    turns = _watch_turns(monkeypatch)
    answers = iter([httpx.Response(503), httpx.Response(429, headers={"Retry-After": "0"})])
    tested = APIS[name]
    transport, seen = _counting(lambda request: next(answers, None) or tested.missing(request))
    with tested.build(NO_WAIT, transport) as client:
        tested.calls[0](client)
    assert len(turns.taken) == len(seen) == 3
    assert turns.reported == [503, 429, tested.missing(seen[-1]).status_code]


@pytest.mark.parametrize("name", APIS)
def test_an_attempt_that_gets_no_answer_still_ends_its_turn(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    turns = _watch_turns(monkeypatch)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    tested = APIS[name]
    with tested.build(NO_WAIT, httpx.MockTransport(unreachable)) as client, pytest.raises(ApiFailure):
        tested.calls[0](client)
    assert len(turns.taken) == len(turns.reported) == NO_WAIT.attempts
    assert turns.reported == [None] * NO_WAIT.attempts


def test_requests_to_railways_host_count_against_the_plans_hourly_budget() -> None:
    transport, seen = _counting(_railway_missing)
    settings = RailwaySettings(SECRET, "https://backboard.railway.com/graphql/v2", plan=RAILWAY_PLANS["hobby"])
    with RailwayClient(settings, policy=NO_WAIT, transport=transport) as railway:
        railway.get_environment("env-1")
        railway.get_deployment("deployment-1")
    limiter = RailwayClient.limiter_for(settings)
    hour = limiter.window("an hour")
    assert hour is not None and limiter.remaining(hour) == 1000 - len(seen) == 998


def test_a_turn_that_would_come_after_the_clients_deadline_is_rate_limited_at_once() -> None:
    spent = httpx.Response(
        200, json={"data": {"environment": None}}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "600"}
    )
    transport, seen = _counting(lambda _request: spent)
    settings = RailwaySettings(SECRET, "https://railway.test/graphql/v2")
    deadline = RailwayClient.limiter_for(settings).now() + 5.0
    with RailwayClient(settings, policy=NO_WAIT, transport=transport, turn_deadline=deadline) as railway:
        railway.get_environment("env-1")
        with pytest.raises(RateLimited) as caught:
            railway.get_environment("env-2")
    assert len(seen) == 1
    assert "X-RateLimit-Remaining is spent" in str(caught.value) and SECRET not in str(caught.value)

"""The sandboxes enforce an API plan's limits when asked (PlanLimits), as the real APIs do:
Railway per second and per hour with X-RateLimit-* on every answer, Supabase per minute per
endpoint; 429 with Retry-After beyond; windows time-scaled for benchmarks."""

from __future__ import annotations

import time

import httpx
import pytest

from sandbox.railway import RailwaySandbox
from sandbox.server import PlanLimits
from sandbox.supabase import SupabaseSandbox
from tests.sandbox.conftest import TOKEN, GraphQL
from tests.sandbox.supabase_support import TOKEN as SUPABASE_TOKEN
from tests.sandbox.supabase_support import Api

PROJECT = "query ProjectName($id: String!) { project(id: $id) { id name } }"


def railway(limits: PlanLimits) -> RailwaySandbox:
    return RailwaySandbox(tokens={TOKEN}, lifetime=60, limits=limits)


def ask(gql: GraphQL, times: int) -> list[httpx.Response]:
    return [gql.post(PROJECT, {"id": "p-1"}) for _ in range(times)]


def test_railways_plans_are_its_documented_limits():
    assert PlanLimits.railway("hobby") == PlanLimits(per_second=10, per_hour=1_000)
    assert PlanLimits.railway("pro") == PlanLimits(per_second=50, per_hour=10_000)
    assert PlanLimits.supabase() == PlanLimits(per_minute_per_key=120)


def test_every_railway_answer_says_the_hours_limit_what_remains_and_when_it_resets():
    with railway(PlanLimits(per_hour=5)) as rw:
        gql = GraphQL(rw.url)
        answers = ask(gql, 2)
        gql.close()
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.headers["X-RateLimit-Limit"] for a in answers] == ["5", "5"]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["4", "3"]
    assert all(0 < float(a.headers["X-RateLimit-Reset"]) <= 3600 for a in answers)


def test_beyond_the_hourly_budget_railway_answers_429_with_retry_after():
    with railway(PlanLimits(per_hour=2)) as rw:
        gql = GraphQL(rw.url)
        answers = ask(gql, 3)
        gql.close()
        journal = rw.journal
    refused = answers[2]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 3500 < float(refused.headers["Retry-After"]) <= 3600
    assert journal[-1].fault == "rate_limit"


def test_beyond_the_per_second_limit_railway_answers_429_with_retry_after():
    with railway(PlanLimits(per_second=2, per_hour=100)) as rw:
        gql = GraphQL(rw.url)
        answers = ask(gql, 3)
        gql.close()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 0 < float(answers[2].headers["Retry-After"]) <= 1.0


def test_requests_refused_per_second_do_not_count_against_the_hour():
    with railway(PlanLimits(per_second=1, per_hour=10)) as rw:
        gql = GraphQL(rw.url)
        answers = ask(gql, 3)
        time.sleep(1.05)
        after = ask(gql, 1)[0]
        gql.close()
    assert [a.status_code for a in answers] == [200, 429, 429]
    assert after.headers["X-RateLimit-Remaining"] == "8"


def test_a_time_scale_shortens_every_window():
    # An hour in 0.3 s.
    with railway(PlanLimits(per_hour=1, time_scale=12_000)) as rw:
        gql = GraphQL(rw.url)
        first, refused = ask(gql, 2)
        time.sleep(float(refused.headers["Retry-After"]) + 0.02)
        again = ask(gql, 1)[0]
        gql.close()
    assert (first.status_code, refused.status_code, again.status_code) == (200, 429, 200)
    assert float(refused.headers["Retry-After"]) <= 0.3


def test_limits_are_lifted_with_enforce_none():
    with railway(PlanLimits(per_hour=1)) as rw:
        gql = GraphQL(rw.url)
        ask(gql, 1)
        rw.enforce(None)
        answers = ask(gql, 3)
        gql.close()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "X-RateLimit-Limit" not in answers[0].headers


def test_the_railway_edge_is_not_limited():
    with railway(PlanLimits(per_second=1, per_hour=1)) as rw:
        gql = GraphQL(rw.url)
        ask(gql, 1)
        gql.close()
        edge = httpx.get(rw.edge_url, headers={"Host": "nothing.up.railway.app"}, timeout=10)
    assert edge.status_code != 429


def test_supabase_enforces_its_per_endpoint_minute_when_asked():
    limits = PlanLimits(per_minute_per_key=2, time_scale=60.0)  # a minute in a second
    with SupabaseSandbox(tokens={SUPABASE_TOKEN}, lifetime=60, limits=limits) as sb:
        api = Api(sb.url)
        listings = [api.get("/v1/projects") for _ in range(3)]
        other = api.get("/v1/organizations")
        api.close()
    assert [a.status_code for a in listings] == [200, 200, 429]
    assert 0 < float(listings[2].headers["Retry-After"]) <= 1.0
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "1"


@pytest.mark.parametrize("bad", [{"time_scale": 0}, {"per_hour": 0}])
def test_plan_limits_refuse_nonsense(bad: dict[str, float]):
    with pytest.raises(ValueError):
        PlanLimits(**bad)  # type: ignore[arg-type]

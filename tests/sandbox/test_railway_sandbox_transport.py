"""The Railway sandbox over HTTP: auth, error shapes, faults, journal, latency, rate limit, lifetime."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from sandbox.railway import RailwaySandbox

CREATE = """
mutation EnvironmentCreate($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id name } }"""
PROJECT = "query ProjectName($id: String!) { project(id: $id) { id name } }"


def create_input(seed, name: str) -> dict:
    return {"input": {"projectId": seed.project_id, "name": name, "sourceEnvironmentId": seed.base_environment_id}}


def names(rw: RailwaySandbox, seed) -> list[str]:
    return [e["name"] for e in rw.environments(seed.project_id)]


# ---------------------------------------------------------------- auth and error shapes


def test_missing_token_is_not_authorized_with_http_200(gql, seed):
    response = gql.post(PROJECT, {"id": seed.project_id}, token=None)

    assert response.status_code == 200
    assert response.json() == {"errors": [{"message": "Not Authorized"}], "data": None}


def test_unknown_token_is_not_authorized_and_changes_nothing(rw, gql, seed):
    response = gql.post(CREATE, create_input(seed, "x"), token="wrong-token")

    assert response.json() == {"errors": [{"message": "Not Authorized"}], "data": None}
    assert names(rw, seed) == ["staging-template"]


def test_known_token_is_authorized(gql, seed):
    assert gql.data(PROJECT, {"id": seed.project_id})["project"]["name"] == "gatewayz"


def test_invalid_document_is_http_400_validation_failed(gql, seed):
    response = gql.post("query { noSuchField }")

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_unparseable_document_is_http_400_parse_failed(gql, seed):
    response = gql.post("query {")

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_concurrent_creates_of_one_name_give_one_environment_and_conflicts(rw, seed, new_client):
    def attempt(_: int) -> str:
        body = new_client().post(CREATE, create_input(seed, "staging-race")).json()
        return body["errors"][0]["extensions"]["code"] if body.get("errors") else "created"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(attempt, range(8), timeout=30))

    assert outcomes == ["CONFLICT"] * 7 + ["created"]
    assert names(rw, seed).count("staging-race") == 1


# ---------------------------------------------------------------- faults


def test_fault_429_carries_retry_after_and_is_not_applied(rw, gql, seed):
    rw.faults.add("environmentCreate", "429", retry_after=2.0, times=1)

    response = gql.post(CREATE, create_input(seed, "staging-a"))

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert names(rw, seed) == ["staging-template"]


def test_fault_is_consumed_after_its_times(rw, gql, seed):
    rw.faults.add("environmentCreate", "429", retry_after=1.0, times=1)
    gql.post(CREATE, create_input(seed, "staging-a"))

    retried = gql.post(CREATE, create_input(seed, "staging-a"))

    assert retried.status_code == 200
    assert names(rw, seed) == ["staging-template", "staging-a"]


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_fault_5xx_answers_that_status_and_is_not_applied(rw, gql, seed, kind):
    rw.faults.add("environmentCreate", kind, times=2)

    statuses = [gql.post(CREATE, create_input(seed, "staging-a")).status_code for _ in range(3)]

    assert statuses == [int(kind), int(kind), 200]
    assert names(rw, seed) == ["staging-template", "staging-a"]


def test_fault_matches_only_its_root_field(rw, gql, seed):
    rw.faults.add("environmentDelete", "503", times=1)

    assert gql.post(CREATE, create_input(seed, "staging-a")).status_code == 200
    assert len(rw.faults.pending()) == 1


def test_fault_star_matches_any_operation(rw, gql, seed):
    rw.faults.add("*", "503", times=1)

    assert gql.post(PROJECT, {"id": seed.project_id}).status_code == 503


def test_fault_drop_after_apply_applies_then_closes_without_response(rw, gql, seed):
    rw.faults.add("environmentCreate", "drop_after_apply", times=1)

    with pytest.raises(httpx.RemoteProtocolError):
        gql.post(CREATE, create_input(seed, "staging-a"))

    assert names(rw, seed) == ["staging-template", "staging-a"]
    assert (rw.journal[-1].status, rw.journal[-1].fault) == (None, "drop_after_apply")


def test_fault_drop_after_apply_retry_sees_the_conflict(rw, gql, seed):
    rw.faults.add("environmentCreate", "drop_after_apply", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        gql.post(CREATE, create_input(seed, "staging-a"))

    errors = gql.errors(CREATE, create_input(seed, "staging-a"))

    assert errors[0]["extensions"]["code"] == "CONFLICT"


def test_fault_slow_applies_then_answers_after_the_delay(rw, gql, seed, held_pauses):
    rw.faults.add("environmentCreate", "slow", delay=0.5, times=1)

    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(gql.post, CREATE, create_input(seed, "staging-a"))
        assert held_pauses.next() == 0.5
        # Paused: already applied, not yet answered.
        assert names(rw, seed) == ["staging-template", "staging-a"]
        assert not answer.done()
        held_pauses.release()
        response = answer.result(timeout=10)

    assert response.status_code == 200
    assert names(rw, seed) == ["staging-template", "staging-a"]


def test_unknown_fault_kind_is_rejected(rw):
    with pytest.raises(ValueError, match="unknown fault kind"):
        rw.faults.add("environmentCreate", "418")  # type: ignore[arg-type]


# ---------------------------------------------------------------- journal


def test_journal_records_operation_query_string_and_variables(rw, gql, seed):
    gql.post(CREATE, create_input(seed, "staging-a"))

    entry = rw.journal[-1]
    assert entry.operation_name == "EnvironmentCreate"
    assert entry.root_fields == ("environmentCreate",)
    assert entry.is_mutation is True
    assert entry.query_string == "source=stagefleet"
    assert entry.variables == create_input(seed, "staging-a")
    assert (entry.status, entry.fault) == (200, None)
    assert "environmentCreate" in entry.query


def test_journal_records_a_missing_query_string_as_empty(rw, gql, seed):
    gql.post(PROJECT, {"id": seed.project_id}, query_string="")

    assert rw.journal[-1].query_string == ""


def test_journal_uses_the_explicit_operation_name(rw, gql, seed):
    document = PROJECT + '\nquery Other { project(id: "x") { id } }'

    gql.post(document, {"id": seed.project_id}, operation_name="ProjectName")

    assert rw.journal[-1].operation_name == "ProjectName"


def test_journal_records_faulted_requests(rw, gql, seed):
    rw.faults.add("environmentCreate", "429", times=1)

    gql.post(CREATE, create_input(seed, "staging-a"))

    assert (rw.journal[-1].status, rw.journal[-1].fault) == (429, "429")


def test_journal_count_by_field_and_mutations(rw, gql, seed):
    gql.post(CREATE, create_input(seed, "staging-a"))
    gql.post(PROJECT, {"id": seed.project_id})
    gql.post(PROJECT, {"id": seed.project_id})

    assert rw.journal_count() == 3
    assert rw.journal_count("project") == 2
    assert rw.journal_count(mutations_only=True) == 1
    assert rw.journal_count("project", mutations_only=True) == 0


def test_journal_clear_empties_it(rw, gql, seed):
    gql.post(PROJECT, {"id": seed.project_id})

    rw.journal_clear()

    assert rw.journal == [] and rw.journal_count() == 0


def test_journal_at_is_monotonic_arrival_time(rw, gql, seed):
    before = time.monotonic()
    gql.post(PROJECT, {"id": seed.project_id})

    assert before <= rw.journal[-1].at <= time.monotonic()


# ---------------------------------------------------------------- latency, rate limit, lifetime


def test_latency_delays_every_request(rw, gql, seed, held_pauses):
    rw.latency = 0.3

    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(gql.post, PROJECT, {"id": seed.project_id})
        assert held_pauses.next() == 0.3
        assert not answer.done() and rw.journal == [], "the request waits before it is handled"
        held_pauses.release()
        assert answer.result(timeout=10).status_code == 200
    assert len(rw.journal) == 1


def test_rate_limit_answers_429_with_retry_after_beyond_the_limit(rw, gql, seed):
    rw.rate_limit_per_second = 2

    statuses = [gql.post(PROJECT, {"id": seed.project_id}) for _ in range(3)]

    assert [r.status_code for r in statuses] == [200, 200, 429]
    retry_after = float(statuses[2].headers["Retry-After"])
    assert 0 < retry_after <= 1.0
    assert rw.journal[-1].fault == "rate_limit"


def test_rate_limit_admits_again_after_retry_after(rw, gql, seed):
    rw.rate_limit_per_second = 1
    gql.post(PROJECT, {"id": seed.project_id})
    limited = gql.post(PROJECT, {"id": seed.project_id})

    time.sleep(float(limited.headers["Retry-After"]) + 0.05)

    assert gql.post(PROJECT, {"id": seed.project_id}).status_code == 200


def test_sandbox_stops_by_itself_after_its_lifetime():
    with RailwaySandbox(tokens={"t"}, lifetime=0.3) as rw:
        url = rw.url

        assert rw.wait(timeout=5.0) is True

        assert rw.running is False
        with pytest.raises(httpx.ConnectError):
            httpx.post(url, json={"query": "{ __typename }"}, timeout=2.0)


def test_sandbox_url_is_loopback_graphql_v2(rw):
    assert rw.url.startswith("http://127.0.0.1:")
    assert rw.url.endswith("/graphql/v2")

"""The Supabase sandbox's transport: routing (404/405), faults keyed by "<METHOD> <template>",
per-endpoint rate limits with X-RateLimit-* headers, journal, latency, lifetime, concurrency."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from sandbox.supabase import ROUTES, SupabaseSandbox, match_route
from tests.sandbox.supabase_support import (
    ORG,
    TOKEN,
    Api,
)

CREATE = "POST /v1/projects"
CREATE_BODY = {"name": "p", "organization_slug": ORG, "db_pass": "pw-1234"}


# ---------------------------------------------------------------- routing


@pytest.mark.parametrize(
    ("path", "template", "params"),
    [
        ("/v1/projects", "/v1/projects", {}),
        ("/v1/projects/available-regions", "/v1/projects/available-regions", {}),
        ("/v1/projects/abcdefghijklmnopqrst", "/v1/projects/{ref}", {"ref": "abcdefghijklmnopqrst"}),
        ("/v1/projects/abc/branches/pr%2F42", "/v1/projects/{ref}/branches/{name}", {"ref": "abc", "name": "pr/42"}),
        ("/v1/branches/3f1c", "/v1/branches/{branch_id_or_ref}", {"branch_id_or_ref": "3f1c"}),
    ],
)
def test_route_matching_maps_a_concrete_path_to_its_template(path, template, params):
    _, got_params, got_template = match_route(path)  # type: ignore[misc]

    assert (got_template, got_params) == (template, params)


def test_every_route_key_is_unique():
    keys = [route.key for route in ROUTES]

    assert len(keys) == len(set(keys))


def test_unknown_route_is_404(api):
    response = api.get("/v1/projects/abcdefghijklmnopqrst/nothing-here")

    assert response.status_code == 404
    assert response.json() == {"message": "Cannot GET /v1/projects/abcdefghijklmnopqrst/nothing-here"}


def test_wrong_method_is_405_with_allow(api):
    response = api.http.put("/v1/projects", json={})

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


# ---------------------------------------------------------------- faults


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_fault_5xx_answers_without_applying(api, sb, kind):
    sb.faults.add(CREATE, kind, times=1)

    response = api.post("/v1/projects", CREATE_BODY)

    assert response.status_code == int(kind)
    assert "message" in response.json()
    assert sb.projects() == []


def test_fault_429_answers_with_retry_after_without_applying(api, sb):
    sb.faults.add(CREATE, "429", retry_after=1.5, times=1)

    response = api.post("/v1/projects", CREATE_BODY)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1.5"
    assert sb.projects() == []


def test_fault_drop_after_apply_creates_but_never_answers(api, sb):
    sb.faults.add(CREATE, "drop_after_apply", times=1)

    with pytest.raises(httpx.TransportError):
        api.post("/v1/projects", CREATE_BODY)

    assert len(sb.projects()) == 1
    assert sb.journal[-1].status is None and sb.journal[-1].fault == "drop_after_apply"


def test_fault_slow_applies_then_answers_after_the_delay(api, sb, held_pauses):
    sb.faults.add(CREATE, "slow", delay=0.5, times=1)

    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(api.post, "/v1/projects", CREATE_BODY)
        assert held_pauses.next() == 0.5
        # Paused: already applied, not yet answered.
        assert len(sb.projects()) == 1 and not answer.done()
        held_pauses.release()
        response = answer.result(timeout=10)

    assert response.status_code == 201 and len(sb.projects()) == 1


def test_faults_match_the_path_template_not_the_concrete_path(api, sb, project):
    sb.faults.add("GET /v1/projects/{ref}", "503", times=2)

    statuses = [api.get(f"/v1/projects/{project['ref']}").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert api.get("/v1/projects").status_code == 200


def test_fault_wildcard_matches_every_route(api, sb):
    sb.faults.add("*", "502", times=2)

    statuses = [
        api.get("/v1/projects").status_code,
        api.get("/v1/organizations").status_code,
        api.get("/v1/projects").status_code,
    ]

    assert statuses == [502, 502, 200]


# ---------------------------------------------------------------- rate limit


def test_rate_limit_headers_on_every_response_when_enabled(api, sb):
    sb.rate_limit_per_minute = 5

    responses = [api.get("/v1/projects") for _ in range(2)]

    assert [r.headers["X-RateLimit-Limit"] for r in responses] == ["5", "5"]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["4", "3"]
    assert all(0 < float(r.headers["X-RateLimit-Reset"]) <= 60 for r in responses)


def test_rate_limit_headers_absent_when_disabled(api):
    assert "X-RateLimit-Limit" not in api.get("/v1/projects").headers


def test_rate_limit_429_with_retry_after_beyond_the_limit_per_endpoint(api, sb):
    sb.rate_limit_per_minute = 2

    statuses = [api.post("/v1/projects", CREATE_BODY).status_code for _ in range(3)]
    limited = api.post("/v1/projects", CREATE_BODY)
    other_endpoint = api.get("/v1/projects")

    assert statuses == [201, 201, 429]
    assert limited.status_code == 429 and limited.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < float(limited.headers["Retry-After"]) <= 60
    assert other_endpoint.status_code == 200
    assert len(sb.projects()) == 2
    assert sb.journal[-2].fault == "rate_limit"


def test_rate_limit_counts_every_concrete_path_of_one_template_together(api, sb):
    refs = [sb.seed_project(f"p{i}", ORG) for i in range(2)]
    sb.rate_limit_per_minute = 1

    statuses = [api.get(f"/v1/projects/{ref}").status_code for ref in refs]

    assert statuses == [200, 429]


def test_rate_limit_frees_slots_after_the_window(api, sb):
    sb.rate_limit_window = 0.3
    sb.rate_limit_per_minute = 1
    assert api.get("/v1/projects").status_code == 200
    limited = api.get("/v1/projects")
    assert limited.status_code == 429

    time.sleep(float(limited.headers["Retry-After"]))

    assert api.get("/v1/projects").status_code == 200


# ---------------------------------------------------------------- journal


def test_journal_records_key_method_path_query_string_and_parsed_body(api, sb):
    api.post("/v1/projects", CREATE_BODY)
    api.get(f"/v1/organizations/{ORG}/projects", params={"limit": 5})

    create, listing = sb.journal
    assert (create.key, create.method, create.path, create.status) == (CREATE, "POST", "/v1/projects", 201)
    assert create.body == CREATE_BODY and create.operation_name == "v1-create-a-project"
    assert (listing.key, listing.query_string, listing.body) == (
        "GET /v1/organizations/{slug}/projects",
        "limit=5",
        None,
    )
    assert listing.variables == {"slug": ORG}


def test_journal_records_faults_and_rejections(api, sb):
    sb.faults.add(CREATE, "503")
    api.post("/v1/projects", CREATE_BODY)
    unauthorized = Api(sb.url, token="bad")
    unauthorized.get("/v1/projects")
    unauthorized.close()

    assert [(e.status, e.fault) for e in sb.journal] == [(503, "503"), (401, None)]


def test_journal_count_by_key_and_writes_only(api, sb, project):
    api.get(f"/v1/projects/{project['ref']}")
    api.get(f"/v1/projects/{project['ref']}")

    assert sb.journal_count("GET /v1/projects/{ref}") == 2
    assert sb.journal_count(CREATE) == 1
    assert sb.journal_count() == 3 and sb.journal_count(writes_only=True) == 1


def test_journal_clear(api, sb):
    api.get("/v1/projects")

    sb.journal_clear()

    assert sb.journal == []


# ---------------------------------------------------------------- latency, lifetime, concurrency


def test_latency_delays_every_response(api, sb, held_pauses):
    sb.latency = 0.3

    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(api.get, "/v1/projects")
        assert held_pauses.next() == 0.3
        assert not answer.done() and sb.journal == [], "the request waits before it is handled"
        held_pauses.release()
        assert answer.result(timeout=10).status_code == 200
    assert len(sb.journal) == 1


def test_sandbox_stops_by_itself_after_its_lifetime():
    sandbox = SupabaseSandbox(tokens={TOKEN}, lifetime=0.5).start()

    assert sandbox.wait(timeout=5.0)
    assert not sandbox.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sandbox.url}/v1/projects", timeout=2)


def test_url_is_loopback_without_v1(sb):
    assert sb.url.startswith("http://127.0.0.1:") and not sb.url.endswith("/v1")


def test_concurrent_creates_are_all_recorded(sb):
    results: list[int] = []
    lock = threading.Lock()

    def create(i: int) -> None:
        client = Api(sb.url)
        try:
            status = client.post("/v1/projects", {**CREATE_BODY, "name": f"p{i}"}).status_code
        finally:
            client.close()
        with lock:
            results.append(status)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert results == [201] * 16
    assert len({p["ref"] for p in sb.projects()}) == 16

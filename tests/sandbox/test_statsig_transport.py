"""The Statsig sandbox's transport: auth, API version, faults, the mutation rate limit in which
rejected attempts count, the journal, out-of-band helpers and its lifetime."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from sandbox.statsig import StatsigSandbox

GATE = "/gates/checkout_v2"


# ---------------------------------------------------------------- auth and version


def test_unknown_key_answers_401_with_a_message(statsig_client):
    response = statsig_client(key="console-wrong").request("GET", "/gates")

    assert response.status_code == 401
    assert response.json() == {"status": 401, "message": "Invalid STATSIG-API-KEY."}


def test_missing_key_answers_401(statsig_client):
    assert statsig_client(key=None).request("GET", "/gates").status_code == 401


def test_unauthorized_mutation_changes_nothing(st, statsig_client):
    response = statsig_client(key="console-wrong").request("POST", "/gates", {"name": "Checkout v2"})

    assert response.status_code == 401 and st.gates() == []


def test_missing_api_version_is_accepted(statsig_client):
    assert statsig_client(version=None).request("GET", "/gates").status_code == 200


def test_an_unknown_api_version_answers_400(statsig_client):
    response = statsig_client(version="20990101").request("GET", "/gates")

    assert response.status_code == 400 and "20240601" in response.json()["message"]


def test_keys_can_be_added_while_running(st, statsig_client):
    st.keys.add("console-rotated")

    assert statsig_client(key="console-rotated").request("GET", "/gates").status_code == 200


# ---------------------------------------------------------------- faults


def test_fault_429_answers_retry_after_and_does_not_apply(st, statsig):
    st.faults.add("POST /console/v1/gates", "429", retry_after=1.0, times=1)

    response = statsig.request("POST", "/gates", {"name": "Checkout v2"})

    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert response.json() == {"status": 429, "message": "Too Many Requests"}
    assert st.gates() == []


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_fault_5xx_answers_the_status_and_does_not_apply(st, statsig, kind):
    st.faults.add("POST /console/v1/gates", kind)

    response = statsig.request("POST", "/gates", {"name": "Checkout v2"})

    assert response.status_code == int(kind) and st.gates() == []


def test_fault_is_consumed_times_then_requests_succeed(st, statsig):
    st.faults.add("POST /console/v1/gates", "503", times=2)

    statuses = [statsig.request("POST", "/gates", {"name": "Checkout v2"}).status_code for _ in range(3)]

    assert statuses == [503, 503, 201]


def test_fault_matches_the_path_template_not_other_routes(st, statsig):
    statsig.create_gate()
    st.faults.add("PATCH /console/v1/gates/{id}", "500")

    assert statsig.request("GET", GATE).status_code == 200
    assert statsig.request("PATCH", GATE, {"description": "x"}).status_code == 500


def test_fault_drop_after_apply_applies_then_closes_without_a_response(st, statsig):
    st.faults.add("POST /console/v1/gates", "drop_after_apply")

    with pytest.raises(httpx.TransportError):
        statsig.request("POST", "/gates", {"name": "Checkout v2"})

    assert [g["id"] for g in st.gates()] == ["checkout_v2"]
    assert st.journal[-1].status is None and st.journal[-1].fault == "drop_after_apply"


def test_fault_slow_applies_and_answers_after_the_delay(st, statsig, held_pauses):
    st.faults.add("POST /console/v1/gates", "slow", delay=0.3)

    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(statsig.request, "POST", "/gates", {"name": "Checkout v2"})
        assert held_pauses.next() == 0.3
        # Paused: already applied, not yet answered.
        assert [g["id"] for g in st.gates()] == ["checkout_v2"] and not answer.done()
        held_pauses.release()
        response = answer.result(timeout=10)

    assert response.status_code == 201


def test_fault_wildcard_matches_every_route(st, statsig):
    st.faults.add("*", "502")

    assert statsig.request("GET", "/gates").status_code == 502


def test_latency_delays_every_request(st, statsig, held_pauses):
    st.latency = 0.2

    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(statsig.request, "GET", "/gates")
        assert held_pauses.next() == 0.2
        assert not answer.done() and st.journal == [], "the request waits before it is handled"
        held_pauses.release()
        assert answer.result(timeout=10).status_code == 200
    assert len(st.journal) == 1


# ---------------------------------------------------------------- mutation rate limit


def test_mutations_beyond_the_limit_answer_429_with_retry_after(st, statsig):
    st.mutation_limit_per_window, st.mutation_window = 2, 5.0

    statuses = [statsig.request("POST", "/gates", {"name": f"Gate {n}"}).status_code for n in range(3)]
    response = statsig.request("POST", "/gates", {"name": "Gate 9"})

    assert statuses == [201, 201, 429] and response.status_code == 429
    assert 0 < float(response.headers["Retry-After"]) <= 5.0
    assert response.json() == {"status": 429, "message": "Too Many Requests"}
    assert len(st.gates()) == 2


def test_reads_are_not_rate_limited(st, statsig):
    st.mutation_limit_per_window, st.mutation_window = 1, 5.0
    statsig.create_gate()

    statuses = {statsig.request("GET", GATE).status_code for _ in range(5)}

    assert statuses == {200}


def test_rejected_attempts_count_against_the_quota(st, statsig):
    """Retrying immediately keeps a client locked out: after the window in which the first
    request was admitted has passed, the rejected retries still fill the window."""
    st.mutation_limit_per_window, st.mutation_window = 1, 0.6
    assert statsig.request("POST", "/gates", {"name": "Gate 0"}).status_code == 201
    time.sleep(0.4)
    assert statsig.request("POST", "/gates", {"name": "Gate 1"}).status_code == 429  # counts
    time.sleep(0.3)  # the admitted attempt has left the window; the rejected one has not

    response = statsig.request("POST", "/gates", {"name": "Gate 2"})

    assert response.status_code == 429


def test_a_client_that_waits_the_retry_after_is_admitted(st, statsig):
    st.mutation_limit_per_window, st.mutation_window = 1, 0.5
    statsig.request("POST", "/gates", {"name": "Gate 0"})
    rejected = statsig.request("POST", "/gates", {"name": "Gate 1"})

    time.sleep(float(rejected.headers["Retry-After"]) + 0.05)

    assert statsig.request("POST", "/gates", {"name": "Gate 1"}).status_code == 201


def test_each_rejected_attempt_pushes_the_retry_after_deadline_later(st, statsig):
    st.mutation_limit_per_window, st.mutation_window = 1, 2.0
    statsig.request("POST", "/gates", {"name": "Gate 0"})
    first = statsig.request("POST", "/gates", {"name": "Gate 1"})
    first_deadline = st.journal[-1].at + float(first.headers["Retry-After"])
    time.sleep(0.3)

    second = statsig.request("POST", "/gates", {"name": "Gate 1"})

    assert st.journal[-1].at + float(second.headers["Retry-After"]) > first_deadline + 0.2


def test_rate_limited_requests_are_journaled_as_rate_limit(st, statsig):
    st.mutation_limit_per_window = 1
    statsig.request("POST", "/gates", {"name": "Gate 0"})
    statsig.request("POST", "/gates", {"name": "Gate 1"})

    assert [(e.status, e.fault) for e in st.journal] == [(201, None), (429, "rate_limit")]


def test_traffic_without_a_limit_does_not_count_once_one_is_set(st, statsig):
    for n in range(3):
        statsig.request("POST", "/gates", {"name": f"Gate {n}"})

    st.mutation_limit_per_window = 1

    assert statsig.request("POST", "/gates", {"name": "Gate 9"}).status_code == 201


def test_mutation_limit_rejects_nonsense_settings(st):
    with pytest.raises(ValueError):
        st.mutation_limit_per_window = 0
    with pytest.raises(ValueError):
        st.mutation_window = 0


# ---------------------------------------------------------------- journal


def test_journal_records_method_path_key_body_and_status(st, statsig):
    statsig.request("POST", "/gates", {"name": "Checkout v2"})

    [entry] = st.journal
    assert (entry.method, entry.path, entry.key) == ("POST", "/console/v1/gates", "POST /console/v1/gates")
    assert entry.body == {"name": "Checkout v2"} and entry.status == 201 and entry.is_mutation


def test_journal_records_path_parameters_and_query(st, statsig):
    statsig.create_gate()
    st.journal_clear()

    statsig.request("GET", GATE, params={"includeArchiveMetadata": "true"})

    [entry] = st.journal
    assert entry.key == "GET /console/v1/gates/{id}" and entry.variables == {"id": "checkout_v2"}
    assert entry.query_string == "includeArchiveMetadata=true" and not entry.is_mutation


def test_journal_count_by_key_and_writes_only(st, statsig):
    statsig.create_gate()
    statsig.request("GET", GATE)
    statsig.request("PATCH", GATE, {"description": "x"})
    statsig.request("PUT", f"{GATE}/archive", {})
    statsig.request("DELETE", GATE)

    assert st.journal_count() == 5
    assert st.journal_count(writes_only=True) == 4
    assert st.journal_count("GET /console/v1/gates/{id}") == 1
    assert st.journal_count("PUT /console/v1/gates/{id}/archive") == 1


def test_journal_records_rejected_and_faulted_requests(st, statsig_client):
    st.faults.add("GET /console/v1/gates", "503")
    statsig_client().request("GET", "/gates")
    statsig_client(key="console-wrong").request("GET", "/gates")

    assert [(e.status, e.fault) for e in st.journal] == [(503, "503"), (401, None)]


def test_journal_clear_empties_it(st, statsig):
    statsig.request("GET", "/gates")

    st.journal_clear()

    assert st.journal == [] and st.journal_count() == 0


# ---------------------------------------------------------------- out-of-band helpers


def test_delete_gate_out_of_band_makes_get_answer_404(st, statsig):
    statsig.create_gate()

    st.delete_gate("checkout_v2")

    assert statsig.request("GET", GATE).status_code == 404


def test_set_rules_out_of_band_shows_on_get(st, statsig, make_rule):
    statsig.create_gate(rules=[make_rule(emails=["a@x.io"])])

    st.set_rules("checkout_v2", [make_rule(emails=["mallory@x.io"])])

    rules = statsig.request("GET", GATE).json()["data"]["rules"]
    assert rules[0]["conditions"][0]["targetValue"] == ["mallory@x.io"]


def test_set_enabled_out_of_band_shows_on_get(st, statsig):
    statsig.create_gate()

    st.set_enabled("checkout_v2", False)

    assert statsig.request("GET", GATE).json()["data"]["isEnabled"] is False


def test_seed_gate_exists_before_any_request(st, statsig):
    seeded = st.seed_gate("Checkout v2", description="made in the console")

    assert seeded["id"] == "checkout_v2"
    assert statsig.request("GET", GATE).json()["data"]["description"] == "made in the console"
    assert statsig.request("POST", "/gates", {"name": "Checkout v2"}).status_code == 400


def test_helpers_on_unknown_ids_raise_key_error(st):
    with pytest.raises(KeyError):
        st.delete_gate("ghost")
    with pytest.raises(KeyError):
        st.set_rules("ghost", [])
    with pytest.raises(KeyError):
        st.set_enabled("ghost", True)


def test_state_helpers_return_copies(st, statsig, make_rule):
    statsig.create_gate(rules=[make_rule(emails=["a@x.io"])])

    st.gates()[0]["rules"].clear()

    assert len(st.gates()[0]["rules"]) == 1


# ---------------------------------------------------------------- lifecycle


def test_url_is_loopback_without_the_base_path():
    with StatsigSandbox(keys={"console-test"}, lifetime=30) as sandbox:
        assert sandbox.url.startswith("http://127.0.0.1:") and sandbox.url.count("/") == 2


def test_lifetime_stops_the_sandbox_by_itself():
    sandbox = StatsigSandbox(keys={"console-test"}, lifetime=0.3).start()

    assert sandbox.wait(5.0) and not sandbox.running

"""StatsigClient on httpx.MockTransport: the requests it sends, how answers become results or
errors, and how it waits before retrying (fake sleep, fixed jitter)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from providers.api import ApiFailure, AuthError, Conflict, NotFound, RateLimited
from providers.http import RetryPolicy
from providers.settings import StatsigSettings
from providers.statsig.client import ENDPOINTS, GateInfo, StatsigClient, gate_id_for
from providers.statsig.gate import MANAGED_MARKER, is_managed

KEY = "console-mock-key-5c2d8e0a"
API = "https://statsigapi.test"
GATES = f"{API}/console/v1/gates"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeSleep:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def policy(sleep: FakeSleep | None = None, jitter: float = 0.0, **overrides: Any) -> RetryPolicy:
    settings: dict[str, Any] = {
        "attempts": 4,
        "base_delay": 1.0,
        "max_delay": 8.0,
        "sleep": sleep or FakeSleep(),
        "jitter": lambda: jitter,
        "wall_clock": lambda: 1_700_000_000.0,
        # No window: a lost answer is looked up once (the window itself is tests/providers/test_http.py's).
        "late_answer_grace": 0.0,
    }
    return RetryPolicy(**{**settings, **overrides})


def client(
    handler: Handler, *, seen: list[httpx.Request] | None = None, retry: RetryPolicy | None = None
) -> StatsigClient:
    def recording(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    return StatsigClient(StatsigSettings(KEY, API), policy=retry or policy(), transport=httpx.MockTransport(recording))


def gate_node(
    gate_id: str = "checkout_v2",
    *,
    name: str = "Checkout V2",
    description: str = "d",
    status: str = "In Progress",
    rules: list | None = None,
) -> dict[str, Any]:
    return {
        "id": gate_id,
        "name": name,
        "description": description,
        "idType": "userID",
        "isEnabled": True,
        "status": status,
        "rules": rules or [],
    }


def ok(data: Any, status: int = 200, **extra: Any) -> Handler:
    return lambda _request: httpx.Response(status, json={"message": "ok", "data": data, **extra})


def error(status: int, message: str, **headers: str) -> Handler:
    return lambda _request: httpx.Response(status, json={"status": status, "message": message}, headers=headers)


def sequence(*handlers: Handler) -> Handler:
    """Answer with each handler in turn (the last repeats)."""
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return handlers[min(len(calls), len(handlers)) - 1](request)

    return handler


def routes(table: dict[str, Handler]) -> Handler:
    """Answer by "<METHOD> <path>"; anything else is a test bug."""

    def handler(request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        if key not in table:
            raise AssertionError(f"unexpected request {key}")
        return table[key](request)

    return handler


def never_owned(_gate: GateInfo) -> bool:
    return False


def always_owned(_gate: GateInfo) -> bool:
    return True


# ------------------------------------------------------------ requests


def test_requests_carry_the_console_key_and_api_version_and_go_under_console_v1() -> None:
    seen: list[httpx.Request] = []
    with client(ok(gate_node()), seen=seen) as statsig:
        gate = statsig.get_gate("checkout_v2")
    assert gate == GateInfo("checkout_v2", "Checkout V2", "d", True, "In Progress", ())
    [request] = seen
    assert (request.method, str(request.url)) == ("GET", f"{GATES}/checkout_v2")
    assert request.headers["statsig-api-key"] == KEY
    assert request.headers["statsig-api-version"] == "20240601"


def test_create_sends_an_enabled_user_id_gate_with_its_rules() -> None:
    seen: list[httpx.Request] = []
    rule = {"name": "r", "passPercentage": 100, "conditions": [], "environments": ["staging"]}
    with client(ok(gate_node(rules=[rule]), 201), seen=seen) as statsig:
        gate = statsig.create_gate(name="Checkout V2", description="d", rules=[rule], owned=never_owned)
    assert gate.id == "checkout_v2" and gate.rules == (rule,)
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", GATES)
    assert json.loads(request.content) == {
        "name": "Checkout V2",
        "description": "d",
        "isEnabled": True,
        "idType": "userID",
        "rules": [rule],
    }


def test_update_is_a_partial_update_of_description_enabled_and_rules() -> None:
    seen: list[httpx.Request] = []
    with client(ok(gate_node()), seen=seen) as statsig:
        statsig.update_gate("checkout_v2", description="d", rules=[], label="Checkout V2")
        statsig.update_gate("checkout_v2", description="d", rules=[], name="Checkout V3")
    assert [(r.method, str(r.url)) for r in seen] == [("PATCH", f"{GATES}/checkout_v2")] * 2
    assert json.loads(seen[0].content) == {"description": "d", "isEnabled": True, "rules": []}
    assert json.loads(seen[1].content)["name"] == "Checkout V3"


def test_archive_and_delete_and_unarchive_use_their_endpoints() -> None:
    seen: list[httpx.Request] = []
    with client(ok(gate_node()), seen=seen) as statsig:
        assert statsig.archive_gate("checkout_v2", reason="gone from config") is True
        assert statsig.delete_gate("checkout_v2") is True
        statsig.unarchive_gate("checkout_v2")
    assert [(r.method, r.url.path) for r in seen] == [
        ("PUT", "/console/v1/gates/checkout_v2/archive"),
        ("DELETE", "/console/v1/gates/checkout_v2"),
        ("PUT", "/console/v1/gates/checkout_v2/unarchive"),
    ]
    assert json.loads(seen[0].content) == {"archiveReason": "gone from config"}


def test_every_request_is_a_declared_endpoint() -> None:
    declared = {endpoint.key for endpoint in ENDPOINTS}
    assert declared == {
        "GET /console/v1/gates",
        "POST /console/v1/gates",
        "GET /console/v1/gates/{id}",
        "PATCH /console/v1/gates/{id}",
        "DELETE /console/v1/gates/{id}",
        "PUT /console/v1/gates/{id}/archive",
        "PUT /console/v1/gates/{id}/unarchive",
    }


def test_gate_ids_follow_statsigs_derivation_from_the_name() -> None:
    assert gate_id_for("A Gate") == "a_gate"
    assert gate_id_for("Checkout v2.beta-1") == "checkout_v2.beta-1"


# ------------------------------------------------------------ reads


def test_list_follows_pagination_until_there_is_no_next_page() -> None:
    seen: list[httpx.Request] = []
    pages = sequence(
        ok([gate_node("a_gate", name="A Gate")], pagination={"nextPage": "/console/v1/gates?page=2&limit=100"}),
        ok([gate_node("b_gate", name="B Gate")], pagination={"nextPage": None}),
    )
    with client(pages, seen=seen) as statsig:
        gates = statsig.list_gates(include_archived=True)
    assert [g.id for g in gates] == ["a_gate", "b_gate"]
    assert [dict(r.url.params) for r in seen] == [
        {"page": "1", "limit": "100", "includeArchived": "true"},
        {"page": "2", "limit": "100", "includeArchived": "true"},
    ]


def test_a_missing_gate_reads_as_none() -> None:
    with client(error(404, "Gate not found.")) as statsig:
        assert statsig.get_gate("nope") is None


def test_an_archived_gate_reads_archived() -> None:
    with client(ok(gate_node(status="Archived"))) as statsig:
        gate = statsig.get_gate("checkout_v2")
    assert gate is not None and gate.archived


def test_find_falls_back_to_the_list_when_the_derived_id_misses() -> None:
    handler = routes(
        {
            "GET /console/v1/gates/checkout_v2": error(404, "Gate not found."),
            "GET /console/v1/gates": ok(
                [gate_node("other", name="Other"), gate_node("checkout-v2-x1", name="checkout v2")],
                pagination={"nextPage": None},
            ),
        }
    )
    with client(handler) as statsig:
        found = statsig.find_gate("Checkout V2")
    assert found is not None and found.id == "checkout-v2-x1"


# ------------------------------------------------------------ create: adoption and conflicts


def test_a_create_whose_answer_is_lost_adopts_the_gate_it_made() -> None:
    def lost(_request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    seen: list[httpx.Request] = []
    handler = routes({"POST /console/v1/gates": lost, "GET /console/v1/gates/checkout_v2": ok(gate_node())})
    with client(handler, seen=seen) as statsig:
        gate = statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=always_owned)
    assert gate.id == "checkout_v2"
    assert [r.method for r in seen] == ["POST", "GET"]


def test_a_lost_create_that_did_not_happen_is_sent_again() -> None:
    def lost(_request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    seen: list[httpx.Request] = []
    handler = routes(
        {
            "POST /console/v1/gates": sequence(lost, ok(gate_node(), 201)),
            "GET /console/v1/gates/checkout_v2": error(404, "Gate not found."),
            "GET /console/v1/gates": ok([], pagination={"nextPage": None}),
        }
    )
    with client(handler, seen=seen) as statsig:
        assert (
            statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=always_owned).id == "checkout_v2"
        )
    assert [r.method for r in seen if r.method == "POST"] == ["POST", "POST"]


def lost(_request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out")


def test_a_lost_create_adopts_a_gate_with_the_stagefleet_marker() -> None:
    seen: list[httpx.Request] = []
    ours = gate_node(description=f"New checkout (owner: alice) {MANAGED_MARKER}")
    handler = routes({"POST /console/v1/gates": lost, "GET /console/v1/gates/checkout_v2": ok(ours)})
    with client(handler, seen=seen) as statsig:
        gate = statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=is_managed)
    assert gate.id == "checkout_v2" and gate.description.endswith(MANAGED_MARKER)
    assert [(r.method, r.url.path) for r in seen] == [
        ("POST", "/console/v1/gates"),
        ("GET", "/console/v1/gates/checkout_v2"),
    ]


def test_a_lost_create_never_adopts_a_strangers_gate_of_that_name() -> None:
    seen: list[httpx.Request] = []
    stranger = gate_node(description="made by hand in the console")
    handler = routes(
        {
            "POST /console/v1/gates": sequence(lost, error(400, "Name is already in use")),
            "GET /console/v1/gates/checkout_v2": ok(stranger),
        }
    )
    with client(handler, seen=seen) as statsig, pytest.raises(Conflict) as raised:
        statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=is_managed)
    # Not adopted: sent again, told the name is taken, and the gate is named as someone else's.
    assert [r.method for r in seen].count("POST") == 2
    assert "is not managed by stagefleet" in str(raised.value) and raised.value.__cause__ is None


def test_a_lost_create_whose_lookup_fails_too_says_the_gate_may_exist_unrecorded() -> None:
    handler = routes(
        {
            "POST /console/v1/gates": lost,
            "GET /console/v1/gates/checkout_v2": error(503, "Service Unavailable"),
        }
    )
    with client(handler) as statsig, pytest.raises(ApiFailure) as raised:
        statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=is_managed)
    message = str(raised.value)
    assert message.startswith(
        'Statsig gate "Checkout V2" could not be created: Statsig\'s answer was lost and looking '
        "for what the request made failed too ("
    )
    assert "it may have been made without being recorded: the next `pulumi up` adopts it" in message
    assert message.endswith("(Statsig POST /console/v1/gates)") and KEY not in message
    assert raised.value.__cause__ is None


def test_a_create_lost_on_every_attempt_gives_up_within_the_policy() -> None:
    seen: list[httpx.Request] = []
    handler = routes(
        {
            "POST /console/v1/gates": lost,
            "GET /console/v1/gates/checkout_v2": error(404, "Gate not found."),
            "GET /console/v1/gates": ok([], pagination={"nextPage": None}),
        }
    )
    with client(handler, seen=seen) as statsig, pytest.raises(ApiFailure) as raised:
        statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=is_managed)
    assert [r.method for r in seen].count("POST") == 4
    assert "Statsig did not confirm it (" in str(raised.value) and "run `pulumi refresh` and retry" in str(raised.value)


def test_a_taken_name_of_a_gate_not_owned_is_a_conflict_naming_the_gate() -> None:
    handler = routes(
        {
            "POST /console/v1/gates": error(400, "Name is already in use"),
            "GET /console/v1/gates/checkout_v2": ok(gate_node(description="someone else's")),
        }
    )
    with client(handler) as statsig, pytest.raises(Conflict) as raised:
        statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=never_owned)
    assert str(raised.value).startswith(
        'Statsig gate "Checkout V2" could not be created: a gate named "Checkout V2" '
        "(checkout_v2) already exists in Statsig and is not managed by stagefleet"
    )
    assert raised.value.operation == "POST /console/v1/gates" and raised.value.__cause__ is None


def test_a_taken_name_of_an_owned_archived_gate_unarchives_it() -> None:
    seen: list[httpx.Request] = []
    handler = routes(
        {
            "POST /console/v1/gates": error(400, 'A gate with the name "Checkout V2" already exists.'),
            "GET /console/v1/gates/checkout_v2": ok(gate_node(status="Archived")),
            "PUT /console/v1/gates/checkout_v2/unarchive": ok(gate_node()),
        }
    )
    with client(handler, seen=seen) as statsig:
        gate = statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=always_owned)
    assert not gate.archived
    assert [(r.method, r.url.path) for r in seen][-1] == ("PUT", "/console/v1/gates/checkout_v2/unarchive")


def test_a_bad_request_that_is_not_a_taken_name_is_an_api_error_with_statsigs_words() -> None:
    body = {
        "status": 400,
        "message": "Bad Request Exception",
        "errors": [{"property": "name", "errorMessage": "Required"}],
    }
    with client(lambda _r: httpx.Response(400, json=body)) as statsig, pytest.raises(ApiFailure) as raised:
        statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=always_owned)
    assert "HTTP 400 Bad Request Exception (name: Required) (Statsig POST /console/v1/gates)" in str(raised.value)
    assert not isinstance(raised.value, Conflict)


# ------------------------------------------------------------ errors never carry the key


def test_a_rejected_key_is_an_auth_error_that_does_not_repeat_the_key() -> None:
    # The real API quotes the key it was sent ("... an invalid key was sent. Key: console-...").
    said = f"This endpoint only accepts an active CONSOLE key, but an invalid key was sent. Key: {KEY}"
    with client(error(401, said)) as statsig, pytest.raises(AuthError) as raised:
        statsig.get_gate("checkout_v2", label="Checkout V2")
    message = str(raised.value)
    assert KEY not in message and "Key: ***" in message
    assert message.startswith('Statsig gate "Checkout V2" (checkout_v2) could not be read: HTTP 401')
    assert "stagefleet:statsigConsoleKey" in message and "STATSIG_CONSOLE_API_KEY" in message


def test_an_unreachable_api_is_an_api_error_naming_what_failed() -> None:
    def refused(_request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"connection refused (key {KEY})")

    with client(refused) as statsig, pytest.raises(ApiFailure) as raised:
        statsig.delete_gate("checkout_v2", label="Checkout V2")
    assert str(raised.value).startswith(
        'Statsig gate "Checkout V2" (checkout_v2) could not be deleted: Statsig API unavailable'
    )
    assert KEY not in str(raised.value)


def test_a_not_found_update_says_to_refresh() -> None:
    with client(error(404, "Gate not found.")) as statsig, pytest.raises(NotFound) as raised:
        statsig.update_gate("checkout_v2", description="d", rules=[], label="Checkout V2")
    assert "pulumi up --refresh" in str(raised.value)


def test_an_answer_that_is_not_json_is_an_api_error() -> None:
    with client(lambda _r: httpx.Response(200, text="<html>")) as statsig, pytest.raises(ApiFailure) as raised:
        statsig.get_gate("checkout_v2")
    assert "not JSON" in str(raised.value)


def test_an_answer_without_a_gate_is_an_api_error() -> None:
    with client(ok({"name": "no id"})) as statsig, pytest.raises(ApiFailure) as raised:
        statsig.get_gate("checkout_v2")
    assert "a required field is missing" in str(raised.value)


# ------------------------------------------------------------ waiting before retries


def test_a_429_honours_retry_after_and_adds_a_random_spread() -> None:
    sleep = FakeSleep()
    answers = sequence(error(429, "Too Many Requests", **{"Retry-After": "4"}), ok(gate_node(), 201))
    with client(answers, retry=policy(sleep, jitter=1.0)) as statsig:
        statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=always_owned)
    # Retry-After 4 s, stretched by the full spread (a quarter: 1 s).
    assert sleep.sleeps == [5.0]


def test_without_retry_after_a_429_backs_off_exponentially_with_jitter() -> None:
    sleep = FakeSleep()
    answers = sequence(*[error(429, "Too Many Requests")] * 3, ok(gate_node(), 201))
    with client(answers, retry=policy(sleep, jitter=0.5)) as statsig:
        statsig.create_gate(name="Checkout V2", description="d", rules=[], owned=always_owned)
    # Full jitter at 0.5 of 1, 2, 4 s, each stretched by a quarter of itself at 0.5.
    assert sleep.sleeps == pytest.approx([0.5 * 1.125, 1.0 * 1.125, 2.0 * 1.125])


def test_a_429_that_never_clears_gives_up_after_the_policys_attempts() -> None:
    sleep = FakeSleep()
    seen: list[httpx.Request] = []
    answer = error(429, "Too Many Requests", **{"Retry-After": "1"})
    with client(answer, seen=seen, retry=policy(sleep)) as statsig, pytest.raises(RateLimited) as raised:
        statsig.delete_gate("checkout_v2", label="Checkout V2")
    assert len(seen) == 4 and len(sleep.sleeps) == 3
    assert "gave up after 4 attempts" in str(raised.value) and "429" in str(raised.value)
    assert (raised.value.api, raised.value.operation, raised.value.status_code) == (
        "Statsig",
        "DELETE /console/v1/gates/{id}",
        429,
    )


def test_the_spread_on_a_long_retry_after_is_capped() -> None:
    sleep = FakeSleep()
    answers = sequence(error(429, "Too Many Requests", **{"Retry-After": "20"}), ok(gate_node()))
    with client(answers, retry=policy(sleep, jitter=1.0, max_retry_after=60.0)) as statsig:
        statsig.get_gate("checkout_v2")
    assert sleep.sleeps == [22.0]

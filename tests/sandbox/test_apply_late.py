"""The "apply_late" fault of sandbox.server: the request is held and never answered, and the
application applies it `delay` seconds later on a thread of its own, as a server still working on
a create when its client gave up. The server's pauses are held by `held_pauses`, so a test sees
that nothing is applied before the delay is over without timing anything."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from sandbox.server import FaultPlan, LoopbackServer, Request, RequestInfo, Response
from sandbox.supabase import SupabaseSandbox
from tests.sandbox.conftest import HTTP_TIMEOUT, HeldPauses
from tests.sandbox.supabase_support import ORG, TOKEN

# The client's read timeout: the held request is never answered, so every send times out.
GIVE_UP = 0.2
LATE = 30.0


class RecordingApp:
    """Answers 201; records each request it applied and the thread it applied it on."""

    def __init__(self) -> None:
        self.applied: list[tuple[str, str]] = []

    def describe(self, request: Request) -> RequestInfo:
        return RequestInfo(key=f"{request.method} {request.path}", is_mutation=request.method != "GET")

    def __call__(self, request: Request) -> Response:
        self.applied.append((f"{request.method} {request.path}", threading.current_thread().name))
        return Response(201, {"Content-Type": "application/json"}, json.dumps({"ok": True}).encode())


@pytest.fixture
def app() -> RecordingApp:
    return RecordingApp()


@pytest.fixture
def server(app: RecordingApp) -> Iterator[LoopbackServer]:
    with LoopbackServer(app, lifetime=60) as running:
        yield running


def send_and_give_up(server: LoopbackServer, path: str = "/v1/projects") -> type[Exception]:
    """POST `path`, waiting at most GIVE_UP for the answer; the exception the client got."""
    try:
        httpx.post(f"{server.base_url}{path}", json={}, timeout=httpx.Timeout(HTTP_TIMEOUT, read=GIVE_UP))
    except httpx.TransportError as lost:
        return type(lost)
    raise AssertionError("the held request was answered")


def test_a_request_applied_late_is_never_answered(server: LoopbackServer, held_pauses: HeldPauses) -> None:
    server.faults.add("POST /v1/projects", "apply_late", delay=LATE)

    assert send_and_give_up(server) is httpx.ReadTimeout


def test_nothing_is_applied_before_the_delay_is_over(
    server: LoopbackServer, app: RecordingApp, held_pauses: HeldPauses
) -> None:
    server.faults.add("POST /v1/projects", "apply_late", delay=LATE)
    send_and_give_up(server)

    assert held_pauses.next() == LATE
    assert app.applied == []
    assert server.settle(0.05) is False


def test_the_request_is_applied_once_the_delay_is_over_on_a_thread_of_its_own(
    server: LoopbackServer, app: RecordingApp, held_pauses: HeldPauses
) -> None:
    server.faults.add("POST /v1/projects", "apply_late", delay=LATE)
    send_and_give_up(server)
    held_pauses.next()

    held_pauses.release()

    assert server.settle(HTTP_TIMEOUT)
    [(key, thread)] = app.applied
    assert key == "POST /v1/projects" and thread.startswith("apply-late")


def test_a_held_request_is_journaled_unanswered_with_its_fault(server: LoopbackServer, held_pauses: HeldPauses) -> None:
    server.faults.add("POST /v1/projects", "apply_late", delay=LATE)
    send_and_give_up(server)

    [entry] = server.journal.entries()
    assert (entry.key, entry.status, entry.fault) == ("POST /v1/projects", None, "apply_late")


def test_the_fault_is_consumed_and_the_next_request_is_answered(
    server: LoopbackServer, app: RecordingApp, held_pauses: HeldPauses
) -> None:
    server.faults.add("POST /v1/projects", "apply_late", delay=LATE, times=1)
    send_and_give_up(server)

    answered = httpx.post(f"{server.base_url}/v1/projects", json={}, timeout=HTTP_TIMEOUT)

    assert answered.status_code == 201
    assert [key for key, _ in app.applied] == ["POST /v1/projects"]  # the second; the first waits


def test_a_held_requests_thread_ends_when_its_client_hangs_up(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, held_pauses: HeldPauses
) -> None:
    done = threading.Event()
    httpd = server._httpd
    assert httpd is not None
    shutdown_request = httpd.shutdown_request

    def finishing_shutdown_request(request: object) -> None:
        shutdown_request(request)
        done.set()

    monkeypatch.setattr(httpd, "shutdown_request", finishing_shutdown_request)
    server.faults.add("POST /v1/projects", "apply_late", delay=LATE)
    send_and_give_up(server)

    assert done.wait(HTTP_TIMEOUT), "the held connection outlived its client"
    assert server.settle(0.05) is False  # the application is still to come


def test_a_server_stopped_before_the_delay_is_over_applies_nothing(app: RecordingApp, held_pauses: HeldPauses) -> None:
    with LoopbackServer(app, lifetime=60) as server:
        server.faults.add("POST /v1/projects", "apply_late", delay=LATE)
        send_and_give_up(server)
        held_pauses.next()

    held_pauses.release()

    assert server.settle(HTTP_TIMEOUT)
    assert app.applied == []


def test_the_fault_plan_takes_apply_late_with_its_delay() -> None:
    plan = FaultPlan()
    plan.add("POST /v1/projects", "apply_late", delay=2.5, times=2)

    taken = plan.take("POST /v1/projects")

    assert taken is not None and (taken.kind, taken.delay) == ("apply_late", 2.5)
    assert [(f.kind, f.times) for f in plan.pending()] == [("apply_late", 1)]


def test_an_emulators_create_applied_late_makes_exactly_one_object(held_pauses: HeldPauses) -> None:
    with SupabaseSandbox(tokens={TOKEN}, lifetime=60) as supabase:
        supabase.seed_organization(ORG, "Gatewayz")
        supabase.faults.add("POST /v1/projects", "apply_late", delay=LATE)
        body = {"name": "late-one", "organization_slug": ORG, "db_pass": "late-pass-1"}
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(
                f"{supabase.url}/v1/projects",
                json=body,
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=httpx.Timeout(HTTP_TIMEOUT, read=GIVE_UP),
            )
        held_pauses.next()
        assert [p["name"] for p in supabase.projects()] == []

        held_pauses.release()

        assert supabase.settle(HTTP_TIMEOUT)
        assert [p["name"] for p in supabase.projects()] == ["late-one"]

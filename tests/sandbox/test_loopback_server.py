"""sandbox.server as a REST emulator would use it: any Application, named by method and path."""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from sandbox.server import FaultPlan, LoopbackServer, Request, RequestInfo, Response, format_seconds


class EchoApp:
    """Answers every request with what it received; names requests "<METHOD> <path>"."""

    def __init__(self) -> None:
        self.applied: list[Request] = []

    def describe(self, request: Request) -> RequestInfo:
        return RequestInfo(key=f"{request.method} {request.path}", is_mutation=request.method != "GET")

    def __call__(self, request: Request) -> Response:
        self.applied.append(request)
        if request.path == "/boom":
            raise RuntimeError("emulator bug")
        body = {
            "method": request.method,
            "path": request.path,
            "query": request.query,
            "auth": request.headers.get("authorization"),
            "body": request.body.decode(),
        }
        return Response(201, {"Content-Type": "application/json", "X-Echo": "1"}, json.dumps(body).encode())


@pytest.fixture
def app() -> EchoApp:
    return EchoApp()


@pytest.fixture
def server(app: EchoApp) -> Iterator[LoopbackServer]:
    with LoopbackServer(app, lifetime=60) as running:
        yield running


def test_application_gets_method_path_query_headers_and_body(server, app):
    response = httpx.post(
        f"{server.base_url}/v1/projects?reveal=true",
        content=b'{"name":"x"}',
        headers={"Authorization": "Bearer sbp_x"},
        timeout=5,
    )

    assert response.status_code == 201
    assert response.headers["X-Echo"] == "1"
    assert response.json() == {
        "method": "POST",
        "path": "/v1/projects",
        "query": "reveal=true",
        "auth": "Bearer sbp_x",
        "body": '{"name":"x"}',
    }


def test_faults_match_the_key_the_application_names(server, app):
    server.faults.add("DELETE /v1/projects/abc", "503", times=1)

    get = httpx.get(f"{server.base_url}/v1/projects/abc", timeout=5)
    delete = httpx.delete(f"{server.base_url}/v1/projects/abc", timeout=5)

    assert (get.status_code, delete.status_code) == (201, 503)
    assert [r.method for r in app.applied] == ["GET"]


def test_server_rejection_body_is_configurable(app):
    with LoopbackServer(app, lifetime=60, rejection_body=lambda status, reason: {"error": status}) as server:
        server.faults.add("*", "502", times=1)

        response = httpx.get(f"{server.base_url}/x", timeout=5)

    assert (response.status_code, response.json()) == (502, {"error": 502})


def test_application_exception_answers_500(server):
    response = httpx.get(f"{server.base_url}/boom", timeout=5)

    assert response.status_code == 500
    assert "emulator bug" in response.json()["message"]


def test_journal_records_method_path_and_key(server):
    httpx.get(f"{server.base_url}/v1/projects?limit=1", timeout=5)

    entry = server.journal.entries()[-1]
    assert (entry.method, entry.path, entry.key, entry.query_string) == (
        "GET",
        "/v1/projects",
        "GET /v1/projects",
        "limit=1",
    )
    assert server.journal.count("GET /v1/projects") == 1


def test_keep_alive_connection_serves_several_requests(server):
    with httpx.Client(timeout=5) as client:
        statuses = [client.get(f"{server.base_url}/ping").status_code for _ in range(3)]

    assert statuses == [201, 201, 201]


def test_stop_is_idempotent_and_frees_the_port(app):
    server = LoopbackServer(app, lifetime=60).start()
    url = server.base_url

    server.stop()
    server.stop()

    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_start_twice_is_an_error(server):
    with pytest.raises(RuntimeError):
        server.start()


def test_fault_plan_consumes_in_order_and_reports_pending():
    plan = FaultPlan()
    plan.add("op", "500", times=2)
    plan.add("op", "slow", delay=1.0)

    kinds = [plan.take("op").kind for _ in range(3)]  # type: ignore[union-attr]

    assert kinds == ["500", "500", "slow"]
    assert plan.take("op") is None and plan.pending() == []


def test_retry_after_is_whole_seconds_or_a_short_decimal():
    assert (format_seconds(1.0), format_seconds(0.25), format_seconds(30)) == ("1", "0.25", "30")


def test_stop_cuts_open_keep_alive_connections(app):
    server = LoopbackServer(app, lifetime=60).start()
    with httpx.Client(timeout=2) as client:
        assert client.get(f"{server.base_url}/ping").status_code == 201

        server.stop()

        with pytest.raises(httpx.TransportError):
            client.get(f"{server.base_url}/ping")


def test_a_client_that_hangs_up_before_its_answer_costs_no_traceback(server, app, monkeypatch, capfd):
    # Record what reached the server's error handler, and when the request's thread is done.
    errors: list[type[BaseException] | None] = []
    done = threading.Event()
    httpd = server._httpd
    handle_error, shutdown_request = httpd.handle_error, httpd.shutdown_request

    def recording_handle_error(request, client_address):
        errors.append(sys.exc_info()[0])
        handle_error(request, client_address)

    def finishing_shutdown_request(request):
        shutdown_request(request)
        done.set()

    monkeypatch.setattr(httpd, "handle_error", recording_handle_error)
    monkeypatch.setattr(httpd, "shutdown_request", finishing_shutdown_request)
    server.faults.add("GET /slow", "slow", delay=0.2, times=1)
    with socket.create_connection(("127.0.0.1", server.port)) as client:
        client.sendall(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        give_up = time.monotonic() + 5
        while not app.applied and time.monotonic() < give_up:  # in; the answer waits for the fault
            time.sleep(0.01)
        # Hang up with a reset, as a client that gave up on a read timeout may.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    assert done.wait(5), "the request's thread never finished"
    assert errors and errors[0] in (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
    assert capfd.readouterr().err == ""


def test_any_other_error_of_a_request_is_still_printed(server, capfd):
    try:
        raise ValueError("a bug in the server")
    except ValueError:
        server._httpd.handle_error(None, ("127.0.0.1", 5555))

    printed = capfd.readouterr().err
    assert "Traceback" in printed and "ValueError: a bug in the server" in printed

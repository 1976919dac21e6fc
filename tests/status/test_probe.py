"""One HTTP probe of a service's URL: its answer, or what went wrong in words."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from fleet.probe import ProbeResult, describe_failure, probe, probe_client, probe_url


def probe_once(url: str, timeout: float = 2.0) -> ProbeResult:
    async def run() -> ProbeResult:
        async with probe_client() as client:
            return await probe(client, url, timeout=timeout)

    return asyncio.run(run())


def test_the_probe_url_is_the_service_url_and_its_healthcheck_path():
    assert probe_url("https://api.up.railway.app", "/health") == "https://api.up.railway.app/health"
    assert probe_url("https://api.up.railway.app", None) == "https://api.up.railway.app/"


def test_an_answer_gives_its_status_and_latency(http_server):
    server = http_server(status=503)

    result = probe_once(server.url + "/health")

    assert (result.status, result.error, result.ok) == (503, None, False)
    assert isinstance(result.latency_ms, int)
    assert result.describe() == f"503 in {result.latency_ms} ms"


def test_a_2xx_answer_is_ok(http_server):
    assert probe_once(http_server(status=204).url).ok


def test_the_probe_sends_no_credentials(http_server):
    server = http_server()
    seen: list[httpx.Headers] = []

    async def run() -> None:
        async with probe_client() as client:
            client.event_hooks["request"].append(lambda request: _record(seen, request))
            await probe(client, server.url)

    asyncio.run(run())

    assert "authorization" not in seen[0] and "cookie" not in seen[0]


async def _record(seen: list[httpx.Headers], request: httpx.Request) -> None:
    seen.append(request.headers)


def test_a_closed_port_is_connection_refused():
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    # The port is free again: nothing listens there.

    result = probe_once(f"http://127.0.0.1:{port}/health")

    assert (result.status, result.error) == (None, "connection refused")
    assert result.describe() == "connection refused"


def test_no_answer_within_the_timeout_is_timed_out(http_server):
    server = http_server(delay=10.0)

    result = probe_once(server.url, timeout=0.2)

    assert (result.status, result.error) == (None, "timed out after 0.2s")


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 whose certificate no CA signed."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: cannot make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_an_untrusted_certificate_is_named_as_a_tls_failure(self_signed_server):
    result = probe_once(self_signed_server + "/health")

    assert result.status is None
    assert result.error is not None and result.error.startswith("TLS: certificate verify failed (self")


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (httpx.ConnectTimeout("x"), "timed out after 5s"),
        (httpx.ReadTimeout("x"), "timed out after 5s"),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "connection closed without an answer",
        ),
    ],
)
def test_failures_are_named_in_words(failure, words):
    assert describe_failure(failure, 5.0) == words


def test_a_name_that_does_not_resolve_is_named_as_dns():
    failure = httpx.ConnectError("x")
    failure.__context__ = socket.gaierror(-2, "Name or service not known")

    assert describe_failure(failure, 5.0) == "DNS: host not found"

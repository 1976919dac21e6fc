"""`python -m sandbox serve` also serves the Statsig emulator when the stack file has
`stagefleet:featureFlags` (or --statsig is given): its URL is always on stdout line 3."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
RAILWAY = """
config:
  stagefleet:railway:
    projectId: 0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01
    projectName: gatewayz
"""
SUPABASE = """
  stagefleet:supabase:
    organizationSlug: gatewayz
"""
FLAGS = """
  stagefleet:featureFlags:
    - name: Checkout v2
      owner: alice@gatewayz.ai
      enabledFor: [alice@gatewayz.ai]
"""


def read_line(proc: subprocess.Popen[bytes], timeout: float = START_TIMEOUT) -> str:
    """The next stdout line ("" at end of output), waiting at most `timeout` seconds."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"no output within {timeout}s")
    return proc.stdout.readline().decode().rstrip("\n")


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []

    def run(stack: str, *extra: str) -> subprocess.Popen[bytes]:
        stack_file = tmp_path / "Pulumi.sandbox.yaml"
        stack_file.write_text(stack)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sandbox",
                "serve",
                "--stack-file",
                str(stack_file),
                "--port",
                "0",
                "--token",
                "sandbox-token",
                "--lifetime",
                "60",
                *extra,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        procs.append(proc)
        return proc

    yield run
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(STOP_TIMEOUT)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_serve_prints_the_statsig_url_on_line_three_with_supabase(start):
    proc = start(RAILWAY + SUPABASE + FLAGS)

    railway, supabase, statsig = read_line(proc), read_line(proc), read_line(proc)

    assert railway.endswith("/graphql/v2") and supabase.startswith("http://127.0.0.1:")
    assert statsig.startswith("http://127.0.0.1:") and statsig.count("/") == 2 and statsig != supabase


def test_serve_leaves_line_two_empty_when_only_statsig_is_served(start):
    proc = start(RAILWAY + FLAGS)

    railway, blank, statsig = read_line(proc), read_line(proc), read_line(proc)

    assert railway.endswith("/graphql/v2") and blank == "" and statsig.startswith("http://127.0.0.1:")


def test_serve_accepts_the_token_as_statsig_api_key(start):
    proc = start(RAILWAY + FLAGS)
    read_line(proc), read_line(proc)
    url = read_line(proc)

    response = httpx.post(
        f"{url}/console/v1/gates",
        json={"name": "Checkout v2"},
        headers={"STATSIG-API-KEY": "sandbox-token", "STATSIG-API-VERSION": "20240601"},
        timeout=10,
    )

    assert response.status_code == 201 and response.json()["data"]["id"] == "checkout_v2"


def test_serve_uses_the_statsig_key_option_when_given(start):
    proc = start(RAILWAY + FLAGS, "--statsig-key", "console-sandbox")
    read_line(proc), read_line(proc)
    url = read_line(proc)

    def status(key: str) -> int:
        return httpx.get(f"{url}/console/v1/gates", headers={"STATSIG-API-KEY": key}, timeout=10).status_code

    assert (status("console-sandbox"), status("sandbox-token")) == (200, 401)


def test_serve_with_the_statsig_flag_starts_it_without_feature_flags(start):
    proc = start(RAILWAY, "--statsig")
    read_line(proc), read_line(proc)
    url = read_line(proc)

    response = httpx.get(f"{url}/console/v1/gates", headers={"STATSIG-API-KEY": "sandbox-token"}, timeout=10)

    assert response.status_code == 200 and response.json()["data"] == []


def test_serve_without_feature_flags_does_not_start_statsig(start):
    proc = start(RAILWAY + SUPABASE)
    read_line(proc), read_line(proc)

    proc.send_signal(signal.SIGTERM)

    assert proc.wait(STOP_TIMEOUT) == 0
    assert read_line(proc) == ""


def test_serve_stops_statsig_on_sigterm(start):
    proc = start(RAILWAY + FLAGS)
    read_line(proc), read_line(proc)
    url = read_line(proc)

    proc.send_signal(signal.SIGTERM)

    assert proc.wait(STOP_TIMEOUT) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/console/v1/gates", timeout=2)

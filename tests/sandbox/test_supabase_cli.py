"""`python -m sandbox serve` also serves the Supabase emulator when asked: URL on stdout line 2."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
from collections.abc import Iterator
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
    region: us-east-1
    instanceSize: micro
"""


def read_line(proc: subprocess.Popen[bytes], timeout: float = START_TIMEOUT) -> str:
    """The next stdout line ("" at end of output), waiting at most `timeout` seconds.

    stdout is unbuffered (bufsize=0), so readline takes exactly one line off the pipe and a
    second line is still there for select() to see."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"no output within {timeout}s")
    return proc.stdout.readline().decode().strip()


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
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


def test_serve_prints_both_urls_when_the_stack_file_has_a_supabase_block(start):
    proc = start(RAILWAY + SUPABASE)

    railway_url, supabase_url = read_line(proc), read_line(proc)

    assert railway_url.startswith("http://127.0.0.1:") and railway_url.endswith("/graphql/v2")
    assert supabase_url.startswith("http://127.0.0.1:") and supabase_url.count("/") == 2


def test_serve_seeds_the_organization_and_accepts_the_token(start):
    proc = start(RAILWAY + SUPABASE)
    read_line(proc)
    url = read_line(proc)

    response = httpx.get(f"{url}/v1/organizations", headers={"Authorization": "Bearer sandbox-token"}, timeout=10)

    assert response.json() == [{"id": "gatewayz", "slug": "gatewayz", "name": "gatewayz"}]


def test_serve_creates_projects_in_the_seeded_organization(start):
    proc = start(RAILWAY + SUPABASE, "--supabase-token", "sbp_sandbox")
    read_line(proc)
    url = read_line(proc)

    response = httpx.post(
        f"{url}/v1/projects",
        json={"name": "p", "organization_slug": "gatewayz", "db_pass": "pw-1234"},
        headers={"Authorization": "Bearer sbp_sandbox"},
        timeout=10,
    )

    assert response.status_code == 201 and response.json()["status"] == "COMING_UP"


def test_serve_without_a_supabase_block_leaves_line_two_empty(start):
    proc = start(RAILWAY)
    assert read_line(proc).endswith("/graphql/v2")

    proc.send_signal(signal.SIGTERM)

    assert proc.wait(STOP_TIMEOUT) == 0
    assert read_line(proc) == ""


def test_serve_with_the_supabase_flag_starts_it_without_a_block(start):
    proc = start(RAILWAY, "--supabase", "--supabase-organization", "acme")
    read_line(proc)
    url = read_line(proc)

    response = httpx.get(f"{url}/v1/organizations/acme", headers={"Authorization": "Bearer sandbox-token"}, timeout=10)

    assert response.status_code == 200 and response.json()["name"] == "acme"


def test_serve_stops_both_on_sigterm(start):
    proc = start(RAILWAY + SUPABASE)
    read_line(proc)
    url = read_line(proc)

    proc.send_signal(signal.SIGTERM)

    assert proc.wait(STOP_TIMEOUT) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v1/projects", timeout=2)


def test_serve_rejects_a_supabase_block_without_organization_slug(tmp_path):
    stack_file = tmp_path / "Pulumi.bad.yaml"
    stack_file.write_text(RAILWAY + "  stagefleet:supabase:\n    region: us-east-1\n")

    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "serve", "--stack-file", str(stack_file), "--port", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=STOP_TIMEOUT * 2,
    )

    assert done.returncode == 2
    assert "stagefleet:supabase.organizationSlug" in done.stderr

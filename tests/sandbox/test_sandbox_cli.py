"""`python -m sandbox serve` seeds from a stack file, answers, prints its URLs (the Railway edge
on line 4), and stops on SIGTERM."""

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
PROJECT_ID = "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01"
BASE_ID = "7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10"
API_ID = "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60"
WEB_ID = "9a7c5e3b-1d2f-4a6b-8c0e-3f5a7b9d1e20"

STACK = f"""
config:
  stagefleet:railway:
    projectId: {PROJECT_ID}
    projectName: gatewayz
    baseEnvironment: staging-template
    baseEnvironmentId: {BASE_ID}
    services:
      - name: api
        id: {API_ID}
        repository: gatewayz/gatewayz-backend
        healthcheckPath: /health
        port: 8000
      - name: web
        id: {WEB_ID}
        repository: gatewayz/gatewayz-frontend
        rootDirectory: apps/web
        port: 3000
  stagefleet:environments:
    - name: main
      kind: shared
      branch: main
"""
PROJECT = """
query ProjectPrSettings($id: String!) {
  project(id: $id) {
    id name baseEnvironmentId baseEnvironment { id name }
    services { edges { node { id name } } }
  }
}"""


def read_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    """The next stdout line, waiting at most `timeout` seconds.

    stdout is unbuffered (bufsize=0), so readline takes exactly one line off the pipe and a
    following select still sees the lines after it."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"no output within {timeout}s")
    return proc.stdout.readline().decode().strip()


FORK = """
mutation EnvironmentCreate($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id } }"""
DEPLOY = """
mutation ServiceInstanceDeployV2($environmentId: String!, $serviceId: String!) {
  serviceInstanceDeployV2(environmentId: $environmentId, serviceId: $serviceId)
}"""
DEPLOYMENT = "query Deployment($id: String!) { deployment(id: $id) { id status } }"
DOMAIN_CREATE = """
mutation ServiceDomainCreate($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { domain } }"""


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Starts `serve` on the STACK file with extra arguments; every process is ended after the test."""
    stack_file = tmp_path / "Pulumi.sandbox.yaml"
    stack_file.write_text(STACK)
    procs: list[subprocess.Popen[bytes]] = []

    def run(*extra: str) -> subprocess.Popen[bytes]:
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


@pytest.fixture
def served(start: Callable[..., subprocess.Popen[bytes]]) -> tuple[subprocess.Popen[bytes], str]:
    proc = start()
    return proc, read_line(proc, START_TIMEOUT)


def read_urls(proc: subprocess.Popen[bytes]) -> list[str]:
    """The four URL lines: Railway, Supabase, Statsig, the Railway edge."""
    return [read_line(proc, START_TIMEOUT) for _ in range(4)]


def graphql(url: str, query: str, variables: dict) -> dict:
    response = httpx.post(
        url,
        json={"query": query, "variables": variables},
        headers={"Authorization": "Bearer sandbox-token"},
        timeout=10,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_serve_prints_a_loopback_graphql_url(served):
    _, url = served

    assert url.startswith("http://127.0.0.1:") and url.endswith("/graphql/v2")


def test_serve_seeds_the_stack_file_project_with_its_fixed_ids(served):
    _, url = served

    response = httpx.post(
        f"{url}?source=stagefleet",
        json={"query": PROJECT, "variables": {"id": PROJECT_ID}},
        headers={"Authorization": "Bearer sandbox-token"},
        timeout=10,
    )

    project = response.json()["data"]["project"]
    assert project["name"] == "gatewayz"
    assert project["baseEnvironment"] == {"id": BASE_ID, "name": "staging-template"}
    assert {e["node"]["name"]: e["node"]["id"] for e in project["services"]["edges"]} == {"api": API_ID, "web": WEB_ID}


def test_serve_accepts_only_the_given_token(served):
    _, url = served

    response = httpx.post(
        url,
        json={"query": PROJECT, "variables": {"id": PROJECT_ID}},
        headers={"Authorization": "Bearer other"},
        timeout=10,
    )

    assert response.json() == {"errors": [{"message": "Not Authorized"}], "data": None}


def test_serve_stops_on_sigterm(served):
    proc, url = served

    proc.send_signal(signal.SIGTERM)

    assert proc.wait(STOP_TIMEOUT) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.post(url, json={"query": "{ __typename }"}, timeout=2)


def test_serve_rejects_a_stack_file_without_railway_block(tmp_path):
    stack_file = tmp_path / "Pulumi.bad.yaml"
    stack_file.write_text("config:\n  stagefleet:environments: []\n")

    done = subprocess.run(
        [sys.executable, "-m", "sandbox", "serve", "--stack-file", str(stack_file), "--port", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=STOP_TIMEOUT * 2,
    )

    assert done.returncode == 2
    assert "stagefleet:railway" in done.stderr


def test_serve_prints_the_edge_url_on_line_four_after_empty_lines_for_what_is_not_served(start):
    railway, supabase, statsig, edge = read_urls(start())

    assert railway.endswith("/graphql/v2") and (supabase, statsig) == ("", "")
    assert edge.startswith("http://127.0.0.1:") and edge.count("/") == 2 and not railway.startswith(edge)


def test_serve_edge_answers_the_seeded_health_path_of_a_deployed_domain(start):
    railway, _, _, edge = read_urls(start("--build-seconds", "0", "--deploy-seconds", "0"))
    fork = {"projectId": PROJECT_ID, "name": "staging-dev1-alice", "sourceEnvironmentId": BASE_ID}
    environment_id = graphql(railway, FORK, {"input": fork})["environmentCreate"]["id"]  # deploys every service
    domain = graphql(railway, DOMAIN_CREATE, {"input": {"environmentId": environment_id, "serviceId": API_ID}})

    response = httpx.get(f"{edge}/health", headers={"Host": domain["serviceDomainCreate"]["domain"]}, timeout=10)

    assert (response.status_code, response.json()["status"]) == (200, "ok")


def test_serve_build_seconds_set_how_long_a_deployment_builds(start):
    railway, _, _, _ = read_urls(start("--build-seconds", "600"))

    deployment_id = graphql(railway, DEPLOY, {"environmentId": BASE_ID, "serviceId": API_ID})["serviceInstanceDeployV2"]

    assert graphql(railway, DEPLOYMENT, {"id": deployment_id})["deployment"]["status"] == "BUILDING"


def test_serve_rejects_negative_deploy_seconds(tmp_path):
    stack_file = tmp_path / "Pulumi.sandbox.yaml"
    stack_file.write_text(STACK)

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--stack-file",
            str(stack_file),
            "--port",
            "0",
            "--deploy-seconds",
            "-1",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=STOP_TIMEOUT * 2,
    )

    assert done.returncode == 2 and "--deploy-seconds" in done.stderr

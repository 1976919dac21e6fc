"""What the `fleet status` tests share: fakes of Railway and of the services' edge for the unit
tests, and a seeded Railway sandbox with its edge for the integration tests (fixtures in
conftest.py).

The fakes move on counts, not on time: a fake deployment changes status after so many API calls,
a fake edge starts answering after so many probes. Every server runs on 127.0.0.1 with an
ephemeral port and is stopped by whoever started it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fleet.watch import ServiceTarget, StackTargets
from providers.railway.client import DeploymentInfo, RailwayClient
from providers.settings import RailwaySettings
from sandbox.railway import DeployTiming, RailwaySandbox, SeedResult

PROJECT_ID = "project-1"
CREATED = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)
COMMIT = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


def deployment(
    deployment_id: str, status: str, *, service_id: str = "svc-api", environment_id: str = "env-main"
) -> DeploymentInfo:
    return DeploymentInfo(
        id=deployment_id,
        status=status,
        environment_id=environment_id,
        service_id=service_id,
        created_at=CREATED,
        status_updated_at=CREATED,
        branch="main",
        commit_hash=COMMIT,
        commit_message="Add search",
        static_url=None,
    )


def target(
    service: str = "api",
    *,
    environment: str = "main",
    url: str | None = "https://main-api.up.railway.app",
    healthcheck_path: str | None = "/health",
) -> ServiceTarget:
    return ServiceTarget(
        environment=environment,
        environment_id=f"env-{environment}",
        service=service,
        service_id=f"svc-{service}",
        url=url,
        healthcheck_path=healthcheck_path,
        sleeps_when_idle=False,
    )


def stack(*targets: ServiceTarget) -> StackTargets:
    return StackTargets(stack="staging", project_id=PROJECT_ID, services=tuple(targets))


Answer = Mapping[str, DeploymentInfo | None] | None | Exception


@dataclass
class FakeRailway:
    """Answers `latest_deployments` from a script per environment: the n-th call gets the n-th
    answer (the last one repeats); an Exception is raised. `journal` holds every event of the
    test in order (shared with FakeEdge)."""

    script: dict[str, list[Answer]]
    journal: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    on_call: Callable[[str, int], None] | None = None
    closed: int = 0

    def __call__(self) -> FakeRailway:  # the factory Watch calls once per environment
        return self

    def latest_deployments(self, environment_id: str) -> Mapping[str, DeploymentInfo | None] | None:
        number = self.calls.get(environment_id, 0)
        self.calls[environment_id] = number + 1
        if self.on_call is not None:
            self.on_call(environment_id, number)
        answers = self.script[environment_id]
        answer = answers[min(number, len(answers) - 1)]
        status = (
            "error"
            if isinstance(answer, Exception)
            else "gone"
            if answer is None
            else ",".join(f"{d.status}" if d else "none" for d in answer.values())
        )
        self.journal.append(f"api {environment_id}: {status}")
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        self.closed += 1


@dataclass
class FakeEdge:
    """Answers probes per host from a list of statuses: the n-th probe gets the n-th (the last one
    repeats); an int is an HTTP status, an httpx exception class is raised."""

    answers: dict[str, Sequence[int | type[Exception]]]
    journal: list[str] = field(default_factory=list)
    probes: dict[str, int] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        number = self.probes.get(host, 0)
        self.probes[host] = number + 1
        self.requests.append(request)
        answers = self.answers[host]
        answer = answers[min(number, len(answers) - 1)]
        self.journal.append(f"probe {host}: {answer if isinstance(answer, int) else answer.__name__}")
        if isinstance(answer, int):
            return httpx.Response(answer)
        raise answer("fake", request=request)


class Server:
    """A plain HTTP server on 127.0.0.1 (ephemeral port) that records each request's Host header
    and path and answers `status`; for probe and --connect-to tests."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        owner = self
        self.seen: list[tuple[str, str]] = []
        self.status, self.delay = status, delay
        self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.seen.append((self.headers.get("Host", ""), self.path))
                if owner.delay:
                    owner.release.wait(owner.delay)
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> Server:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


# --- the real Railway sandbox and its edge --------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
# Looks like no real token, so no scanner mistakes it for one; the tests look for it in the output.
SANDBOX_TOKEN = "rw-status-test-token-0b9e71c4"
# Short phases: a deployment is SUCCESS 0.6 s after it starts.
QUICK_DEPLOYS = DeployTiming(queued=0.0, building=0.3, deploying=0.3)
# The services of the sandbox project: api has a healthcheck path, web answers on /, worker has
# no public domain.
SERVICES = (
    {"name": "api", "repository": "gatewayz/gatewayz-backend", "healthcheckPath": "/health"},
    {"name": "web", "repository": "gatewayz/gatewayz-frontend"},
    {"name": "worker", "repository": "gatewayz/gatewayz-backend"},
)
WITH_DOMAIN = ("api", "web")


@dataclass
class SandboxFleet:
    """A seeded sandbox project, the environments a test made in it through the providers'
    RailwayClient (fork, domains, one deployment per service, as `pulumi up` does), and the
    stack outputs they would export."""

    sandbox: RailwaySandbox
    seed: SeedResult
    directory: Path
    exported: dict[str, Any] = field(default_factory=dict)

    def client(self) -> RailwayClient:
        return RailwayClient(RailwaySettings(token=SANDBOX_TOKEN, api_url=self.sandbox.url))

    def add_environment(self, name: str, *, sleeps_when_idle: bool = False) -> str:
        """Fork `staging-<name>`, give api and web a domain, deploy every service; returns the
        Railway environment id."""
        with self.client() as railway:
            environment = railway.create_environment(
                project_id=self.seed.project_id,
                name=f"staging-{name}",
                source_environment_id=self.seed.base_environment_id,
            )
            services: dict[str, Any] = {}
            for spec in SERVICES:
                service_id = self.seed.service_ids[spec["name"]]
                url = None
                if spec["name"] in WITH_DOMAIN:
                    domain = railway.create_service_domain(
                        project_id=self.seed.project_id, environment_id=environment.id, service_id=service_id
                    )
                    url = f"https://{domain.domain}"
                deployment_id = railway.deploy_service(environment_id=environment.id, service_id=service_id)
                services[spec["name"]] = {
                    "serviceId": service_id,
                    "url": url,
                    "healthcheckPath": spec.get("healthcheckPath"),
                    "deploymentId": deployment_id,
                }
        self.exported[name] = {
            "kind": "team",
            "railwayEnvironmentId": environment.id,
            "railwayEnvironmentName": environment.name,
            "urls": {service: entry["url"] for service, entry in services.items() if entry["url"]},
            "services": services,
            "sleepsWhenIdle": sleeps_when_idle,
        }
        return environment.id

    def service_id(self, name: str) -> str:
        return self.seed.service_ids[name]

    def outputs(self) -> Path:
        """The stack outputs as `pulumi stack output --json` prints them."""
        path = self.directory / "outputs.json"
        document = {
            "environments": self.exported,
            "railwayProjectId": self.seed.project_id,
            "accessTokens": "[secret]",
            "catalog": "...",
        }
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    def status_command(self, *args: str, deadline: float = 20.0, wait: bool = True) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "fleet",
            "status",
            "--stack",
            "sandbox",
            "--outputs",
            str(self.outputs()),
            "--deadline",
            f"{deadline:g}",
            "--connect-to",
            f"up.railway.app={self.sandbox.edge_url}",
            *args,
        ]
        return command + (["--wait"] if wait else [])

    def environ(self, token: str = SANDBOX_TOKEN) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if k not in ("RAILWAY_API_TOKEN", "STAGEFLEET_CONNECT_TO")}
        return {
            **base,
            "PYTHONPATH": str(REPO),
            "PYTHONIOENCODING": "utf-8",
            "RAILWAY_API_TOKEN": token,
            "RAILWAY_API_URL": self.sandbox.url,
        }

    def status(
        self, *args: str, deadline: float = 20.0, wait: bool = True, token: str = SANDBOX_TOKEN
    ) -> subprocess.CompletedProcess[str]:
        """`python -m fleet status` as CI runs it: a process, output piped."""
        return subprocess.run(
            self.status_command(*args, deadline=deadline, wait=wait),
            cwd=self.directory,
            env=self.environ(token),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=deadline + 60,
        )

    def api_requests(self, environment_id: str) -> list[float]:
        """When each EnvironmentDeployments request for the environment arrived (sandbox clock)."""
        return [
            entry.at
            for entry in self.sandbox.journal
            if entry.operation_name == "EnvironmentDeployments" and entry.variables.get("id") == environment_id
        ]

    def wait_for_status(self, environment_id: str, service: str, wanted: str, timeout: float = 20.0) -> None:
        """Until the sandbox says the service's latest deployment has `wanted` status (bounded)."""
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            found = self.sandbox.deployments(environment_id=environment_id, service_id=self.service_id(service))
            if found and found[-1]["status"] == wanted:
                return
            time.sleep(0.05)
        raise AssertionError(f"{service} in {environment_id} never became {wanted}")

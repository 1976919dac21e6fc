"""`python -m fleet status --wait` against the Railway sandbox and its edge, as CI runs it: a
process reading the stack outputs, RAILWAY_API_TOKEN and RAILWAY_API_URL from its environment,
probing the services' *.up.railway.app domains through --connect-to."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time

import pytest

from sandbox.railway import DeployTiming, RailwaySandbox
from tests.status.support import SANDBOX_TOKEN, SERVICES, SandboxFleet


def test_a_healthy_fleet_exits_0(sandbox_fleet):
    sandbox_fleet.add_environment("main")
    sandbox_fleet.add_environment("dev1-alice")

    result = sandbox_fleet.status("--format", "json")

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"] == {"healthy": 6, "failed": 0, "waiting": 0}
    api = document["environments"]["main"]["services"]["api"]
    assert (api["status"], api["probe"]["status"], api["verdict"]) == ("SUCCESS", 200, "healthy")
    assert api["url"].endswith(".up.railway.app")


def test_the_json_dates_when_this_run_first_saw_each_service_healthy(sandbox_fleet):
    sandbox_fleet.add_environment("main")
    started = dt.datetime.now(dt.UTC)

    result = sandbox_fleet.status("--format", "json")

    ended = dt.datetime.now(dt.UTC)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["environments"]["main"]["services"]
    for name, service in services.items():
        assert service["healthyAt"].endswith("Z"), name  # UTC
        assert started <= dt.datetime.fromisoformat(service["healthyAt"]) <= ended, name


def test_the_probe_asks_the_healthcheck_path_with_the_service_domain_as_host(sandbox_fleet):
    sandbox_fleet.add_environment("main")

    sandbox_fleet.status()

    hosts = {entry.key: entry.path for entry in sandbox_fleet.sandbox.edge_journal}
    urls = sandbox_fleet.exported["main"]["urls"]
    assert hosts == {urls["api"].removeprefix("https://"): "/health", urls["web"].removeprefix("https://"): "/"}


def test_a_failed_build_exits_1_naming_the_service_and_its_logs(sandbox_fleet):
    sandbox_fleet.sandbox.plan_outcome(service_id=sandbox_fleet.service_id("api"), outcome="FAILED")
    environment_id = sandbox_fleet.add_environment("main")

    result = sandbox_fleet.status("--format", "table")

    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("  main/api:")]
    deployment_id = sandbox_fleet.exported["main"]["services"]["api"]["deploymentId"]
    assert line.startswith("  main/api: failed — FAILED, ")
    assert line.endswith(
        f"; logs: https://railway.com/project/{sandbox_fleet.seed.project_id}/service/"
        f"{sandbox_fleet.service_id('api')}?environmentId={environment_id}&id={deployment_id}"
    )
    listing = result.stderr[result.stderr.index("error: ") :].splitlines()
    assert [line.split(":")[0] for line in listing] == ["error", "  main/api"]  # the others are healthy


def test_a_crashed_deployment_exits_1_naming_the_service(sandbox_fleet):
    sandbox_fleet.sandbox.plan_outcome(service_id=sandbox_fleet.service_id("web"), outcome="CRASHED")
    sandbox_fleet.add_environment("main")

    result = sandbox_fleet.status("--format", "json")

    assert result.returncode == 1
    web = json.loads(result.stdout)["environments"]["main"]["services"]["web"]
    assert (web["verdict"], web["status"]) == ("failed", "CRASHED")
    assert "  main/web: failed — CRASHED, " in result.stderr


def test_a_crash_after_success_fails_the_next_look(sandbox_fleet):
    environment_id = sandbox_fleet.add_environment("main")
    sandbox_fleet.wait_for_status(environment_id, "api", "SUCCESS")
    sandbox_fleet.sandbox.crash(sandbox_fleet.exported["main"]["services"]["api"]["deploymentId"])

    result = sandbox_fleet.status("--format", "json", wait=False)

    assert result.returncode == 1
    api = json.loads(result.stdout)["environments"]["main"]["services"]["api"]
    assert (api["verdict"], api["status"], api["probe"]["status"]) == ("failed", "CRASHED", 502)


def test_a_5xx_until_the_deadline_exits_1_with_the_last_answer(sandbox_fleet):
    environment_id = sandbox_fleet.add_environment("main")
    sandbox_fleet.sandbox.set_health(environment_id, sandbox_fleet.service_id("api"), status=503)

    result = sandbox_fleet.status("--format", "json", deadline=3)

    assert result.returncode == 1
    api = json.loads(result.stdout)["environments"]["main"]["services"]["api"]
    assert (api["verdict"], api["status"], api["probe"]["status"]) == ("waiting", "SUCCESS", 503)
    assert "error: stack sandbox: 2 of 3 services healthy; 1 waiting after waiting 3s:" in result.stderr
    assert "  main/api: waiting — SUCCESS, " in result.stderr and ", 503 in " in result.stderr


def test_nothing_answering_before_the_deadline_exits_1(sandbox_fleet):
    sandbox_fleet.sandbox.deploy_timing = DeployTiming(building=120.0, deploying=1.0)
    sandbox_fleet.add_environment("main")

    result = sandbox_fleet.status("--format", "json", deadline=2)

    assert result.returncode == 1
    services = json.loads(result.stdout)["environments"]["main"]["services"]
    assert {name: (s["verdict"], s["status"]) for name, s in services.items()} == {
        "api": ("waiting", "BUILDING"),
        "web": ("waiting", "BUILDING"),
        "worker": ("waiting", "BUILDING"),
    }
    # The edge has nothing to route to yet.
    assert services["api"]["probe"]["status"] == 404


def test_a_sleeping_service_counts_as_healthy_and_the_probe_wakes_it(sandbox_fleet):
    environment_id = sandbox_fleet.add_environment("dev1-alice", sleeps_when_idle=True)
    sandbox_fleet.wait_for_status(environment_id, "api", "SUCCESS")
    sandbox_fleet.sandbox.sleep(environment_id, sandbox_fleet.service_id("api"))

    result = sandbox_fleet.status("--format", "json", wait=False)

    assert result.returncode == 0, result.stderr
    api = json.loads(result.stdout)["environments"]["dev1-alice"]["services"]["api"]
    assert (api["verdict"], api["status"], api["probe"]["status"]) == ("healthy", "SLEEPING", 200)
    sandbox_fleet.wait_for_status(environment_id, "api", "SUCCESS")  # woken by the probe


def test_railway_requests_stay_within_one_per_service_per_2s(sandbox_fleet):
    # Waiting the whole deadline on a service that never answers 2xx: the longest run of polls.
    main = sandbox_fleet.add_environment("main")
    alice = sandbox_fleet.add_environment("dev1-alice")
    sandbox_fleet.sandbox.set_health(main, sandbox_fleet.service_id("api"), status=500)
    sandbox_fleet.sandbox.journal_clear()

    result = sandbox_fleet.status(deadline=6)

    assert result.returncode == 1
    operations = {entry.operation_name for entry in sandbox_fleet.sandbox.journal}
    assert operations == {"EnvironmentDeployments"}  # one request answers for every service
    for environment_id in (main, alice):
        arrivals = sandbox_fleet.api_requests(environment_id)
        span = arrivals[-1] - arrivals[0]
        # The bucket: 2 at once, then 1 per 2 s, per environment of 3 services.
        assert len(arrivals) <= 2 + span / 2
        assert len(arrivals) / len(SERVICES) <= 1 + span / 2 / len(SERVICES)


def test_no_line_of_output_contains_the_token(sandbox_fleet):
    # Every kind of output: a table with a failure and its logs, a JSON document, the progress
    # lines, and the error of a token Railway rejects.
    sandbox_fleet.add_environment("main")
    sandbox_fleet.sandbox.plan_outcome(service_id=sandbox_fleet.service_id("api"), outcome="FAILED")
    sandbox_fleet.add_environment("dev1-alice")

    runs = [
        sandbox_fleet.status("--format", "table", deadline=4),
        sandbox_fleet.status("--format", "json", wait=False),
        sandbox_fleet.status("--format", "markdown", wait=False, token="rw-status-wrong-token-93f1d0"),
    ]

    assert [run.returncode for run in runs] == [1, 1, 2]
    assert "Railway rejected the API token" in runs[2].stderr
    for run, token in zip(runs, [SANDBOX_TOKEN, SANDBOX_TOKEN, "rw-status-wrong-token-93f1d0"], strict=True):
        for line in (run.stdout + run.stderr).splitlines():
            assert token not in line


# --- the early signal, on the sandbox's own clock -------------------------------------------------


class FrozenClock:
    """The sandbox's clock: deployments move only when the test advances it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def frozen_fleet(tmp_path):
    clock = FrozenClock()
    with RailwaySandbox(tokens={SANDBOX_TOKEN}, lifetime=120, clock=clock) as sandbox:
        sandbox.deploy_timing = DeployTiming(queued=1.0, building=10.0, deploying=5.0)
        seed = sandbox.seed_project(name="gatewayz", base_environment="staging-template", services=SERVICES)
        sandbox.journal_clear()
        yield SandboxFleet(sandbox=sandbox, seed=seed, directory=tmp_path), clock


def wait_until(condition, timeout: float = 20.0) -> None:
    give_up = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < give_up, "the status process never got there"
        time.sleep(0.02)


def test_a_first_deployment_that_starts_answering_is_confirmed_with_railway_at_once(frozen_fleet):
    fleet, clock = frozen_fleet
    environment_id = fleet.add_environment("main")
    process = subprocess.Popen(
        fleet.status_command("--format", "json", deadline=30),
        cwd=fleet.directory,
        env=fleet.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        # Railway said BUILDING and the edge answered 404: now every deployment succeeds at once.
        wait_until(lambda: fleet.api_requests(environment_id) and fleet.sandbox.edge_journal)
        clock.now += 16.0
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()

    assert process.returncode == 0, stderr
    # The first request, then the one the first 2xx at the edge asked for, which answered for
    # every service of the environment (the worker has no URL: only Railway could say it is up).
    assert len(fleet.api_requests(environment_id)) == 2
    first_answer = min(entry.at for entry in fleet.sandbox.edge_journal if entry.status == 200)
    assert fleet.api_requests(environment_id)[-1] > first_answer
    assert json.loads(stdout)["summary"] == {"healthy": 3, "failed": 0, "waiting": 0}


def test_the_connect_to_rule_may_come_from_the_environment(sandbox_fleet):
    sandbox_fleet.add_environment("main")
    command = [
        part for part in sandbox_fleet.status_command("--format", "json") if not part.startswith("up.railway.app=")
    ]
    command.remove("--connect-to")
    env = {**sandbox_fleet.environ(), "STAGEFLEET_CONNECT_TO": f"up.railway.app={sandbox_fleet.sandbox.edge_url}"}

    result = subprocess.run(command, cwd=sandbox_fleet.directory, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["healthy"] is True

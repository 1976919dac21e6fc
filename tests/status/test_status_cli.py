"""`python -m fleet status`: its options, its usage errors (exit 2), what goes to stdout and stderr,
and its exit code; run as CI runs it (a process) or in-process with fakes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fleet import status
from tests.status.support import FakeEdge, FakeRailway, deployment

REPO = Path(__file__).resolve().parents[2]

OUTPUTS = {
    "railwayProjectId": "project-1",
    "environments": {
        "main": {
            "kind": "shared",
            "railwayEnvironmentId": "env-main",
            "urls": {"api": "https://main-api.up.railway.app"},
            "services": {
                "api": {
                    "serviceId": "svc-api",
                    "url": "https://main-api.up.railway.app",
                    "healthcheckPath": "/health",
                    "deploymentId": "d1",
                },
                "worker": {"serviceId": "svc-worker", "url": None, "healthcheckPath": None, "deploymentId": "d2"},
            },
            "sleepsWhenIdle": False,
        }
    },
    "accessTokens": "[secret]",
}


def fleet(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("RAILWAY_API_TOKEN", "RAILWAY_API_URL")}
    return subprocess.run(
        [sys.executable, "-m", "fleet", *args],
        cwd=cwd,
        env={**base, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8", **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(OUTPUTS), encoding="utf-8")
    return path


def test_without_outputs_or_the_pulumi_cli_it_says_to_pass_outputs(tmp_path):
    result = fleet(tmp_path, "status", "--stack", "staging", env={"PATH": str(tmp_path), "RAILWAY_API_TOKEN": "t"})

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: the pulumi CLI is not on PATH: pass --outputs FILE, the output of "
        "`pulumi stack output --json --stack staging`\n"
    )


def test_a_missing_outputs_file_is_a_usage_error(tmp_path):
    result = fleet(tmp_path, "status", "--stack", "staging", "--outputs", "outputs.json")

    assert (result.returncode, result.stderr) == (2, "error: outputs.json: no such file\n")


def test_outputs_without_the_services_export_say_to_run_pulumi_up_first(tmp_path):
    old = {"railwayProjectId": "p", "environments": {"main": {"railwayEnvironmentId": "e", "urls": {}}}}
    (tmp_path / "outputs.json").write_text(json.dumps(old), encoding="utf-8")

    result = fleet(tmp_path, "status", "--stack", "staging", "--outputs", "outputs.json")

    assert result.returncode == 2
    assert result.stderr == (
        "error: not the outputs of a stagefleet stack deployed with `fleet status` support "
        "(environments.main.services: field required); run `pulumi up` with this version of the program first\n"
    )


def test_without_a_token_it_says_where_the_token_comes_from(outputs_file):
    result = fleet(outputs_file.parent, "status", "--stack", "staging", "--outputs", "outputs.json")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: the Railway API token is not set: export RAILWAY_API_TOKEN (an account or workspace token; "
        "RAILWAY_API_URL too, for the sandbox)\n"
    )


def test_a_railway_plan_that_is_no_plan_names_the_variable(outputs_file):
    env = {"RAILWAY_API_TOKEN": "t", "STAGEFLEET_RAILWAY_PLAN": "team"}
    result = fleet(outputs_file.parent, "status", "--stack", "staging", "--outputs", "outputs.json", env=env)

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: Railway plan in the environment variable `STAGEFLEET_RAILWAY_PLAN` is not valid: "
        '"team" is not a plan: use "hobby", "pro" or {perSecond: N, perHour: N}\n'
    )


def test_a_malformed_connect_to_is_a_usage_error(outputs_file):
    result = fleet(
        outputs_file.parent,
        "status",
        "--stack",
        "staging",
        "--outputs",
        "outputs.json",
        "--connect-to",
        "up.railway.app",
        env={"RAILWAY_API_TOKEN": "t"},
    )

    assert result.returncode == 2
    assert result.stderr == (
        "error: --connect-to: expected SUFFIX=URL (e.g. up.railway.app=http://127.0.0.1:8788), got 'up.railway.app'\n"
    )


@pytest.mark.parametrize("deadline", ["0", "-5", "soon"])
def test_a_deadline_must_be_a_positive_number_of_seconds(outputs_file, deadline):
    result = fleet(
        outputs_file.parent, "status", "--stack", "staging", "--outputs", "outputs.json", "--deadline", deadline
    )

    assert result.returncode == 2
    assert f"argument --deadline: expected a number of seconds above 0, got '{deadline}'" in result.stderr


def test_the_stack_is_required(tmp_path):
    result = fleet(tmp_path, "status", "--outputs", "outputs.json")

    assert result.returncode == 2
    assert "the following arguments are required: --stack" in result.stderr


# --- in-process, against fakes ------------------------------------------------------------------


def run(outputs_file: Path, railway: FakeRailway, edge: FakeEdge, **options: Any) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = status.run(
        status.Options(stack="staging", outputs=outputs_file, **options),
        stdout=stdout,
        stderr=stderr,
        railway=railway,
        transport=edge.transport(),
    )
    return code, stdout.getvalue(), stderr.getvalue()


def healthy_railway() -> FakeRailway:
    return FakeRailway(
        {
            "env-main": [
                {
                    "svc-api": deployment("d1", "SUCCESS"),
                    "svc-worker": deployment("d2", "SUCCESS", service_id="svc-worker"),
                }
            ]
        }
    )


def test_all_healthy_exits_0_and_prints_only_the_status(outputs_file):
    code, stdout, stderr = run(
        outputs_file, healthy_railway(), FakeEdge({"main-api.up.railway.app": [200]}), format="json"
    )

    assert (code, stderr) == (0, "")
    assert json.loads(stdout)["summary"] == {"healthy": 2, "failed": 0, "waiting": 0}


def test_the_probe_goes_to_the_url_and_its_healthcheck_path(outputs_file):
    edge = FakeEdge({"main-api.up.railway.app": [200]})

    run(outputs_file, healthy_railway(), edge, format="json")

    assert [str(request.url) for request in edge.requests] == ["https://main-api.up.railway.app/health"]


def test_an_unhealthy_service_exits_1_and_is_listed_on_stderr_with_its_logs(outputs_file):
    railway = FakeRailway(
        {
            "env-main": [
                {
                    "svc-api": deployment("d1", "SUCCESS"),
                    "svc-worker": deployment("d2", "CRASHED", service_id="svc-worker"),
                }
            ]
        }
    )

    code, stdout, stderr = run(outputs_file, railway, FakeEdge({"main-api.up.railway.app": [200]}), format="markdown")

    assert code == 1
    assert stdout.startswith("#### Deployment status of `staging`: 1 of 2 services healthy; 1 failed\n")
    assert stderr == (
        "error: stack staging: 1 of 2 services healthy; 1 failed:\n"
        "  main/worker: failed — CRASHED, a1b2c3d; logs: "
        "https://railway.com/project/project-1/service/svc-worker?environmentId=env-main&id=d2\n"
    )


def test_waiting_past_the_deadline_says_how_long_it_waited(outputs_file):
    railway = FakeRailway(
        {
            "env-main": [
                {
                    "svc-api": deployment("d1", "BUILDING"),
                    "svc-worker": deployment("d2", "SUCCESS", service_id="svc-worker"),
                }
            ]
        }
    )

    code, _, stderr = run(
        outputs_file, railway, FakeEdge({"main-api.up.railway.app": [404]}), wait=True, deadline=0.3, format="table"
    )

    assert code == 1
    assert "error: stack staging: 1 of 2 services healthy; 1 waiting after waiting 0.3s:\n" in stderr
    assert "  main/api: waiting — BUILDING, a1b2c3d, 404 in " in stderr

"""What `fleet status` prints: exact text for each format, and the progress while it waits."""

from __future__ import annotations

import datetime as dt
import io

from fleet.probe import ProbeResult
from fleet.status import LiveProgress, PlainProgress, render_json, render_markdown, render_table
from fleet.watch import ServiceReport
from tests.status.support import COMMIT, CREATED, PROJECT_ID, deployment

NOW = CREATED + dt.timedelta(minutes=4, seconds=10)
LOGS = f"https://railway.com/project/{PROJECT_ID}/service/svc-worker?environmentId=env-main&id=d2"


def report(
    service: str,
    verdict: str,
    status: str | None,
    *,
    url: str | None,
    probe: ProbeResult | None,
    deployment_id: str = "d1",
    note: str | None = None,
    healthy_at: dt.datetime | None = None,
) -> ServiceReport:
    found = deployment(deployment_id, status, service_id=f"svc-{service}") if status else None
    logs = (
        f"https://railway.com/project/{PROJECT_ID}/service/svc-{service}?environmentId=env-main&id={deployment_id}"
        if found
        else None
    )
    return ServiceReport(
        environment="main",
        environment_id="env-main",
        service=service,
        service_id=f"svc-{service}",
        verdict=verdict,
        url=url,
        deployment=found,
        note=note,
        probe=probe,
        logs_url=logs,  # type: ignore[arg-type]
        healthy_at=healthy_at,
    )


REPORTS = [
    report(
        "api",
        "healthy",
        "SUCCESS",
        url="https://main-api.up.railway.app",
        probe=ProbeResult("https://main-api.up.railway.app/health", 200, 84, None, 0.0),
        healthy_at=CREATED + dt.timedelta(minutes=3, seconds=2, microseconds=250000),
    ),
    report("worker", "failed", "FAILED", url=None, probe=None, deployment_id="d2"),
    report(
        "web",
        "waiting",
        "DEPLOYING",
        url="https://main-web.up.railway.app",
        deployment_id="d3",
        probe=ProbeResult("https://main-web.up.railway.app/", None, None, "connection refused", 0.0),
    ),
]


def test_the_table_aligns_each_service_then_says_where_the_logs_of_the_unhealthy_ones_are():
    assert render_table(REPORTS, now=NOW) == (
        "environment  service  state    deployment  commit   age  URL                              health\n"
        "-----------  -------  -------  ----------  -------  ---  -------------------------------  ------------------\n"
        "main         api      healthy  SUCCESS     a1b2c3d   4m  https://main-api.up.railway.app  200 in 84 ms\n"
        "main         worker   failed   FAILED      a1b2c3d   4m  —                                no URL\n"
        "main         web      waiting  DEPLOYING   a1b2c3d   4m  https://main-web.up.railway.app  connection refused\n"
        "\n"
        "1 of 3 services healthy; 1 failed, 1 waiting.\n"
        "\n"
        f"main/worker: failed — FAILED, a1b2c3d; logs: {LOGS}\n"
        "main/web: waiting — DEPLOYING, a1b2c3d, connection refused; logs: "
        f"https://railway.com/project/{PROJECT_ID}/service/svc-web?environmentId=env-main&id=d3\n"
    )


def test_the_markdown_is_the_pull_request_comment_with_logs_for_what_is_not_healthy():
    assert render_markdown(REPORTS, stack="pr-12") == (
        "#### Deployment status of `pr-12`: 1 of 3 services healthy; 1 failed, 1 waiting\n"
        "\n"
        "|  | environment | service | deployment | commit | URL | health | logs |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        "| ✅ | main | api | SUCCESS | `a1b2c3d` | https://main-api.up.railway.app | 200 in 84 ms |  |\n"
        f"| ❌ | main | worker | FAILED | `a1b2c3d` | — | no URL | [logs]({LOGS}) |\n"
        "| ⏳ | main | web | DEPLOYING | `a1b2c3d` | https://main-web.up.railway.app | connection refused | "
        f"[logs](https://railway.com/project/{PROJECT_ID}/service/svc-web?environmentId=env-main&id=d3) |\n"
    )


def test_the_markdown_of_a_healthy_stack_says_all_are_healthy():
    assert render_markdown(REPORTS[:1], stack="staging").splitlines()[0] == (
        "#### Deployment status of `staging`: all 1 service healthy"
    )


def test_a_service_with_no_deployment_shows_why():
    waiting = report("api", "waiting", None, url=None, probe=None, note="no deployment yet")

    assert render_markdown([waiting], stack="staging").splitlines()[-1] == (
        "| ⏳ | main | api | no deployment yet | — | — | no URL |  |"
    )


def test_the_json_document_per_environment_and_service():
    assert render_json(REPORTS[:2], stack="staging") == {
        "stack": "staging",
        "healthy": False,
        "summary": {"healthy": 1, "failed": 1, "waiting": 0},
        "environments": {
            "main": {
                "railwayEnvironmentId": "env-main",
                "verdict": "failed",
                "services": {
                    "api": {
                        "serviceId": "svc-api",
                        "verdict": "healthy",
                        "status": "SUCCESS",
                        "note": None,
                        "deploymentId": "d1",
                        "commit": COMMIT,
                        "createdAt": "2026-12-04T10:00:00Z",
                        "logsUrl": f"https://railway.com/project/{PROJECT_ID}/service/svc-api?environmentId=env-main&id=d1",
                        "url": "https://main-api.up.railway.app",
                        "probe": {"status": 200, "latencyMs": 84, "error": None},
                        "healthyAt": "2026-12-04T10:03:02.250000Z",
                    },
                    "worker": {
                        "serviceId": "svc-worker",
                        "verdict": "failed",
                        "status": "FAILED",
                        "note": None,
                        "deploymentId": "d2",
                        "commit": COMMIT,
                        "createdAt": "2026-12-04T10:00:00Z",
                        "logsUrl": LOGS,
                        "url": None,
                        "probe": None,
                        "healthyAt": None,
                    },
                },
            }
        },
    }


def test_an_environment_is_waiting_while_any_service_is_and_none_failed():
    document = render_json([REPORTS[0], REPORTS[2]], stack="staging")

    assert document["environments"]["main"]["verdict"] == "waiting"


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_plain_progress_prints_one_line_per_change_with_the_time_waited():
    stream, clock = io.StringIO(), Clock()
    progress = PlainProgress(stream, clock)
    clock.now += 1.25

    progress(REPORTS, [REPORTS[2]])
    clock.now += 10
    progress(REPORTS, [REPORTS[0]])

    assert stream.getvalue() == (
        "[   1.2s] ⏳ main/web: waiting — DEPLOYING, a1b2c3d, connection refused\n"
        "[  11.2s] ✅ main/api: healthy — SUCCESS, a1b2c3d, 200 in 84 ms\n"
    )


def test_live_progress_redraws_its_lines_in_place_and_clears_them_at_the_end():
    stream, clock = io.StringIO(), Clock()
    progress = LiveProgress(stream, clock)
    clock.now += 3

    progress(REPORTS[:2], REPORTS[:1])
    progress(REPORTS[:2], REPORTS[1:2])
    progress.close()

    frame = (
        "waiting 3s: 1 of 2 services healthy; 1 failed\n"
        "  ✅ main/api: healthy — SUCCESS, a1b2c3d, 200 in 84 ms\n"
        "  ❌ main/worker: failed — FAILED, a1b2c3d\n"
    )
    # Each redraw goes back up the 3 lines drawn and clears to the end of the screen.
    assert stream.getvalue() == frame + "\x1b[3F\x1b[J" + frame + "\x1b[3F\x1b[J"

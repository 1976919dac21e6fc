"""`python -m fleet status`: is every service of a stack's environments deployed, and answering?

For each environment in the stack's `environments` output and each of its services: the latest
Railway deployment (status, commit, age, where its logs are) and an HTTP probe of the service's
public URL + healthcheck path. A service is

- healthy when its latest deployment is SUCCESS or SLEEPING (a probe wakes a sleeping service)
  and, when it has a URL, the probe answers 2xx;
- failed (for good) when its latest deployment is FAILED, CRASHED, REMOVED or SKIPPED, or its
  environment is gone;
- waiting otherwise.

One look by default; `--wait` polls until every service is healthy or failed, or the deadline
passes. Exit 0 only when every service is healthy, 1 otherwise (the failing ones listed on stderr
with their status and their logs), 2 for usage errors. The Railway token comes from
RAILWAY_API_TOKEN (RAILWAY_API_URL for the sandbox) through the providers' RailwayClient, whose
errors are already scrubbed of it; probes carry no credential.

Polling design (`--wait`), for the issue's two goals: Railway API polls at most 1 per service per
2 s on average, backing off; and a median lag of at most 0.3 s between a service becoming healthy
and this command noticing it.

- One process, one asyncio loop: a task per environment polls Railway, a task per service with a
  URL probes it. Railway requests go through the sync RailwayClient in worker threads
  (asyncio.to_thread, at most API_CONCURRENCY at once; its retries honour 429 Retry-After); probes
  through one httpx.AsyncClient.
- Railway: one `latest_deployments` request per environment answers for all its services. It is
  sent at once, then after 2 s, the pause growing x1.5 to a 10 s cap, back to 2 s when a status
  there changes. Every request of an environment also takes a token from that environment's
  bucket (1 per 2 s, burst 2), so over T seconds an environment costs at most 2 + T/2 requests,
  early confirmations included: within 1 per service per 2 s for any number of services, and far
  below it once the pause reaches its cap.
- Probes: every 0.25 s while the deployment is DEPLOYING or its status just changed (it may be
  about to answer), otherwise the pause grows x1.2 to 2 s. A status change seen by the API wakes
  the probe at once.
- A first deployment has no older deployment answering, so a probe that turns from 404/5xx/
  refused to 2xx is the early signal: the environment is polled at once (within its bucket) to
  confirm SUCCESS, and that 2xx counts. The lag is half a probe pause (about 0.13 s) plus one
  probe and one API round trip: the median goal.
- A redeploy: the old deployment answers 2xx throughout, so only the API can say the new one is
  up; when it says so, the service is probed at once and healthy on a 2xx sent after that answer.
  The lag is then bounded by the API pause (2 s right after a status change there).
- `--format json` dates the moment each service was first seen healthy (`healthyAt`, UTC), so
  the lag can be measured against when Railway says its deployment became SUCCESS
  (bench/readiness.py does).
- Every wait ends at the deadline; every probe has a timeout (5 s; 30 s in an environment that
  sleeps when idle, whose service may have to wake first), every API request the client's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fleet import tables
from fleet.janitor import JanitorInputError, read_json_file
from fleet.probe import ConnectTo, connect_to_from_env, probe_client
from fleet.watch import (
    SCHEDULE,
    Railway,
    RailwayRejected,
    Schedule,
    ServiceReport,
    ServiceTarget,
    StackTargets,
    Verdict,
    Watch,
)
from providers.railway.client import RailwayClient
from providers.settings import (
    RAILWAY_API_URL_ENV,
    RAILWAY_TOKEN_ENV,
    RAILWAY_TOKEN_KEY,
    SettingsError,
    railway_settings,
    setting,
)

__all__ = [
    "DEFAULT_DEADLINE",
    "LiveProgress",
    "Options",
    "PlainProgress",
    "StatusInputError",
    "connect_to_rules",
    "environment_verdict",
    "problem_lines",
    "progress_line",
    "read_outputs",
    "render_json",
    "render_markdown",
    "render_table",
    "run",
    "summary",
    "targets_from_outputs",
]

DEFAULT_DEADLINE = 900.0
ICONS: Mapping[str, str] = {"healthy": "✅", "failed": "❌", "waiting": "⏳"}
NONE = "—"


class StatusInputError(Exception):
    """Outputs, options or credentials that make the command impossible: exit 2."""


# --- what the stack says to look at ---------------------------------------------------------------


class _Output(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _ServiceOutput(_Output):
    service_id: str = Field(alias="serviceId", min_length=1)
    url: str | None = None
    healthcheck_path: str | None = Field(None, alias="healthcheckPath")


class _EnvironmentOutput(_Output):
    railway_environment_id: str = Field(alias="railwayEnvironmentId", min_length=1)
    services: dict[str, _ServiceOutput]
    sleeps_when_idle: bool = Field(False, alias="sleepsWhenIdle")


class _StackOutputs(_Output):
    railway_project_id: str = Field(alias="railwayProjectId", min_length=1)
    environments: dict[str, _EnvironmentOutput]


def targets_from_outputs(stack: str, outputs: object) -> StackTargets:
    """What to look at, from `pulumi stack output --json`. Raises StatusInputError."""
    if not isinstance(outputs, Mapping):
        raise StatusInputError("expected the JSON object `pulumi stack output --json` prints")
    try:
        parsed = _StackOutputs.model_validate(outputs)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg'].lower()}" for item in error.errors()
        )
        raise StatusInputError(
            f"not the outputs of a stagefleet stack deployed with `fleet status` support ({problems}); "
            "run `pulumi up` with this version of the program first"
        ) from None
    services = tuple(
        ServiceTarget(
            environment=name,
            environment_id=environment.railway_environment_id,
            service=service_name,
            service_id=service.service_id,
            url=service.url or None,
            healthcheck_path=service.healthcheck_path,
            sleeps_when_idle=environment.sleeps_when_idle,
        )
        for name, environment in parsed.environments.items()
        for service_name, service in environment.services.items()
    )
    return StackTargets(stack=stack, project_id=parsed.railway_project_id, services=services)


def read_outputs(stack: str, path: Path | None) -> object:
    """The stack's outputs: from `path`, else from the pulumi CLI when it is on PATH."""
    if path is not None:
        try:
            return read_json_file(path)
        except JanitorInputError as error:
            raise StatusInputError(str(error)) from None
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise StatusInputError(
            f"the pulumi CLI is not on PATH: pass --outputs FILE, the output of "
            f"`pulumi stack output --json --stack {stack}`"
        )
    try:
        result = subprocess.run(
            [pulumi, "stack", "output", "--json", "--stack", stack],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise StatusInputError(f"`pulumi stack output --json --stack {stack}` took more than 120s") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise StatusInputError(f"`pulumi stack output --json --stack {stack}` failed: {last}")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise StatusInputError(f"`pulumi stack output --json` printed no JSON: {error}") from None


# --- what is printed ------------------------------------------------------------------------------

TABLE_COLUMNS = [
    tables.Column("environment"),
    tables.Column("service"),
    tables.Column("state"),
    tables.Column("deployment"),
    tables.Column("commit"),
    tables.Column("age", "right"),
    tables.Column("URL"),
    tables.Column("health"),
]
MARKDOWN_COLUMNS = [
    tables.Column(""),
    tables.Column("environment"),
    tables.Column("service"),
    tables.Column("deployment"),
    tables.Column("commit"),
    tables.Column("URL"),
    tables.Column("health"),
    tables.Column("logs"),
]


def summary(reports: Sequence[ServiceReport]) -> str:
    """`all 4 services healthy`, or `2 of 4 services healthy; 1 failed, 1 waiting`."""
    count = {verdict: sum(1 for r in reports if r.verdict == verdict) for verdict in ICONS}
    noun = "service" if len(reports) == 1 else "services"
    if count["healthy"] == len(reports):
        return f"all {len(reports)} {noun} healthy"
    rest = ", ".join(f"{count[v]} {v}" for v in ("failed", "waiting") if count[v])
    return f"{count['healthy']} of {len(reports)} {noun} healthy; {rest}"


def render_table(reports: Sequence[ServiceReport], *, now: dt.datetime) -> str:
    """Aligned columns for a terminal, the summary, then where the logs of each unhealthy
    service are."""
    rows = [
        [
            r.environment,
            r.service,
            r.verdict,
            r.status or r.note or NONE,
            _short(r.commit),
            _age(r.deployment.created_at if r.deployment else None, now),
            r.url or NONE,
            _health(r),
        ]
        for r in reports
    ]
    text = tables.aligned(TABLE_COLUMNS, rows) + "\n" + summary(reports) + ".\n"
    problems = problem_lines(reports)
    return text + ("\n" + "\n".join(problems) + "\n" if problems else "")


def render_markdown(reports: Sequence[ServiceReport], *, stack: str) -> str:
    """The pull request comment's table: it does not depend on the time, so an unchanged status
    is an unchanged comment."""
    rows = [
        [
            ICONS[r.verdict],
            r.environment,
            r.service,
            r.status or r.note or NONE,
            f"`{r.commit[:7]}`" if r.commit else NONE,
            r.url or NONE,
            _health(r),
            f"[logs]({r.logs_url})" if r.logs_url and r.verdict != "healthy" else "",
        ]
        for r in reports
    ]
    heading = f"#### Deployment status of `{stack.replace('`', '')}`: {summary(reports)}\n\n"
    return heading + tables.markdown(MARKDOWN_COLUMNS, rows)


def render_json(reports: Sequence[ServiceReport], *, stack: str) -> dict[str, Any]:
    environments: dict[str, dict[str, Any]] = {}
    for r in reports:
        environment = environments.setdefault(
            r.environment, {"railwayEnvironmentId": r.environment_id, "verdict": "healthy", "services": {}}
        )
        environment["services"][r.service] = {
            "serviceId": r.service_id,
            "verdict": r.verdict,
            "status": r.status,
            "note": r.note,
            "deploymentId": r.deployment.id if r.deployment else None,
            "commit": r.commit,
            "createdAt": _iso(r.deployment.created_at) if r.deployment else None,
            "logsUrl": r.logs_url,
            "url": r.url,
            "probe": r.probe.as_json() if r.probe else None,
            # When this run first saw the service healthy (UTC): with --wait, how soon it noticed.
            "healthyAt": _iso(r.healthy_at),
        }
    for name, environment in environments.items():
        environment["verdict"] = environment_verdict([r for r in reports if r.environment == name])
    return {
        "stack": stack,
        "healthy": all(r.verdict == "healthy" for r in reports),
        "summary": {verdict: sum(1 for r in reports if r.verdict == verdict) for verdict in ICONS},
        "environments": environments,
    }


def environment_verdict(reports: Sequence[ServiceReport]) -> Verdict:
    if any(r.verdict == "failed" for r in reports):
        return "failed"
    return "healthy" if all(r.verdict == "healthy" for r in reports) else "waiting"


def problem_lines(reports: Sequence[ServiceReport]) -> list[str]:
    """One line per service that is not healthy: its state and where its logs are."""
    return [
        f"{r.name}: {r.verdict} — {_detail(r)}" + (f"; logs: {r.logs_url}" if r.logs_url else "")
        for r in reports
        if r.verdict != "healthy"
    ]


def progress_line(report: ServiceReport) -> str:
    return f"{ICONS[report.verdict]} {report.name}: {report.verdict} — {_detail(report)}"


def _detail(r: ServiceReport) -> str:
    parts = [r.status or NONE]
    if r.commit:
        parts.append(_short(r.commit))
    if r.url is not None:
        parts.append(_health(r))
    if r.note:
        parts.append(r.note)
    return ", ".join(parts)


def _health(r: ServiceReport) -> str:
    if r.url is None:
        return "no URL"
    return r.probe.describe() if r.probe else NONE


def _short(commit: str | None) -> str:
    return commit[:7] if commit else NONE


def _age(moment: dt.datetime | None, now: dt.datetime) -> str:
    if moment is None:
        return NONE
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


# --- progress while waiting -----------------------------------------------------------------------


class PlainProgress:
    """For CI logs: one line per state change of a service, with the seconds since the start."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream, self._clock, self._started = stream, clock, clock()

    def __call__(self, reports: Sequence[ServiceReport], changed: Sequence[ServiceReport]) -> None:
        for report in changed:
            print(f"[{self._clock() - self._started:6.1f}s] {progress_line(report)}", file=self._stream, flush=True)

    def close(self) -> None:
        pass


class LiveProgress:
    """For a terminal: one line per service, redrawn in place, and the time waited."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream, self._clock, self._started = stream, clock, clock()
        self._reports: Sequence[ServiceReport] = ()
        self._drawn = 0

    def __call__(self, reports: Sequence[ServiceReport], changed: Sequence[ServiceReport]) -> None:
        self._reports = reports
        self.redraw()

    def redraw(self) -> None:
        lines = [f"waiting {self._clock() - self._started:.0f}s: {summary(self._reports)}"]
        lines += [f"  {progress_line(report)}" for report in self._reports]
        self._erase()
        self._stream.write("\n".join(lines) + "\n")
        self._stream.flush()
        self._drawn = len(lines)

    def close(self) -> None:
        self._erase()
        self._stream.flush()

    def _erase(self) -> None:
        if self._drawn:
            # Up to the first line drawn, then clear to the end of the screen.
            self._stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0


# --- the command ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    stack: str
    outputs: Path | None = None
    wait: bool = False
    deadline: float = DEFAULT_DEADLINE
    format: Literal["table", "markdown", "json"] = "table"
    connect_to: Sequence[str] = ()


def run(
    options: Options,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    railway: Callable[[], Railway] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    schedule: Schedule = SCHEDULE,
) -> int:
    """Look (or wait), print the status in `options.format`; 0 when every service is healthy,
    else 1 with the unhealthy ones on stderr. Raises StatusInputError (exit 2)."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    targets = targets_from_outputs(options.stack, read_outputs(options.stack, options.outputs))
    rules = connect_to_rules(options.connect_to)
    railway = railway or _railway_clients(options.deadline)
    progress: PlainProgress | LiveProgress | None = None
    if options.wait:
        progress = LiveProgress(stderr) if _is_terminal(stderr) else PlainProgress(stderr)
    try:
        reports = asyncio.run(_observe(targets, options, rules, railway, transport, schedule, progress))
    except RailwayRejected as error:
        raise StatusInputError(str(error)) from None
    finally:
        if progress is not None:
            progress.close()
    now = dt.datetime.now(dt.UTC)
    if options.format == "json":
        stdout.write(json.dumps(render_json(reports, stack=options.stack), indent=2, ensure_ascii=False) + "\n")
    elif options.format == "markdown":
        stdout.write(render_markdown(reports, stack=options.stack))
    else:
        stdout.write(render_table(reports, now=now))
    stdout.flush()
    unhealthy = [r for r in reports if r.verdict != "healthy"]
    if not unhealthy:
        return 0
    timed_out = options.wait and any(r.verdict == "waiting" for r in reports)
    waited = f" after waiting {options.deadline:g}s" if timed_out else ""
    print(f"error: stack {options.stack}: {summary(reports)}{waited}:", file=stderr)
    for line in problem_lines(reports):
        print(f"  {line}", file=stderr)
    return 1


def connect_to_rules(given: Iterable[str]) -> list[ConnectTo]:
    """--connect-to values first, then STAGEFLEET_CONNECT_TO's."""
    try:
        return [ConnectTo.parse(text) for text in given] + connect_to_from_env()
    except ValueError as error:
        raise StatusInputError(f"--connect-to: {error}") from None


def _railway_clients(deadline: float) -> Callable[[], Railway]:
    """RailwayClients that wait for a turn in Railway's limiter (shared with the up that came
    before, through its ledger) no longer than this command's `deadline` (seconds from now)."""
    try:
        settings = railway_settings()
    except SettingsError as error:
        if setting(RAILWAY_TOKEN_KEY, RAILWAY_TOKEN_ENV) is not None:
            raise StatusInputError(str(error)) from None  # STAGEFLEET_RAILWAY_PLAN, say, is not valid
        # The CLI has no decrypted stack config: the environment is the one place it can be.
        raise StatusInputError(
            f"the Railway API token is not set: export {RAILWAY_TOKEN_ENV} (an account or workspace "
            f"token; {RAILWAY_API_URL_ENV} too, for the sandbox)"
        ) from None
    turn_deadline = RailwayClient.limiter_for(settings).now() + deadline
    return lambda: RailwayClient(settings, turn_deadline=turn_deadline)


async def _observe(
    targets: StackTargets,
    options: Options,
    rules: Sequence[ConnectTo],
    railway: Callable[[], Railway],
    transport: httpx.AsyncBaseTransport | None,
    schedule: Schedule,
    progress: PlainProgress | LiveProgress | None,
) -> list[ServiceReport]:
    async with probe_client(rules, transport=transport) as http:
        watch = Watch(
            targets, railway=railway, http=http, deadline=options.deadline, schedule=schedule, progress=progress
        )
        if not options.wait:
            return await watch.look()
        ticker = asyncio.ensure_future(_tick(progress)) if isinstance(progress, LiveProgress) else None
        try:
            return await watch.wait()
        finally:
            if ticker is not None:
                ticker.cancel()


async def _tick(progress: LiveProgress) -> None:
    """Keep the time waited moving on a terminal between state changes."""
    while True:
        await asyncio.sleep(1.0)
        progress.redraw()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

"""Readiness: from the start of `pulumi up` to every service of N new environments healthy.

For N = 1, 5 and 20 new developer environments, each with a dedicated Supabase project
(bench.fleets.fleet_mapping), the whole program is brought up through the real provider host
(harness/new_stack.up, `python -m pulumi.dynamic` with its 4 worker threads), then, right
after `up` returns, as deploy.yml does:

    python -m fleet status --stack bench --wait --format json --outputs <the up's exports> \\
        --connect-to up.railway.app=<the Railway sandbox's edge> --deadline 120

runs as a process of its own with RAILWAY_API_TOKEN and RAILWAY_API_URL set, until it exits 0.
Both sandboxes run in a third process (bench/sandbox_process.py) at scaled real latencies: every
API call takes 100 ms more, a Supabase project is ACTIVE_HEALTHY 5 s after its create, a Railway
deployment builds for 3 s and deploys for 2 s before it is SUCCESS, and the edge answers a
service's domain from then on. The emulators add 5 + 3 + 2 = 10 s before a service can be ready:
T_ready minus that is what stagefleet, the engine and `fleet status` cost.

    venv/bin/python -m bench.readiness            # N = 1, 5, 20; median of 3 runs each
    venv/bin/python -m bench.readiness --sizes 1 --healthy-after 0.3 --latency 0 \\
        --building 0.2 --deploying 0.2 --repeats 1 --no-write

Per N it prints and writes to bench/results/readiness.json:

- T_up (the up alone), T_ready (start of the up to `fleet status` exiting 0) and the wait (the
  status process alone), medians, and T_ready(20)/T_ready(1) (goal <= 1.3);
- the Railway requests `fleet status` made (journal entries of operation EnvironmentDeployments
  between the status process's start and end) per service per 2 s of the wait (goal <= 1), and
  the HTTP probes the edge received per service per second, separately;
- the lag of every service: from its deployment becoming SUCCESS in the emulator (its status
  history's wall time) to `fleet status` seeing it healthy (`healthyAt` in its JSON), median and
  max (goal: median <= 0.3 s); split in two (SUCCESS to the first probe the edge answered 2xx,
  then that probe to noticed) and by whether a Railway answer fell in the deployment's DEPLOYING
  phase (status probes every 0.25 s only then);
- the requests of the `up` by operation, and the check that every service has exactly one
  deployment (asserted: the benchmark fails otherwise);
- where the time went in the run closest to the median: when the up returned, when the
  deployments started and turned SUCCESS, when status first asked Railway, noticed, and exited;
  and when each type of the up's provider Creates ran (as bench.provisioning reports them).

Long on purpose: the fleet it brings up, the clock it reads and the figures it derives are one
measurement, read top to bottom.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from bench.fleets import RAILWAY_TOKEN, count_requests, fleet_mapping, provider_host, request_label, write_results
from bench.provisioning import CallTimes, TimedHost, project_lags
from bench.sandbox_process import remote_sandboxes
from fleet.probe import CONNECT_TO_ENV
from harness import REPO
from harness.mocks import TODAY
from harness.new_stack import up
from programs.fleet import deploy_fleet, load_fleet_spec
from providers.rate_ledger import LEDGER_DIRECTORY_ENV
from providers.settings import EMULATED_LIMITS_ENV, RAILWAY_API_URL_ENV, RAILWAY_PLAN_ENV, RAILWAY_TOKEN_ENV
from sandbox.railway_deployments import DeployTiming

SIZES = (1, 5, 20)
HEALTHY_AFTER = 5.0
LATENCY = 0.1
QUEUED = 0.0
BUILDING = 3.0
DEPLOYING = 2.0
HOST_WORKERS = 4
STACK = "bench"
# `fleet status --wait` gives up after this long (its default is 900 s; a benchmark that hangs
# that long tells nothing more).
DEADLINE = 120.0
POLL_OPERATION = "EnvironmentDeployments"
# What `pulumi stack output --json` prints for secret outputs without --show-secrets.
SECRET_EXPORTS = ("accessTokens", "databaseKeys")

GOAL_RATIO = 1.3
GOAL_POLLS_PER_SERVICE_PER_2S = 1.0
GOAL_LAG_MEDIAN = 0.3


@dataclass(frozen=True)
class Limits:
    """A run under an API plan's limits: the sandboxes enforce them (Railway's plan, Supabase's
    120 a minute per endpoint), and every stagefleet process of the run paces by them (the
    provider host reads the plan from the stack config, the program and `fleet status` from the
    environment) and shares one rate ledger in `ledger_dir`; every window divided by
    `time_scale`."""

    railway_plan: str
    time_scale: float
    ledger_dir: Path

    def environment(self) -> dict[str, str]:
        return {
            EMULATED_LIMITS_ENV: f"{self.time_scale:g}",
            LEDGER_DIRECTORY_ENV: str(self.ledger_dir),
            RAILWAY_PLAN_ENV: self.railway_plan,
        }


@dataclass(frozen=True)
class Arrival:
    """One request a sandbox received: which API, when (seconds from the start of the up), its
    answer's status and what it did (bench._fleet.request_label)."""

    api: str
    at: float
    status: int | None
    label: str


@dataclass
class Run:
    size: int
    services: int
    probed_services: int
    t_up: float
    t_ready: float
    wait: float
    polls: int
    probes: int
    probe_answers: dict[str, int]
    polls_per_environment_max: int
    status_requests: dict[str, int]
    up_requests: dict[str, int]
    deployments: int
    deployments_per_service: list[int]
    lags: list[float]
    # When each service's deployment turned SUCCESS (seconds from the start of the up), in the
    # order of `lags`.
    success_times: list[float]
    # Per service: whether a Railway answer to status fell in its DEPLOYING phase (then its
    # probes run every 0.25 s; otherwise on their back-off), with its lag.
    lags_deploying_seen: list[float]
    lags_deploying_unseen: list[float]
    # Each lag of a service with a URL in two: from SUCCESS to the first probe its edge answered
    # 2xx (the probe pace), then from that probe to status noticing (confirming with Railway).
    lags_to_first_2xx: list[float]
    lags_confirming: list[float]
    call_times: dict[str, dict[str, float]]
    timeline: dict[str, float] = field(default_factory=dict)
    # From a Supabase project or branch turning ACTIVE_HEALTHY in the emulator to the end of the
    # ProjectKeys create that waited for it (the provider noticing).
    project_lags: list[float] = field(default_factory=list)
    # Every request both sandboxes received during the up and the status wait.
    arrivals: list[Arrival] = field(default_factory=list)
    # What the program said through pulumi.log.warn.
    warnings: list[str] = field(default_factory=list)

    @property
    def polls_per_service_per_2s(self) -> float:
        return self.polls / self.services / (self.wait / 2)

    @property
    def probes_per_service_per_second(self) -> float:
        return self.probes / self.probed_services / self.wait if self.probed_services else 0.0


def status_command(outputs: Path, edge_url: str, deadline: float) -> list[str]:
    return [
        sys.executable,
        "-m",
        "fleet",
        "status",
        "--stack",
        STACK,
        "--wait",
        "--format",
        "json",
        "--outputs",
        str(outputs),
        "--connect-to",
        f"up.railway.app={edge_url}",
        "--deadline",
        f"{deadline:g}",
    ]


def status_environment(railway_api_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The benchmark's environment with the Railway token and API URL set, as deploy.yml runs it
    (and `extra`); no --connect-to rule or pacing setting of the caller's shell."""
    ours = (RAILWAY_TOKEN_ENV, RAILWAY_API_URL_ENV, CONNECT_TO_ENV, RAILWAY_PLAN_ENV, EMULATED_LIMITS_ENV)
    base = {k: v for k, v in os.environ.items() if k not in ours}
    return {
        **base,
        "PYTHONPATH": str(REPO),
        "PYTHONIOENCODING": "utf-8",
        RAILWAY_TOKEN_ENV: RAILWAY_TOKEN,
        RAILWAY_API_URL_ENV: railway_api_url,
        **(extra or {}),
    }


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """This process's environment with `values` set, for the program run in it."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _program_warnings() -> Iterator[list[str]]:
    """What the program says through pulumi.log.warn while it runs here."""
    said: list[str] = []
    original = pulumi.log.warn

    def warn(message: str, *args: Any, **kwargs: Any) -> None:
        said.append(message)

    pulumi.log.warn = warn  # type: ignore[assignment]
    try:
        yield said
    finally:
        pulumi.log.warn = original  # type: ignore[assignment]


def stack_outputs(exports: dict[str, Any]) -> dict[str, Any]:
    """The up's exports as `pulumi stack output --json` prints them (secrets masked)."""
    return {key: "[secret]" if key in SECRET_EXPORTS else value for key, value in exports.items()}


def _parse_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def run_once(
    size: int,
    *,
    healthy_after: float,
    latency: float,
    timing: DeployTiming,
    deadline: float,
    mapping: dict[str, Any] | None = None,
    limits: Limits | None = None,
) -> Run:
    """One up of `mapping` (default: `size` developer environments with dedicated databases),
    then `fleet status --wait`, under `limits` when given."""
    mapping = dict(mapping or fleet_mapping(size))
    if limits is not None:
        railway = mapping["stagefleet:railway"]
        railway = json.loads(railway) if isinstance(railway, str) else dict(railway)
        mapping["stagefleet:railway"] = json.dumps({**railway, "plan": limits.railway_plan})
    pacing = limits.environment() if limits is not None else {}
    with (
        remote_sandboxes(
            healthy_after=healthy_after,
            latency=latency,
            deploy_timing=timing,
            railway_plan=limits.railway_plan if limits is not None else None,
            time_scale=limits.time_scale if limits is not None else 1.0,
        ) as boxes,
        provider_host(boxes, extra_env={k: v for k, v in pacing.items() if k != RAILWAY_PLAN_ENV}) as host,
        tempfile.TemporaryDirectory(prefix="stagefleet-readiness-") as scratch,
    ):
        if limits is not None:
            # The provider host reads the plan where a fleet stack's providers do: stagefleet:railway.
            host.configure({**boxes.config, "stagefleet:railway": mapping["stagefleet:railway"]})
            # The program looks at the hourly budget with the stack's credentials, as in a real up.
            mapping["stagefleet:railwayToken"] = boxes.config["stagefleet:railwayToken"]
            mapping["stagefleet:railwayApiUrl"] = boxes.config["stagefleet:railwayApiUrl"]
        boxes.clear_journals()
        t0 = time.monotonic()
        times = CallTimes(t0)
        with _environment({k: v for k, v in pacing.items() if k != RAILWAY_PLAN_ENV}), _program_warnings() as warnings:
            deployment = up(lambda: deploy_fleet(load_fleet_spec(mapping), today=TODAY), TimedHost(host, times))
        up_end = time.monotonic()
        if deployment.error is not None:
            raise RuntimeError(f"up of {size} environments failed: {deployment.error}")
        outputs = Path(scratch) / "outputs.json"
        outputs.write_text(json.dumps(stack_outputs(deployment.exports), default=str), encoding="utf-8")
        status_start = time.monotonic()
        process = subprocess.Popen(
            status_command(outputs, boxes.edge_url, deadline),
            cwd=REPO,
            env=status_environment(boxes.config["stagefleet:railwayApiUrl"], pacing),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        try:
            stdout, stderr = process.communicate(timeout=deadline + 60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        status_end = time.monotonic()
        journal = boxes.journal()
        edge = boxes.edge_journal()
        deployments = boxes.deployments()
        projects = boxes.state()["projects"]
    if process.returncode != 0:
        raise RuntimeError(
            f"fleet status exited {process.returncode} after the up of {size} environments:\n"
            + "\n".join(stderr.strip().splitlines()[-15:])
        )
    document = json.loads(stdout)
    run = _figures(
        size,
        deployment.exports,
        document,
        journal,
        edge,
        deployments,
        times,
        latency=latency,
        t0=t0,
        up_end=up_end,
        status_start=status_start,
        status_end=status_end,
    )
    run.project_lags = project_lags(deployment.of_type("ProjectKeys"), projects, times)
    run.arrivals = [Arrival(api, e.at - t0, e.status, request_label(api, e)) for api, e in journal]
    run.warnings = list(warnings)
    return run


def _figures(
    size: int,
    exports: dict[str, Any],
    document: dict[str, Any],
    journal: list[tuple[str, Any]],
    edge: list[Any],
    deployments: list[dict[str, Any]],
    times: CallTimes,
    *,
    latency: float,
    t0: float,
    up_end: float,
    status_start: float,
    status_end: float,
) -> Run:
    # What status was asked to watch: every service of every new environment.
    targets = {
        (environment["railwayEnvironmentId"], service["serviceId"]): (name, service_name, bool(service.get("url")))
        for name, environment in exports["environments"].items()
        for service_name, service in environment["services"].items()
    }
    if len(exports["environments"]) != size or not targets:
        raise RuntimeError(f"expected {size} environments in the exports, found {len(exports['environments'])}")

    # Exactly one deployment per service, and it is the one status saw healthy.
    of_targets = [d for d in deployments if (d["environmentId"], d["serviceId"]) in targets]
    per_service = Counter((d["environmentId"], d["serviceId"]) for d in of_targets)
    if set(per_service) != set(targets) or set(per_service.values()) != {1}:
        raise RuntimeError(
            f"expected exactly one deployment per service, found {dict(Counter(per_service.values()))} "
            f"for {len(per_service)} of {len(targets)} services"
        )
    by_id = {d["id"]: d for d in of_targets}

    if not document.get("healthy"):
        raise RuntimeError(f"fleet status exited 0 but its document says {document.get('summary')}")
    during_status = [(api, e) for api, e in journal if status_start <= e.at <= status_end]
    polls = [e for api, e in during_status if api == "railway" and e.operation_name == POLL_OPERATION]
    # A poll reads the sandbox's state after the added latency.
    answered_at: dict[str, list[float]] = {}
    for poll in polls:
        answered_at.setdefault(str(poll.variables.get("id")), []).append(poll.at + latency)

    probes = [e for e in edge if status_start <= e.at <= status_end]
    first_2xx: dict[str, float] = {}
    for probe in probes:
        if probe.status is not None and 200 <= probe.status < 300:
            first_2xx[probe.key] = min(probe.at, first_2xx.get(probe.key, probe.at))

    lags: list[float] = []
    seen: list[float] = []
    unseen: list[float] = []
    to_first_2xx: list[float] = []
    confirming: list[float] = []
    success_at: list[float] = []
    noticed_at: list[float] = []
    for environment in document["environments"].values():
        for name, service in environment["services"].items():
            record = by_id.get(service["deploymentId"])
            if record is None or service["verdict"] != "healthy" or not service.get("healthyAt"):
                raise RuntimeError(f"{name}: not healthy with its one deployment in fleet status's document: {service}")
            success = next(t for t in record["history"] if t["status"] == "SUCCESS")
            lag = (_parse_utc(service["healthyAt"]) - _parse_utc(success["wallAt"])).total_seconds()
            lags.append(lag)
            deploying = next((t["at"] for t in record["history"] if t["status"] == "DEPLOYING"), success["at"])
            polled = answered_at.get(environment["railwayEnvironmentId"], [])
            (seen if any(deploying <= at < success["at"] for at in polled) else unseen).append(lag)
            host = (service.get("url") or "").removeprefix("https://").split("/")[0].lower()
            if host in first_2xx:
                to_first_2xx.append(first_2xx[host] - success["at"])
                confirming.append(lag - to_first_2xx[-1])
            success_at.append(success["at"] - t0)
            noticed_at.append(success["at"] - t0 + lag)
    if len(lags) != len(targets):
        raise RuntimeError(f"fleet status reported {len(lags)} services, the exports have {len(targets)}")

    polls_per_environment = Counter(str(e.variables.get("id")) for e in polls)
    started = [d["history"][0]["at"] - t0 for d in of_targets]
    timeline = {
        "up_returned": up_end - t0,
        "deployments_started_first": min(started),
        "deployments_started_last": max(started),
        "deployments_success_first": min(success_at),
        "deployments_success_last": max(success_at),
        "status_started": status_start - t0,
        "status_first_request": (min(e.at for e in polls) - t0) if polls else float("nan"),
        "status_noticed_first": min(noticed_at),
        "status_noticed_last": max(noticed_at),
        "status_exited": status_end - t0,
    }
    return Run(
        size=size,
        services=len(targets),
        probed_services=sum(1 for _, _, has_url in targets.values() if has_url),
        t_up=up_end - t0,
        t_ready=status_end - t0,
        wait=status_end - status_start,
        polls=len(polls),
        probes=len(probes),
        probe_answers=dict(sorted(Counter(str(e.status) for e in probes).items())),
        polls_per_environment_max=max(polls_per_environment.values(), default=0),
        status_requests=dict(sorted(count_requests(during_status).items())),
        up_requests=dict(sorted(count_requests([(api, e) for api, e in journal if e.at < status_start]).items())),
        deployments=len(of_targets),
        deployments_per_service=sorted(set(per_service.values())),
        lags=lags,
        success_times=success_at,
        lags_deploying_seen=seen,
        lags_deploying_unseen=unseen,
        lags_to_first_2xx=to_first_2xx,
        lags_confirming=confirming,
        call_times=_call_times(times),
        timeline={key: round(value, 3) for key, value in timeline.items()},
    )


def _call_times(times: CallTimes) -> dict[str, dict[str, float]]:
    """Per resource type: how many Creates, when the first started and the last ended (seconds
    from the start of the up; a call's time includes its wait for one of the host's workers)."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for start, end, kind, _ in times.calls:
        spans.setdefault(kind, []).append((start, end))
    return {
        kind: {
            "count": len(found),
            "first_start": round(min(s for s, _ in found), 2),
            "last_end": round(max(e for _, e in found), 2),
            "mean_seconds": round(statistics.fmean(e - s for s, e in found), 3),
        }
        for kind, found in sorted(spans.items(), key=lambda item: min(s for s, _ in item[1]))
    }


def _spread(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    return {
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
        "min": round(min(values), 3),
        "count": len(values),
    }


def _describe(values: Sequence[float]) -> str:
    if not values:
        return "none"
    return f"median {statistics.median(values):.3f} s, max {max(values):.3f} s ({len(values)})"


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--healthy-after",
        type=float,
        default=HEALTHY_AFTER,
        help="seconds after its create a Supabase project is healthy",
    )
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds added to every API call")
    parser.add_argument("--queued", type=float, default=QUEUED, help="seconds a Railway deployment is QUEUED")
    parser.add_argument("--building", type=float, default=BUILDING, help="seconds it is BUILDING")
    parser.add_argument("--deploying", type=float, default=DEPLOYING, help="seconds it is DEPLOYING before SUCCESS")
    parser.add_argument("--deadline", type=float, default=DEADLINE, help="fleet status --deadline")
    parser.add_argument("--repeats", type=int, default=3, help="runs per size; the times are their medians")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results alone")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes) | {1})
    timing = DeployTiming(queued=args.queued, building=args.building, deploying=args.deploying)
    emulated = args.healthy_after + timing.queued + timing.building + timing.deploying

    runs: dict[int, list[Run]] = {size: [] for size in sizes}
    for _ in range(args.repeats):
        for size in sizes:
            runs[size].append(
                run_once(
                    size, healthy_after=args.healthy_after, latency=args.latency, timing=timing, deadline=args.deadline
                )
            )

    def median(size: int, value: str) -> float:
        return statistics.median(getattr(run, value) for run in runs[size])

    ready = {size: median(size, "t_ready") for size in sizes}
    typical = {size: min(found, key=lambda run: abs(run.t_ready - ready[size])) for size, found in runs.items()}
    lags = {size: [lag for run in found for lag in run.lags] for size, found in runs.items()}
    seen = {size: [lag for run in found for lag in run.lags_deploying_seen] for size, found in runs.items()}
    unseen = {size: [lag for run in found for lag in run.lags_deploying_unseen] for size, found in runs.items()}
    to_2xx = {size: [lag for run in found for lag in run.lags_to_first_2xx] for size, found in runs.items()}
    confirm = {size: [lag for run in found for lag in run.lags_confirming] for size, found in runs.items()}
    project = {size: [lag for run in found for lag in run.project_lags] for size, found in runs.items()}
    all_lags = [lag for found in lags.values() for lag in found]
    base = ready[1]

    delay = f"{args.healthy_after:g} s project + {timing.building:g} s build + {timing.deploying:g} s deploy" + (
        f" + {timing.queued:g} s queued" if timing.queued else ""
    )
    print(
        f"readiness: from the start of `up` to `fleet status --wait` exiting 0; emulated ready delay {emulated:g} s "
        f"({delay}), {args.latency * 1000:g} ms added to every API call, {HOST_WORKERS} provider-host workers, "
        f"median of {args.repeats}"
    )
    print(
        f"{'N':>4} {'svc':>4} {'T_up s':>7} {'T_ready s':>10} {'wait s':>7} {'-delay s':>9} {'ratio':>6} "
        f"{'polls/svc/2s':>13} {'probes/svc/s':>13} {'lag med s':>10} {'lag max s':>10}"
    )
    for size in sizes:
        polls = max(run.polls_per_service_per_2s for run in runs[size])
        probes = statistics.median(run.probes_per_service_per_second for run in runs[size])
        print(
            f"{size:>4} {typical[size].services:>4} {median(size, 't_up'):>7.2f} {ready[size]:>10.2f} "
            f"{median(size, 'wait'):>7.2f} {ready[size] - emulated:>9.2f} {ready[size] / base:>6.2f} {polls:>13.2f} "
            f"{probes:>13.2f} {statistics.median(lags[size]):>10.3f} {max(lags[size]):>10.3f}"
        )
    print("  (polls/svc/2s: the highest of the runs; probes/svc/s: their median; lags: every service of every run)")

    for size in sizes:
        run = typical[size]
        t = run.timeline
        print(f"\nN = {size} (the run closest to the median T_ready, seconds from the start of the up):")
        print(
            f"  up returned {t['up_returned']:.2f}; deployments started {t['deployments_started_first']:.2f}-"
            f"{t['deployments_started_last']:.2f}, SUCCESS {t['deployments_success_first']:.2f}-"
            f"{t['deployments_success_last']:.2f}"
        )
        print(
            f"  status started {t['status_started']:.2f}, first Railway request {t['status_first_request']:.2f}, "
            f"noticed healthy {t['status_noticed_first']:.2f}-{t['status_noticed_last']:.2f}, "
            f"exited {t['status_exited']:.2f}"
        )
        print(
            f"  fleet status: {run.polls} Railway requests ({dict(run.status_requests)}), at most "
            f"{run.polls_per_environment_max} per environment; {run.probes} probes (answers {run.probe_answers})"
        )
        print(
            f"  lag (every run): {_describe(lags[size])}; when a Railway answer fell in the DEPLOYING phase "
            f"(probes every 0.25 s): {_describe(seen[size])}; when none did (probes on their back-off): "
            f"{_describe(unseen[size])}"
        )
        print(
            f"  lag in two: SUCCESS to the first 2xx probe {_describe(to_2xx[size])}; that probe to noticed "
            f"(confirmed with Railway) {_describe(confirm[size])}"
        )
        print(f"  project lag (healthy in the emulator to its readiness wait returning): {_describe(project[size])}")
        print(
            f"  deployments: {run.deployments} for {run.services} services, per service {run.deployments_per_service}"
        )
        print(f"  up requests: {sum(run.up_requests.values())}")
        for label, count in run.up_requests.items():
            print(f"    {label:<52} {count:>4}")
        print("  provider creates of the up (count, first start, last end, mean incl. the wait for a worker, s):")
        for kind, facts in run.call_times.items():
            print(
                f"    {kind:<18} {facts['count']:>4} {facts['first_start']:>7.2f} {facts['last_end']:>7.2f} "
                f"{facts['mean_seconds']:>7.3f}"
            )

    figures: dict[str, Any] = {
        "healthy_after_seconds": args.healthy_after,
        "latency_seconds": args.latency,
        "deploy_timing_seconds": {"queued": timing.queued, "building": timing.building, "deploying": timing.deploying},
        "emulated_ready_delay_seconds": emulated,
        "emulated_ready_delay": delay,
        "edge_latency_seconds": 0.0,
        "provider_host_workers": HOST_WORKERS,
        "repeats": args.repeats,
        "sandboxes": "separate process",
        "status_command": "python -m fleet status --stack bench --wait --format json --outputs <the up's exports> "
        f"--connect-to up.railway.app=<edge URL> --deadline {args.deadline:g}",
        "goals": {
            "ratio_20_to_1": GOAL_RATIO,
            "polls_per_service_per_2s": GOAL_POLLS_PER_SERVICE_PER_2S,
            "lag_median_seconds": GOAL_LAG_MEDIAN,
        },
        "seconds": {
            str(size): {
                "up": round(median(size, "t_up"), 3),
                "ready": round(ready[size], 3),
                "wait": round(median(size, "wait"), 3),
                "ready_minus_emulated_delay": round(ready[size] - emulated, 3),
            }
            for size in sizes
        },
        "ratios": {str(size): round(ready[size] / base, 3) for size in sizes},
        "lag_seconds": {
            **{str(size): _spread(lags[size]) for size in sizes},
            "overall": _spread(all_lags),
            "overall_when_a_poll_saw_deploying": _spread([lag for found in seen.values() for lag in found]),
            "overall_when_no_poll_saw_deploying": _spread([lag for found in unseen.values() for lag in found]),
            "overall_success_to_first_2xx_probe": _spread([lag for found in to_2xx.values() for lag in found]),
            "overall_first_2xx_probe_to_noticed": _spread([lag for found in confirm.values() for lag in found]),
            "project_overall": _spread([lag for found in project.values() for lag in found]),
        },
        "runs": [
            {
                "environments": size,
                "services": typical[size].services,
                "up_seconds_median": round(median(size, "t_up"), 3),
                "ready_seconds_median": round(ready[size], 3),
                "wait_seconds_median": round(median(size, "wait"), 3),
                "ready_minus_emulated_delay_seconds": round(ready[size] - emulated, 3),
                "ratio_to_1": round(ready[size] / base, 3),
                "up_seconds_each": [round(run.t_up, 3) for run in runs[size]],
                "ready_seconds_each": [round(run.t_ready, 3) for run in runs[size]],
                "wait_seconds_each": [round(run.wait, 3) for run in runs[size]],
                "status_polls_each": [run.polls for run in runs[size]],
                "polls_per_service_per_2s_each": [round(run.polls_per_service_per_2s, 3) for run in runs[size]],
                "polls_per_service_per_2s_max": round(max(run.polls_per_service_per_2s for run in runs[size]), 3),
                "probes_each": [run.probes for run in runs[size]],
                "probes_per_service_per_second_each": [
                    round(run.probes_per_service_per_second, 3) for run in runs[size]
                ],
                "probes_per_service_per_second_median": round(
                    statistics.median(run.probes_per_service_per_second for run in runs[size]), 3
                ),
                "lag_seconds": _spread(lags[size]),
                "lag_seconds_when_a_poll_saw_deploying": _spread(seen[size]),
                "lag_seconds_when_no_poll_saw_deploying": _spread(unseen[size]),
                "lag_seconds_success_to_first_2xx_probe": _spread(to_2xx[size]),
                "lag_seconds_first_2xx_probe_to_noticed": _spread(confirm[size]),
                "project_lag_seconds": _spread(project[size]),
                "deployments": typical[size].deployments,
                "deployments_per_service": sorted({n for run in runs[size] for n in run.deployments_per_service}),
                "up_requests": sum(typical[size].up_requests.values()),
                "up_requests_by_operation": typical[size].up_requests,
                "status_requests_by_operation": typical[size].status_requests,
                "status_polls_per_environment_max": typical[size].polls_per_environment_max,
                "probe_answers": typical[size].probe_answers,
                "timeline_seconds": typical[size].timeline,
                "create_call_times": typical[size].call_times,
            }
            for size in sizes
        ],
    }
    met: dict[str, bool] = {}
    print()
    if 20 in ready:
        figures["ratio_20_to_1"] = round(ready[20] / base, 3)
        met["ratio_20_to_1"] = ready[20] / base <= GOAL_RATIO  # not the rounded figure
        print(
            f"T_ready(20)/T_ready(1) = {ready[20] / base:.4f} (goal <= {GOAL_RATIO}): {_verdict(met['ratio_20_to_1'])}"
        )
    if 5 in ready:
        figures["ratio_5_to_1"] = round(ready[5] / base, 3)
    polls_max = max(run.polls_per_service_per_2s for found in runs.values() for run in found)
    figures["polls_per_service_per_2s_max"] = round(polls_max, 3)
    met["polls_per_service_per_2s"] = polls_max <= GOAL_POLLS_PER_SERVICE_PER_2S
    print(
        f"Railway requests of fleet status: at most {polls_max:.2f} per service per 2 s "
        f"(goal <= {GOAL_POLLS_PER_SERVICE_PER_2S:g}): {_verdict(met['polls_per_service_per_2s'])}"
    )
    lag_median = statistics.median(all_lags)
    met["lag_median_seconds"] = lag_median <= GOAL_LAG_MEDIAN
    print(
        f"lag from SUCCESS to noticed healthy: median {lag_median:.3f} s, max {max(all_lags):.3f} s over "
        f"{len(all_lags)} services (goal: median <= {GOAL_LAG_MEDIAN:g} s): {_verdict(met['lag_median_seconds'])}"
    )
    print(
        f"  when a Railway answer fell in the DEPLOYING phase: "
        f"{_describe([lag for found in seen.values() for lag in found])}; when none did: "
        f"{_describe([lag for found in unseen.values() for lag in found])}"
    )
    print(
        f"  SUCCESS to the first 2xx probe: {_describe([lag for found in to_2xx.values() for lag in found])}; "
        f"that probe to noticed: {_describe([lag for found in confirm.values() for lag in found])}"
    )
    print(
        f"every service had exactly one deployment: "
        f"{all(run.deployments_per_service == [1] for found in runs.values() for run in found)}"
    )
    figures["goals_met"] = met
    if not args.no_write:
        print(f"wrote {write_results('readiness', figures)}")
    return figures


if __name__ == "__main__":
    main()

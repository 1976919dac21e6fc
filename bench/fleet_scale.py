"""Fleet scale: new fleets of N = 1, 20, 50 and 100 environments inside Railway's Hobby and Pro
limits, from the start of `pulumi up` to every service healthy.

Each run is bench/readiness.py's (readiness.run_once): the whole program through the real
provider host (`python -m pulumi.dynamic`, 4 workers), then `python -m fleet status --wait` as a
process of its own, against both sandboxes in a third. Here the fleet is N developer environments
of 2 services with the committed sandbox stack's mix of databases (of every 4: 2 dedicated, 1
shared with and 1 branch of a dedicated one), and the sandboxes enforce the plan's limits as the
APIs do (Railway per second and per hour, X-RateLimit-* on every answer, 429 + Retry-After
beyond; Supabase 120 a minute per endpoint), while every stagefleet process paces by them
(providers/limits.py: the provider host reads `stagefleet:railway.plan`, the program and
`fleet status` STAGEFLEET_RAILWAY_PLAN, all share one rate ledger).

Time is compressed by SCALE = 30 (an emulated second is 1/30 s of the run), throughout: a
Supabase project comes up in 150 s real (5 s here), a Railway build takes 90 s and a deploy 60 s
(3 s and 2 s: bench/readiness.py's timing), an API call 150 ms (5 ms), and every limit's window
shrinks alike: Railway's hour is 120 s, its second 1/30 s, Supabase's minute 2 s. What is not
compressed: this machine's own work per request (a few ms of CPU in each process), and the
clients' own schedules (readiness and status polls, probes), as in bench/readiness.py. So large
N is, if anything, slower here than it would be for real.

    venv/bin/python -m bench.fleet_scale                      # both plans, N = 1, 20, 50, 100
    venv/bin/python -m bench.fleet_scale --plans pro --sizes 1 2 --no-write

Per plan and N it prints and writes to bench/results/fleet_scale.json: T(N) from the start of
the up to `fleet status --wait` exiting 0, raw and with the emulated ready delay (10 s) removed;
the lag from a project or deployment becoming ready in the emulator to stagefleet noticing
(median and max; goal: median <= 0.3 s); requests by operation; `http_429` (goal 0 under both
plans); the peak Railway requests in any emulated second; the hourly budget used (the most
Railway requests in any emulated hour); the budget warning the program gave, if any; and, at
the top, `ratio_100_to_1_pro` (goal <= 3) and, for Hobby, the lower bound its limits impose on
T(100) and how close the run came to it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.fleets import fleet_mapping, write_results
from bench.readiness import Limits, Run, run_once
from sandbox.railway_deployments import DeployTiming

SIZES = (1, 20, 50, 100)
PLANS = ("hobby", "pro")
# Railway's documented plan limits (docs.railway.com/reference/public-api), as the sandbox
# enforces them (sandbox.server.PlanLimits.railway).
PLAN_LIMITS = {"hobby": (10, 1_000), "pro": (50, 10_000)}
SCALE = 30.0
REAL = {"api_call": 0.150, "project_healthy": 150.0, "build": 90.0, "deploy": 60.0}
HOUR = 3600.0
DEADLINE = 600.0

GOAL_RATIO_PRO = 3.0
GOAL_429 = 0
GOAL_LAG_MEDIAN = 0.3


def mixed_mapping(size: int) -> dict[str, Any]:
    """`size` developer environments with the committed sandbox stack's mix of databases: of
    every 4, two dedicated, then one sharing and one branching the dedicated ones before them."""
    mapping = fleet_mapping(size)
    environments = json.loads(mapping["stagefleet:environments"])
    for index, environment in enumerate(environments):
        slot = index % 4
        if slot == 2:
            environment["database"] = {"strategy": "shared", "source": environments[index - 2]["name"]}
        elif slot == 3:
            environment["database"] = {"strategy": "branch", "source": environments[index - 2]["name"]}
    mapping["stagefleet:environments"] = json.dumps(environments)
    return mapping


def strategies(size: int) -> dict[str, int]:
    environments = json.loads(mixed_mapping(size)["stagefleet:environments"])
    return dict(Counter(environment["database"]["strategy"] for environment in environments))


def peak(times: Sequence[float], window: float) -> int:
    """The most of `times` in any window of `window` seconds."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def limits_floor(requests: int, plan: str, scale: float) -> float:
    """The least time the plan's limits let `requests` Railway requests go out in, from nothing
    spent (seconds of the run): at the per-second rate while the hourly budget lasts, then the
    rest once the first ones leave the hour."""
    per_second, per_hour = PLAN_LIMITS[plan]
    rate = per_second * scale
    if requests <= per_hour:
        return requests / rate
    return HOUR / scale + (requests - per_hour) / rate


def _spread(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    return {"median": round(statistics.median(values), 3), "max": round(max(values), 3), "count": len(values)}


def emulated_delay(size: int, *, healthy_after: float, build_and_deploy: float) -> float:
    """The emulators' own delay before the fleet's last service can be ready: a project comes up,
    and, when the fleet has a branch database, the branch after its parent project; then a build
    and a deploy."""
    chain = 2 if "branch" in strategies(size) else 1
    return chain * healthy_after + build_and_deploy


def describe_run(run: Run, plan: str, *, scale: float, healthy_after: float, build_and_deploy: float) -> dict[str, Any]:
    emulated = emulated_delay(run.size, healthy_after=healthy_after, build_and_deploy=build_and_deploy)
    status_start = run.timeline["status_started"]
    first_look = run.timeline["status_first_request"]
    noticed = [success + lag for success, lag in zip(run.success_times, run.lags, strict=True)]
    # A deployment that was up before `fleet status` first asked could not be noticed earlier:
    # what the watch itself costs is measured from the later of the two.
    watched = [at - max(success, first_look) for at, success in zip(noticed, run.success_times, strict=True)]
    railway = [a for a in run.arrivals if a.api == "railway"]
    admitted = [a.at for a in railway if a.status != 429]
    up_railway = sum(1 for a in railway if a.at < status_start)
    floor = limits_floor(up_railway, plan, scale) + build_and_deploy
    refused = Counter(a.api for a in run.arrivals if a.status == 429)
    return {
        "environments": run.size,
        "services": run.services,
        "database_strategies": strategies(run.size),
        "seconds": round(run.t_ready, 3),
        "emulated_ready_delay_seconds": {
            "dedicated_or_shared": healthy_after + build_and_deploy,
            "with_a_branch": 2 * healthy_after + build_and_deploy,
        },
        "seconds_minus_emulated_delay": round(run.t_ready - emulated, 3),
        "up_seconds": round(run.t_up, 3),
        "status_wait_seconds": round(run.wait, 3),
        "http_429": sum(refused.values()),
        "http_429_by_api": dict(sorted(refused.items())),
        "requests": len(run.arrivals),
        "requests_by_api": dict(sorted(Counter(a.api for a in run.arrivals).items())),
        "requests_by_operation": dict(sorted(Counter(f"{a.api}: {a.label}" for a in run.arrivals).items())),
        "railway_requests_of_the_up": up_railway,
        "railway_requests_of_fleet_status": len(railway) - up_railway,
        "peak_railway_requests_per_emulated_second": peak(admitted, 1.0 / scale),
        "peak_railway_requests_per_second_of_the_run": peak(admitted, 1.0),
        "hourly_budget_used": peak(admitted, HOUR / scale),
        "hourly_budget": PLAN_LIMITS[plan][1],
        "lower_bound_seconds": round(max(floor, emulated), 3),
        "lag_seconds": {
            "deployment": _spread(watched),
            "deployment_from_success": _spread(run.lags),
            "deployments_up_before_status_first_asked": sum(1 for s in run.success_times if s < first_look),
            "project": _spread(run.project_lags),
        },
        "budget_warnings": run.warnings,
        "deployments_per_service": run.deployments_per_service,
        "timeline_seconds": run.timeline,
        "create_call_times": run.call_times,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--plans", nargs="+", choices=PLANS, default=list(PLANS))
    parser.add_argument("--scale", type=float, default=SCALE, help="emulated seconds per second of the run")
    parser.add_argument("--deadline", type=float, default=DEADLINE, help="fleet status --deadline")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results alone")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes) | {1})
    scale = args.scale
    healthy_after = REAL["project_healthy"] / scale
    latency = REAL["api_call"] / scale
    timing = DeployTiming(queued=0.0, building=REAL["build"] / scale, deploying=REAL["deploy"] / scale)
    build_and_deploy = timing.building + timing.deploying

    print(
        f"fleet scale: time compressed x{scale:g} (an emulated second is {1000 / scale:.1f} ms): API calls "
        f"{latency * 1000:.1f} ms, project healthy {healthy_after:g} s, build {timing.building:g} s, deploy "
        f"{timing.deploying:g} s (emulated ready delay {healthy_after + build_and_deploy:g} s, "
        f"{2 * healthy_after + build_and_deploy:g} s with a branch database), Railway's hour {HOUR / scale:g} s, "
        f"Supabase's minute {60 / scale:g} s; 2 services per environment, databases {strategies(4)} of every 4"
    )
    results: dict[str, dict[int, dict[str, Any]]] = {}
    for plan in args.plans:
        results[plan] = {}
        for size in sizes:
            with tempfile.TemporaryDirectory(prefix="stagefleet-ledger-") as ledger:
                run = run_once(
                    size,
                    healthy_after=healthy_after,
                    latency=latency,
                    timing=timing,
                    deadline=args.deadline,
                    mapping=mixed_mapping(size),
                    limits=Limits(railway_plan=plan, time_scale=scale, ledger_dir=Path(ledger)),
                )
            figures = describe_run(
                run, plan, scale=scale, healthy_after=healthy_after, build_and_deploy=build_and_deploy
            )
            results[plan][size] = figures
            _print_run(plan, figures)

    base = {plan: found[1]["seconds"] for plan, found in results.items()}
    for plan, found in results.items():
        for figures in found.values():
            figures["ratio_to_1"] = round(figures["seconds"] / base[plan], 3)
    all_lags = [
        lag
        for found in results.values()
        for figures in found.values()
        for lag in (figures["lag_seconds"]["deployment"].get("median"),)
        if lag is not None
    ]
    summary: dict[str, Any] = {
        "time_scale": scale,
        "real_latencies_seconds": REAL,
        "emulated_seconds": {
            "api_call": latency,
            "project_healthy": healthy_after,
            "build": timing.building,
            "deploy": timing.deploying,
            "railway_hour": HOUR / scale,
            "railway_second": 1 / scale,
            "supabase_minute": 60 / scale,
        },
        "emulated_ready_delay_seconds": {
            "dedicated_or_shared": healthy_after + build_and_deploy,
            "with_a_branch": 2 * healthy_after + build_and_deploy,
        },
        "plan_limits": {plan: {"per_second": ps, "per_hour": ph} for plan, (ps, ph) in PLAN_LIMITS.items()},
        "provider_host_workers": 4,
        "repeats": 1,
        "status_command": "python -m fleet status --stack bench --wait --format json --outputs <the up's exports> "
        f"--connect-to up.railway.app=<edge URL> --deadline {args.deadline:g}",
        "goals": {"http_429": GOAL_429, "ratio_100_to_1_pro": GOAL_RATIO_PRO, "lag_median_seconds": GOAL_LAG_MEDIAN},
        "runs": [{"plan": plan, **figures} for plan, found in results.items() for figures in found.values()],
        "http_429_total": sum(figures["http_429"] for found in results.values() for figures in found.values()),
    }
    print()
    if "pro" in results and 100 in results["pro"]:
        ratio = results["pro"][100]["seconds"] / base["pro"]
        summary["ratio_100_to_1_pro"] = round(ratio, 3)
        print(f"Pro: T(100)/T(1) = {ratio:.3f} (goal <= {GOAL_RATIO_PRO:g}): {_verdict(ratio <= GOAL_RATIO_PRO)}")
    if "hobby" in results:
        largest = max(results["hobby"])
        figures = results["hobby"][largest]
        bound = figures["lower_bound_seconds"]
        summary["hobby_lower_bound"] = {
            "environments": largest,
            "seconds": bound,
            "measured_seconds": figures["seconds"],
            "measured_over_bound": round(figures["seconds"] / bound, 3),
            "how": "the time Hobby's limits take to let the up's Railway requests go out from nothing spent "
            "(10 a second; past 1,000, the rest once the first leave the hour), plus the build and deploy "
            "after the last deployment starts",
        }
        print(
            f"Hobby: N = {largest}: {figures['seconds']:.1f} s against a lower bound of {bound:.1f} s from the "
            f"limits ({figures['railway_requests_of_the_up']} Railway requests in the up): "
            f"{figures['seconds'] / bound:.2f}x the bound"
        )
    print(
        f"HTTP 429 over every run: {summary['http_429_total']} (goal {GOAL_429}): "
        f"{_verdict(summary['http_429_total'] == GOAL_429)}"
    )
    if all_lags:
        lag_ok = all(lag <= GOAL_LAG_MEDIAN for lag in all_lags)
        summary["lag_median_met_at_every_n"] = lag_ok
        print(
            f"deployment lag (from SUCCESS, or from status's first request when later) median <= "
            f"{GOAL_LAG_MEDIAN:g} s at every plan and N: {_verdict(lag_ok)}"
        )
    if not args.no_write:
        print(f"wrote {write_results('fleet_scale', summary)}")
    return summary


def _print_run(plan: str, figures: dict[str, Any]) -> None:
    lags = figures["lag_seconds"]
    print(
        f"{plan:>5} N={figures['environments']:>3}: T {figures['seconds']:7.2f} s (minus emulated delay "
        f"{figures['seconds_minus_emulated_delay']:6.2f} s; bound {figures['lower_bound_seconds']:6.2f} s), "
        f"429s {figures['http_429']}, requests {figures['requests']} {figures['requests_by_api']}, peak "
        f"{figures['peak_railway_requests_per_emulated_second']}/emulated s, hour used "
        f"{figures['hourly_budget_used']}/{figures['hourly_budget']}, lag median/max: deployment "
        f"{lags['deployment'].get('median', '-')}/{lags['deployment'].get('max', '-')} s (from SUCCESS "
        f"{lags['deployment_from_success'].get('median', '-')}/{lags['deployment_from_success'].get('max', '-')} s, "
        f"{lags['deployments_up_before_status_first_asked']} up before status first asked), project "
        f"{lags['project'].get('median', '-')}/{lags['project'].get('max', '-')} s"
    )
    for warning in figures["budget_warnings"]:
        print(f"      warned: {warning}")


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    main()

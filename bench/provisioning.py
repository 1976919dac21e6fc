"""Fleet provisioning time: N = 1, 5 and 20 new environments, each with a dedicated Supabase
project, brought up by the whole program (harness/new_stack.up: independent resources
concurrently, dependents after their dependencies) through the real provider host
(`python -m pulumi.dynamic`, 4 worker threads) against both sandboxes at scaled real latencies:
a Supabase project is ACTIVE_HEALTHY 5 s after its create, and every API call on both sandboxes
takes 100 ms more. The providers run with their production retry and readiness-polling settings.

The sandboxes run in a process of their own (bench/sandbox_process.py): real APIs do not share
the engine's CPU, and emulators in the benchmark's process would.

    venv/bin/python -m bench.provisioning            # N = 1, 5, 20; median of 3 runs each
    venv/bin/python -m bench.provisioning --sizes 1 2 --healthy-after 0.5 --latency 0.01 --repeats 1 --no-write

Prints T(N) and T(N)/T(1) and where the time went (when each kind of request ran, how long each
kind of provider call took including its wait for a host worker, how long after its project
turned healthy each readiness wait returned), and writes bench/results/provisioning.json with
`ratio_20_to_1`.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.fleets import fleet_mapping, provider_host, request_label, sandboxes, write_results
from bench.sandbox_process import remote_sandboxes
from harness.mocks import TODAY
from harness.new_stack import up
from programs.fleet import deploy_fleet, load_fleet_spec

SIZES = (1, 5, 20)
HEALTHY_AFTER = 5.0
LATENCY = 0.1
GOAL = 1.5
HOST_WORKERS = 4


@dataclass
class CallTimes:
    """When each Create ran, as the engine saw it: (start, end, resource type, name), seconds
    from the start of the `up`. A call's time includes its wait for one of the host's workers."""

    t0: float
    calls: list[tuple[float, float, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class TimedHost:
    """The provider host as new_stack.up uses it, timing every Create."""

    def __init__(self, host: Any, times: CallTimes):
        self._host = host
        self.stub = host.stub
        self._times = times

    def call(self, method: Any, request: Any) -> Any:
        start = time.monotonic()
        try:
            return self._host.call(method, request)
        finally:
            if method == self.stub.Create:
                end = time.monotonic()
                kind = request.urn.split("::")[2].rsplit(":", 1)[-1]
                name = request.urn.rsplit("::", 1)[-1]
                with self._times.lock:
                    self._times.calls.append((start - self._times.t0, end - self._times.t0, kind, name))


def project_lags(keys: Sequence[Any], projects: Sequence[Mapping[str, Any]], times: CallTimes) -> list[float]:
    """For each ProjectKeys created: from its project or branch turning healthy in the emulator
    to the end of the create that waited for it (seconds)."""
    ready_at = {project["ref"]: project["ready_at"] for project in projects}
    ended = {name: end for _, end, kind, name in times.calls if kind == "ProjectKeys"}
    return [
        times.t0 + ended[created.name] - ready_at[created.id]
        for created in keys
        if created.name in ended and created.id in ready_at
    ]


@dataclass
class Run:
    size: int
    seconds: float
    creates: int
    requests: dict[str, int]
    request_times: dict[str, dict[str, float]]
    call_times: dict[str, dict[str, float]]
    keys_after_healthy: dict[str, float]


def run_once(size: int, *, healthy_after: float, latency: float, in_process: bool = False) -> Run:
    mapping = fleet_mapping(size)
    opened = (
        sandboxes(healthy_after=healthy_after, latency=latency)
        if in_process
        else remote_sandboxes(healthy_after=healthy_after, latency=latency)
    )
    with opened as boxes, provider_host(boxes) as host:
        boxes.clear_journals()
        t0 = time.monotonic()
        times = CallTimes(t0)
        deployment = up(lambda: deploy_fleet(load_fleet_spec(mapping), today=TODAY), TimedHost(host, times))
        seconds = time.monotonic() - t0
        if deployment.error is not None:
            raise RuntimeError(f"up of {size} environments failed: {deployment.error}")
        journal = boxes.journal()
        state = (
            boxes.state()
            if hasattr(boxes, "state")
            else {"environments": boxes.railway.environments(boxes.project_id), "projects": boxes.supabase.projects()}
        )
    projects = [p for p in state["projects"] if not p["is_branch"]]
    environments = [e for e in state["environments"] if e["id"] != boxes.base_environment_id]
    if (len(projects), len(environments)) != (size, size):
        raise RuntimeError(f"expected {size} projects and environments, found {len(projects)} and {len(environments)}")

    arrivals: dict[str, list[float]] = defaultdict(list)
    for api, entry in journal:
        arrivals[f"{api}: {request_label(api, entry)}"].append(entry.at - t0)
    request_times = {
        label: {"count": len(at), "first": round(min(at), 2), "last": round(max(at), 2)}
        for label, at in sorted(arrivals.items(), key=lambda item: min(item[1]))
    }
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for start, end, kind, _ in times.calls:
        spans[kind].append((start, end))
    call_times = {
        kind: {
            "count": len(found),
            "first_start": round(min(s for s, _ in found), 2),
            "last_end": round(max(e for _, e in found), 2),
            "mean_seconds": round(statistics.fmean(e - s for s, e in found), 3),
        }
        for kind, found in sorted(spans.items(), key=lambda item: min(s for s, _ in item[1]))
    }
    # How long after its project turned healthy in the emulator each readiness wait returned.
    lags = project_lags(deployment.of_type("ProjectKeys"), state["projects"], times)
    keys_after_healthy = (
        {
            "median": round(statistics.median(lags), 3),
            "max": round(max(lags), 3),
            "min": round(min(lags), 3),
            "count": len(lags),
        }
        if lags
        else {}
    )
    return Run(
        size,
        seconds,
        len(times.calls),
        {k: v["count"] for k, v in request_times.items()},
        request_times,
        call_times,
        keys_after_healthy,
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--healthy-after", type=float, default=HEALTHY_AFTER)
    parser.add_argument("--latency", type=float, default=LATENCY)
    parser.add_argument("--repeats", type=int, default=3, help="runs per size; T(N) is their median")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the emulators in this process (they then share its GIL with the program and the engine)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results alone")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes) | {1})

    runs: dict[int, list[Run]] = {size: [] for size in sizes}
    for _ in range(args.repeats):
        for size in sizes:
            runs[size].append(
                run_once(size, healthy_after=args.healthy_after, latency=args.latency, in_process=args.in_process)
            )
    median = {size: statistics.median(run.seconds for run in found) for size, found in runs.items()}
    typical = {size: min(found, key=lambda run: abs(run.seconds - median[size])) for size, found in runs.items()}
    base = median[1]

    print(
        f"provisioning: project healthy {args.healthy_after:g} s after its create, {args.latency * 1000:g} ms "
        f"added to every API call, {HOST_WORKERS} provider-host workers, median of {args.repeats}"
    )
    print(
        f"{'N':>4} {'T(N) s':>8} {'-delay s':>9} {'T(N)/T(1)':>10} {'runs s':>22} {'creates':>8} {'requests':>9} "
        f"{'lag med/max s':>14}"
    )
    for size in sizes:
        each = ", ".join(f"{run.seconds:.2f}" for run in runs[size])
        run = typical[size]
        lag = run.keys_after_healthy
        print(
            f"{size:>4} {median[size]:>8.2f} {median[size] - args.healthy_after:>9.2f} {median[size] / base:>10.2f} "
            f"{each:>22} {run.creates:>8} {sum(run.requests.values()):>9} "
            f"{lag.get('median', float('nan')):>6.3f}/{lag.get('max', float('nan')):<6.3f}"
        )
    print("  (-delay: T(N) less the emulated ready delay, the project's healthy_after; lag: from a project")
    print("  turning healthy in the emulator to its readiness wait returning, the run closest to the median)")
    for size in sizes:
        run = typical[size]
        print(
            f"\nN = {size} (the run closest to the median): readiness waits returned {run.keys_after_healthy} s "
            "after their project turned healthy"
        )
        print("  requests (count, first and last arrival, s):")
        for label, facts in run.request_times.items():
            print(f"    {label:<52} {facts['count']:>4} {facts['first']:>7.2f} {facts['last']:>7.2f}")
        print("  provider creates (count, first start, last end, mean incl. the wait for a worker, s):")
        for kind, facts in run.call_times.items():
            print(
                f"    {kind:<18} {facts['count']:>4} {facts['first_start']:>7.2f} {facts['last_end']:>7.2f} "
                f"{facts['mean_seconds']:>7.3f}"
            )

    figures: dict[str, Any] = {
        "healthy_after_seconds": args.healthy_after,
        "latency_seconds": args.latency,
        "provider_host_workers": HOST_WORKERS,
        "repeats": args.repeats,
        "sandboxes": "in-process" if args.in_process else "separate process",
        "goal_ratio_20_to_1": GOAL,
        "emulated_ready_delay_seconds": args.healthy_after,
        "seconds": {str(size): round(median[size], 3) for size in sizes},
        "seconds_minus_emulated_delay": {str(size): round(median[size] - args.healthy_after, 3) for size in sizes},
        "ratios": {str(size): round(median[size] / base, 3) for size in sizes},
        "runs": [
            {
                "environments": size,
                "seconds_median": round(median[size], 3),
                "seconds_each": [round(run.seconds, 3) for run in runs[size]],
                "ratio_to_1": round(median[size] / base, 3),
                "provider_creates": typical[size].creates,
                "requests": sum(typical[size].requests.values()),
                "requests_by_operation": dict(sorted(typical[size].requests.items())),
                "request_times": typical[size].request_times,
                "create_call_times": typical[size].call_times,
                "readiness_wait_returned_after_healthy_seconds": typical[size].keys_after_healthy,
                "lag_seconds": typical[size].keys_after_healthy,
            }
            for size in sizes
        ],
    }
    if 20 in median:
        figures["ratio_20_to_1"] = round(median[20] / base, 3)
        print(f"\nT(20)/T(1) = {figures['ratio_20_to_1']:.2f} (goal <= {GOAL})")
    if 5 in median:
        figures["ratio_5_to_1"] = round(median[5] / base, 3)
    if not args.no_write:
        print(f"wrote {write_results('provisioning', figures)}")
    return figures


if __name__ == "__main__":
    main()

"""Fleet provisioning time: N = 1, 5 and 20 new environments, each with a dedicated Supabase
project, brought up by the whole program through the real provider host (4 worker threads)
against both sandboxes at scaled real latencies: a Supabase project is healthy 5 s after its
create, and every API call on both sandboxes takes 100 ms more.

    venv/bin/python -m bench.provisioning            # N = 1, 5, 20
    venv/bin/python -m bench.provisioning --sizes 1 2 --healthy-after 0.5 --latency 0.01   # quick

Prints T(N) and T(N)/T(1), where the time went (per resource type: how long its creates took,
from the first to the last; per request: when it ran), and writes bench/results/provisioning.json
with `ratio_20_to_1`.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench._fleet import fleet_mapping, provider_host, request_label, sandboxes, write_results
from bench._sandbox_process import remote_sandboxes
from components.fleet import deploy_fleet, load_fleet_spec
from tests.engine.program_engine import up
from tests.program.harness import TODAY

SIZES = (1, 5, 20)
HEALTHY_AFTER = 5.0
LATENCY = 0.1
GOAL = 1.5


@dataclass
class CallTimes:
    """When each provider call ran, as seen by the engine (start, end, resource type, name)."""

    t0: float
    calls: list[tuple[float, float, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class TimedHost:
    """The provider host as program_engine.up uses it, timing every Create."""

    def __init__(self, host, times: CallTimes):
        self._host = host
        self.stub = host.stub
        self._times = times

    def _call(self, method, request):
        start = time.monotonic()
        try:
            return self._host._call(method, request)
        finally:
            if method == self.stub.Create:
                end = time.monotonic()
                kind = request.urn.split("::")[2].rsplit(":", 1)[-1]
                name = request.urn.rsplit("::", 1)[-1]
                with self._times.lock:
                    self._times.calls.append((start - self._times.t0, end - self._times.t0, kind, name))


@dataclass
class Run:
    size: int
    seconds: float
    resources: int
    requests: dict[str, int]
    by_type: dict[str, dict[str, float]]
    ready_lag: dict[str, float]


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
        state = _state(boxes)
    projects = [p for p in state["projects"] if not p["is_branch"]]
    environments = [e for e in state["environments"] if e["id"] != boxes.base_environment_id]
    if (len(projects), len(environments)) != (size, size):
        raise RuntimeError(f"expected {size} projects and environments, found {len(projects)} and {len(environments)}")

    requests: dict[str, int] = defaultdict(int)
    for api, entry in journal:
        requests[f"{api}: {request_label(api, entry)}"] += 1
    by_type: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for start, end, kind, _ in times.calls:
        by_type[kind].append((start, end))
    summary = {
        kind: {
            "count": len(spans),
            "first_start": round(min(s for s, _ in spans), 3),
            "last_end": round(max(e for _, e in spans), 3),
            "mean_call_seconds": round(statistics.fmean(e - s for s, e in spans), 3),
            "max_call_seconds": round(max(e - s for s, e in spans), 3),
        }
        for kind, spans in sorted(by_type.items())
    }
    # How long after a project turned healthy its keys call returned: the cost of polling.
    project_created = {
        entry.body["name"]: entry.at - t0
        for api, entry in journal
        if api == "supabase" and entry.key == "POST /v1/projects" and entry.status == 201
    }
    lags = []
    for start, end, kind, name in times.calls:
        if kind == "ProjectKeys":
            env = name.removesuffix("-database-keys")
            created = next((at for project, at in project_created.items() if project.endswith(f"-staging-{env}")), None)
            if created is not None:
                lags.append(end - (created + healthy_after))
    ready_lag = {"mean": round(statistics.fmean(lags), 3), "max": round(max(lags), 3)} if lags else {}
    return Run(size, seconds, len(times.calls), dict(sorted(requests.items())), summary, ready_lag)


def _state(boxes: Any) -> dict[str, Any]:
    if hasattr(boxes, "state"):
        return boxes.state()
    return {"environments": boxes.railway.environments(boxes.project_id), "projects": boxes.supabase.projects()}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--healthy-after", type=float, default=HEALTHY_AFTER)
    parser.add_argument("--latency", type=float, default=LATENCY)
    parser.add_argument(
        "--in-process", action="store_true",
        help="run the emulators in this process (they then share its GIL with the program and the engine)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results alone")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes) | {1})

    runs = [run_once(size, healthy_after=args.healthy_after, latency=args.latency, in_process=args.in_process) for size in sizes]
    base = runs[0].seconds
    print(f"provisioning: project healthy after {args.healthy_after:g} s, {args.latency * 1000:g} ms per API call, "
          "4 provider-host workers")
    print(f"{'N':>4} {'T(N) s':>8} {'T(N)/T(1)':>10} {'creates':>8} {'requests':>9}")
    for run in runs:
        print(f"{run.size:>4} {run.seconds:>8.2f} {run.seconds / base:>10.2f} {run.resources:>8} {sum(run.requests.values()):>9}")
    for run in runs:
        print(f"\nN = {run.size}: keys returned {run.ready_lag} s after their project turned healthy")
        for kind, facts in run.by_type.items():
            print(f"  {kind:<18} {facts}")

    figures: dict[str, Any] = {
        "healthy_after_seconds": args.healthy_after,
        "latency_seconds": args.latency,
        "provider_host_workers": 4,
        "goal_ratio_20_to_1": GOAL,
        "runs": [
            {
                "environments": run.size,
                "seconds": round(run.seconds, 3),
                "ratio_to_1": round(run.seconds / base, 3),
                "provider_creates": run.resources,
                "requests": sum(run.requests.values()),
                "requests_by_operation": run.requests,
                "creates_by_type": run.by_type,
                "keys_returned_after_healthy_seconds": run.ready_lag,
            }
            for run in runs
        ],
        "seconds": {str(run.size): round(run.seconds, 3) for run in runs},
    }
    by_size = {run.size: run for run in runs}
    if 20 in by_size:
        figures["ratio_20_to_1"] = round(by_size[20].seconds / base, 3)
        print(f"\nT(20)/T(1) = {figures['ratio_20_to_1']:.2f} (goal <= {GOAL})")
    if 5 in by_size:
        figures["ratio_5_to_1"] = round(by_size[5].seconds / base, 3)
    if not args.no_write:
        print(f"wrote {write_results('provisioning', figures)}")
    return figures


if __name__ == "__main__":
    main()

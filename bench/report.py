"""docs/performance.md, rendered from bench/results/*.json: the docs quote the figures the
benchmarks wrote and never retype them.

    venv/bin/python -m bench.report            # rewrite docs/performance.md (make bench runs it last)
    venv/bin/python -m bench.report --check    # exit 1 when the committed page is not the rendering

tests/docs/test_performance.py fails when the committed page and the results disagree, and when a
result was measured on other code than the current one (its `source_digest`, bench/results.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness import REPO

RESULTS = REPO / "bench" / "results"
PAGE = REPO / "docs" / "performance.md"

Result = Mapping[str, Any]


def _s(seconds: float) -> str:
    return f"{seconds:.1f} s"


def _by_size(mapping: Mapping[str, Any], key: str | None = None) -> str:
    values = [(size, value if key is None else value[key]) for size, value in mapping.items() if size.isdigit()]
    return ", ".join(f"T({size}) {_s(float(value))}" for size, value in values)


def _lag(lag: Mapping[str, Any]) -> str:
    return f"median **{lag['median']:.2f} s**, max {lag['max']:.2f} s"


def provisioning(result: Result) -> tuple[str, str]:
    what = (
        "provisioning N new environments with dedicated databases through the real provider host (4 workers), "
        f"emulators at scaled real latencies ({result['latency_seconds'] * 1000:.0f} ms per API call, a project "
        f"healthy after {result['healthy_after_seconds']:g} s)"
    )
    figure = (
        f"{_by_size(result['seconds'])}: **T(20)/T(1) = {result['ratio_20_to_1']:.2f}** "
        f"(goal ≤ {result['goal_ratio_20_to_1']:g})"
    )
    if "seconds_minus_emulated_delay" in result:
        figure += f"; less the emulated {result['healthy_after_seconds']:g} s: " + ", ".join(
            f"{size}: {_s(value)}" for size, value in result["seconds_minus_emulated_delay"].items()
        )
    if "lag_seconds" in result and "overall" in result["lag_seconds"]:
        figure += f"; a healthy project noticed {_lag(result['lag_seconds']['overall'])} after"
    return what, figure


def readiness(result: Result) -> tuple[str, str]:
    what = (
        "from the start of `pulumi up` to every service healthy (`fleet status --wait` exits 0), N new "
        f"environments with dedicated databases, emulators adding {result['emulated_ready_delay_seconds']:g} s of "
        f"ready delay ({result['emulated_ready_delay']})"
    )
    seconds = result["seconds"]
    figure = (
        f"{_by_size(seconds, 'ready')} (less the emulated delay: "
        + ", ".join(f"{size}: {_s(value['ready_minus_emulated_delay'])}" for size, value in seconds.items())
        + f"): **T_ready(20)/T_ready(1) = {result['ratio_20_to_1']:.2f}** (goal ≤ {result['goals']['ratio_20_to_1']:g}); "
        f"`fleet status` polls Railway at most **{result['polls_per_service_per_2s_max']:.2f} times per service per 2 s** "
        f"(goal ≤ {result['goals']['polls_per_service_per_2s']:g}); a deployment's SUCCESS noticed "
        f"{_lag(result['lag_seconds']['overall'])} (goal: median ≤ {result['goals']['lag_median_seconds']:g} s)"
    )
    return what, figure


def api_economy(result: Result) -> tuple[str, str]:
    fleet = result["fleet"]
    what = (
        f"requests of a {fleet['environments']}-environment fleet ({fleet['services_per_environment']} services each): "
        "per new environment, a no-op up, a preview, a refresh, a destroy"
    )
    figure = (
        f"{fleet['per_new_environment_total']:g} requests per new environment (minimum the APIs allow: "
        f"{fleet['per_new_environment_minimum_total']}); no-op up **{result['noop_up_requests']} requests**; "
        f"preview **{result['preview_requests']} requests**; refresh at most {result['refresh_max_reads_per_resource']} "
        f"reads per resource; destroy of the sandbox stack **{result['destroy_requests_total']} requests**, "
        f"{result['destroy_child_writes']} child writes, {result['destroy_deployments_started']} deployments started "
        f"({result['destroy_requests_total_without_deleted_with']} requests without `deleted_with`)"
    )
    return what, figure


def program_eval(result: Result) -> tuple[str, str]:
    largest = max(int(run["environments"]) for run in result["runs"])
    what = f"program evaluation under mocks, 1 to {largest} environments (`Pulumi.staging.yaml`'s blocks)"
    figure = (
        f"time per environment at {largest} / at 1 = **{result['per_env_ratio_100_to_1']:.2f}** "
        f"({result['per_env_ratio_100_to_1_without_cyclic_gc']:.2f} with the cyclic GC off: the rest of the "
        "variance is the collector's, see bench/README.md)"
    )
    return what, figure


def fault_matrix(result: Result) -> tuple[str, str]:
    faults = ", ".join(str(fault) for fault in result["faults"])
    what = f"fault matrix: every provider operation × {faults}, once and on every attempt"
    once, every = result["counts"]["once"], result["counts"]["every attempt"]
    figure = (
        f"{result['cells']} cells; once: "
        + ", ".join(f"{label} {count}" for label, count in once.items() if count)
        + "; on every attempt: "
        + ", ".join(f"{label} {count}" for label, count in every.items() if count)
        + "; exactly one object per create in every cell"
    )
    return what, figure


def fleet_scale(result: Result) -> tuple[str, str]:
    what = (
        "fleets of 1 to 100 new environments (2 services, mixed databases) under Railway's Hobby and Pro limits, "
        "enforced by the emulators and paced by the clients, time compressed"
    )
    runs = result["runs"]
    zero_429 = all(run["http_429"] == 0 for run in runs)
    hobby_100 = next(run for run in runs if run["plan"] == "hobby" and run["environments"] == 100)
    per_run = "; ".join(
        f"{run['plan']} N={run['environments']}: {_s(run['seconds'])}, hourly budget {run['hourly_budget_used']}/"
        f"{run['hourly_budget']}, lag median deployment {run['lag_seconds']['deployment']['median']:.2f} s, "
        f"project {run['lag_seconds']['project']['median']:.2f} s"
        for run in runs
    )
    figure = (
        f"**T(100)/T(1) under Pro = {result['ratio_100_to_1_pro']:.2f}** (goal ≤ 3); HTTP 429s received: "
        f"**{sum(run['http_429'] for run in runs)}** over {len(runs)} runs"
        + (" (goal 0)" if zero_429 else " (goal 0: not met)")
        + f"; Hobby N=100 in {_s(hobby_100['seconds'])} against the {_s(hobby_100['lower_bound_seconds'])} its limits "
        + "allow at best; lag median ≤ 0.3 s at every N: "
        + ("met" if result["lag_median_met_at_every_n"] else "**not met**")
        + f" ({per_run})"
    )
    return what, figure


RENDERERS: dict[str, Callable[[Result], tuple[str, str]]] = {
    "provisioning": provisioning,
    "readiness": readiness,
    "fleet_scale": fleet_scale,
    "api_economy": api_economy,
    "program_eval": program_eval,
    "fault_matrix": fault_matrix,
}

INTRO = """\
# Performance

<!-- Generated by `venv/bin/python -m bench.report` from bench/results/*.json: edit bench/report.py,
not this page. tests/docs/test_performance.py fails when they disagree. -->

Every figure here is printed by a benchmark under `bench/` and written to `bench/results/<name>.json`
with the digest of the code it measured (`make bench` runs them all and renders this page); the
tests never assert timings. Measured on a 2-core machine; [bench/README.md](../bench/README.md) has
how each is measured.

| what | command | measured | figures |
| --- | --- | --- | --- |
"""

DESIGN = """
How the waits are designed: Pulumi runs every Python dynamic resource in one provider process with
4 worker threads, and a call holds its worker until it returns. So nothing waits where others
queue: `Project.create` returns as soon as Supabase accepts the project and generates the database
password itself; the one unavoidable wait, for a project to be healthy before its keys reach the
services, is `ProjectKeys`, which reads the keys while it polls and gives its worker back the
moment the project is up; a `Deployment` starts its build and returns. Every API client paces its
requests under the account's limits (`providers/limits.py`) instead of waiting for 429s, and each
provider call builds its HTTP client while the TLS context is built once per process.
"""


def load_results(directory: Path = RESULTS) -> dict[str, Result]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))}


def render(results: Mapping[str, Result]) -> str:
    missing = sorted(set(RENDERERS) - set(results))
    if missing:
        raise ValueError(f"no result for {', '.join(missing)}: run make bench")
    rows = []
    for name, renderer in RENDERERS.items():
        result = results[name]
        what, figure = renderer(result)
        rows.append(f"| {what} | `{result['command']}` | {result['measured_at'][:10]} | {figure} |\n")
    return INTRO + "".join(rows) + DESIGN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the committed page is current")
    args = parser.parse_args(argv)
    page = render(load_results())
    if args.check:
        current = PAGE.read_text(encoding="utf-8") == page
        print("docs/performance.md is current" if current else "docs/performance.md is stale: run make bench")
        return 0 if current else 1
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

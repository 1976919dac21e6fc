"""Program evaluation under mocks: the whole program (config parsing, every component, every
resource registration, the exports and the catalog) for generated fleets of 1, 10, 50 and 100
environments built from Pulumi.staging.yaml's railway, supabase and defaults blocks, as
harness.mocks.evaluate runs it. No API, no provider host: this is what `pulumi preview`
and `pulumi up` spend in the program itself. Time per environment should stay flat.

    venv/bin/python -m bench.program_eval                       # 1, 10, 50, 100; best of 3
    venv/bin/python -m bench.program_eval --sizes 1 3 --repeats 1 --no-write   # quick

Each size is measured twice: as pulumi runs it, and with CPython's cyclic garbage collector off
while the program runs. The difference is the collector walking the SDK's growing graph of
Outputs and futures (a cost of the runtime, not of the program's own work), which is what makes
per-environment time creep up at 100 environments.

Writes bench/results/program_eval.json with `per_env_ratio_100_to_1` (collector on) and
`per_env_ratio_100_to_1_without_cyclic_gc`.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Sequence
from typing import Any

from bench.fleets import fleet_mapping, write_results
from harness.mocks import evaluate

SIZES = (1, 10, 50, 100)
STACK_FILE = "Pulumi.staging.yaml"


def measure(size: int, repeats: int, *, collector: bool = True) -> dict[str, Any]:
    """Best and median of `repeats` evaluations, each from a collected heap; with `collector`
    False, CPython's cyclic garbage collector is off while the program runs."""
    mapping = fleet_mapping(size, stack_file=STACK_FILE)
    times: list[float] = []
    resources = 0
    for _ in range(repeats):
        gc.collect()
        if not collector:
            gc.disable()
        try:
            started = time.perf_counter()
            evaluation = evaluate(mapping)
            times.append(time.perf_counter() - started)
        finally:
            gc.enable()
        resources = len(evaluation.graph.resources)
        if len(evaluation.exports.get("environments") or {}) != size:
            raise RuntimeError(f"expected {size} environments in the exports")
    best = min(times)
    return {
        "environments": size,
        "resources": resources,
        "seconds_best": round(best, 4),
        "seconds_median": round(statistics.median(times), 4),
        "per_env_ms_best": round(best / size * 1000, 2),
        "per_env_ms_median": round(statistics.median(times) / size * 1000, 2),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results alone")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes) | {1})
    evaluate(fleet_mapping(1, stack_file=STACK_FILE))  # warm up imports and caches: not part of any size
    figures: dict[str, Any] = {"stack_file_blocks": STACK_FILE, "repeats": args.repeats}
    for label, collector in (("runs", True), ("runs_without_cyclic_gc", False)):
        runs = [measure(size, args.repeats, collector=collector) for size in sizes]
        base = runs[0]["per_env_ms_best"]
        print(
            f"\nprogram evaluation under mocks ({STACK_FILE} blocks, best of {args.repeats}, "
            f"cyclic GC {'on (as pulumi runs it)' if collector else 'off'})"
        )
        print(f"{'N':>5} {'resources':>10} {'T(N) s':>8} {'per env ms':>11} {'ratio to N=1':>13}")
        for run in runs:
            run["per_env_ratio_to_1"] = round(run["per_env_ms_best"] / base, 3)
            print(
                f"{run['environments']:>5} {run['resources']:>10} {run['seconds_best']:>8.3f} "
                f"{run['per_env_ms_best']:>11.2f} {run['per_env_ratio_to_1']:>13.2f}"
            )
        figures[label] = runs
        by_size = {run["environments"]: run for run in runs}
        if 100 in by_size:
            key = "per_env_ratio_100_to_1" if collector else "per_env_ratio_100_to_1_without_cyclic_gc"
            figures[key] = by_size[100]["per_env_ratio_to_1"]
            print(f"per-environment time at 100 / at 1 = {figures[key]:.2f}")
    if not args.no_write:
        print(f"wrote {write_results('program_eval', figures)}")
    return figures


if __name__ == "__main__":
    main()

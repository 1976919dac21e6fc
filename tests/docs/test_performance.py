"""docs/performance.md is the rendering of bench/results/*.json (bench/report.py), and every
result was measured on the code as it is: a result's `source_digest` is the digest of the
current source (bench/results.py). When either fails, `make bench` measures again and renders."""

from __future__ import annotations

import pytest

from bench import report
from bench.results import source_digest

RESULTS = report.load_results()
BENCHMARKS = sorted(
    path.stem
    for path in (report.REPO / "bench").glob("*.py")
    if "def main(" in path.read_text(encoding="utf-8") and path.stem not in ("report", "__main__")
)


def test_the_committed_performance_page_is_the_rendering_of_the_results() -> None:
    assert report.PAGE.read_text(encoding="utf-8") == report.render(RESULTS), (
        "run make bench (or python -m bench.report)"
    )


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_each_result_was_measured_on_the_current_code(name: str) -> None:
    assert RESULTS[name].get("source_digest") == source_digest(), (
        f"bench/results/{name}.json was measured on other code: run make bench"
    )


def test_every_benchmark_has_a_result_and_a_row_on_the_page() -> None:
    assert BENCHMARKS == sorted(RESULTS) == sorted(report.RENDERERS)


def test_a_missing_result_is_named_rather_than_left_out() -> None:
    partial = {name: result for name, result in RESULTS.items() if name != "fleet_scale"}
    with pytest.raises(ValueError, match="no result for fleet_scale"):
        report.render(partial)

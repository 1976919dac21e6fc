"""bench/results.py: the digest every result file records of the code it measured."""

from __future__ import annotations

from pathlib import Path

from bench.results import SOURCE_DIRECTORIES, source_digest, source_files


def tree(root: Path) -> Path:
    for directory in SOURCE_DIRECTORIES:
        (root / directory).mkdir(parents=True)
        (root / directory / "module.py").write_text(f"# {directory}\n")
    (root / "bench" / "results").mkdir()
    (root / "bench" / "results" / "figures.py").write_text("# not source\n")
    (root / "sandbox" / "railway.graphql").write_text("type Query { a: Int }\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text("# not measured\n")
    return root


def test_the_digest_covers_the_programs_source_and_nothing_else(tmp_path: Path):
    files = [path.relative_to(tmp_path).as_posix() for path in source_files(tree(tmp_path))]
    assert files == sorted([f"{d}/module.py" for d in SOURCE_DIRECTORIES] + ["sandbox/railway.graphql"])


def test_the_digest_changes_with_any_source_file(tmp_path: Path):
    root = tree(tmp_path)
    before = source_digest(root)
    (root / "providers" / "module.py").write_text("# providers, changed\n")
    assert source_digest(root) != before


def test_results_tests_and_caches_do_not_change_the_digest(tmp_path: Path):
    root = tree(tmp_path)
    before = source_digest(root)
    (root / "bench" / "results" / "figures.py").write_text("# other figures\n")
    (root / "tests" / "test_x.py").write_text("# another test\n")
    (root / "fleet" / "__pycache__").mkdir()
    (root / "fleet" / "__pycache__" / "module.py").write_text("# cache\n")
    assert source_digest(root) == before
    assert source_digest(root).startswith("sha256:")


def test_make_bench_runs_every_benchmark():
    repo = Path(__file__).resolve().parents[2]
    line = next(line for line in (repo / "Makefile").read_text().splitlines() if line.startswith("BENCHMARKS :="))
    listed = line.split(":=", 1)[1].split()
    modules = sorted(
        path.stem
        for path in (repo / "bench").glob("*.py")
        if not path.stem.startswith("_") and path.stem not in ("results", "report") and "def main(" in path.read_text()
    )
    assert sorted(listed) == modules

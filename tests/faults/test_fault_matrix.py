"""Every provider operation under every fault the sandboxes inject (apply_late included: a request
never answered and applied after the client gave up), once and on every attempt.

For each cell: the operation either succeeds within its retry budget or fails with an error that
names what failed and the API call (and no credential); running it again, as the next `pulumi up`
would, succeeds; and the sandbox then holds exactly what the provider reported, no duplicate and
no orphan, once the server has applied every request it held. A fault on one request only must
never fail an operation. The checks are bench/fault_matrix.py's `run_cell`, the same ones
`venv/bin/python -m bench.fault_matrix` makes when it writes the matrix to bench/results; this
session writes nothing.
"""

from __future__ import annotations

import pytest

from bench import fault_matrix as matrix
from tests.faults.conftest import World


@pytest.mark.parametrize("mode", matrix.MODES)
@pytest.mark.parametrize("fault", matrix.FAULTS)
@pytest.mark.parametrize("operation", matrix.OPERATIONS, ids=lambda op: op.name)
def test_operation_under_fault(world: World, operation: matrix.Operation, fault: str, mode: str) -> None:
    outcome = matrix.run_cell(world, operation, fault, mode)
    assert outcome in matrix.LEGEND
    if mode == "once":
        assert outcome != matrix.FAILED_THEN_CONVERGED, f"one {fault} failed {operation.name}"

"""Drive the stagefleet program and its dynamic providers the way the Pulumi engine does, without
the Pulumi CLI: for the tests and the benchmarks, which both import it (it imports neither).

- host.py            the provider host: `python -m pulumi.dynamic` started as the engine starts it
                     (cwd = the project directory), spoken to over gRPC
- mocks.py           the program under `pulumi.runtime.set_mocks`: the resource graph it declares and
                     its stack exports, with no provider and no API
- new_stack.py       `pulumi up`, `refresh` and `destroy` of a new stack through the provider host
- existing_stack.py  `pulumi up`, `preview`, `refresh` and `destroy` of a stack that has a state
"""

from __future__ import annotations

from pathlib import Path

# The project directory: where Pulumi.yaml and the stack files are, and the provider host's cwd
# (the host imports the providers from there, as the engine's does).
REPO = Path(__file__).resolve().parents[1]

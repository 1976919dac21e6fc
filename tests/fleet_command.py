"""`python -m fleet ...` for the tests, run in this process: what a subprocess would give (exit code,
stdout, stderr, as text), without starting an interpreter per call (~0.4 s each, over a hundred
calls). tests/unit/test_cli.py checks it against a real `python -m fleet` for a sample of commands.

In the subprocess the tests used before: the working directory is `cwd`; `python -m fleet` is
`raise SystemExit(fleet.cli.main())`, so main's return value, a SystemExit (argparse's usage errors:
2) or an uncaught exception (its traceback on stderr, exit 1) make the exit code; argparse wraps its
help at 80 columns when stdout is not a terminal.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

from fleet.cli import main


@contextlib.contextmanager
def _columns(width: str) -> Iterator[None]:
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = width
    try:
        yield
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m fleet *args` in `cwd`, as subprocess.run(..., capture_output=True, text=True)
    would return it."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(cwd),
        _columns(os.environ.get("COLUMNS", "80")),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            code = main(list(args))
        except SystemExit as leaving:
            code = leaving.code
        except Exception:
            traceback.print_exc(file=sys.stderr)
            code = 1
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=stderr)
        code = 1
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "fleet", *args], code, stdout.getvalue(), stderr.getvalue()
    )

"""`make sandbox` end to end: the real pulumi CLI drives the program against the local emulator."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("pulumi") is None, reason="the pulumi CLI is not on PATH (it cannot be installed on this machine)"
    ),
]


@pytest.mark.timeout(900)
def test_sandbox_stack_goes_up_shows_no_changes_refreshes_clean_and_is_destroyed(tmp_path):
    result = subprocess.run(
        ["bash", str(REPO / "sandbox" / "run-stack.sh")],
        cwd=REPO,
        env={**_base_env(), "STAGEFLEET_SANDBOX_STATE": str(tmp_path / "state")},
        capture_output=True,
        text=True,
        timeout=840,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "staging-dev1-alice" in result.stdout or "dev1-alice" in result.stdout
    assert "sbp_sandbox" not in result.stdout + result.stderr


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("RAILWAY_", "SUPABASE_", "PULUMI_"))}

"""`python -m fleet credentials`: where `pulumi up` will find each API token the stack needs, with the
precedence of providers/settings.py (stack config first, a blank value counting as unset, then the
environment variable); the deploy workflow runs it before `pulumi up`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from providers import settings
from tests import fleet_command
from tests.unit.fleet_support import REPO

VARIABLES = ("RAILWAY_API_TOKEN", "SUPABASE_ACCESS_TOKEN", "STATSIG_CONSOLE_API_KEY")


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in ("Pulumi.staging.yaml", "Pulumi.pr.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def credentials(project: Path, stack: str = "staging") -> subprocess.CompletedProcess[str]:
    return fleet_command.run(project, "credentials", "--stack", stack)


def add_config(project: Path, text: str, stack: str = "staging") -> None:
    path = project / f"Pulumi.{stack}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_every_token_from_the_environment(project, monkeypatch):
    for name in VARIABLES:
        monkeypatch.setenv(name, "set")

    result = credentials(project)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "Railway: environment variable RAILWAY_API_TOKEN",
        "Supabase: environment variable SUPABASE_ACCESS_TOKEN",
        "Statsig: environment variable STATSIG_CONSOLE_API_KEY",
    ]


def test_the_stack_config_wins_over_the_environment_variable(project, monkeypatch):
    for name in VARIABLES:
        monkeypatch.setenv(name, "set")
    add_config(project, "  stagefleet:railwayToken:\n    secure: v1:bm9uY2U=:Y2lwaGVy\n")

    assert credentials(project).stdout.splitlines()[0] == (
        "Railway: stack config stagefleet:railwayToken (wins over RAILWAY_API_TOKEN; RAILWAY_API_TOKEN is set too "
        "and ignored)"
    )


def test_the_precedence_is_the_providers_own(project, monkeypatch):
    # The same question asked of providers/settings.py, with a config that has the key and the
    # environment variable set: the config's value is the one used.
    monkeypatch.setenv("RAILWAY_API_TOKEN", "from-environment")
    settings.configure({"stagefleet:railwayToken": "from-config"})
    try:
        assert settings.setting(settings.RAILWAY_TOKEN_KEY, settings.RAILWAY_TOKEN_ENV) == "from-config"
        settings.configure({"stagefleet:railwayToken": "  "})
        assert settings.setting(settings.RAILWAY_TOKEN_KEY, settings.RAILWAY_TOKEN_ENV) == "from-environment"
    finally:
        settings.configure(None)


def test_a_missing_token_fails_naming_it_and_where_to_set_it(project, monkeypatch):
    monkeypatch.setenv("RAILWAY_API_TOKEN", "set")
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "set")

    result = credentials(project)

    assert (result.returncode, result.stdout.splitlines()[-1]) == (
        1,
        "Statsig: missing, needed for the feature flags payments-v2: set STATSIG_CONSOLE_API_KEY, or pulumi config "
        "set --secret stagefleet:statsigConsoleKey <token>",
    )
    assert result.stderr == ("error: stack staging needs STATSIG_CONSOLE_API_KEY (or the stack config keys above)\n")


def test_a_fleet_without_feature_flags_needs_no_statsig_key(project, monkeypatch):
    monkeypatch.setenv("RAILWAY_API_TOKEN", "set")
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "set")
    path = project / "Pulumi.staging.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  stagefleet:featureFlags:")
    path.write_text(text[:start] + text[text.index("  # A gate whose flag") :], encoding="utf-8")

    result = credentials(project)

    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == (
        "Statsig: not needed (stagefleet:statsigConsoleKey and STATSIG_CONSOLE_API_KEY unused)"
    )


def test_a_review_stack_needs_railway_and_supabase_for_its_branch(project, monkeypatch):
    result = credentials(project, "pr")

    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == [
        "Railway: missing, needed for the review environment: set RAILWAY_API_TOKEN, or pulumi config set --secret "
        "stagefleet:railwayToken <token>",
        "Supabase: missing, needed for its branch database: set SUPABASE_ACCESS_TOKEN, or pulumi config set --secret "
        "stagefleet:supabaseAccessToken <token>",
    ]


def test_the_readmes_credentials_example_is_the_real_output(project, monkeypatch):
    # As the README says: a Railway token in the stack config, only SUPABASE_ACCESS_TOKEN exported.
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "set")
    add_config(project, "  stagefleet:railwayToken:\n    secure: v1:bm9uY2U=:Y2lwaGVy\n")

    result = credentials(project)

    assert result.returncode == 1
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"```\n{result.stdout}{result.stderr}```\n" in readme, result.stdout + result.stderr

"""`python -m fleet validate`, run in the project directory as CI runs it: in this process
(tests/fleet_command.py), and, for a sample of commands, as a process of its own that must give
exactly the same exit code, stdout and stderr."""

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from fleet import cli
from fleet.version import __version__
from tests import fleet_command

REPO = Path(__file__).resolve().parents[2]

VALID = """\
config:
  stagefleet:railway:
    projectId: 0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01
    baseEnvironmentId: 7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10
    services:
      - {name: api, id: 5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60, repository: gatewayz/gatewayz-backend}
  stagefleet:supabase: {organizationSlug: gatewayz}
  stagefleet:environments:
    - {name: main, kind: shared, branch: main, database: {strategy: dedicated}}
    - {name: dev1-alice, kind: developer, owner: alice@gatewayz.ai, branch: feature/alice,
       database: {strategy: shared, source: main}, expires: 2027-01-31}
"""
# The expiry rules count from --today; without it, from the real date.
TODAY = ("--today", "2026-11-26")

INVALID = """\
config:
  stagefleet:railway:
    projectId: 0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01
    baseEnvironmentId: 7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10
    services:
      - {name: api, id: 5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60, repository: gatewayz/gatewayz-backend}
  stagefleet:supabase: {organizationSlug: gatewayz}
  stagefleet:environments:
    - {name: main, kind: shared, branch: main, database: {strategy: dedicated}}
    - {name: dev1-alice, kind: developer, branch: feature/alice, database: {strategy: shared, source: main}}
    - {name: payments, kind: team, branch: main, database: {strategy: shared, source: mian}}
"""


def fleet(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return fleet_command.run(cwd, *args)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.staging.yaml").write_text(VALID, encoding="utf-8")
    return tmp_path


def test_validate_reports_ok_with_the_environments_and_exits_0(project):
    result = fleet(project, "validate", "--stack", "staging", *TODAY)

    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "ok: stack staging — 2 environments (main, dev1-alice)\n",
        "",
    )


def test_validate_lists_every_problem_on_stderr_and_exits_1(project):
    (project / "Pulumi.staging.yaml").write_text(INVALID, encoding="utf-8")

    result = fleet(project, "validate", "--stack", "staging")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "stagefleet:environments[1].owner: required for developer environments",
        "  hint: who to ask before it is changed or deleted, e.g. alice@gatewayz.ai",
        'stagefleet:environments[2].database.source: no environment named "mian"',
        '  hint: did you mean "main"?',
        "error: stack staging is invalid: 2 problems in Pulumi.staging.yaml",
    ]


def test_validate_without_a_stack_file_exits_2_and_says_where_it_looked(tmp_path):
    result = fleet(tmp_path, "validate", "--stack", "staging")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {tmp_path / 'Pulumi.staging.yaml'}: no such stack file\n"
        f"  hint: no Pulumi.<stack>.yaml in {tmp_path}: run from the Pulumi project directory, or pass --file\n"
    )


def test_validate_reads_the_file_given_with_file(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")

    result = fleet(elsewhere, "validate", "--stack", "review", "--file", str(project / "Pulumi.staging.yaml"), *TODAY)

    assert (result.returncode, result.stdout) == (0, "ok: stack review — 2 environments (main, dev1-alice)\n")


def test_validate_finds_the_file_of_a_fully_qualified_stack(project):
    result = fleet(project, "validate", "--stack", "gatewayz/stagefleet/staging", *TODAY)

    assert result.returncode == 0


def test_validate_of_a_file_that_is_not_yaml_exits_1(project):
    (project / "Pulumi.staging.yaml").write_text("config: [unclosed\n", encoding="utf-8")

    result = fleet(project, "validate", "--stack", "staging")

    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {project / 'Pulumi.staging.yaml'}: not valid YAML")


def test_validate_accepts_the_real_staging_stack_file():
    result = fleet(REPO, "validate", "--stack", "staging", *TODAY)

    assert (result.returncode, result.stdout) == (
        0,
        "ok: stack staging — 5 environments (main, dev1-alice, dev2-bob, dev3-charlie, payments)\n",
    )


def test_running_without_a_command_is_a_usage_error(project):
    result = fleet(project)

    assert result.returncode == 2
    assert "COMMAND" in result.stderr


def test_validate_without_stack_is_a_usage_error(project):
    result = fleet(project, "validate")

    assert result.returncode == 2
    assert "--stack" in result.stderr


def test_commands_without_credentials_import_neither_the_providers_nor_the_modules_that_talk_to_apis(project):
    # `status` and `orphans` are the commands that talk to APIs: the CLI loads them only when they run.
    api_modules = ("fleet.status", "fleet.probe", "fleet.watch", "fleet.orphans", "fleet.orphan_sweep")
    script = (
        "import sys, fleet.cli\n"
        "fleet.cli.main(['validate', '--stack', 'staging', '--today', '2026-11-26'])\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] == 'providers' or m in {api_modules!r}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.stdout.splitlines()[-1] == "[]"


def test_status_is_a_command_of_the_cli(tmp_path):
    result = fleet(tmp_path, "status", "--help")

    assert result.returncode == 0
    assert "--wait" in result.stdout and "--connect-to SUFFIX=URL" in result.stdout


def test_orphans_is_a_command_of_the_cli(tmp_path):
    result = fleet(tmp_path, "orphans", "--help")

    assert result.returncode == 0
    assert "--state FILE [FILE ...]" in result.stdout and "--min-age DURATION" in result.stdout


def python_m_fleet(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "fleet", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "--stack", "staging", *TODAY),  # exit 0
        ("validate", "--stack", "broken", *TODAY),  # exit 1, the problems on stderr
        ("validate", "--stack", "missing", *TODAY),  # no such stack file
        ("validate", "--stack", "staging", "--today", "26/11/2026"),  # a usage error: exit 2
        ("validate", "--help"),  # help, wrapped as in a pipe
        ("no-such-command",),
    ],
    ids=["ok", "problems", "no-stack-file", "usage-error", "help", "unknown-command"],
)
def test_the_in_process_cli_gives_what_python_m_fleet_gives(project: Path, args: tuple[str, ...]) -> None:
    (project / "Pulumi.broken.yaml").write_text(INVALID, encoding="utf-8")
    in_process, process = fleet(project, *args), python_m_fleet(project, *args)

    assert (in_process.returncode, in_process.stdout, in_process.stderr) == (
        process.returncode,
        process.stdout,
        process.stderr,
    )


def test_version_prints_the_version_fleet_version_holds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])

    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"python -m fleet {__version__}\n"


def test_the_stagefleet_console_script_is_the_fleet_cli_under_its_own_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    module_name, _, function_name = project["project"]["scripts"]["stagefleet"].partition(":")
    console_script = getattr(importlib.import_module(module_name), function_name)
    monkeypatch.setattr(sys, "argv", ["stagefleet", "--version"])

    with pytest.raises(SystemExit) as exit_info:
        console_script()

    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"stagefleet {__version__}\n"


def test_the_package_version_is_read_from_fleet_version() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "fleet.version.__version__"}

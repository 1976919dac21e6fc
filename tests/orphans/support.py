"""What the `fleet orphans` tests share: the three sandboxes seeded with a fleet, the stack exports
that own part of it, and a way to run the command in-process or as CI runs it (a process).

Every object is seeded with a creation time relative to NOW, and the command runs with
`--now NOW`: ages never depend on the wall clock. Ids are fixed, so expected output is exact.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleet import naming
from fleet.config import FleetSpec
from fleet.stackfile import load_stack_config
from sandbox.railway import RailwaySandbox
from sandbox.statsig import StatsigSandbox
from sandbox.supabase import SupabaseSandbox

REPO = Path(__file__).resolve().parents[2]
STACK_FILE = REPO / "Pulumi.staging.yaml"
# The committed fleet stack: its Railway project, base environment, Supabase organization and
# prefix are what the sandboxes are seeded with.
SPEC = FleetSpec.from_config(load_stack_config(STACK_FILE))
PROJECT_ID = SPEC.railway.project_id
BASE_ENVIRONMENT_ID = SPEC.railway.base_environment_id
ORGANIZATION = SPEC.supabase.organization_slug if SPEC.supabase else "gatewayz"
PREFIX = SPEC.supabase_project_prefix()

# Look like no real credential, so no scanner mistakes them for one; tests look for them in output.
RAILWAY_TOKEN = "rw-orphans-test-token-5d2c81"
SUPABASE_TOKEN = "sb-orphans-test-token-81ae07"
STATSIG_KEY = "st-orphans-test-key-3f9a44"

NOW = dt.datetime(2027, 1, 15, 12, 0, tzinfo=dt.UTC)
NOW_ARG = ("--now", "2027-01-15T12:00:00Z")
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)

ENV_VARS = (
    "RAILWAY_API_TOKEN",
    "RAILWAY_API_URL",
    "SUPABASE_ACCESS_TOKEN",
    "SUPABASE_API_URL",
    "STATSIG_CONSOLE_API_KEY",
    "STATSIG_API_URL",
)
# What a dynamic resource's state keeps of its provider: the provider object, pickled (base64).
PICKLED_PROVIDER = "gASVNwAAAAAAAACMHHByb3ZpZGVycy5yYWlsd2F5LmVudmlyb25tZW50lIwTRW52aXJvbm1lbnRQcm92aWRlcpSTlCmBlC4="
ENVIRONMENT = "pulumi-python:dynamic/railway:Environment"
PROJECT = "pulumi-python:dynamic/supabase:Project"
BRANCH = "pulumi-python:dynamic/supabase:Branch"
GATE = "pulumi-python:dynamic/statsig:Gate"


def ref(letter: str) -> str:
    """A Supabase project ref: 20 lowercase letters."""
    return letter * 20


def uuid(number: int) -> str:
    return f"{number:08d}-0000-4000-8000-{number:012d}"


@dataclass(frozen=True)
class Owned:
    """A resource of a stack's state: its type, id, the name its outputs record, the rest of its
    outputs, and the component it sits in."""

    type: str
    id: str
    name: str
    outputs: Mapping[str, Any] = field(default_factory=dict)
    parent: str = "stagefleet:index:StagingEnvironment"


def stack_export(stack: str, resources: Iterable[Owned]) -> dict[str, Any]:
    """What `pulumi stack export --stack <stack>` prints for a stagefleet stack: the stack resource,
    the default dynamic provider, a component, and every dynamic resource with its pickled
    provider, its inputs and its outputs (secrets as Pulumi writes them, encrypted)."""
    base = f"urn:pulumi:{stack}::stagefleet"
    stack_urn = f"{base}::pulumi:pulumi:Stack::stagefleet-{stack}"
    provider_urn = f"{base}::pulumi:providers:pulumi-python::default_1_0_0"
    secret = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "ciphertext": "v1:Xk3B7j0Lq8WmJ1sE:8fQ2...==",
    }
    document_resources: list[dict[str, Any]] = [
        {
            "urn": stack_urn,
            "custom": False,
            "type": "pulumi:pulumi:Stack",
            "outputs": {"catalog": "| environment | kind |", "accessTokens": secret},
            "created": "2026-11-20T09:14:02.118734Z",
            "modified": "2027-01-10T16:40:51.90211Z",
        },
        {
            "urn": provider_urn,
            "custom": True,
            "id": "5c0a1e3f-7a9b-4c2d-8e6f-0a1b2c3d4e5f",
            "type": "pulumi:providers:pulumi-python",
            "inputs": {},
            "outputs": {},
            "created": "2026-11-20T09:14:02.5Z",
            "modified": "2026-11-20T09:14:02.5Z",
        },
    ]
    for index, owned in enumerate(resources):
        component = f"{base}::{owned.parent}::component-{index}"
        document_resources.append(
            {
                "urn": component,
                "custom": False,
                "type": owned.parent,
                "parent": stack_urn,
                "created": "2026-11-20T09:14:03Z",
                "modified": "2026-11-20T09:14:03Z",
            }
        )
        properties = {
            "__provider": PICKLED_PROVIDER,
            "name": owned.name,
            **owned.outputs,
        }
        document_resources.append(
            {
                "urn": f"{base}::{owned.parent}${owned.type}::resource-{index}",
                "custom": True,
                "id": owned.id,
                "type": owned.type,
                "inputs": {key: value for key, value in properties.items() if key != "db_pass"},
                "outputs": properties,
                "parent": component,
                "provider": f"{provider_urn}::5c0a1e3f-7a9b-4c2d-8e6f-0a1b2c3d4e5f",
                "propertyDependencies": {"name": []},
                "additionalSecretOutputs": [],
                "created": "2026-11-20T09:14:05.331Z",
                "modified": "2027-01-10T16:40:49.77Z",
            }
        )
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2027-01-10T16:40:52.01Z", "magic": "0123abcd", "version": "v3.272.0"},
            "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:Qm9vdGg=:v1:AbCd:EfGh=="}},
            "resources": document_resources,
        },
    }


@dataclass
class Fleet:
    """The three sandboxes, a directory for the stack exports, and the owners the test declares."""

    railway: RailwaySandbox
    supabase: SupabaseSandbox
    statsig: StatsigSandbox
    directory: Path
    owned: dict[str, list[Owned]] = field(default_factory=dict)

    # --- seeding -------------------------------------------------------------------------------

    def environment(self, name: str, number: int, age: dt.timedelta, *, owner: str | None = None) -> str:
        environment_id = uuid(number)
        self.railway.seed_environment(
            PROJECT_ID,
            name,
            environment_id=environment_id,
            source_environment_id=BASE_ENVIRONMENT_ID,
            created_at=NOW - age,
        )
        if owner is not None:
            self.own(owner, Owned(ENVIRONMENT, environment_id, name, {"project_id": PROJECT_ID}))
        return environment_id

    def project(
        self, name: str, letter: str, age: dt.timedelta, *, owner: str | None = None, size: str | None = "micro"
    ) -> str:
        project_ref = self.supabase.seed_project(
            name, ORGANIZATION, ref=ref(letter), instance_size=size, created_at=NOW - age
        )
        if owner is not None:
            self.own(owner, Owned(PROJECT, project_ref, name, {"organization_slug": ORGANIZATION, "db_pass": "x"}))
        return project_ref

    def branch(self, parent: str, name: str, number: int, age: dt.timedelta, *, owner: str | None = None) -> str:
        branch_id = self.supabase.seed_branch(parent, name, branch_id=uuid(number), created_at=NOW - age)
        if owner is not None:
            self.own(owner, Owned(BRANCH, branch_id, name, {"parent_ref": parent}, parent="stagefleet:index:Database"))
        return branch_id

    def gate(self, name: str, age: dt.timedelta, *, marked: bool = True, owner: str | None = None) -> str:
        description = naming.statsig_gate_description(f"{name} rollout", "alice@gatewayz.ai") if marked else "by hand"
        gate = self.statsig.seed_gate(name, description=description, created_at=NOW - age)
        if owner is not None:
            self.own(owner, Owned(GATE, gate["id"], name, parent="stagefleet:index:FeatureFlags"))
        return str(gate["id"])

    def own(self, stack: str, *resources: Owned) -> None:
        self.owned.setdefault(stack, []).extend(resources)

    def stack(self, name: str) -> None:
        """A stack with nothing in it yet."""
        self.owned.setdefault(name, [])

    # --- running -------------------------------------------------------------------------------

    def states(self) -> list[Path]:
        paths = []
        for stack, resources in sorted(self.owned.items()):
            path = self.directory / f"{stack}.json"
            path.write_text(json.dumps(stack_export(stack, resources), indent=2), encoding="utf-8")
            paths.append(path)
        return paths

    def arguments(self, *extra: str, states: Sequence[Path] | None = None) -> list[str]:
        paths = self.states() if states is None else states
        return [
            "orphans",
            "--stack",
            "staging",
            "--file",
            str(STACK_FILE),
            *NOW_ARG,
            "--state",
            *map(str, paths),
            *extra,
        ]

    def environ(self, *, railway: bool = True, supabase: bool = True, statsig: bool = True) -> dict[str, str]:
        values: dict[str, str] = {}
        if railway:
            values |= {"RAILWAY_API_TOKEN": RAILWAY_TOKEN, "RAILWAY_API_URL": self.railway.url}
        if supabase:
            values |= {"SUPABASE_ACCESS_TOKEN": SUPABASE_TOKEN, "SUPABASE_API_URL": self.supabase.url}
        if statsig:
            values |= {"STATSIG_CONSOLE_API_KEY": STATSIG_KEY, "STATSIG_API_URL": self.statsig.url}
        return values

    def live_names(self) -> dict[str, list[str]]:
        """What is left at each vendor, by name."""
        projects = [p for p in self.supabase.projects() if not p["is_branch"]]
        return {
            "railway": sorted(e["name"] for e in self.railway.environments(PROJECT_ID)),
            "supabase": sorted(p["name"] for p in projects),
            "branches": sorted(b["name"] for b in self.supabase.branches() if not b["is_default"]),
            "statsig": sorted(g["name"] for g in self.statsig.gates()),
        }


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run_in_process(arguments: Sequence[str], *, stdin: str | None = None, tty: bool = False) -> Result:
    """`python -m fleet <arguments>` in this process (the environment is the test's)."""
    from fleet import cli

    out, err = io.StringIO(), io.StringIO()
    source = _Terminal(stdin or "") if tty else io.StringIO(stdin or "")
    with ExitStack() as stack:
        stack.enter_context(redirect_stdout(out))
        stack.enter_context(redirect_stderr(err))
        previous, sys.stdin = sys.stdin, source
        try:
            code = cli.main(list(arguments))
        except SystemExit as exit:  # argparse
            code = int(exit.code or 0)
        finally:
            sys.stdin = previous
    return Result(code, out.getvalue(), err.getvalue())


class _Terminal(io.StringIO):
    """Typed input at a terminal."""

    def isatty(self) -> bool:
        return True


def run_process(arguments: Sequence[str], environ: Mapping[str, str], cwd: Path = REPO) -> Result:
    """`python -m fleet <arguments>` as CI runs it: a process, the credentials in its environment."""
    base = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    result = subprocess.run(
        [sys.executable, "-m", "fleet", *arguments],
        cwd=cwd,
        env={**base, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8", **environ},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    return Result(result.returncode, result.stdout, result.stderr)

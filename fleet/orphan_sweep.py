"""`python -m fleet orphans`: every live object that looks like stagefleet's but no stack owns.

This module talks to the APIs, through the providers' clients (RailwayClient, SupabaseClient,
StatsigClient: one client per API owns auth, retries, pacing and errors, and no error carries a
credential); what counts as an orphan, and why, is decided by fleet.orphans, which calls no API.
The CLI imports this module only when the command runs.

1. The owners: every stack's `pulumi stack export`, from `--state FILE...`, else exported through
   the pulumi CLI for every stack `pulumi stack ls --json` lists (exit 2 when neither is possible).
2. What is live, per vendor whose credentials are set (a vendor without them is skipped with a
   notice on stderr, never an error): the Railway project's environments, the Supabase
   organization's projects and the branches of every project a stack owns, the Statsig gates.
   A vendor whose API fails is reported on stderr and the run exits 2 after printing the rest.
3. The report (table, markdown or JSON). Exit 0 when there is no orphan older than the grace
   period, 1 when there is (so CI notices), 2 for usage errors.
4. With --delete: the same report is the plan; then, only after --yes or a "yes" typed at a
   terminal (else exit 2 and nothing is deleted), each orphan older than the grace period is
   deleted through its client (environmentDelete, DELETE /v1/projects/{ref}, DELETE
   /v1/branches/{id}, DELETE /console/v1/gates/{id}), and what was deleted and what failed is
   printed. Exit 0 when every one is gone, 1 when a deletion failed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO

from fleet.janitor import JanitorInputError, parse_open_pull_requests, parse_stacks, read_json_file
from fleet.orphans import (
    DEFAULT_MIN_AGE,
    Conventions,
    Deletion,
    Finding,
    LiveObject,
    OrphanReport,
    Owners,
    StackState,
    find,
    owners_of,
    parse_stack_export,
    render_deletions,
    render_json,
    render_markdown,
    render_table,
)
from providers.api import ApiClient, ApiError
from providers.railway.client import RailwayClient
from providers.settings import (
    RAILWAY_TOKEN_ENV,
    STATSIG_KEY_ENV,
    SUPABASE_TOKEN_ENV,
    RailwaySettings,
    SettingsError,
    StatsigSettings,
    SupabaseSettings,
    railway_settings,
    statsig_settings,
    supabase_settings,
)
from providers.statsig.client import StatsigClient
from providers.supabase.client import SupabaseClient

__all__ = [
    "Options",
    "OrphansInputError",
    "RailwayVendor",
    "StatsigVendor",
    "SupabaseVendor",
    "Vendor",
    "read_owners",
    "run",
    "vendors_for",
]

PULUMI_TIMEOUT = 120


class OrphansInputError(Exception):
    """Inputs or options that make the command impossible: exit 2."""


# --- the vendors ---------------------------------------------------------------------------------


class Vendor(Protocol):
    """One API: what it has that looks like ours, and how to delete one of them."""

    @property
    def name(self) -> str:
        """The vendor's name as users know it: `Railway`."""

    def checked(self) -> str:
        """What is looked at, in words: `Railway project gatewayz`."""

    def live(self, owners: Owners) -> list[LiveObject]:
        """Every object of this vendor a stack could own; raises ApiError."""

    def client(self) -> ApiClient:
        """A client for deletions, used as a context manager."""

    def delete(self, client: Any, live: LiveObject) -> bool:
        """Delete it through `client`; False when it was already gone; raises ApiError."""


@dataclass(frozen=True)
class RailwayVendor:
    settings: RailwaySettings
    project_id: str
    project_name: str | None = None
    name: str = "Railway"

    def checked(self) -> str:
        return f"Railway project {self.project_name or self.project_id}"

    def client(self) -> RailwayClient:
        return RailwayClient(self.settings)

    def live(self, owners: Owners) -> list[LiveObject]:
        with self.client() as railway:
            environments = railway.list_environments(self.project_id)
        return [
            LiveObject("railway-environment", e.id, e.name, e.created_at, parent=e.project_id or self.project_id)
            for e in environments
        ]

    def delete(self, client: RailwayClient, live: LiveObject) -> bool:
        return client.delete_environment(live.id)


@dataclass(frozen=True)
class SupabaseVendor:
    settings: SupabaseSettings
    organization_slug: str
    name: str = "Supabase"

    def checked(self) -> str:
        return f"Supabase organization {self.organization_slug}"

    def client(self) -> SupabaseClient:
        return SupabaseClient(self.settings)

    def live(self, owners: Owners) -> list[LiveObject]:
        """The organization's projects, and the branches of every live project a stack owns (a
        project's branches go with it, so an orphaned project's are not listed apart)."""
        with self.client() as supabase:
            projects = supabase.list_projects(self.organization_slug)
            found = [
                LiveObject("supabase-project", p.ref, p.name, p.created_at, instance_size=p.instance_size)
                for p in projects
            ]
            live_refs = {p.ref for p in projects}
            for ref in owners.ids("supabase-project"):
                if ref not in live_refs:
                    continue
                found += [
                    LiveObject("supabase-branch", b.id, b.name, b.created_at, parent=ref)
                    for b in supabase.list_branches(ref)
                    if not b.is_default
                ]
        return found

    def delete(self, client: SupabaseClient, live: LiveObject) -> bool:
        if live.kind == "supabase-branch":
            return client.delete_branch(live.id)
        return client.delete_project(live.id)


@dataclass(frozen=True)
class StatsigVendor:
    settings: StatsigSettings
    name: str = "Statsig"

    def checked(self) -> str:
        return "Statsig gates"

    def client(self) -> StatsigClient:
        return StatsigClient(self.settings)

    def live(self, owners: Owners) -> list[LiveObject]:
        """Live gates (an archived gate is where `statsig.onDelete: archive` leaves a removed
        flag on purpose)."""
        with self.client() as statsig:
            gates = statsig.list_gates()
        return [LiveObject("statsig-gate", g.id, g.name, g.created_at, description=g.description) for g in gates]

    def delete(self, client: StatsigClient, live: LiveObject) -> bool:
        return client.delete_gate(live.id, label=live.name)


def vendors_for(spec: Any) -> tuple[list[Vendor], list[tuple[str, str]]]:
    """The vendors whose credentials are set (from the environment: the CLI has no decrypted
    stack config), and those skipped with the reason."""
    vendors: list[Vendor] = []
    skipped: list[tuple[str, str]] = []
    try:
        vendors.append(RailwayVendor(railway_settings(), spec.railway.project_id, spec.railway.project_name))
    except SettingsError:
        skipped.append(("Railway", f"{RAILWAY_TOKEN_ENV} is not set"))
    organization = spec.supabase.organization_slug if spec.supabase is not None else None
    if organization is None:
        skipped.append(("Supabase", "the stack names no stagefleet:supabase.organizationSlug"))
    else:
        try:
            vendors.append(SupabaseVendor(supabase_settings(), organization))
        except SettingsError:
            skipped.append(("Supabase", f"{SUPABASE_TOKEN_ENV} is not set"))
    try:
        vendors.append(StatsigVendor(statsig_settings()))
    except SettingsError:
        skipped.append(("Statsig", f"{STATSIG_KEY_ENV} is not set"))
    return vendors, skipped


# --- the owners ----------------------------------------------------------------------------------


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def read_owners(states: Sequence[Path], *, pulumi: str | None = None, runner: Runner = subprocess.run) -> Owners:
    """Every stack's resources: from the `--state` files, else through the pulumi CLI (`pulumi`
    is its path; default: found on PATH). Raises OrphansInputError."""
    if states:
        parsed: list[StackState] = []
        for path in states:
            try:
                parsed.append(parse_stack_export(read_json_file(path), str(path)))
            except JanitorInputError as error:
                raise OrphansInputError(str(error)) from None
        return owners_of(parsed)
    pulumi = pulumi or shutil.which("pulumi")
    if pulumi is None:
        raise OrphansInputError(
            "the pulumi CLI is not on PATH: pass --state FILE for every stack of the project, each the "
            "output of `pulumi stack export --stack NAME`"
        )
    try:
        stacks = parse_stacks(_pulumi_json(pulumi, ["stack", "ls", "--json"], runner), "pulumi stack ls --json")
        exports = [
            parse_stack_export(
                _pulumi_json(pulumi, ["stack", "export", "--stack", stack.name], runner),
                f"pulumi stack export --stack {stack.name}",
            )
            for stack in stacks
        ]
    except JanitorInputError as error:
        raise OrphansInputError(str(error)) from None
    return owners_of(exports, [stack.name for stack in stacks])


def _pulumi_json(pulumi: str, arguments: list[str], runner: Runner) -> Any:
    command = " ".join(["pulumi", *arguments])
    try:
        result = runner([pulumi, *arguments], capture_output=True, text=True, timeout=PULUMI_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise OrphansInputError(f"`{command}` took more than {PULUMI_TIMEOUT}s") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise OrphansInputError(f"`{command}` failed: {last}")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise OrphansInputError(f"`{command}` printed no JSON: {error}") from None


# --- the command ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    stack: str
    spec: Any  # the fleet stack's FleetSpec: its project, organization, prefix and prices
    states: Sequence[Path] = ()
    open_prs: Path | None = None
    delete: bool = False
    yes: bool = False
    min_age: dt.timedelta = DEFAULT_MIN_AGE
    format: Literal["table", "markdown", "json"] = "table"
    now: dt.datetime | None = None


def run(
    options: Options,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
    vendors: tuple[list[Vendor], list[tuple[str, str]]] | None = None,
    owners: Owners | None = None,
) -> int:
    """List (and with --delete, delete) the orphans; the exit code. Raises OrphansInputError
    (exit 2) before anything is listed when an input is wrong."""
    stdout, stderr, stdin = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    now = options.now or dt.datetime.now(dt.UTC)
    open_prs = None
    if options.open_prs is not None:
        try:
            listed = parse_open_pull_requests(read_json_file(options.open_prs), str(options.open_prs))
        except JanitorInputError as error:
            raise OrphansInputError(str(error)) from None
        open_prs = [pull_request.number for pull_request in listed]
    owners = owners if owners is not None else read_owners(options.states)
    reachable, skipped = vendors if vendors is not None else vendors_for(options.spec)
    for vendor_name, why in skipped:
        print(f"notice: {vendor_name} skipped: {why}", file=stderr)

    live: list[LiveObject] = []
    checked: list[Vendor] = []
    failed: list[tuple[str, str]] = []
    for vendor in reachable:
        try:
            live += vendor.live(owners)
        except ApiError as error:
            print(f"error: {vendor.name} could not be checked: {error}", file=stderr)
            failed.append((vendor.name, "its API failed"))
        else:
            checked.append(vendor)
    conventions = Conventions.of(options.spec)
    old, recent = find(
        live,
        owners,
        conventions,
        now=now,
        prices=options.spec.prices,
        min_age=options.min_age,
        open_pull_requests=open_prs,
    )
    report = OrphanReport(
        stack=options.stack,
        orphans=old,
        recent=recent,
        min_age=options.min_age,
        checked=[vendor.checked() for vendor in checked],
        skipped=skipped + failed,
        stacks=sorted(owners.stacks),
    )
    incomplete = 2 if failed else 0

    if not options.delete:
        _write(stdout, report, options.format)
        return incomplete or (1 if report.orphans else 0)

    if options.format != "json":
        _write(stdout, report, options.format)  # the plan
    if not report.orphans:
        if options.format == "json":
            stdout.write(render_json(report, []))
        else:
            stdout.write("Nothing to delete.\n")
        return incomplete
    if not (options.yes or _confirmed(report, stdin, stderr)):
        if options.format == "json":
            stdout.write(render_json(report, []))
        print(
            'error: nothing deleted: --delete deletes only with --yes, or after "yes" is typed at a terminal',
            file=stderr,
        )
        return 2
    deletions = _delete(report.orphans, checked, conventions, options.min_age)
    stdout.write(render_json(report, deletions) if options.format == "json" else "\n" + render_deletions(deletions))
    stdout.flush()
    failures = [d for d in deletions if not d.deleted]
    if failures:
        print(f"error: {len(failures)} of {len(deletions)} orphans could not be deleted:", file=stderr)
        for d in failures:
            print(f"  {d.finding.object.describe()}: {d.error}", file=stderr)
        return 1
    return incomplete


def _write(stdout: TextIO, report: OrphanReport, fmt: str) -> None:
    if fmt == "json":
        stdout.write(render_json(report))
    elif fmt == "markdown":
        stdout.write(render_markdown(report))
    else:
        stdout.write(render_table(report))
    stdout.flush()


def _confirmed(report: OrphanReport, stdin: TextIO, stderr: TextIO) -> bool:
    """A "yes" typed at a terminal; never asks when stdin is not one."""
    try:
        interactive = stdin.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if not interactive:
        return False
    count = len(report.orphans)
    stderr.write(f'Delete {"this orphan" if count == 1 else f"these {count} orphans"}? Type "yes" to delete: ')
    stderr.flush()
    return stdin.readline().strip().lower() == "yes"


def _delete(
    findings: Sequence[Finding], vendors: Sequence[Vendor], conventions: Conventions, min_age: dt.timedelta
) -> list[Deletion]:
    """Delete each orphan through its vendor's client, one client per vendor. Checked once more
    here: only what is named like ours and older than the grace period is ever sent a delete."""
    by_vendor = {vendor.name: vendor for vendor in vendors}
    deletions: list[Deletion] = []
    for name, vendor in by_vendor.items():
        mine = [
            f
            for f in findings
            if f.object.vendor == name and conventions.is_ours(f.object) and f.age is not None and f.age >= min_age
        ]
        if not mine:
            continue
        with vendor.client() as client:
            for finding in mine:
                try:
                    existed = vendor.delete(client, finding.object)
                except ApiError as error:
                    deletions.append(Deletion(finding, error=str(error)))
                else:
                    deletions.append(Deletion(finding, existed=existed))
    order = {id(f): index for index, f in enumerate(findings)}
    return sorted(deletions, key=lambda d: order[id(d.finding)])

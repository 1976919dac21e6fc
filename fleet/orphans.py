"""What `python -m fleet orphans` decides: which live objects look like stagefleet's but belong to
no stack, why, what they cost, and which of them may be deleted. Pure: no API, no pulumi; the
part that lists and deletes through the providers' clients is fleet.orphan_sweep.

An object is a candidate only when its name follows stagefleet's conventions (fleet.naming):

- a Railway environment of the fleet's project named `staging-<name>` or `pr-<n>` (the base
  environment every environment forks from excepted);
- a Supabase project of the organization, or a branch of a project a stack owns, named
  `<prefix>-staging-<name>` or `<prefix>-pr-<n>`;
- a live Statsig gate whose description ends with the `[managed by stagefleet]` marker.

It is an orphan when no stack's state (`pulumi stack export`) records its id under its resource
type, for one of three reasons, checked in this order:

- "a stack has another id for that name": a stack owns an object of that kind and name with
  another id (the duplicate a create leaves when the server applied it after the client gave up
  and it was sent again);
- "review stack of a closed pull request": its name belongs to pull request n (`pr-<n>`,
  `<prefix>-pr-<n>`, `<prefix>-staging-pr-<n>`) and the list of open pull requests, when given,
  lacks n; without that list, when the stack `pr-<n>` is gone;
- "no stack owns it": anything else (made by hand, or left by a stack that was removed).

Orphans younger than the grace period (`--min-age`, 24 hours by default), or whose age the API
did not say, are listed apart and never deleted: a stack being created right now owns objects no
export records yet.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from fleet import naming, tables
from fleet.cost import HourlyRate, usd
from fleet.dates import exact_duration, format_duration
from fleet.janitor import JanitorInputError
from fleet.wording import kind_of, quote

__all__ = [
    "DEFAULT_MIN_AGE",
    "KINDS",
    "REASONS",
    "RESOURCE_TYPES",
    "Conventions",
    "Deletion",
    "Finding",
    "LiveObject",
    "OrphanReport",
    "OwnedResource",
    "Owners",
    "StackState",
    "find",
    "monthly_cost",
    "owners_of",
    "parse_stack_export",
    "render_deletions",
    "render_json",
    "render_markdown",
    "render_table",
]

DEFAULT_MIN_AGE = dt.timedelta(hours=24)

Kind = Literal["railway-environment", "supabase-project", "supabase-branch", "statsig-gate"]
Reason = Literal["duplicate", "closed-pull-request", "unowned"]

# The resource type of each kind in a stack's state, as the dynamic providers register them.
RESOURCE_TYPES: Mapping[str, Kind] = {
    "pulumi-python:dynamic/railway:Environment": "railway-environment",
    "pulumi-python:dynamic/supabase:Project": "supabase-project",
    "pulumi-python:dynamic/supabase:Branch": "supabase-branch",
    "pulumi-python:dynamic/statsig:Gate": "statsig-gate",
}
# Kind -> (vendor, what the vendor calls it), in the order reports list them.
KINDS: Mapping[Kind, tuple[str, str]] = {
    "railway-environment": ("Railway", "environment"),
    "supabase-project": ("Supabase", "project"),
    "supabase-branch": ("Supabase", "branch"),
    "statsig-gate": ("Statsig", "gate"),
}
REASONS: Mapping[Reason, str] = {
    "duplicate": "a stack has another id for that name",
    "closed-pull-request": "review stack of a closed pull request",
    "unowned": "no stack owns it",
}
_URN_PREFIX = "urn:pulumi:"
# What `pulumi stack export` prints in place of a secret value.
_SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"


# --- what the stacks own -------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnedResource:
    """A resource of one of the four kinds in a stack's state."""

    stack: str
    kind: Kind
    id: str
    name: str | None


@dataclass(frozen=True)
class StackState:
    """What one `pulumi stack export` records. `stack` is read from the resources' URNs (None
    when the export holds none)."""

    stack: str | None
    resources: tuple[OwnedResource, ...]


def parse_stack_export(document: Any, source: str = "stack export") -> StackState:
    """The resources of the four kinds in a `pulumi stack export` document: {"version": 3,
    "deployment": {"resources": [{"urn", "type", "id", "inputs", "outputs", ...}, ...]}}.
    Raises JanitorInputError (exit 2) when the document is not one."""
    if not isinstance(document, Mapping):
        got = kind_of(document, words="json")
        raise JanitorInputError(source, f"expected the JSON object `pulumi stack export` prints, got {got}")
    deployment = document.get("deployment")
    if not isinstance(deployment, Mapping):
        raise JanitorInputError(source, 'no "deployment" object: not the output of `pulumi stack export`')
    resources = deployment.get("resources")
    if resources is None:
        resources = []  # a stack with nothing in it
    if not isinstance(resources, list):
        got = kind_of(resources, words="json")
        raise JanitorInputError(source, f'"deployment.resources" must be a list, got {got}')
    stacks: set[str] = set()
    owned: list[OwnedResource] = []
    for index, resource in enumerate(resources):
        where = f"resource {index}"
        if not isinstance(resource, Mapping):
            raise JanitorInputError(source, f"{where}: expected an object, got {kind_of(resource, words='json')}")
        urn = resource.get("urn")
        stack = _stack_of(urn)
        if stack is None:
            raise JanitorInputError(source, f'{where}: "urn" must be a Pulumi URN (urn:pulumi:<stack>::<project>::...)')
        stacks.add(stack)
        where = f"resource {index} ({urn})"
        kind = RESOURCE_TYPES.get(str(resource.get("type")))
        if kind is None:
            continue
        object_id = resource.get("id")
        if not isinstance(object_id, str) or not object_id:
            raise JanitorInputError(source, f'{where}: "id" must be a non-empty string')
        owned.append(OwnedResource(stack=stack, kind=kind, id=object_id, name=_name_of(resource)))
    if len(stacks) > 1:
        several = ", ".join(sorted(stacks))
        raise JanitorInputError(source, f"resources of more than one stack ({several}): one export per file")
    return StackState(stack=next(iter(stacks), None), resources=tuple(owned))


def _stack_of(urn: object) -> str | None:
    # urn:pulumi:<stack>::<project>::<qualified type>::<name>
    if not isinstance(urn, str) or not urn.startswith(_URN_PREFIX):
        return None
    stack, separator, _ = urn[len(_URN_PREFIX) :].partition("::")
    return stack if separator and stack else None


def _name_of(resource: Mapping[str, Any]) -> str | None:
    """The object's name as the provider recorded it (outputs, else inputs); None when absent or
    kept secret."""
    for properties in (resource.get("outputs"), resource.get("inputs")):
        if isinstance(properties, Mapping):
            name = properties.get("name")
            if isinstance(name, str) and name:
                return name
            if isinstance(name, Mapping) and _SECRET_SIGNATURE in name:
                return None
    return None


@dataclass(frozen=True)
class Owners:
    """Every stack's resources: what is owned, by id and by name."""

    stacks: frozenset[str]
    resources: tuple[OwnedResource, ...]

    def owns(self, kind: Kind, object_id: str) -> bool:
        return any(r.kind == kind and r.id == object_id for r in self.resources)

    def named(self, kind: Kind, name: str) -> list[OwnedResource]:
        return [r for r in self.resources if r.kind == kind and r.name == name]

    def ids(self, kind: Kind) -> list[str]:
        """The ids of `kind` every stack owns, each once, in the order the states list them."""
        return list(dict.fromkeys(r.id for r in self.resources if r.kind == kind))


def owners_of(states: Iterable[StackState], stack_names: Iterable[str] = ()) -> Owners:
    """The owners: the exported states, and the names of the stacks that exist (`pulumi stack
    ls`; a stack without resources is a stack all the same)."""
    states = list(states)
    names = {naming.stack_short_name(name) for name in stack_names}
    names |= {state.stack for state in states if state.stack is not None}
    return Owners(stacks=frozenset(names), resources=tuple(r for state in states for r in state.resources))


# --- what is live --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveObject:
    """An object a vendor's API listed. `parent`: the Railway project of an environment, the
    project ref of a Supabase branch; `instance_size`: a Supabase project's compute size;
    `description`: a Statsig gate's."""

    kind: Kind
    id: str
    name: str
    created_at: dt.datetime | None
    parent: str | None = None
    instance_size: str | None = None
    description: str | None = None

    @property
    def vendor(self) -> str:
        return KINDS[self.kind][0]

    @property
    def noun(self) -> str:
        return KINDS[self.kind][1]

    def describe(self) -> str:
        """`Railway environment pr-14 (6f1c...)`; a name that could garble a log is quoted."""
        name = self.name if self.name.isprintable() else quote(self.name)
        return f"{self.vendor} {self.noun} {name} ({self.id})"


@dataclass(frozen=True)
class Conventions:
    """The names stagefleet gives, for one fleet stack (fleet.naming's rules)."""

    railway_project_id: str
    supabase_prefix: str
    base_environment_id: str | None = None
    base_environment_name: str | None = None

    @classmethod
    def of(cls, spec: Any) -> Conventions:
        """From a FleetSpec."""
        return cls(
            railway_project_id=spec.railway.project_id,
            supabase_prefix=spec.supabase_project_prefix(),
            base_environment_id=spec.railway.base_environment_id,
            base_environment_name=spec.railway.base_environment,
        )

    def is_ours(self, live: LiveObject) -> bool:
        """Whether stagefleet could have made it: the only objects ever reported or deleted."""
        if live.kind == "railway-environment":
            return (
                live.parent in (None, self.railway_project_id)
                and live.id != self.base_environment_id
                and live.name != self.base_environment_name
                and naming.is_stagefleet_railway_environment(live.name)
            )
        if live.kind in ("supabase-project", "supabase-branch"):
            return naming.is_stagefleet_supabase_name(self.supabase_prefix, live.name)
        return naming.is_managed_gate_description(live.description or "")

    def pull_request(self, live: LiveObject) -> int | None:
        """The pull request whose review stack its name stands for, if any."""
        if live.kind == "railway-environment":
            return naming.pr_environment_number(live.name)
        if live.kind in ("supabase-project", "supabase-branch"):
            return naming.supabase_name_pr_number(self.supabase_prefix, live.name)
        return None


# --- deciding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """An orphan: the object, why, its pull request (for review-stack objects), its age when the
    API said when it was made, and its estimated monthly cost (None when unknown)."""

    object: LiveObject
    reason: Reason
    detail: str
    pull_request: int | None
    age: dt.timedelta | None
    monthly: Decimal | None

    @property
    def why(self) -> str:
        return REASONS[self.reason] + (f" ({self.detail})" if self.detail else "")

    def as_json(self) -> dict[str, Any]:
        live = self.object
        return {
            "vendor": live.vendor,
            "kind": live.noun,
            "id": live.id,
            "name": live.name,
            "parent": live.parent,
            "createdAt": _iso(live.created_at),
            "ageSeconds": int(self.age.total_seconds()) if self.age is not None else None,
            "reason": self.reason,
            "why": self.why,
            "pullRequest": self.pull_request,
            "monthlyUsd": float(self.monthly) if self.monthly is not None else None,
        }


def monthly_cost(live: LiveObject, prices: Any) -> Decimal | None:
    """What leaving it running costs a month, at the fleet's prices (fleet.cost, a PricesSpec):
    an environment at the long-lived rate, a project by its instance size when the API said it,
    a branch by the day, a gate nothing."""
    if live.kind == "railway-environment":
        return HourlyRate.per_month(prices.railway_per_long_lived_environment_usd).monthly()
    if live.kind == "supabase-project":
        price = prices.compute_usd(live.instance_size) if live.instance_size else None
        return HourlyRate.per_month(price).monthly() if price is not None else None
    if live.kind == "supabase-branch":
        return HourlyRate.per_day(prices.supabase_branch_per_day_usd).monthly()
    return Decimal("0.00")


def find(
    live: Iterable[LiveObject],
    owners: Owners,
    conventions: Conventions,
    *,
    now: dt.datetime,
    prices: Any,
    min_age: dt.timedelta = DEFAULT_MIN_AGE,
    open_pull_requests: Iterable[int] | None = None,
) -> tuple[list[Finding], list[Finding]]:
    """(orphans past the grace period, orphans within it or of unknown age), each in report
    order. Objects not named like stagefleet's are never among them."""
    open_numbers = None if open_pull_requests is None else set(open_pull_requests)
    old: list[Finding] = []
    recent: list[Finding] = []
    for item in live:
        if not conventions.is_ours(item) or owners.owns(item.kind, item.id):
            continue
        number = conventions.pull_request(item)
        reason, detail = _reason(item, number, owners, open_numbers)
        age = max(now - item.created_at, dt.timedelta(0)) if item.created_at is not None else None
        finding = Finding(item, reason, detail, number, age, monthly_cost(item, prices))
        (old if age is not None and age >= min_age else recent).append(finding)
    return sorted(old, key=_order), sorted(recent, key=_order)


def _reason(live: LiveObject, number: int | None, owners: Owners, open_numbers: set[int] | None) -> tuple[Reason, str]:
    twins = [r for r in owners.named(live.kind, live.name) if r.id != live.id]
    if twins:
        return "duplicate", "; ".join(f"{r.stack} owns {r.id}" for r in twins)
    if number is not None:
        stack = naming.review_stack_name(number)
        gone = stack not in owners.stacks
        if open_numbers is None:
            closed = gone  # without the list of open pull requests, a stack gone says it
        else:
            closed = number not in open_numbers
        if closed:
            return "closed-pull-request", f"#{number}" + (f"; stack {stack} is gone" if gone else "")
        if gone:
            # Open, and its stack gone (the janitor destroyed it idle, or it was removed by hand).
            return "unowned", f"stack {stack} is gone; #{number} is open"
    return "unowned", ""


def _order(finding: Finding) -> tuple[Any, ...]:
    live = finding.object
    return (list(KINDS).index(live.kind), live.name, live.id)


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deletion:
    """What became of one orphan --delete deleted: `error` is None when it is gone (`existed`
    False when someone else deleted it first)."""

    finding: Finding
    error: str | None = None
    existed: bool = True

    @property
    def deleted(self) -> bool:
        return self.error is None

    def as_json(self) -> dict[str, Any]:
        live = self.finding.object
        return {
            "vendor": live.vendor,
            "kind": live.noun,
            "id": live.id,
            "name": live.name,
            "deleted": self.deleted,
            "alreadyGone": not self.existed,
            "error": self.error,
        }


@dataclass(frozen=True)
class OrphanReport:
    """Everything one run found. `checked` says what was looked at, in words (e.g. "Railway
    project gatewayz"); `skipped` the vendors left out and why; `stacks` the owners consulted."""

    stack: str
    orphans: list[Finding]
    recent: list[Finding]
    min_age: dt.timedelta
    checked: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    stacks: list[str] = field(default_factory=list)

    @property
    def total_monthly(self) -> Decimal:
        return sum((f.monthly for f in self.orphans if f.monthly is not None), Decimal("0.00"))

    def summary(self) -> str:
        if not self.orphans:
            return "No orphans."
        count = _count(len(self.orphans), "orphan")
        unpriced = sum(1 for f in self.orphans if f.monthly is None)
        cost = f"an estimated {usd(self.total_monthly)} a month"
        if unpriced:
            cost += f" (and {_count(unpriced, 'object')} of unknown size)"
        return (
            f"{count}, {cost}: `python -m fleet orphans --stack {self.stack} --delete` deletes "
            f"{'it' if len(self.orphans) == 1 else 'them'}."
        )

    def recent_line(self) -> str | None:
        if not self.recent:
            return None
        items = ", ".join(
            f"{f.object.vendor} {f.object.noun} {f.object.name} "
            f"({format_duration(f.age) + ' old' if f.age is not None else 'age unknown'})"
            for f in self.recent
        )
        return (
            f"Younger than {exact_duration(self.min_age)}, not counted and never deleted (a stack being "
            f"created may own {'it' if len(self.recent) == 1 else 'them'}): {items}."
        )

    def checked_line(self) -> str:
        owners = ", ".join(self.stacks) if self.stacks else "none"
        line = f"Checked {_words(self.checked)} against {_count(len(self.stacks), 'stack')}: {owners}."
        if self.skipped:
            line += " Not checked: " + "; ".join(f"{vendor} ({why})" for vendor, why in self.skipped) + "."
        return line

    def as_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "minAgeSeconds": int(self.min_age.total_seconds()),
            "checked": self.checked,
            "skipped": [{"vendor": vendor, "reason": why} for vendor, why in self.skipped],
            "stacks": self.stacks,
            "orphans": [f.as_json() for f in self.orphans],
            "recent": [f.as_json() for f in self.recent],
            "totalMonthlyUsd": float(self.total_monthly),
        }


COLUMNS = [
    tables.Column("vendor"),
    tables.Column("object"),
    tables.Column("name"),
    tables.Column("id"),
    tables.Column("age", "right"),
    tables.Column("monthly", "right"),
    tables.Column("why"),
]
NONE = "—"


def _rows(report: OrphanReport) -> tuple[list[list[str]], list[list[str]]]:
    rows = [
        [
            f.object.vendor,
            f.object.noun,
            f.object.name,
            f.object.id,
            format_duration(f.age) if f.age is not None else NONE,
            usd(f.monthly) if f.monthly is not None else NONE,
            f.why,
        ]
        for f in report.orphans
    ]
    total = [["total", "", "", "", "", usd(report.total_monthly), ""]]
    return rows, total


def _lines(report: OrphanReport) -> list[str]:
    return [line for line in (report.summary(), report.recent_line(), report.checked_line()) if line]


def render_table(report: OrphanReport) -> str:
    """Aligned columns for a terminal, then the summary, the objects within the grace period and
    what was checked."""
    if not report.orphans:
        return "\n".join(_lines(report)) + "\n"
    rows, total = _rows(report)
    return tables.aligned(COLUMNS, rows, total) + "\n" + "\n".join(_lines(report)) + "\n"


def render_markdown(report: OrphanReport) -> str:
    """The same as a markdown table and paragraphs: the janitor's issue."""
    if not report.orphans:
        return "\n\n".join(_lines(report)) + "\n"
    rows, total = _rows(report)
    return tables.markdown(COLUMNS, rows, total) + "\n" + "\n\n".join(_lines(report)) + "\n"


def render_json(report: OrphanReport, deletions: Sequence[Deletion] | None = None) -> str:
    document = report.as_json()
    if deletions is not None:
        document["deleted"] = [d.as_json() for d in deletions if d.deleted]
        document["failed"] = [d.as_json() for d in deletions if not d.deleted]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_deletions(deletions: Sequence[Deletion]) -> str:
    """One line per orphan --delete went after, then how many are gone."""
    lines = []
    for d in deletions:
        what = d.finding.object.describe()
        if d.error is not None:
            lines.append(f"failed: {what}: {d.error}")
        elif not d.existed:
            lines.append(f"already gone: {what}")
        else:
            lines.append(f"deleted: {what}")
    failed = sum(1 for d in deletions if not d.deleted)
    gone = len(deletions) - failed
    total = f"{gone} of {_count(len(deletions), 'orphan')} deleted" if failed else f"{_count(gone, 'orphan')} deleted"
    lines.append(total + (f"; {failed} failed." if failed else "."))
    return "\n".join(lines) + "\n"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _words(items: Sequence[str]) -> str:
    if not items:
        return "nothing"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None

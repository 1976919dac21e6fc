"""The team wiki table: which environment is for what, where it runs, who owns it, until when,
whether it sleeps when idle and what it costs a month; then, when the fleet has any, its feature
flags (Statsig gates): who sees which flag on staging, who owns it, until when.

Built from config alone (URLs shown as "pending") or with the URLs a deployment reported, by the
same functions for the `catalog` stack output and for `python -m fleet catalog`, so the two never
disagree. Nothing in it depends on today's date: the export changes only when the fleet does.
With the JSON of `python -m fleet status`, each URL is followed by its environment's readiness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fleet import cost, tables
from fleet.config import FleetSpec

PENDING = "pending"  # not deployed yet, or no outputs given
NO_URL = "no public URL"  # deployed, but none of its services has a domain
NONE = "—"

# What each environment's URLs may be given as: its primary URL, or every service's URL
# ({"api": "https://...", "web": "https://..."}: the `urls` of the `environments` stack output).
Urls = Mapping[str, "str | Mapping[str, str] | None"]

COLUMNS = [
    tables.Column("environment"),
    tables.Column("kind"),
    tables.Column("URL"),
    tables.Column("database"),
    tables.Column("purpose"),
    tables.Column("owner"),
    tables.Column("branch"),
    tables.Column("expires"),
    tables.Column("when idle"),
    tables.Column("monthly cost", "right"),
]
# An environment's readiness (`python -m fleet status` verdict), as shown after its URL.
READINESS = {"healthy": "ready", "failed": "failed", "waiting": "not ready"}
SLEEPS, STAYS_UP = "sleeps", "stays up"


FLAG_COLUMNS = [
    tables.Column("flag"),
    tables.Column("enabled for"),
    tables.Column("owner"),
    tables.Column("expires"),
]
FLAGS_HEADING = "Feature flags (Statsig gates):"


@dataclass(frozen=True)
class CatalogRow:
    environment: str
    kind: str
    url: str
    database: str  # strategy, and its source in parentheses: "shared (main)"
    purpose: str
    owner: str
    branch: str
    expires: str  # YYYY-MM-DD, or "" when it does not expire
    monthly_cost: Decimal
    sleeps_when_idle: bool = False
    readiness: str | None = None  # healthy, failed or waiting, when a status was given

    def cells(self) -> list[str]:
        url = self.url if self.readiness is None else f"{self.url} ({READINESS[self.readiness]})"
        return [
            self.environment,
            self.kind,
            url,
            self.database,
            self.purpose or NONE,
            self.owner or NONE,
            self.branch,
            self.expires or NONE,
            SLEEPS if self.sleeps_when_idle else STAYS_UP,
            cost.usd(self.monthly_cost),
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "kind": self.kind,
            "url": self.url if self.url not in (PENDING, NO_URL) else None,
            "database": self.database,
            "purpose": self.purpose or None,
            "owner": self.owner or None,
            "branch": self.branch,
            "expires": self.expires or None,
            "sleepsWhenIdle": self.sleeps_when_idle,
            "readiness": self.readiness,
            "monthlyCostUsd": float(self.monthly_cost),
        }


@dataclass(frozen=True)
class FlagRow:
    flag: str
    gate_id: str
    description: str
    enabled_for: tuple[str, ...]  # email addresses and user ids, as listed
    environments: tuple[str, ...]  # Statsig environments
    owner: str
    expires: str  # YYYY-MM-DD, or "" when not set (the policy requires it)

    def cells(self) -> list[str]:
        return [self.flag, ", ".join(self.enabled_for), self.owner, self.expires or NONE]

    def as_json(self) -> dict[str, Any]:
        return {
            "flag": self.flag,
            "gateId": self.gate_id,
            "description": self.description or None,
            "enabledFor": list(self.enabled_for),
            "environments": list(self.environments),
            "owner": self.owner,
            "expires": self.expires or None,
        }


def flag_rows(spec: FleetSpec) -> list[FlagRow]:
    """One row per feature flag, in config order."""
    return [
        FlagRow(
            flag=flag.name,
            gate_id=flag.gate_id,
            description=flag.description,
            enabled_for=tuple(flag.enabled_for),
            environments=tuple(flag.environments),
            owner=flag.owner,
            expires=flag.expires.isoformat() if flag.expires else "",
        )
        for flag in spec.feature_flags
    ]


def primary_url(spec: FleetSpec, service_urls: str | Mapping[str, str] | None) -> str:
    """The one URL the catalog shows for an environment: the first service's in config order
    that has one (a service with `domain: false` has none)."""
    if isinstance(service_urls, str):
        return service_urls or NO_URL
    if not service_urls:
        return NO_URL
    for service in spec.railway.services:
        if service_urls.get(service.name):
            return service_urls[service.name]
    return next((url for url in service_urls.values() if url), NO_URL)


def catalog_rows(
    spec: FleetSpec, urls: Urls | None = None, readiness: Mapping[str, str] | None = None
) -> list[CatalogRow]:
    """One row per environment, in config order. `urls` maps an environment name to its URLs; an
    environment it does not list is shown as pending. `readiness` maps an environment name to its
    `fleet status` verdict (healthy, failed, waiting)."""
    urls = urls or {}
    readiness = readiness or {}
    rows = []
    for env in spec.environments:
        database = spec.database_for(env)
        described = database.strategy if not database.source else f"{database.strategy} ({database.source})"
        rows.append(
            CatalogRow(
                environment=env.name,
                kind=env.kind,
                url=primary_url(spec, urls[env.name]) if env.name in urls else PENDING,
                database=described,
                purpose=env.purpose or "",
                owner=env.owner or "",
                branch=env.branch,
                expires=env.expires.isoformat() if env.expires else "",
                monthly_cost=cost.environment_cost(spec, env).total,
                sleeps_when_idle=env.sleeps_when_idle,
                readiness=readiness.get(env.name),
            )
        )
    return rows


def summary(rows: list[CatalogRow]) -> str:
    total = sum((row.monthly_cost for row in rows), Decimal("0.00"))
    count = f"{len(rows)} environment" if len(rows) == 1 else f"{len(rows)} environments"
    return f"{count}, estimated {cost.usd(total)} a month in total."


def render_markdown(rows: list[CatalogRow], flags: Sequence[FlagRow] = ()) -> str:
    """The wiki table and its total, then the feature flags' table (when there are any): the
    `catalog` stack output, byte for byte."""
    text = tables.markdown(COLUMNS, [row.cells() for row in rows]) + "\n" + summary(rows) + "\n"
    if flags:
        text += "\n" + FLAGS_HEADING + "\n\n" + tables.markdown(FLAG_COLUMNS, [flag.cells() for flag in flags])
    return text


def render_table(rows: list[CatalogRow], flags: Sequence[FlagRow] = ()) -> str:
    """The same for a terminal: aligned columns."""
    text = tables.aligned(COLUMNS, [row.cells() for row in rows]) + "\n" + summary(rows) + "\n"
    if flags:
        text += "\n" + FLAGS_HEADING + "\n\n" + tables.aligned(FLAG_COLUMNS, [flag.cells() for flag in flags])
    return text


def render_json(rows: list[CatalogRow], flags: Sequence[FlagRow] = ()) -> dict[str, Any]:
    total = sum((row.monthly_cost for row in rows), Decimal("0.00"))
    return {
        "environments": [row.as_json() for row in rows],
        "totalMonthlyCostUsd": float(total),
        "featureFlags": [flag.as_json() for flag in flags],
    }


def catalog_markdown(spec: FleetSpec, urls: Urls | None = None, readiness: Mapping[str, str] | None = None) -> str:
    """The `catalog` stack output and `python -m fleet catalog --format markdown`."""
    return render_markdown(catalog_rows(spec, urls, readiness), flag_rows(spec))


# --- what a change of the config does to the catalog (a pull request's comment) ---------------

CHANGE_COLUMN = tables.Column("change")


@dataclass(frozen=True)
class RowChange:
    change: str  # "added", "removed", "changed"
    cells: list[str]  # the row after the change (before it, for a removed row)
    fields: tuple[str, ...] = ()  # the columns that changed

    def label(self) -> str:
        return f"{self.change} ({', '.join(self.fields)})" if self.fields else self.change


def _changes(
    columns: Sequence[tables.Column], before: Mapping[str, list[str]], after: Mapping[str, list[str]]
) -> list[RowChange]:
    """Rows added, changed or removed, keyed by their first cell: the new file's order, then the
    rows it no longer has."""
    found: list[RowChange] = []
    for key, cells in after.items():
        if key not in before:
            found.append(RowChange("added", cells))
        elif before[key] != cells:
            fields = tuple(c.title for c, old, new in zip(columns, before[key], cells, strict=True) if old != new)
            found.append(RowChange("changed", cells, fields))
    found += [RowChange("removed", cells) for key, cells in before.items() if key not in after]
    return found


@dataclass(frozen=True)
class CatalogDiff:
    environments: list[RowChange]
    flags: list[RowChange]

    def render(self, fmt: str) -> str:
        if not self.environments and not self.flags:
            return "No catalog row changes.\n"
        text = ""
        for heading, columns, changes in (
            ("Catalog rows this changes:", COLUMNS, self.environments),
            ("Feature flags this changes:", FLAG_COLUMNS, self.flags),
        ):
            if not changes:
                continue
            rows = [[change.label(), *change.cells] for change in changes]
            table = tables.render([CHANGE_COLUMN, *columns], rows, "table" if fmt == "table" else "markdown")
            text += ("\n" if text else "") + f"{heading}\n\n{table}"
        return text

    def as_json(self) -> dict[str, Any]:
        def entries(changes: list[RowChange], columns: Sequence[tables.Column]) -> list[dict[str, Any]]:
            return [
                {
                    "change": change.change,
                    "fields": list(change.fields),
                    "row": dict(zip([c.title for c in columns], change.cells, strict=True)),
                }
                for change in changes
            ]

        return {"environments": entries(self.environments, COLUMNS), "featureFlags": entries(self.flags, FLAG_COLUMNS)}


def compare(base: FleetSpec, spec: FleetSpec) -> CatalogDiff:
    """The catalog rows (URLs pending: a pull request has none yet) that `spec` adds, changes or
    removes compared with `base`."""
    return CatalogDiff(
        environments=_changes(
            COLUMNS,
            {row.environment: row.cells() for row in catalog_rows(base)},
            {row.environment: row.cells() for row in catalog_rows(spec)},
        ),
        flags=_changes(
            FLAG_COLUMNS,
            {row.flag: row.cells() for row in flag_rows(base)},
            {row.flag: row.cells() for row in flag_rows(spec)},
        ),
    )


def urls_from_outputs(outputs: object) -> dict[str, dict[str, str]]:
    """Each environment's service URLs from `pulumi stack output --json` of the fleet stack.

    Raises ValueError when the document is not such an output."""
    if not isinstance(outputs, Mapping):
        raise ValueError("expected the JSON object `pulumi stack output --json` prints")
    environments = outputs.get("environments")
    if not isinstance(environments, Mapping):
        raise ValueError("no `environments` output: is it the output of the fleet stack?")
    urls: dict[str, dict[str, str]] = {}
    for name, environment in environments.items():
        if not isinstance(environment, Mapping):
            raise ValueError(f"environments.{name} is not an object")
        service_urls = environment.get("urls") or {}
        if not isinstance(service_urls, Mapping):
            raise ValueError(f"environments.{name}.urls is not an object")
        urls[str(name)] = {str(k): str(v) for k, v in service_urls.items() if isinstance(v, str)}
    return urls


def from_status(document: object) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Each environment's service URLs and its readiness, from `python -m fleet status --format
    json`. Raises ValueError when the document is not such a status."""
    if not isinstance(document, Mapping) or not isinstance(document.get("environments"), Mapping):
        raise ValueError("expected the JSON `python -m fleet status --format json` prints")
    urls: dict[str, dict[str, str]] = {}
    readiness: dict[str, str] = {}
    for name, environment in document["environments"].items():
        services = environment.get("services") if isinstance(environment, Mapping) else None
        verdict = environment.get("verdict") if isinstance(environment, Mapping) else None
        if not isinstance(services, Mapping) or verdict not in READINESS:
            raise ValueError(f"environments.{name}: expected its services and a verdict (healthy, failed, waiting)")
        readiness[str(name)] = verdict
        urls[str(name)] = {
            str(service): entry["url"]
            for service, entry in services.items()
            if isinstance(entry, Mapping) and isinstance(entry.get("url"), str)
        }
    return urls, readiness

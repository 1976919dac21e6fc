"""Checks across keys and list items: what no single field's validator can see.

Duplicate environment and service names and ids, database sources that go round or have no
database to share or branch, environments without a database, a Supabase organization that a
strategy needs, "pr" environments in the fleet stack, feature flags that would be one Statsig
gate, flag targets listed twice, flag owners who own no environment. They read the raw values
(fleet/config/values.py), not the models, so one faulty item does not hide a duplicate or a
cycle that involves it; what the models report is not reported again here. A source naming no
environment at all is the model's to report (DatabaseSpec, with `validation_context`), since
`environment_names` gives it every name.
"""

import difflib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from fleet import naming
from fleet.config.fields import SOURCED_STRATEGIES, Strategy
from fleet.config.problems import Finding, Loc, config_path
from fleet.wording import quote


def environment_names(values: Mapping[str, Any]) -> frozenset[str] | None:
    """Every environment name in the config, valid or not; None when the list itself is
    unusable, so references into it are not checked (and not all reported as dangling)."""
    environments = values.get("environments", [])
    if not isinstance(environments, list):
        return None
    return frozenset(
        item["name"] for item in environments if isinstance(item, Mapping) and isinstance(item.get("name"), str)
    )


def _as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def cross_reference_problems(values: Mapping[str, Any], undecodable: Collection[Loc] = ()) -> list[Finding]:
    """Checks across list items. They read the raw values, so one faulty item does not hide a
    duplicate or a cycle that involves it."""
    environments = _as_list(values.get("environments"))
    services = _as_list(_as_mapping(values.get("railway")).get("services"))
    default_database = _as_mapping(values.get("defaults")).get("database")
    databases = _environment_databases(environments, default_database)
    links = _source_links(databases)
    cycles = _cycles(links)
    flags = _as_list(values.get("featureFlags"))
    found = [
        *_pull_request_environments(environments),
        *_duplicates(environments, "name", ("environments",), "environment name"),
        *_duplicates(services, "name", ("railway", "services"), "service name"),
        *_duplicates(services, "id", ("railway", "services"), "service id"),
        *_source_cycles(cycles, links),
        *_sources_without_database(databases, default_database, cycles),
        *_environments_without_database(environments, default_database),
        *_flag_duplicates(flags),
        *_flag_list_duplicates(flags),
    ]
    # Owners are checked against a usable environment list only, not all reported as unknown.
    if isinstance(values.get("environments", []), list) and ("environments",) not in undecodable:
        found += _unknown_flag_owners(flags, environments)
    if ("supabase",) not in undecodable:  # its organizationSlug is unknown, not missing
        found += _supabase_organization_needed(values.get("supabase"), environments, default_database)
    return found


def _pull_request_environments(environments: list[Any]) -> Iterator[Finding]:
    for index, item in enumerate(environments):
        if isinstance(item, Mapping) and item.get("kind") == "pr":
            yield (
                ("environments", index, "kind"),
                'kind "pr" is not allowed in the fleet stack: PR environments come from review stacks',
                "each pull request gets its own stack pr-<number>, created by CI from Pulumi.pr.yaml; "
                "use kind developer or team for a long-lived environment",
            )


def _environments_without_database(environments: list[Any], default_database: object) -> Iterator[Finding]:
    if default_database is not None:
        return
    for index, item in enumerate(environments):
        if isinstance(item, Mapping) and item.get("database") is None:
            yield (
                ("environments", index, "database"),
                "no database: this environment names none and defaults.database is not set",
                "add a database block here, or set stagefleet:defaults.database",
            )


def _duplicates(items: list[Any], key: str, loc: Loc, what: str) -> Iterator[Finding]:
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        value = item.get(key) if isinstance(item, Mapping) else None
        if not isinstance(value, str):
            continue
        if value in first_index:
            first = config_path((*loc, first_index[value]))
            yield (*loc, index, key), f"{what} {quote(value)} is already used by {first}", None
        else:
            first_index[value] = index


def _flag_duplicates(flags: list[Any]) -> Iterator[Finding]:
    """Two flags with one name, or with names Statsig turns into one gate id ("Payments V2" and
    "payments_v2"), would be one gate."""
    first_index: dict[str, int] = {}
    for index, item in enumerate(flags):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str):
            continue
        gate_id = naming.statsig_gate_id(name)
        if gate_id not in first_index:
            first_index[gate_id] = index
            continue
        first = flags[first_index[gate_id]]["name"]
        first_path = config_path(("featureFlags", first_index[gate_id]))
        if first == name:
            message = f"feature flag name {quote(name)} is already used by {first_path}"
        else:
            message = (
                f"feature flag {quote(name)} has the Statsig gate id {quote(gate_id)}, as "
                f"{quote(first)} ({first_path}) has"
            )
        yield (
            ("featureFlags", index, "name"),
            message,
            'Statsig derives a gate\'s id from its name (lowercase, spaces as "_"): give each flag a name of its own',
        )


def _flag_list_duplicates(flags: list[Any]) -> Iterator[Finding]:
    """An enabledFor entry (email addresses without regard to case) or an environment listed twice
    in one flag."""
    for index, item in enumerate(flags):
        if not isinstance(item, Mapping):
            continue
        for key, same in (("enabledFor", naming.flag_target_key), ("environments", str)):
            first_index: dict[str, int] = {}
            for position, entry in enumerate(_as_list(item.get(key))):
                if not isinstance(entry, str):
                    continue
                if same(entry) not in first_index:
                    first_index[same(entry)] = position
                    continue
                first = config_path(("featureFlags", index, key, first_index[same(entry)]))
                yield (
                    ("featureFlags", index, key, position),
                    f"{quote(entry)} is already listed as {first}",
                    "list it once",
                )


def _unknown_flag_owners(flags: list[Any], environments: list[Any]) -> Iterator[Finding]:
    """A flag's owner answers for it: the owner of some environment of the fleet (a developer, or
    a team such as platform)."""
    owners = sorted(
        {item["owner"] for item in environments if isinstance(item, Mapping) and isinstance(item.get("owner"), str)}
    )
    for index, item in enumerate(flags):
        owner = item.get("owner") if isinstance(item, Mapping) else None
        if not isinstance(owner, str) or not owner or owner in owners:
            continue
        close = difflib.get_close_matches(owner, owners, n=1)
        if close:
            hint = f"did you mean {quote(close[0])}?"
        elif owners:
            hint = "the owner of an environment of the fleet: " + ", ".join(owners)
        else:
            hint = "no environment of the fleet has an owner yet"
        yield (
            ("featureFlags", index, "owner"),
            f"{quote(owner)} owns no environment of the fleet",
            hint,
        )


@dataclass(frozen=True)
class _EnvironmentDatabase:
    """An environment's database as written in the raw config: its own or the default one."""

    index: int
    strategy: object  # as written: may be anything, the model reports a wrong one
    source: object
    inherited: bool  # from stagefleet:defaults.database

    def describe_strategy(self) -> str:
        origin = " (from stagefleet:defaults.database)" if self.inherited else ""
        return f"{self.strategy}{origin}"


def _environment_databases(environments: list[Any], default_database: object) -> dict[str, _EnvironmentDatabase]:
    """Name -> database of every environment whose database is a mapping (the first of a name)."""
    databases: dict[str, _EnvironmentDatabase] = {}
    for index, item in enumerate(environments):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or name in databases:
            continue
        own = item.get("database")
        database = own if own is not None else default_database
        if isinstance(database, Mapping):
            databases[name] = _EnvironmentDatabase(index, database.get("strategy"), database.get("source"), own is None)
    return databases


def _source_links(databases: Mapping[str, _EnvironmentDatabase]) -> dict[str, _EnvironmentDatabase]:
    """The databases that name a source (shared or branch), by environment name."""
    return {
        name: database
        for name, database in databases.items()
        if database.strategy in SOURCED_STRATEGIES
        and isinstance(database.source, str)
        # An environment naming itself is reported where it is written, by the model.
        and not (not database.inherited and database.source == name)
    }


def _cycles(links: Mapping[str, _EnvironmentDatabase]) -> list[list[str]]:
    """Every cycle of source links, each once, starting at the environment listed first."""
    cycles: list[list[str]] = []
    reported: set[str] = set()
    for start in links:
        path = [start]
        while (following := str(links[path[-1]].source)) in links and following not in path:
            path.append(following)
        if following not in path or following in reported:
            continue
        cycle = path[path.index(following) :]
        reported.update(cycle)
        at = cycle.index(min(cycle, key=lambda name: links[name].index))
        cycles.append([*cycle[at:], *cycle[:at]])
    return cycles


def _source_cycles(cycles: list[list[str]], links: Mapping[str, _EnvironmentDatabase]) -> Iterator[Finding]:
    for cycle in cycles:
        first = links[cycle[0]]
        chain = " -> ".join([*cycle, cycle[0]])
        if first.inherited:
            yield (
                ("environments", first.index, "database"),
                f"the default database source {quote(first.source)} leads back to this environment: " + chain,
                "give this environment a database of its own",
            )
        else:
            yield (
                ("environments", first.index, "database", "source"),
                f"database sources form a cycle: {chain}",
                "one environment in the cycle needs strategy dedicated or external",
            )


def _database_owner(name: str, databases: Mapping[str, _EnvironmentDatabase]) -> str | None:
    """The raw-config counterpart of FleetSpec.database_owner: follows `shared` sources; None when
    they end nowhere or go round."""
    seen = {name}
    while (database := databases.get(name)) is not None and database.strategy == "shared":
        name = database.source if isinstance(database.source, str) else ""
        if name in seen:
            return None
        seen.add(name)
    return name if database is not None else None


def _sources_without_database(
    databases: Mapping[str, _EnvironmentDatabase], default_database: object, cycles: list[list[str]]
) -> Iterator[Finding]:
    """A `shared` source must own its database (not share one itself); a `branch` source must
    have a Supabase project to branch (strategy dedicated)."""
    in_cycle = {name for cycle in cycles for name in cycle}
    # (where the source is written, strategy, source)
    written: list[tuple[Loc, object, object]] = []
    if isinstance(default_database, Mapping):
        strategy, source = default_database.get("strategy"), default_database.get("source")
        written.append((("defaults", "database", "source"), strategy, source))
    for name, database in databases.items():
        if not database.inherited and name not in in_cycle and database.source != name:
            written.append((("environments", database.index, "database", "source"), database.strategy, database.source))
    for loc, strategy, source in written:
        if strategy not in SOURCED_STRATEGIES or not isinstance(source, str):
            continue
        target = databases.get(source)
        # Reported elsewhere, or depending on how that is fixed: a missing source, one without a
        # database, with a wrong strategy, naming itself, or in a cycle of sources.
        if (
            target is None
            or target.strategy not in get_args(Strategy)
            or (not target.inherited and target.source == source)
            or source in in_cycle
        ):
            continue
        owner = _database_owner(source, databases)
        if strategy == "shared" and target.strategy == "shared":
            advice = f"; point at {quote(owner)}, which owns it" if owner is not None else ""
            yield (
                loc,
                f"environment {quote(source)} does not own a database (it shares {quote(target.source)}'s){advice}",
                "name the environment that owns the database: shared sources do not chain",
            )
        elif strategy == "branch" and target.strategy != "dedicated":
            owner_database = databases.get(owner) if owner is not None else None
            suggest = owner_database is not None and owner_database.strategy == "dedicated"
            yield (
                loc,
                f"environment {quote(source)} has no Supabase project to branch: its database "
                f"strategy is {target.describe_strategy()}, not dedicated",
                f"did you mean {quote(owner)}? it owns the database {quote(source)} uses"
                if suggest and owner != source
                else "branch from an environment with strategy dedicated",
            )


_NEEDS_ORGANIZATION = ("dedicated", "branch")


def _supabase_organization_needed(
    supabase: object, environments: list[Any], default_database: object
) -> Iterator[Finding]:
    """stagefleet:supabase.organizationSlug is required once a database lives on Supabase. Reported
    once, where the first environment that needs it has its strategy written."""
    if supabase is not None and not isinstance(supabase, Mapping):
        return  # the block itself is wrong, and reported as such
    if isinstance(supabase, Mapping) and supabase.get("organizationSlug") is not None:
        return  # given (a wrong one is reported by the model)
    for index, item in enumerate(environments):
        if not isinstance(item, Mapping):
            continue
        own = item.get("database")
        database = own if own is not None else default_database
        strategy = database.get("strategy") if isinstance(database, Mapping) else None
        if strategy not in _NEEDS_ORGANIZATION:
            continue
        if own is not None:
            loc: Loc = ("environments", index, "database", "strategy")
            used_by = ""
        else:
            loc = ("defaults", "database", "strategy")
            used_by = f" (used by environment {quote(item.get('name'))})"
        yield (
            loc,
            f"strategy {quote(strategy)}{used_by} needs a Supabase organization: "
            "set stagefleet:supabase.organizationSlug",
            "set it with: pulumi config set --path 'stagefleet:supabase.organizationSlug' <organization slug>",
        )
        return

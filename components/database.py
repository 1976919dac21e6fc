"""Resolve an environment's database config into the values its services are wired with."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi

from fleet import FleetSpec
from fleet.config import EnvironmentSpec


class UnsupportedDatabaseStrategy(pulumi.RunError):
    pass


@dataclass(frozen=True)
class DatabaseConnection:
    """What a service needs to reach its database. `key` is always a secret output."""

    url: pulumi.Input[str]
    key: pulumi.Output[str]
    ref: Optional[pulumi.Input[str]] = None
    strategy: str = "external"
    owner: str = ""


def resolve_databases(spec: FleetSpec) -> dict[str, DatabaseConnection]:
    """The database connection of every environment, by environment name.

    Environments on a `shared` database get exactly the owner's connection, so a key rotated on
    the owner reaches every borrower in the same `pulumi up`.
    """
    owned: dict[str, DatabaseConnection] = {}
    for env in spec.environments:
        owner = spec.database_owner(env)
        if owner.name not in owned:
            owned[owner.name] = _owned_database(spec, owner)
    resolved = {}
    for env in spec.environments:
        owner_connection = owned[spec.database_owner(env).name]
        strategy = spec.database_for(env).strategy
        resolved[env.name] = DatabaseConnection(
            url=owner_connection.url,
            key=owner_connection.key,
            ref=owner_connection.ref,
            strategy=strategy,
            owner=owner_connection.owner,
        )
    return resolved


def _owned_database(spec: FleetSpec, owner: EnvironmentSpec) -> DatabaseConnection:
    database = spec.database_for(owner)
    if database.strategy != "external":
        where = (
            f"stagefleet:environments[{spec.environments.index(owner)}].database.strategy"
            if owner.database is not None
            else "stagefleet:defaults.database.strategy"
        )
        raise UnsupportedDatabaseStrategy(
            f'{where}: strategy "{database.strategy}" (used by environment "{owner.name}") is not available '
            "in this release; use external (supabaseUrl and supabaseKey) or shared"
        )
    return DatabaseConnection(
        url=database.supabase_url,
        key=pulumi.Output.secret(database.supabase_key.get_secret_value()),
        ref=_ref_from_url(database.supabase_url),
        strategy="external",
        owner=owner.name,
    )


def _ref_from_url(url: str) -> Optional[str]:
    # https://<ref>.supabase.co is the hosted form; anything else has no project ref to report.
    host = url.split("://", 1)[-1].split("/", 1)[0]
    if host.endswith(".supabase.co"):
        return host.removesuffix(".supabase.co")
    return None

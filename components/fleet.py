"""The program body: stack config in, one StagingEnvironment per environment, stack exports out."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from components.database import DatabaseArgs
from components.staging_environment import StagingEnvironment, StagingEnvironmentArgs
from fleet import FleetConfigError, FleetSpec
from fleet.catalog import catalog_rows, render_markdown

NAMESPACE = "stagefleet:"


class InvalidStackConfig(pulumi.RunError):
    """Raised before any resource is registered, so a bad edit fails `pulumi preview` cleanly."""


def stack_config() -> dict[str, Any]:
    """Every `stagefleet:*` key of the stack, as the engine handed it to the program.

    Read as a whole rather than key by key so unknown keys are reported too.
    """
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {key: value for key, value in merged.items() if key.startswith(NAMESPACE)}


def load_fleet_spec(mapping: Mapping[str, Any]) -> FleetSpec:
    try:
        return FleetSpec.from_config(mapping)
    except FleetConfigError as error:
        raise InvalidStackConfig(f"stack config is invalid:\n{error}") from None


def deploy_fleet(spec: FleetSpec, today: dt.date | None = None) -> dict[str, Any]:
    """Declare every environment of the fleet; returns the stack exports."""
    today = today or dt.date.today()
    environments: dict[str, StagingEnvironment] = {}
    for env in database_order(spec):
        database = spec.database_for(env)
        source = environments[database.source].database if database.source else None
        owned = database.strategy != "shared"
        environments[env.name] = StagingEnvironment(
            env.name,
            StagingEnvironmentArgs(
                environment=env,
                railway=spec.railway,
                database=(
                    DatabaseArgs(
                        environment=env,
                        database=database,
                        supabase=spec.supabase,
                        project_name=spec.supabase_project_name(env),
                        instance_size=spec.instance_size_for(env),
                        parent=source,
                    )
                    if owned
                    else None
                ),
                shared_database=None if owned else source,
                service_variables={
                    service.name: spec.variables_for(env, service) for service in spec.railway.services
                },
                token_rotation_days=spec.defaults.token_rotation_days,
                today=today,
            ),
        )
    ordered = {env.name: environments[env.name] for env in spec.environments}
    return export_fleet(spec, ordered)


def database_order(spec: FleetSpec) -> list:
    """Environments in config order, except that a database's owner comes before every environment
    that shares or branches it (the config model has already ruled out cycles)."""
    ordered: list = []
    placed: set[str] = set()

    def place(env) -> None:
        if env.name in placed:
            return
        source = spec.database_for(env).source
        if source:
            place(spec.environment(source))
        placed.add(env.name)
        ordered.append(env)

    for env in spec.environments:
        place(env)
    return ordered


def export_fleet(spec: FleetSpec, environments: Mapping[str, StagingEnvironment]) -> dict[str, Any]:
    """Export what people and review stacks read from the fleet stack; returns what was exported."""
    by_name = {env.name: env for env in spec.environments}
    exports: dict[str, Any] = {}
    exports["environments"] = (
        {
            name: {
                "kind": by_name[name].kind,
                "branch": by_name[name].branch,
                "owner": by_name[name].owner,
                "purpose": by_name[name].purpose,
                "expires": by_name[name].expires.isoformat() if by_name[name].expires else None,
                "railwayEnvironmentId": component.railway_environment_id,
                "railwayEnvironmentName": component.railway_environment_name,
                "urls": component.urls,
                "databaseUrl": component.database_url,
                "databaseRef": component.database_ref,
            }
            for name, component in environments.items()
        }
    )
    # Tokens travel in their own export so `environments` stays readable in plain text.
    exports["accessTokens"] = pulumi.Output.secret(
        {name: component.access_token for name, component in environments.items()}
    )
    first_urls = pulumi.Output.all(
        **{name: component.urls for name, component in environments.items()}
    ).apply(lambda urls: {name: _primary_url(service_urls) for name, service_urls in urls.items()})
    exports["catalog"] = first_urls.apply(lambda urls: render_markdown(catalog_rows(spec, urls)))
    exports["railwayProjectId"] = spec.railway.project_id
    exports["baseEnvironmentId"] = spec.railway.base_environment_id
    for key, value in exports.items():
        pulumi.export(key, value)
    return exports


def _primary_url(service_urls: Mapping[str, str] | None) -> str:
    # The catalog shows one URL per environment: the first service's, in config order.
    if not service_urls:
        return ""
    return next(iter(service_urls.values())) or ""


def main() -> None:
    deploy_fleet(load_fleet_spec(stack_config()))

"""The fleet stack's program body: stack config in, one StagingEnvironment per environment and one
Statsig gate per feature flag, stack exports out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pulumi

from components.database import DatabaseArgs
from components.staging_environment import StagingEnvironment, StagingEnvironmentArgs
from fleet import FleetConfigError, FleetSpec, policy
from fleet.catalog import catalog_markdown
from fleet.config import EnvironmentSpec
from programs.budget import warn_if_over_budget
from programs.config import InvalidStackConfig
from programs.exports import export_environments
from programs.feature_flags import declare_feature_flags, export_feature_flags


def load_fleet_spec(mapping: Mapping[str, Any]) -> FleetSpec:
    try:
        return FleetSpec.from_config(mapping)
    except FleetConfigError as error:
        raise InvalidStackConfig(f"stack config is invalid:\n{error}") from None


def enforce_policy(spec: FleetSpec, today: dt.date) -> None:
    """The fleet's rules (fleet/policy.py), as `python -m fleet validate` checks them: warnings are
    logged, errors fail the run before any resource is declared, in validate's own lines. An entry
    past its `expires` is a warning: it keeps running until a pull request removes it, and every
    other change still deploys."""
    problems = policy.check(spec, today)
    for warning in policy.warnings(problems):
        pulumi.log.warn("\n".join(policy.problem_lines(warning, mark_warning=False)))
    errors = policy.errors(problems)
    if errors:
        lines = [line for problem in errors for line in policy.problem_lines(problem)]
        raise InvalidStackConfig("stack config breaks the fleet's rules:\n" + "\n".join(lines))


def deploy_fleet(spec: FleetSpec, today: dt.date | None = None) -> dict[str, Any]:
    """Declare every environment and every feature flag of the fleet; returns the stack exports."""
    today = today or dt.date.today()
    enforce_policy(spec, today)
    warn_if_over_budget(spec)
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
                        branch_instance_size=spec.branch_instance_size_for(env),
                        parent=source,
                    )
                    if owned
                    else None
                ),
                shared_database=None if owned else source,
                service_variables={service.name: spec.variables_for(env, service) for service in spec.railway.services},
                token_rotation_days=spec.defaults.token_rotation_days,
                today=today,
            ),
        )
    ordered = {env.name: environments[env.name] for env in spec.environments}
    gates = declare_feature_flags(spec)
    return export_fleet(spec, ordered, gates)


def database_order(spec: FleetSpec) -> list[EnvironmentSpec]:
    """Environments in config order, except that a database's owner comes before every environment
    that shares or branches it (the config model has already ruled out cycles)."""
    ordered: list[EnvironmentSpec] = []
    placed: set[str] = set()

    def place(env: EnvironmentSpec) -> None:
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


def export_fleet(
    spec: FleetSpec, environments: Mapping[str, StagingEnvironment], gates: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Export what people and review stacks read from the fleet stack; returns what was exported.
    `gates`: the feature flags' Statsig gates, by flag name."""
    exports: dict[str, Any] = {"environments": export_environments(spec.environments, environments)}
    # Secrets travel in their own exports so `environments` stays readable in plain text.
    exports["accessTokens"] = pulumi.Output.secret(
        {name: component.access_token for name, component in environments.items()}
    )
    # Review stacks that share or branch a fleet database read its keys here (StackReference).
    exports["databaseKeys"] = pulumi.Output.secret(
        {
            name: {
                "anonKey": component.database.anon_key,
                "serviceRoleKey": component.database.service_role_key,
                "connectionString": component.database.connection_string,
            }
            for name, component in environments.items()
        }
    )
    # The same builder as `python -m fleet catalog --outputs`, given the same per-service URLs.
    deployed_urls = pulumi.Output.all(**{name: component.urls for name, component in environments.items()})
    exports["catalog"] = deployed_urls.apply(lambda urls: catalog_markdown(spec, urls))
    # Who sees which flag on staging, and each flag's gate: readable, like `environments`.
    exports["featureFlags"] = export_feature_flags(spec, gates or {})
    exports["railwayProjectId"] = spec.railway.project_id
    exports["baseEnvironmentId"] = spec.railway.base_environment_id
    for key, value in exports.items():
        pulumi.export(key, value)
    return exports

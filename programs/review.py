"""A review stack's program body: the one environment of a pull request, built on the fleet stack.

Static config (Railway project, services, defaults) comes from the fleet stack's file in the same
repository; what only exists once the fleet is deployed (its databases' refs and keys) comes from
the fleet stack's outputs through a StackReference, which works on every state backend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from components.database import DatabaseArgs, DatabaseConnection
from components.staging_environment import StagingEnvironment, StagingEnvironmentArgs
from fleet import FleetConfigError
from fleet.review import ReviewSpec, load_review_spec
from programs.config import InvalidStackConfig
from programs.exports import export_environments


def load_review(mapping: Mapping[str, Any], project_dir: Path, stack: str) -> ReviewSpec:
    """The review stack's config, resolved against its fleet stack's file in `project_dir`."""
    try:
        return load_review_spec(mapping, project_dir, stack_name=stack)
    except FleetConfigError as error:
        raise InvalidStackConfig(f"review stack config is invalid:\n{error}") from None


def deploy_review(
    review: ReviewSpec, fleet_stack: pulumi.StackReference, today: dt.date | None = None
) -> dict[str, Any]:
    """Declare the pull request's environment; returns the stack exports."""
    fleet = review.fleet
    env = review.environment
    assert env is not None, "a review stack needs stagefleet:pullRequest"
    database = review.database
    source = _fleet_database(fleet_stack, review, database.source) if database.source else None
    owned = database.strategy != "shared"
    project_name = review.supabase_branch_name() if database.strategy == "branch" else fleet.supabase_project_name(env)
    component = StagingEnvironment(
        env.name,
        StagingEnvironmentArgs(
            environment=env,
            railway=fleet.railway,
            database=(
                DatabaseArgs(
                    environment=env,
                    database=database,
                    supabase=fleet.supabase,
                    project_name=project_name,
                    instance_size=fleet.instance_size_for(env),
                    branch_instance_size=fleet.branch_instance_size_for(env),
                    # A pull request's branch is a disposable preview; the fleet's are kept.
                    persistent=False,
                    parent=source,
                )
                if owned
                else None
            ),
            shared_database=None if owned else source,
            service_variables={service.name: review.variables_for(service) for service in fleet.railway.services},
            token_rotation_days=fleet.defaults.token_rotation_days,
            today=today or dt.date.today(),
            railway_environment_name=review.stack_name,
            # Railway treats ephemeral environments as PR environments: they are never a base.
            ephemeral=True,
        ),
    )
    exports: dict[str, Any] = {
        "environments": export_environments([env], {env.name: component}),
        "accessTokens": pulumi.Output.secret({env.name: component.access_token}),
        "pullRequest": review.pull_request.number if review.pull_request else None,
        "railwayProjectId": fleet.railway.project_id,
    }
    for key, value in exports.items():
        pulumi.export(key, value)
    return exports


def _fleet_database(fleet_stack: pulumi.StackReference, review: ReviewSpec, source: str) -> DatabaseConnection:
    """The connection of the fleet environment `source`, from the fleet stack's outputs."""
    environment = fleet_stack.require_output("environments").apply(lambda environments: environments[source])
    keys = fleet_stack.require_output("databaseKeys").apply(lambda all_keys: all_keys[source])
    return DatabaseConnection(
        url=environment.apply(lambda e: e["databaseUrl"]),
        anon_key=pulumi.Output.secret(keys.apply(lambda k: k["anonKey"])),
        service_role_key=pulumi.Output.secret(keys.apply(lambda k: k["serviceRoleKey"])),
        ref=environment.apply(lambda e: e["databaseRef"]),
        connection_string=pulumi.Output.secret(keys.apply(lambda k: k.get("connectionString"))),
        strategy=review.fleet.database_for(review.fleet.environment(source)).strategy,
        owner=source,
    )

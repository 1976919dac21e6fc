"""StagingEnvironment: one Railway environment with its services wired, deployed and reachable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pulumi

from components.database import Database, DatabaseArgs, DatabaseConnection
from fleet import naming
from fleet.config import EnvironmentSpec, RailwaySpec, ServiceSpec
from providers.railway.deployment import Deployment, DeploymentArgs, variables_digest
from providers.railway.deployment_trigger import DeploymentTrigger, DeploymentTriggerArgs
from providers.railway.environment import Environment, EnvironmentArgs
from providers.railway.service_domain import ServiceDomain, ServiceDomainArgs
from providers.railway.service_instance import SETTINGS, ServiceInstance, ServiceInstanceArgs
from providers.railway.variables import Variables, VariablesArgs
from providers.tokens import AccessToken, AccessTokenArgs

COMPONENT_TYPE = "stagefleet:index:StagingEnvironment"


def rotation_window_start(today: dt.date, rotation_days: int) -> str:
    """The first day of the rotation window containing `today`.

    Used as the access token's keeper: when a window ends, the next `pulumi up` (or preview) shows
    the token being replaced, without anybody having to remember to rotate it.
    """
    epoch = dt.date(1970, 1, 1)
    window = (today - epoch).days // rotation_days
    return (epoch + dt.timedelta(days=window * rotation_days)).isoformat()


@dataclass
class StagingEnvironmentArgs:
    environment: EnvironmentSpec
    railway: RailwaySpec
    # Exactly one: the database this environment owns, or the connection of the one it shares.
    database: DatabaseArgs | None
    shared_database: DatabaseConnection | None
    # Per service name: defaults < service < environment variables, already merged from config.
    service_variables: Mapping[str, Mapping[str, str]]
    token_rotation_days: int = 90
    today: dt.date = field(default_factory=dt.date.today)
    railway_environment_name: str | None = None
    ephemeral: bool = False


class StagingEnvironment(pulumi.ComponentResource):
    """A Railway environment forked from the base environment; per service its settings, its
    variables, a deploy trigger on the environment's branch, a public domain and a deployment of
    the branch started once all of those are in place; and a generated access token."""

    database: DatabaseConnection
    railway_environment_id: pulumi.Output[str]
    railway_environment_name: pulumi.Output[str]
    urls: pulumi.Output[dict[str, Any]]
    # Per service name: serviceId, url (None without a domain), healthcheckPath, deploymentId.
    services: pulumi.Output[dict[str, Any]]
    database_url: pulumi.Output[str]
    database_ref: pulumi.Output[str | None]
    access_token: pulumi.Output[str]

    def __init__(self, name: str, args: StagingEnvironmentArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(COMPONENT_TYPE, name, None, opts)
        env = args.environment
        child = pulumi.ResourceOptions(parent=self)
        environment_name = args.railway_environment_name or naming.railway_environment_name(env.name)
        if (args.database is None) == (args.shared_database is None):
            raise ValueError(f'environment "{env.name}": give either its own database or the one it shares')
        if args.database is not None:
            self.database = Database(f"{name}-database", args.database, child).connection
        else:
            assert args.shared_database is not None
            self.database = args.shared_database.borrowed_by("shared")

        railway_environment = Environment(
            f"{name}-environment",
            EnvironmentArgs(
                project_id=args.railway.project_id,
                name=environment_name,
                source_environment_id=args.railway.base_environment_id,
                ephemeral=args.ephemeral,
            ),
            child,
        )
        token = AccessToken(
            f"{name}-access-token",
            AccessTokenArgs(
                prefix=naming.access_token_prefix(env.name),
                keepers={
                    "environment": env.name,
                    "rotation": rotation_window_start(args.today, args.token_rotation_days),
                },
            ),
            child,
        )

        # Everything per service lives inside the Railway environment and goes when it goes: a
        # destroy is one environmentDelete, with no variableDelete (which always redeploys), trigger,
        # domain or settings write in front of it. Removing one of them from the config alone still
        # deletes it (its environment stays).
        in_environment = pulumi.ResourceOptions(parent=self, deleted_with=railway_environment)
        urls: dict[str, pulumi.Output[str]] = {}
        services: dict[str, pulumi.Output[dict[str, Any]]] = {}
        for service in args.railway.services:
            instance = ServiceInstance(
                f"{name}-{service.name}-settings",
                ServiceInstanceArgs(
                    environment_id=railway_environment.environment_id,
                    service_id=service.id,
                    **instance_settings(service, env.sleeps_when_idle),
                ),
                in_environment,
            )
            wanted = service_variables(
                args.service_variables.get(service.name, {}),
                env.variables,
                self.database,
                service.supabase_key,
                token.value,
            )
            variables = Variables(
                f"{name}-{service.name}-variables",
                VariablesArgs(
                    project_id=args.railway.project_id,
                    environment_id=railway_environment.environment_id,
                    service_id=service.id,
                    variables=wanted,
                ),
                in_environment,
            )
            trigger = DeploymentTrigger(
                f"{name}-{service.name}-trigger",
                DeploymentTriggerArgs(
                    project_id=args.railway.project_id,
                    environment_id=railway_environment.environment_id,
                    service_id=service.id,
                    repository=service.repository,
                    branch=env.branch,
                ),
                in_environment,
            )
            url: pulumi.Input[str | None] = None
            if service.domain:
                domain = ServiceDomain(
                    f"{name}-{service.name}-domain",
                    ServiceDomainArgs(
                        project_id=args.railway.project_id,
                        environment_id=railway_environment.environment_id,
                        service_id=service.id,
                        target_port=service.port,
                    ),
                    in_environment,
                )
                urls[service.name] = url = domain.url
            # Nothing has deployed the fork yet (skipInitialDeploys, skipDeploys): this is the one
            # deployment, started once the code it starts will see everything it needs.
            deployment = Deployment(
                f"{name}-{service.name}-deployment",
                DeploymentArgs(
                    environment_id=railway_environment.environment_id,
                    service_id=service.id,
                    branch=env.branch,
                    # The digest reveals no value (see variables_digest): readable in a preview.
                    variables_digest=pulumi.Output.unsecret(pulumi.Output.all(**wanted).apply(variables_digest)),
                    settings=settings_as_text(instance_settings(service, env.sleeps_when_idle)),
                ),
                pulumi.ResourceOptions(
                    parent=self, depends_on=[instance, variables, trigger], deleted_with=railway_environment
                ),
            )
            services[service.name] = pulumi.Output.from_input(
                {
                    "serviceId": service.id,
                    "url": url,
                    "healthcheckPath": service.healthcheck_path,
                    "deploymentId": deployment.deployment_id,
                }
            )

        self.railway_environment_id = railway_environment.environment_id
        self.railway_environment_name = railway_environment.name
        self.urls = pulumi.Output.all(**urls) if urls else pulumi.Output.from_input({})
        self.services = pulumi.Output.all(**services) if services else pulumi.Output.from_input({})
        self.database_url = self.database.url
        self.database_ref = self.database.ref
        self.access_token = pulumi.Output.secret(token.value)
        self.register_outputs(
            {
                "railway_environment_id": self.railway_environment_id,
                "urls": self.urls,
                "services": self.services,
                "database_url": self.database_url,
                "database_ref": self.database_ref,
                "database_strategy": self.database.strategy,
                "access_token": self.access_token,
                "owner": env.owner,
                "purpose": env.purpose,
                "expires": env.expires.isoformat() if env.expires else None,
            }
        )


def service_variables(
    configured: Mapping[str, str],
    environment_overrides: Mapping[str, str],
    database: DatabaseConnection,
    key_role: str,
    access_token: pulumi.Input[str],
) -> dict[str, pulumi.Input[str]]:
    """The variables one service gets: config defaults, then the wiring stagefleet computes, then the
    environment's own overrides, which win over everything (a developer may point one environment at
    another database on purpose)."""
    variables: dict[str, pulumi.Input[str]] = {"APP_ENV": "staging"}
    variables.update(configured)
    variables.update(
        {
            "SUPABASE_URL": database.url,
            "SUPABASE_KEY": database.key(key_role),
            # Secret here as well as on the token resource: the variables' inputs are recorded in
            # the state too, and must be encrypted there.
            "STAGING_ACCESS_TOKEN": pulumi.Output.secret(access_token),
        }
    )
    variables.update(environment_overrides)
    return variables


class InstanceSettings(TypedDict):
    """What the environment sets on the service, by ServiceInstanceArgs' names; None: not managed."""

    healthcheck_path: str | None
    healthcheck_timeout: int | None
    sleep_application: bool
    root_directory: str | None


def instance_settings(service: ServiceSpec, sleeps_when_idle: bool) -> InstanceSettings:
    return {
        "healthcheck_path": service.healthcheck_path,
        "healthcheck_timeout": service.healthcheck_timeout,
        "sleep_application": sleeps_when_idle,
        "root_directory": service.root_directory,
    }


def settings_as_text(settings: Mapping[str, object]) -> dict[str, str]:
    """The managed settings as the Deployment records them: Railway's names, text values."""

    def text(value: object) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    return {SETTINGS[name]: text(value) for name, value in settings.items() if value is not None}

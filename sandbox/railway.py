"""A local emulator of Railway's public GraphQL API (the subset in railway.graphql).

`RailwaySandbox` serves the schema over loopback HTTP (sandbox.server) with in-memory state and
keeps the real API's behaviours the stagefleet client relies on: Bearer auth answering
"Not Authorized", errors as HTTP 200 with `extensions.code`, unique environment names per
project, forking an environment from a source (services, variables, triggers, instance settings;
not domains), generated `*.up.railway.app` domains, and deployments (sandbox.railway_deployments):
started through the API, by a fork without `skipInitialDeploys`, by a variable write without
`skipDeploys` or by a git push (`push`), each moving QUEUED -> BUILDING -> DEPLOYING -> SUCCESS
on the sandbox clock. A second loopback server, the edge (sandbox.railway_edge), makes the
generated domains answer HTTP from the deployment running behind them. Tests use its state
helpers for assertions and for out-of-band changes ("someone clicked in the dashboard").

Long on purpose: one emulator is one in-memory API (every GraphQL operation in railway.graphql
and the state they share); deployments and the edge already live in modules of their own.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from graphql.utilities import value_from_ast_untyped

from sandbox.railway_deployments import (
    Clock,
    Deployment,
    DeploymentCause,
    DeploymentLedger,
    DeploymentSource,
    DeploymentStatus,
    DeployTiming,
    Outcome,
    deployment_node,
    deployment_record,
    fake_commit,
)
from sandbox.railway_edge import EDGE_HEADERS, RailwayEdge, Upstream, edge_error
from sandbox.server import (
    DEFAULT_LIFETIME,
    Emulator,
    FaultPlan,
    JournalEntry,
    LoopbackServer,
    PlanLimits,
    Request,
    RequestInfo,
    Response,
    json_response,
)

__all__ = [
    "GRAPHQL_PATH",
    "DeployTiming",
    "DeploymentStatus",
    "RailwayApiError",
    "RailwayApplication",
    "RailwaySandbox",
    "SeedResult",
]

GRAPHQL_PATH = "/graphql/v2"
SCHEMA_PATH = Path(__file__).with_name("railway.graphql")
DOMAIN_SUFFIX = "up.railway.app"
NOT_AUTHORIZED = {"errors": [{"message": "Not Authorized"}], "data": None}
# A DNS label is at most 63 characters; "-" + 4 hex characters are appended to the prefix.
_DOMAIN_PREFIX_MAX = 63 - 5

T = TypeVar("T")
Node = dict[str, Any]


class RailwayApiError(GraphQLError):
    """A resolver error carrying Railway's `extensions.code`."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def not_found(thing: str) -> RailwayApiError:
    return RailwayApiError(f"{thing} not found", "NOT_FOUND")


def bad_input(message: str) -> RailwayApiError:
    return RailwayApiError(message, "BAD_USER_INPUT")


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


# ---------------------------------------------------------------- state records


@dataclass
class _Project:
    id: str
    name: str
    base_environment_id: str | None
    created_at: datetime = field(default_factory=_now)


@dataclass
class _Service:
    id: str
    name: str
    project_id: str
    repository: str | None
    created_at: datetime = field(default_factory=_now)


@dataclass
class _Environment:
    id: str
    name: str
    project_id: str
    is_ephemeral: bool
    source_environment_id: str | None
    skip_initial_deploys: bool
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)


@dataclass
class _Instance:
    id: str
    environment_id: str
    service_id: str
    repo: str | None
    root_directory: str | None
    healthcheck_path: str | None = None
    healthcheck_timeout: int | None = None
    sleep_application: bool | None = None
    # What the running service's healthcheck answers at the edge (set_health); not a setting.
    health_status: int = 200
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)

    def settings(self) -> dict[str, Any]:
        """The instance settings the sandbox keeps, by their API names."""
        return {name: getattr(self, attr) for name, attr in INSTANCE_SETTINGS.items()}

    def copy_to(self, environment_id: str) -> _Instance:
        """This instance's source and settings in another environment (a fork)."""
        copy = _Instance(_new_id(), environment_id, self.service_id, self.repo, self.root_directory)
        for attr in INSTANCE_SETTINGS.values():
            setattr(copy, attr, getattr(self, attr))
        return copy


# ServiceInstanceUpdateInput fields the sandbox keeps, API name -> _Instance attribute.
INSTANCE_SETTINGS = {
    "healthcheckPath": "healthcheck_path",
    "healthcheckTimeout": "healthcheck_timeout",
    "sleepApplication": "sleep_application",
    "rootDirectory": "root_directory",
}


@dataclass
class _Variable:
    id: str
    name: str
    value: str
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)


@dataclass
class _Trigger:
    id: str
    project_id: str
    environment_id: str
    service_id: str
    provider: str
    repository: str
    branch: str
    check_suites: bool
    root_directory: str | None


@dataclass
class _Domain:
    id: str
    domain: str
    project_id: str
    environment_id: str
    service_id: str
    target_port: int | None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class SeedResult:
    project_id: str
    base_environment_id: str
    service_ids: dict[str, str]


Scope = tuple[str, str | None]  # (environment id, service id or None for shared variables)


# ---------------------------------------------------------------- state


class RailwayState:
    """In-memory Railway data. Every method expects `lock` held (an RLock, so helpers nest)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.lock = threading.RLock()
        self.deployments = DeploymentLedger(clock)
        self.projects: dict[str, _Project] = {}
        self.services: dict[str, _Service] = {}
        self.environments: dict[str, _Environment] = {}
        self.instances: dict[tuple[str, str], _Instance] = {}
        self.variables: dict[Scope, dict[str, _Variable]] = {}
        self.triggers: dict[str, _Trigger] = {}
        self.domains: dict[str, _Domain] = {}

    # ------------------------------------------------------------ lookups (raise NOT_FOUND)

    def project(self, project_id: str) -> _Project:
        project = self.projects.get(project_id)
        if project is None:
            raise not_found("Project")
        return project

    def environment(self, environment_id: str, project_id: str | None = None) -> _Environment:
        env = self.environments.get(environment_id)
        if env is None or (project_id is not None and env.project_id != project_id):
            raise not_found("Environment")
        return env

    def service(self, service_id: str, project_id: str) -> _Service:
        service = self.services.get(service_id)
        if service is None or service.project_id != project_id:
            raise not_found("Service")
        return service

    def trigger(self, trigger_id: str) -> _Trigger:
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise not_found("Deployment trigger")
        return trigger

    def domain(self, domain_id: str) -> _Domain:
        domain = self.domains.get(domain_id)
        if domain is None:
            raise not_found("Service domain")
        return domain

    def instance(self, environment_id: str, service_id: str) -> _Instance:
        env = self.environment(environment_id)
        self.service(service_id, env.project_id)
        inst = self.instances.get((environment_id, service_id))
        if inst is None:
            raise not_found("Service instance")
        return inst

    def deployment(self, deployment_id: str) -> Deployment:
        deployment = self.deployments.get(deployment_id)
        if deployment is None:
            raise not_found("Deployment")
        return deployment

    def scope(self, project_id: str, environment_id: str, service_id: str | None) -> Scope:
        """Validate a variables scope the way the API does: project, then environment, then service."""
        self.project(project_id)
        self.environment(environment_id, project_id)
        if service_id is not None:
            self.service(service_id, project_id)
        return (environment_id, service_id)

    # ------------------------------------------------------------ listings (ordered by creation)

    def project_environments(self, project_id: str) -> list[_Environment]:
        return [env for env in self.environments.values() if env.project_id == project_id]

    def project_services(self, project_id: str) -> list[_Service]:
        return [svc for svc in self.services.values() if svc.project_id == project_id]

    def environment_instances(self, environment_id: str) -> list[_Instance]:
        return [i for (env_id, _), i in self.instances.items() if env_id == environment_id]

    def environment_triggers(self, environment_id: str, service_id: str | None = None) -> list[_Trigger]:
        return [
            t
            for t in self.triggers.values()
            if t.environment_id == environment_id and service_id in (None, t.service_id)
        ]

    def environment_domains(self, environment_id: str, service_id: str | None = None) -> list[_Domain]:
        return [
            d
            for d in self.domains.values()
            if d.environment_id == environment_id and service_id in (None, d.service_id)
        ]

    def environment_variables(self, environment_id: str) -> list[tuple[Scope, _Variable]]:
        return [
            (scope, var)
            for scope, names in self.variables.items()
            if scope[0] == environment_id
            for var in names.values()
        ]

    def values(self, scope: Scope) -> dict[str, str]:
        return {name: var.value for name, var in self.variables.get(scope, {}).items()}

    def deployment_variables(self, environment_id: str, service_id: str) -> dict[str, str]:
        """Shared variables overlaid with the service's own (service wins), as a deploy sees them."""
        return {**self.values((environment_id, None)), **self.values((environment_id, service_id))}

    def first_domain(self, environment_id: str, service_id: str) -> str | None:
        domains = self.environment_domains(environment_id, service_id)
        return domains[0].domain if domains else None

    # ------------------------------------------------------------ projects

    def seed_project(
        self,
        name: str,
        project_id: str | None,
        base_environment: str,
        base_environment_id: str | None,
        services: Sequence[Mapping[str, Any]],
    ) -> SeedResult:
        project = _Project(id=project_id or _new_id(), name=name, base_environment_id=None)
        if project.id in self.projects:
            raise ValueError(f"project {project.id} already exists")
        self.projects[project.id] = project
        base = self.create_environment(
            project.id, base_environment, None, False, False, environment_id=base_environment_id
        )
        project.base_environment_id = base.id
        service_ids = {spec["name"]: self._seed_service(project.id, base.id, spec) for spec in services}
        return SeedResult(project.id, base.id, service_ids)

    def _seed_service(self, project_id: str, environment_id: str, spec: Mapping[str, Any]) -> str:
        """A service connected to its repository in the base environment, as a dashboard user
        would have set it up: an instance and a GitHub trigger on `branch` (default "main")."""
        service = _Service(
            id=spec.get("id") or _new_id(),
            name=spec["name"],
            project_id=project_id,
            repository=spec.get("repository"),
        )
        if service.id in self.services:
            raise ValueError(f"service {service.id} already exists")
        self.services[service.id] = service
        root_directory = spec.get("rootDirectory", spec.get("root_directory"))
        self.instances[(environment_id, service.id)] = _Instance(
            _new_id(),
            environment_id,
            service.id,
            service.repository,
            root_directory,
            healthcheck_path=spec.get("healthcheckPath", spec.get("healthcheck_path")),
        )
        if service.repository:
            self.create_trigger(
                project_id,
                environment_id,
                service.id,
                "github",
                service.repository,
                spec.get("branch") or "main",
                False,
                root_directory,
            )
        return service.id

    # ------------------------------------------------------------ environments

    def _check_name_free(self, project_id: str, name: str, except_id: str | None = None) -> None:
        if not name.strip():
            raise bad_input("Environment name cannot be empty")
        for env in self.project_environments(project_id):
            if env.name == name and env.id != except_id:
                raise RailwayApiError(f"Environment with name {name} already exists", "CONFLICT")

    def create_environment(
        self,
        project_id: str,
        name: str,
        source_environment_id: str | None,
        ephemeral: bool,
        skip_initial_deploys: bool,
        environment_id: str | None = None,
    ) -> _Environment:
        self.project(project_id)
        source = self.environment(source_environment_id, project_id) if source_environment_id else None
        self._check_name_free(project_id, name)
        env = _Environment(
            id=environment_id or _new_id(),
            name=name,
            project_id=project_id,
            is_ephemeral=ephemeral,
            source_environment_id=source.id if source else None,
            skip_initial_deploys=skip_initial_deploys,
        )
        self.environments[env.id] = env
        if source is not None:
            self._fork(source, env)
            if not skip_initial_deploys:
                # Railway deploys a new fork's connected services unless told not to.
                for inst in self.environment_instances(env.id):
                    if inst.repo:
                        self.deploy(inst, "fork")
        return env

    def _fork(self, source: _Environment, target: _Environment) -> None:
        """Copy the source's service instances (with their settings), variables and triggers
        (new ids); not domains, not deployments."""
        for inst in self.environment_instances(source.id):
            self.instances[(target.id, inst.service_id)] = inst.copy_to(target.id)
        for (environment_id, service_id), names in list(self.variables.items()):
            if environment_id == source.id:
                self.variables[(target.id, service_id)] = {
                    name: _Variable(_new_id(), name, var.value) for name, var in names.items()
                }
        for trig in self.environment_triggers(source.id):
            self.create_trigger(
                trig.project_id,
                target.id,
                trig.service_id,
                trig.provider,
                trig.repository,
                trig.branch,
                trig.check_suites,
                trig.root_directory,
            )

    def rename_environment(self, environment_id: str, name: str) -> _Environment:
        env = self.environment(environment_id)
        self._check_name_free(env.project_id, name, except_id=env.id)
        env.name = name
        env.updated_at = _now()
        return env

    def delete_environment(self, environment_id: str) -> None:
        """Delete the environment and everything scoped to it."""
        env = self.environment(environment_id)
        del self.environments[env.id]
        for key in [k for k in self.instances if k[0] == env.id]:
            del self.instances[key]
        for scope in [s for s in self.variables if s[0] == env.id]:
            del self.variables[scope]
        for trig in self.environment_triggers(env.id):
            del self.triggers[trig.id]
        for dom in self.environment_domains(env.id):
            del self.domains[dom.id]
        self.deployments.forget_environment(env.id)
        project = self.projects[env.project_id]
        if project.base_environment_id == env.id:
            project.base_environment_id = None

    # ------------------------------------------------------------ variables

    def upsert_variables(self, scope: Scope, values: Mapping[str, str], replace: bool) -> None:
        current = self.variables.setdefault(scope, {})
        if replace:
            for name in [n for n in current if n not in values]:
                del current[name]
        for name, value in values.items():
            existing = current.get(name)
            if existing is None:
                current[name] = _Variable(_new_id(), name, value)
            elif existing.value != value:
                existing.value = value
                existing.updated_at = _now()

    def delete_variable(self, scope: Scope, name: str) -> None:
        self.variables.get(scope, {}).pop(name, None)

    def redeploy_for_variables(self, scope: Scope) -> None:
        """Railway's automatic redeploy after a variable write: every instance the scope reaches
        (the service's; all of the environment's for shared variables) that was deployed before."""
        environment_id, service_id = scope
        if service_id is None:
            reached = self.environment_instances(environment_id)
        else:
            inst = self.instances.get((environment_id, service_id))
            reached = [inst] if inst is not None else []
        for inst in reached:
            if self.deployments.latest(inst.environment_id, inst.service_id) is not None:
                self.deploy(inst, "variables")

    # ------------------------------------------------------------ service instances

    def update_instance(self, inst: _Instance, changes: Mapping[str, Any]) -> None:
        """Set the settings named in `changes` (None clears one); takes effect at the next deploy."""
        for name, value in changes.items():
            if name in INSTANCE_SETTINGS:
                setattr(inst, INSTANCE_SETTINGS[name], value)
        inst.updated_at = _now()

    def update_service_settings(self, service_id: str, environment_id: str | None, changes: Mapping[str, Any]) -> None:
        """serviceInstanceUpdate: with an environment, only its instance; without one, the
        instances in every environment that is not a fork (as the API documents)."""
        if environment_id is not None:
            self.update_instance(self.instance(environment_id, service_id), changes)
            return
        service = self.services.get(service_id)
        if service is None:
            raise not_found("Service")
        for inst in [i for i in self.instances.values() if i.service_id == service.id]:
            if self.environments[inst.environment_id].source_environment_id is None:
                self.update_instance(inst, changes)

    # ------------------------------------------------------------ deployments

    def deploy(
        self,
        inst: _Instance,
        trigger: DeploymentCause,
        commit_sha: str | None = None,
        via: _Trigger | None = None,
    ) -> Deployment:
        """A new deployment of the instance's source (`via`, else its first deploy trigger),
        recording what its code will see now."""
        env = self.environments[inst.environment_id]
        via = via or next(iter(self.environment_triggers(env.id, inst.service_id)), None)
        repo = branch = commit = message = None
        if via is not None:
            repo, branch = via.repository, via.branch
            if commit_sha is not None:
                commit, message = commit_sha.lower(), f"Sandbox deploy of {commit_sha[:7]} on {branch}"
            else:
                head = self.deployments.head(repo, branch)
                commit, message = fake_commit(repo, branch, head), f"Sandbox commit #{head} on {branch}"
        elif commit_sha is not None:
            raise bad_input("Service instance has no repository to deploy a commit from")
        source = DeploymentSource(
            repo=repo,
            branch=branch,
            commit_hash=commit,
            commit_message=message,
            variables=self.deployment_variables(env.id, inst.service_id),
            settings=inst.settings(),
        )
        return self.deployments.start(
            project_id=env.project_id,
            environment_id=env.id,
            service_id=inst.service_id,
            trigger=trigger,
            source=source,
        )

    def push(self, repository: str, branch: str) -> list[Deployment]:
        """A git push: the branch gets a new head and every instance following it deploys it."""
        self.deployments.advance_head(repository, branch)
        started: dict[tuple[str, str], Deployment] = {}
        for trig in list(self.triggers.values()):
            key = (trig.environment_id, trig.service_id)
            if (trig.repository, trig.branch) == (repository, branch) and key in self.instances and key not in started:
                started[key] = self.deploy(self.instances[key], "push", via=trig)
        return list(started.values())

    def edge_upstream(self, host: str) -> Upstream | None:
        """What a request to `host` at the edge reaches; a sleeping deployment wakes up."""
        dom = next((d for d in self.domains.values() if d.domain == host), None)
        inst = self.instances.get((dom.environment_id, dom.service_id)) if dom else None
        if inst is None:
            return None
        serving = self.deployments.serving(inst.environment_id, inst.service_id)
        if serving is None:
            return None
        self.deployments.wake(serving)
        return Upstream(
            service_name=self.services[inst.service_id].name,
            deployment_id=serving.id,
            crashed=serving.status == DeploymentStatus.CRASHED,
            healthcheck_path=serving.source.settings.get("healthcheckPath"),
            health_status=inst.health_status,
            commit_hash=serving.source.commit_hash,
        )

    # ------------------------------------------------------------ deployment triggers

    def create_trigger(
        self,
        project_id: str,
        environment_id: str,
        service_id: str,
        provider: str,
        repository: str,
        branch: str,
        check_suites: bool,
        root_directory: str | None,
    ) -> _Trigger:
        trig = _Trigger(
            _new_id(),
            project_id,
            environment_id,
            service_id,
            provider,
            repository,
            branch,
            check_suites,
            root_directory,
        )
        self.triggers[trig.id] = trig
        self._sync_instance_source(trig)
        return trig

    def _sync_instance_source(self, trig: _Trigger) -> None:
        """A trigger's repository and root directory are the service instance's source."""
        inst = self.instances.get((trig.environment_id, trig.service_id))
        if inst is not None:
            inst.repo = trig.repository
            if trig.root_directory is not None:
                inst.root_directory = trig.root_directory

    def update_trigger(self, trigger_id: str, changes: Mapping[str, Any]) -> _Trigger:
        trig = self.trigger(trigger_id)
        for key, attr in (
            ("branch", "branch"),
            ("repository", "repository"),
            ("checkSuites", "check_suites"),
            ("rootDirectory", "root_directory"),
        ):
            if changes.get(key) is not None:
                setattr(trig, attr, changes[key])
        self._sync_instance_source(trig)
        return trig

    # ------------------------------------------------------------ domains

    def create_domain(self, env: _Environment, service: _Service, target_port: int | None) -> _Domain:
        dom = _Domain(
            _new_id(),
            self._generate_domain(service.name, env.name),
            env.project_id,
            env.id,
            service.id,
            target_port,
        )
        self.domains[dom.id] = dom
        return dom

    def _generate_domain(self, service_name: str, environment_name: str) -> str:
        prefix = f"{_slug(service_name)}-{_slug(environment_name)}"[:_DOMAIN_PREFIX_MAX].strip("-")
        while True:  # 65,536 suffixes per prefix: a collision is retried, never reused
            candidate = f"{prefix}-{secrets.token_hex(2)}.{DOMAIN_SUFFIX}"
            if not self.domain_taken(candidate):
                return candidate

    def domain_taken(self, domain: str, except_id: str | None = None) -> bool:
        return any(d.domain == domain and d.id != except_id for d in self.domains.values())


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "x"


# ---------------------------------------------------------------- GraphQL views


def _connection(
    nodes: Sequence[T],
    to_node: Callable[[T], Node],
    args: Mapping[str, Any],
) -> Node:
    """A Relay connection over `nodes` honouring first/after/last/before; cursors are opaque."""
    items = [to_node(n) for n in nodes]
    cursors = [base64.b64encode(f"cursor:{item['id']}".encode()).decode() for item in items]
    start, end = 0, len(items)
    if args.get("after") in cursors:
        start = cursors.index(args["after"]) + 1
    if args.get("before") in cursors:
        end = cursors.index(args["before"])
    first, last = args.get("first"), args.get("last")
    if (first is not None and first < 0) or (last is not None and last < 0):
        raise bad_input("first and last must be non-negative")
    window_start, window_end = start, end
    if first is not None:
        window_end = min(window_end, window_start + first)
    if last is not None:
        window_start = max(window_start, window_end - last)
    edges = [{"cursor": cursors[i], "node": items[i]} for i in range(window_start, window_end)]
    return {
        "edges": edges,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
            "hasNextPage": window_end < end,
            "hasPreviousPage": window_start > start,
        },
    }


def _environment_node(env: _Environment) -> Node:
    return {
        "id": env.id,
        "name": env.name,
        "projectId": env.project_id,
        "isEphemeral": env.is_ephemeral,
        "createdAt": env.created_at,
        "updatedAt": env.updated_at,
        "deletedAt": None,
        "meta": None,
        "unmergedChangesCount": 0,
        "_sourceEnvironmentId": env.source_environment_id,
    }


def _project_node(project: _Project) -> Node:
    return {
        "id": project.id,
        "name": project.name,
        "baseEnvironmentId": project.base_environment_id,
        "primaryEnvironmentId": project.base_environment_id,
        "botPrEnvironments": False,
        "focusedPrEnvironments": False,
        "prDeploys": False,
        "isPublic": False,
        "description": None,
        "workspaceId": None,
        "createdAt": project.created_at,
        "updatedAt": project.created_at,
        "deletedAt": None,
    }


def _service_node(service: _Service) -> Node:
    return {
        "id": service.id,
        "name": service.name,
        "projectId": service.project_id,
        "icon": None,
        "createdAt": service.created_at,
        "updatedAt": service.created_at,
        "deletedAt": None,
    }


def _instance_node(state: RailwayState, inst: _Instance) -> Node:
    return {
        **inst.settings(),
        "id": inst.id,
        "environmentId": inst.environment_id,
        "serviceId": inst.service_id,
        "serviceName": state.services[inst.service_id].name,
        "source": {"repo": inst.repo, "image": None} if inst.repo else None,
        "createdAt": inst.created_at,
        "updatedAt": inst.updated_at,
        "deletedAt": None,
    }


def _deployment_node(state: RailwayState, deployment: Deployment) -> Node:
    return deployment_node(deployment, state.first_domain(deployment.environment_id, deployment.service_id))


def _variable_node(scope: Scope, var: _Variable) -> Node:
    return {
        "id": var.id,
        "name": var.name,
        "environmentId": scope[0],
        "serviceId": scope[1],
        "isSealed": False,
        "references": [],
        "createdAt": var.created_at,
        "updatedAt": var.updated_at,
    }


def _trigger_node(trig: _Trigger) -> Node:
    return {
        "id": trig.id,
        "projectId": trig.project_id,
        "environmentId": trig.environment_id,
        "serviceId": trig.service_id,
        "provider": trig.provider,
        "repository": trig.repository,
        "branch": trig.branch,
        "checkSuites": trig.check_suites,
        "validCheckSuites": 0,
        "baseEnvironmentOverrideId": None,
    }


def _domain_node(dom: _Domain) -> Node:
    return {
        "id": dom.id,
        "domain": dom.domain,
        "suffix": DOMAIN_SUFFIX,
        "projectId": dom.project_id,
        "environmentId": dom.environment_id,
        "serviceId": dom.service_id,
        "targetPort": dom.target_port,
        "syncStatus": "ACTIVE",
        "createdAt": dom.created_at,
        "updatedAt": dom.updated_at,
        "deletedAt": None,
    }


# ---------------------------------------------------------------- resolvers

Resolver = Callable[..., Any]


def _state(info: GraphQLResolveInfo) -> RailwayState:
    return info.context


def _q_project(_: Any, info: GraphQLResolveInfo, id: str) -> Node:
    return _project_node(_state(info).project(id))


def _q_environments(_: Any, info: GraphQLResolveInfo, projectId: str, **args: Any) -> Node:
    state = _state(info)
    state.project(projectId)
    return _environments_connection(state.project_environments(projectId), args)


def _environments_connection(envs: list[_Environment], args: Mapping[str, Any]) -> Node:
    if args.get("isEphemeral") is not None:
        envs = [env for env in envs if env.is_ephemeral == args["isEphemeral"]]
    return _connection(envs, _environment_node, args)


def _q_environment(_: Any, info: GraphQLResolveInfo, id: str, projectId: str | None = None) -> Node:
    return _environment_node(_state(info).environment(id, projectId))


def _q_staged_changes(_: Any, info: GraphQLResolveInfo, environmentId: str) -> Node:
    """The sandbox commits every change at once, so the staged patch is always empty."""
    env = _state(info).environment(environmentId)
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"staged:{env.id}")),
        "environmentId": env.id,
        "status": "STAGED",
        "patch": {},
        "message": None,
        "appliedAt": None,
        "createdAt": env.updated_at,
        "updatedAt": env.updated_at,
    }


def _q_variables(
    _: Any,
    info: GraphQLResolveInfo,
    projectId: str,
    environmentId: str,
    serviceId: str | None = None,
    unrendered: bool | None = None,
) -> dict[str, str]:
    state = _state(info)
    return state.values(state.scope(projectId, environmentId, serviceId))


def _q_variables_for_deployment(
    _: Any, info: GraphQLResolveInfo, projectId: str, environmentId: str, serviceId: str
) -> dict[str, str]:
    state = _state(info)
    state.scope(projectId, environmentId, serviceId)
    return state.deployment_variables(environmentId, serviceId)


def _q_deployment(_: Any, info: GraphQLResolveInfo, id: str) -> Node:
    state = _state(info)
    return _deployment_node(state, state.deployment(id))


def _q_deployments(_: Any, info: GraphQLResolveInfo, input: Mapping[str, Any], **args: Any) -> Node:
    """Newest first, as Railway lists them."""
    state = _state(info)
    status = input.get("status") or {}
    selected = state.deployments.select(
        project_id=input.get("projectId"),
        environment_id=input.get("environmentId"),
        service_id=input.get("serviceId"),
        status_in=status.get("in"),
        status_not_in=status.get("notIn"),
    )
    return _connection(selected[::-1], lambda d: _deployment_node(state, d), args)


def _q_service_instance(_: Any, info: GraphQLResolveInfo, environmentId: str, serviceId: str) -> Node:
    state = _state(info)
    return _instance_node(state, state.instance(environmentId, serviceId))


def _q_deployment_triggers(
    _: Any, info: GraphQLResolveInfo, projectId: str, environmentId: str, serviceId: str, **args: Any
) -> Node:
    state = _state(info)
    state.scope(projectId, environmentId, serviceId)
    return _connection(state.environment_triggers(environmentId, serviceId), _trigger_node, args)


def _q_domains(_: Any, info: GraphQLResolveInfo, projectId: str, environmentId: str, serviceId: str) -> Node:
    state = _state(info)
    state.scope(projectId, environmentId, serviceId)
    domains = state.environment_domains(environmentId, serviceId)
    return {"serviceDomains": [_domain_node(d) for d in domains], "customDomains": []}


def _q_domain_available(_: Any, info: GraphQLResolveInfo, domain: str) -> Node:
    if _state(info).domain_taken(_full_domain(domain)):
        return {"available": False, "message": "Domain is not available"}
    return {"available": True, "message": "Domain is available"}


def _full_domain(domain: str) -> str:
    domain = domain.strip().lower()
    return domain if domain.endswith(f".{DOMAIN_SUFFIX}") else f"{domain}.{DOMAIN_SUFFIX}"


def _m_environment_create(_: Any, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> Node:
    env = _state(info).create_environment(
        input["projectId"],
        input["name"],
        input.get("sourceEnvironmentId"),
        bool(input.get("ephemeral")),
        bool(input.get("skipInitialDeploys")),
    )
    return _environment_node(env)


def _m_environment_rename(_: Any, info: GraphQLResolveInfo, id: str, input: Mapping[str, Any]) -> Node:
    return _environment_node(_state(info).rename_environment(id, input["name"]))


def _m_environment_delete(_: Any, info: GraphQLResolveInfo, id: str) -> bool:
    _state(info).delete_environment(id)
    return True


def _m_commit_staged(_: Any, info: GraphQLResolveInfo, environmentId: str, **_args: Any) -> str:
    _state(info).environment(environmentId)
    return _new_id()  # nothing is ever staged; the id names the (empty) commit


def _m_unskip_service(_: Any, info: GraphQLResolveInfo, environmentId: str, serviceId: str) -> bool:
    state = _state(info)
    env = state.environment(environmentId)
    state.service(serviceId, env.project_id)
    return True


def _m_variable_upsert(_: Any, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> bool:
    state = _state(info)
    scope = state.scope(input["projectId"], input["environmentId"], input.get("serviceId"))
    state.upsert_variables(scope, {input["name"]: input["value"]}, replace=False)
    if not input.get("skipDeploys"):
        state.redeploy_for_variables(scope)
    return True


def _m_variable_collection_upsert(_: Any, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> bool:
    state = _state(info)
    scope = state.scope(input["projectId"], input["environmentId"], input.get("serviceId"))
    state.upsert_variables(scope, input["variables"], replace=bool(input.get("replace")))
    if not input.get("skipDeploys"):
        state.redeploy_for_variables(scope)
    return True


def _m_variable_delete(_: Any, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> bool:
    """Always redeploys: VariableDeleteInput has no skipDeploys."""
    state = _state(info)
    scope = state.scope(input["projectId"], input["environmentId"], input.get("serviceId"))
    state.delete_variable(scope, input["name"])
    state.redeploy_for_variables(scope)
    return True


def _m_service_instance_deploy(
    _: Any, info: GraphQLResolveInfo, environmentId: str, serviceId: str, commitSha: str | None = None
) -> str:
    state = _state(info)
    return state.deploy(state.instance(environmentId, serviceId), "api", commit_sha=commitSha).id


def _m_service_instance_update(
    _: Any,
    info: GraphQLResolveInfo,
    serviceId: str,
    input: Mapping[str, Any],
    environmentId: str | None = None,
) -> bool:
    """Settings only: Railway applies them at the next deployment, it does not deploy."""
    _state(info).update_service_settings(serviceId, environmentId, input)
    return True


def _m_trigger_create(_: Any, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> Node:
    state = _state(info)
    state.scope(input["projectId"], input["environmentId"], input["serviceId"])
    trig = state.create_trigger(
        input["projectId"],
        input["environmentId"],
        input["serviceId"],
        input["provider"],
        input["repository"],
        input["branch"],
        bool(input.get("checkSuites")),
        input.get("rootDirectory"),
    )
    return _trigger_node(trig)


def _m_trigger_update(_: Any, info: GraphQLResolveInfo, id: str, input: Mapping[str, Any]) -> Node:
    return _trigger_node(_state(info).update_trigger(id, input))


def _m_trigger_delete(_: Any, info: GraphQLResolveInfo, id: str) -> bool:
    state = _state(info)
    del state.triggers[state.trigger(id).id]
    return True


def _m_domain_create(_: Any, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> Node:
    state = _state(info)
    env = state.environment(input["environmentId"])
    service = state.service(input["serviceId"], env.project_id)
    return _domain_node(state.create_domain(env, service, input.get("targetPort")))


def _m_domain_update(_: Any, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> bool:
    state = _state(info)
    dom = state.domain(input["serviceDomainId"])
    if dom.environment_id != input["environmentId"] or dom.service_id != input["serviceId"]:
        raise not_found("Service domain")
    new_domain = _full_domain(input["domain"])
    if state.domain_taken(new_domain, except_id=dom.id):
        raise RailwayApiError(f"Domain {new_domain} is not available", "CONFLICT")
    dom.domain = new_domain
    if "targetPort" in input:
        dom.target_port = input["targetPort"]
    dom.updated_at = _now()
    return True


def _m_domain_delete(_: Any, info: GraphQLResolveInfo, id: str) -> bool:
    state = _state(info)
    del state.domains[state.domain(id).id]
    return True


# Fields computed from state rather than stored on the parent's node dict.


def _env_source(parent: Node, info: GraphQLResolveInfo) -> Node | None:
    source = _state(info).environments.get(parent["_sourceEnvironmentId"] or "")
    return _environment_node(source) if source else None


def _env_instances(parent: Node, info: GraphQLResolveInfo, **args: Any) -> Node:
    state = _state(info)
    instances = state.environment_instances(parent["id"])
    return _connection(instances, lambda inst: _instance_node(state, inst), args)


def _env_variables(parent: Node, info: GraphQLResolveInfo, **args: Any) -> Node:
    pairs = _state(info).environment_variables(parent["id"])
    return _connection(pairs, lambda pair: _variable_node(*pair), args)


def _instance_latest_deployment(parent: Node, info: GraphQLResolveInfo) -> Node | None:
    state = _state(info)
    latest = state.deployments.latest(parent["environmentId"], parent["serviceId"])
    return _deployment_node(state, latest) if latest else None


def _instance_active_deployments(parent: Node, info: GraphQLResolveInfo) -> list[Node]:
    state = _state(info)
    return [_deployment_node(state, d) for d in state.deployments.active(parent["environmentId"], parent["serviceId"])]


def _env_triggers(parent: Node, info: GraphQLResolveInfo, **args: Any) -> Node:
    return _connection(_state(info).environment_triggers(parent["id"]), _trigger_node, args)


def _project_base(parent: Node, info: GraphQLResolveInfo) -> Node | None:
    base = _state(info).environments.get(parent["baseEnvironmentId"] or "")
    return _environment_node(base) if base else None


def _project_environments(parent: Node, info: GraphQLResolveInfo, **args: Any) -> Node:
    return _environments_connection(_state(info).project_environments(parent["id"]), args)


def _project_services(parent: Node, info: GraphQLResolveInfo, **args: Any) -> Node:
    return _connection(_state(info).project_services(parent["id"]), _service_node, args)


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {
        "project": _q_project,
        "environments": _q_environments,
        "environment": _q_environment,
        "environmentStagedChanges": _q_staged_changes,
        "variables": _q_variables,
        "variablesForServiceDeployment": _q_variables_for_deployment,
        "deploymentTriggers": _q_deployment_triggers,
        "domains": _q_domains,
        "serviceDomainAvailable": _q_domain_available,
        "deployment": _q_deployment,
        "deployments": _q_deployments,
        "serviceInstance": _q_service_instance,
    },
    "Mutation": {
        "environmentCreate": _m_environment_create,
        "environmentRename": _m_environment_rename,
        "environmentDelete": _m_environment_delete,
        "environmentPatchCommitStaged": _m_commit_staged,
        "environmentUnskipService": _m_unskip_service,
        "variableUpsert": _m_variable_upsert,
        "variableCollectionUpsert": _m_variable_collection_upsert,
        "variableDelete": _m_variable_delete,
        "deploymentTriggerCreate": _m_trigger_create,
        "deploymentTriggerUpdate": _m_trigger_update,
        "deploymentTriggerDelete": _m_trigger_delete,
        "serviceDomainCreate": _m_domain_create,
        "serviceDomainUpdate": _m_domain_update,
        "serviceDomainDelete": _m_domain_delete,
        "serviceInstanceDeployV2": _m_service_instance_deploy,
        "serviceInstanceUpdate": _m_service_instance_update,
    },
    "ServiceInstance": {
        "latestDeployment": _instance_latest_deployment,
        "activeDeployments": _instance_active_deployments,
    },
    "Environment": {
        "sourceEnvironment": _env_source,
        "serviceInstances": _env_instances,
        "variables": _env_variables,
        "deploymentTriggers": _env_triggers,
    },
    "Project": {
        "baseEnvironment": _project_base,
        "environments": _project_environments,
        "services": _project_services,
    },
}


# ---------------------------------------------------------------- scalars


def _parse_environment_variables(value: Any) -> dict[str, str]:
    """EnvironmentVariables is a flat {"NAME": "value"} map of strings."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise TypeError("EnvironmentVariables must be an object of string values")
    return dict(value)


def _serialize_datetime(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return str(value)


def _scalar(schema: GraphQLSchema, name: str) -> GraphQLScalarType:
    scalar = schema.get_type(name)
    assert isinstance(scalar, GraphQLScalarType), name
    return scalar


def _configure_scalars(schema: GraphQLSchema) -> None:
    """Give the SDL's custom scalars behaviour. graphql-core 3.3 reads the coerce_* hooks and
    keeps serialize/parse_* as their legacy names, so both are set."""
    env_vars = _scalar(schema, "EnvironmentVariables")
    env_vars.parse_value = env_vars.coerce_input_value = _parse_environment_variables  # type: ignore[method-assign]
    env_vars.parse_literal = (  # type: ignore[method-assign]
        lambda node, variables=None: _parse_environment_variables(value_from_ast_untyped(node, variables))
    )
    env_vars.coerce_input_literal = None
    datetime_type = _scalar(schema, "DateTime")
    datetime_type.serialize = datetime_type.coerce_output_value = _serialize_datetime  # type: ignore[method-assign]


@cache
def railway_schema() -> GraphQLSchema:
    """The sandbox schema with resolvers attached (built once; it is read-only afterwards)."""
    schema = build_schema(SCHEMA_PATH.read_text())
    _configure_scalars(schema)
    for type_name, fields in RESOLVERS.items():
        graphql_type = schema.get_type(type_name)
        for field_name, resolver in fields.items():
            graphql_type.fields[field_name].resolve = resolver  # type: ignore[union-attr]
    return schema


# ---------------------------------------------------------------- HTTP application


def _graphql_error(status: int, message: str, code: str) -> Response:
    return json_response(status, {"errors": [{"message": message, "extensions": {"code": code}}]})


def _select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for op in operations:
        if name is None or (op.name is not None and op.name.value == name):
            return op
    return None


def _root_fields(op: OperationDefinitionNode) -> tuple[str, ...]:
    return tuple(s.name.value for s in op.selection_set.selections if isinstance(s, FieldNode))


def _format_error(error: GraphQLError) -> dict[str, Any]:
    formatted = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    # Anything not raised deliberately as a RailwayApiError is the sandbox's own failure.
    extensions.setdefault("code", "INTERNAL_SERVER_ERROR")
    formatted["extensions"] = extensions
    return formatted


class RailwayApplication:
    """The Railway API as a sandbox.server Application."""

    def __init__(self, state: RailwayState, tokens: set[str]) -> None:
        self.state = state
        self.tokens = tokens

    def describe(self, request: Request) -> RequestInfo:
        payload = json.loads(request.body or b"{}")
        query = payload.get("query") or ""
        variables = payload.get("variables") or {}
        try:
            op = _select_operation(parse(query), payload.get("operationName"))
        except GraphQLError:
            op = None  # journalled with its text; __call__ answers GRAPHQL_PARSE_FAILED
        if op is None:
            return RequestInfo(key="", query=query, variables=variables)
        roots = _root_fields(op)
        return RequestInfo(
            key=roots[0] if roots else "",
            operation_name=payload.get("operationName") or (op.name.value if op.name else None),
            root_fields=roots,
            variables=variables,
            is_mutation=op.operation == OperationType.MUTATION,
            query=query,
        )

    def __call__(self, request: Request) -> Response:
        if request.path != GRAPHQL_PATH:
            return _graphql_error(404, f"No route for {request.path}", "NOT_FOUND")
        if request.method != "POST":
            return _graphql_error(405, "Only POST is supported", "METHOD_NOT_ALLOWED")
        try:
            payload = json.loads(request.body or b"null")
        except ValueError:
            return _graphql_error(400, "Request body is not valid JSON", "BAD_REQUEST")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _graphql_error(400, "Request body must be a JSON object with a query", "BAD_REQUEST")
        if not self._authorized(request.headers):
            return json_response(200, NOT_AUTHORIZED)
        return self._execute(payload)

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token.strip() in self.tokens

    def _execute(self, payload: Mapping[str, Any]) -> Response:
        schema = railway_schema()
        try:
            document = parse(payload["query"])
        except GraphQLError as exc:
            return _graphql_error(400, exc.message, "GRAPHQL_PARSE_FAILED")
        errors = validate(schema, document)
        if errors:
            return json_response(400, {"errors": [_coded(e, "GRAPHQL_VALIDATION_FAILED") for e in errors]})
        # One request at a time against the state: each operation sees and leaves it consistent.
        with self.state.lock:
            result = execute_sync(
                schema,
                document,
                context_value=self.state,
                variable_values=payload.get("variables") or None,
                operation_name=payload.get("operationName"),
            )
        if result.errors and result.data is None and all(e.path is None for e in result.errors):
            # Variable coercion / operation selection failed: nothing was executed.
            return json_response(400, {"errors": [_coded(e, "BAD_USER_INPUT") for e in result.errors]})
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body = {"errors": [_format_error(e) for e in result.errors], "data": result.data}
        return json_response(200, body)


def _coded(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted = dict(error.formatted)
    formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
    return formatted


# ---------------------------------------------------------------- the sandbox


class RailwaySandbox(Emulator):
    """Railway's GraphQL API on 127.0.0.1, with faults, a journal and state helpers for tests,
    and its edge (the services' generated domains answering HTTP) on a second port.

    `clock` (seconds, monotonic) drives deployments; a test passes a fake one and advances it
    instead of sleeping."""

    def __init__(
        self,
        tokens: Iterable[str] = ("test-token",),
        *,
        port: int = 0,
        lifetime: float | None = DEFAULT_LIFETIME,
        edge_port: int = 0,
        clock: Clock = time.monotonic,
        limits: PlanLimits | None = None,
    ) -> None:
        """`limits`: a plan's limits to enforce as Railway does (PlanLimits.railway("hobby"));
        none by default."""
        self.tokens: set[str] = set(tokens)
        self._state = RailwayState(clock)
        self._app = RailwayApplication(self._state, self.tokens)
        self._server = LoopbackServer(
            self._app,
            port=port,
            lifetime=lifetime,
            rejection_body=lambda status, reason: {"errors": [{"message": reason}]},
        )
        self._server.enforce(limits)
        self._edge = LoopbackServer(
            RailwayEdge(self._edge_upstream),
            port=edge_port,
            lifetime=lifetime,
            rejection_body=edge_error,
            response_headers=EDGE_HEADERS,
        )

    # ------------------------------------------------------------ lifecycle

    def start(self) -> RailwaySandbox:
        railway_schema()  # build before serving so the first request is not slowed by it
        super().start()
        try:
            self._edge.start()
        except BaseException:
            super().stop()
            raise
        return self

    def stop(self) -> None:
        self._edge.stop()
        super().stop()

    @property
    def url(self) -> str:
        return f"{self._server.base_url}{GRAPHQL_PATH}"

    @property
    def edge_url(self) -> str:
        """Where the services' domains answer: send a request here with the domain as Host."""
        return self._edge.base_url

    @property
    def edge_faults(self) -> FaultPlan:
        """Faults of the edge, keyed by service domain (or "*")."""
        return self._edge.faults

    @property
    def edge_journal(self) -> list[JournalEntry]:
        """Requests the edge received (`key` is the host, `path` the path)."""
        return self._edge.journal.entries()

    def edge_journal_clear(self) -> None:
        self._edge.journal.clear()

    def _edge_upstream(self, host: str) -> Upstream | None:
        with self._state.lock:
            return self._state.edge_upstream(host)

    # ------------------------------------------------------------ faults, latency, journal

    @property
    def rate_limit_per_second(self) -> int | None:
        return self._server.rate_limit_per_second

    @rate_limit_per_second.setter
    def rate_limit_per_second(self, limit: int | None) -> None:
        self._server.rate_limit_per_second = limit

    def enforce(self, limits: PlanLimits | None) -> None:
        """Enforce a plan's limits on the API from now on (None: lift them); not on the edge."""
        self._server.enforce(limits)

    def journal_count(self, field: str | None = None, mutations_only: bool = False) -> int:
        return self._server.journal.count(field, mutations_only)

    # ------------------------------------------------------------ seeding

    def seed_project(
        self,
        name: str,
        project_id: str | None = None,
        base_environment: str = "staging-template",
        base_environment_id: str | None = None,
        services: Sequence[Mapping[str, Any]] = (),
        variables: Mapping[str, str] | None = None,
    ) -> SeedResult:
        """A project with a base environment and its services, each an instance in the base
        environment and, when it has a repository, a GitHub trigger on its `branch` ("main").
        `variables` are shared variables of the base environment."""
        with self._state.lock:
            seed = self._state.seed_project(name, project_id, base_environment, base_environment_id, services)
            if variables:
                self._state.upsert_variables((seed.base_environment_id, None), variables, False)
            return seed

    def seed_environment(
        self,
        project_id: str,
        name: str,
        *,
        environment_id: str | None = None,
        source_environment_id: str | None = None,
        ephemeral: bool = False,
        created_at: datetime | None = None,
    ) -> str:
        """An environment made in the dashboard (forked from `source_environment_id`, without
        deploying), made at `created_at` (default now); returns its id."""
        with self._state.lock:
            env = self._out_of_band(
                lambda: self._state.create_environment(
                    project_id, name, source_environment_id, ephemeral, True, environment_id=environment_id
                )
            )
            if created_at is not None:
                env.created_at = env.updated_at = created_at
            return env.id

    # ------------------------------------------------------------ state, as plain copies

    def environments(self, project_id: str) -> list[dict[str, Any]]:
        with self._state.lock:
            return [
                {
                    "id": env.id,
                    "name": env.name,
                    "projectId": env.project_id,
                    "isEphemeral": env.is_ephemeral,
                    "sourceEnvironmentId": env.source_environment_id,
                    "skipInitialDeploys": env.skip_initial_deploys,
                }
                for env in self._state.project_environments(project_id)
            ]

    def variables(self, environment_id: str, service_id: str | None = None) -> dict[str, str]:
        with self._state.lock:
            return self._state.values((environment_id, service_id))

    def triggers(self, environment_id: str, service_id: str | None = None) -> list[dict[str, Any]]:
        with self._state.lock:
            return [
                {
                    "id": t.id,
                    "environmentId": t.environment_id,
                    "serviceId": t.service_id,
                    "repository": t.repository,
                    "branch": t.branch,
                    "provider": t.provider,
                    "rootDirectory": t.root_directory,
                }
                for t in self._state.environment_triggers(environment_id, service_id)
            ]

    def service_domains(self, environment_id: str, service_id: str | None = None) -> list[dict[str, Any]]:
        with self._state.lock:
            return [
                {
                    "id": d.id,
                    "domain": d.domain,
                    "environmentId": d.environment_id,
                    "serviceId": d.service_id,
                    "targetPort": d.target_port,
                }
                for d in self._state.environment_domains(environment_id, service_id)
            ]

    def service_instances(self, environment_id: str) -> list[dict[str, Any]]:
        """Each instance: id, environmentId, serviceId, repo and its settings (healthcheckPath,
        healthcheckTimeout, sleepApplication, rootDirectory)."""
        with self._state.lock:
            return [
                {
                    "id": i.id,
                    "environmentId": i.environment_id,
                    "serviceId": i.service_id,
                    "repo": i.repo,
                    **i.settings(),
                }
                for i in self._state.environment_instances(environment_id)
            ]

    def deployments(self, environment_id: str | None = None, service_id: str | None = None) -> list[dict[str, Any]]:
        """Deployments in creation order, as of the sandbox clock now (see `deployment_record`)."""
        with self._state.lock:
            selected = self._state.deployments.select(environment_id=environment_id, service_id=service_id)
            return [deployment_record(d) for d in selected]

    def deployment(self, deployment_id: str) -> dict[str, Any]:
        with self._state.lock:
            return deployment_record(self._out_of_band(lambda: self._state.deployment(deployment_id)))

    # ------------------------------------------------------------ deployments

    @property
    def deploy_timing(self) -> DeployTiming:
        return self._state.deployments.timing

    @deploy_timing.setter
    def deploy_timing(self, timing: DeployTiming) -> None:
        """Applies to deployments started from now on."""
        with self._state.lock:
            self._state.deployments.timing = timing

    def plan_outcome(
        self,
        environment_id: str | None = None,
        service_id: str | None = None,
        outcome: Outcome = "FAILED",
        times: int = 1,
    ) -> None:
        """The next `times` deployments matching (None matches any) end `outcome`: FAILED at
        the end of BUILDING (the build failed) or CRASHED when they would have become SUCCESS
        (never healthy)."""
        with self._state.lock:
            self._state.deployments.plan_outcome(environment_id, service_id, outcome, times)

    def crash(self, deployment_id: str) -> None:
        """A running (SUCCESS/SLEEPING) deployment crashes now; its domain answers 502."""
        with self._state.lock:
            self._state.deployments.crash(deployment_id)

    def sleep(self, environment_id: str, service_id: str) -> str:
        """The instance's SUCCESS deployment goes to SLEEPING (the next edge request wakes it);
        returns its id."""
        with self._state.lock:
            return self._state.deployments.sleep(environment_id, service_id).id

    def push(self, repository: str, branch: str) -> list[str]:
        """A git push to `branch`: a new head commit, deployed by every instance whose trigger
        follows it; returns the new deployments' ids."""
        with self._state.lock:
            return [d.id for d in self._state.push(repository, branch)]

    def set_health(self, environment_id: str, service_id: str, status: int = 503) -> None:
        """What the service's healthcheck path answers at the edge from now on (200 is healthy)."""
        if not 100 <= status <= 599:
            raise ValueError(f"not an HTTP status: {status}")
        with self._state.lock:
            self._out_of_band(lambda: self._state.instance(environment_id, service_id)).health_status = status

    def update_service_instance(self, environment_id: str, service_id: str, **settings: Any) -> None:
        """Change instance settings by their API names, as in the dashboard (no deploy)."""
        unknown = set(settings) - set(INSTANCE_SETTINGS)
        if unknown:
            raise TypeError(f"unknown service instance settings: {sorted(unknown)}")
        with self._state.lock:
            inst = self._out_of_band(lambda: self._state.instance(environment_id, service_id))
            self._state.update_instance(inst, settings)

    # ------------------------------------------------------------ out-of-band changes

    def delete_environment(self, environment_id: str) -> None:
        with self._state.lock:
            self._out_of_band(lambda: self._state.delete_environment(environment_id))

    def set_variable(self, environment_id: str, service_id: str | None, name: str, value: str) -> None:
        with self._state.lock:
            env = self._out_of_band(lambda: self._state.environment(environment_id))
            scope = self._out_of_band(lambda: self._state.scope(env.project_id, env.id, service_id))
            self._state.upsert_variables(scope, {name: value}, replace=False)

    def delete_service_domain(self, domain_id: str) -> None:
        with self._state.lock:
            del self._state.domains[self._out_of_band(lambda: self._state.domain(domain_id)).id]

    def delete_trigger(self, trigger_id: str) -> None:
        with self._state.lock:
            del self._state.triggers[self._out_of_band(lambda: self._state.trigger(trigger_id)).id]

    @staticmethod
    def _out_of_band(action: Callable[[], T]) -> T:
        """Helpers raise KeyError (a test bug), not the API's GraphQL error."""
        try:
            return action()
        except RailwayApiError as exc:
            raise KeyError(exc.message) from None

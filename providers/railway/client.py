"""Railway's public GraphQL API, as the providers need it.

A RailwayClient is built inside each provider call (`RailwayClient.from_settings()`), used as a
context manager and thrown away (see providers.api). Every operation is a POST of a named GraphQL
document through the shared request path; Railway reports most errors in a 200 answer's `errors`
(with `extensions.code`), which become the providers.api error family: messages say, in the
user's terms, what could not be done and why, and name the operation. Creates can be retried
safely: when Railway may have applied a create whose answer was lost, or reports a conflict, the
object is looked up by its natural key and adopted, so exactly one exists.

Long on purpose: one method per GraphQL operation the providers send, each a few lines over the
shared request path; splitting them would scatter the one client the design asks for per API.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from fleet.dates import read_timestamp
from providers import limits
from providers.api import ApiClient, ApiError, ApiFailure, AuthError, Conflict, NotFound
from providers.http import RetryPolicy, scrub
from providers.railway import operations as ops
from providers.settings import RailwaySettings, railway_settings, with_source_param

__all__ = [
    "DEPLOYED",
    "FAILED_FOR_GOOD",
    "DeploymentInfo",
    "DeploymentTriggerInfo",
    "EnvironmentInfo",
    "RailwayClient",
    "ServiceDomainInfo",
    "ServiceInstanceInfo",
    "deployment_logs_url",
]

T = TypeVar("T")

# Bounds the environments listing; a project with more than this many pages is not a staging project.
_MAX_ENVIRONMENT_PAGES = 50
_OPERATION_NAME = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")
_AUTH_CODES = frozenset({"UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN"})

# How much earlier than this machine's clock says Railway may stamp a deployment this machine
# started (both keep NTP time). A deployment found after a lost answer is ours only if it was
# created after the request was sent: an older one was started by someone else (a push).
_CLOCK_SKEW = dt.timedelta(seconds=2)

# Deployment statuses: running (SLEEPING wakes on the next request) or ended for good. Anything
# else (QUEUED, BUILDING, DEPLOYING, ...) is still on its way.
DEPLOYED = frozenset({"SUCCESS", "SLEEPING"})
FAILED_FOR_GOOD = frozenset({"FAILED", "CRASHED", "REMOVED", "SKIPPED"})

_AUTH_HINT = (
    "Railway rejected the API token; set an account or workspace token in the stack config "
    "`stagefleet:railwayToken` or the environment variable `RAILWAY_API_TOKEN` "
    "(project tokens cannot manage environments)"
)


@dataclass(frozen=True)
class EnvironmentInfo:
    id: str
    name: str
    project_id: str
    is_ephemeral: bool
    source_environment_id: str | None
    # The deploy triggers the fork copied, when the answer said (environmentCreate does).
    triggers: tuple[DeploymentTriggerInfo, ...] | None = None
    # When Railway made it, when the answer said (the environments listing does).
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class DeploymentTriggerInfo:
    id: str
    environment_id: str
    service_id: str | None
    provider: str
    repository: str
    branch: str


@dataclass(frozen=True)
class ServiceDomainInfo:
    id: str
    domain: str
    environment_id: str
    service_id: str
    target_port: int | None


@dataclass(frozen=True)
class ServiceInstanceInfo:
    """A service's settings in one environment."""

    id: str
    environment_id: str
    service_id: str
    healthcheck_path: str | None
    healthcheck_timeout: int | None
    sleep_application: bool | None
    root_directory: str | None


@dataclass(frozen=True)
class DeploymentInfo:
    id: str
    status: str
    environment_id: str
    service_id: str
    created_at: dt.datetime | None
    status_updated_at: dt.datetime | None
    branch: str | None
    commit_hash: str | None
    commit_message: str | None
    static_url: str | None

    @property
    def deployed(self) -> bool:
        return self.status in DEPLOYED

    @property
    def failed(self) -> bool:
        return self.status in FAILED_FOR_GOOD


def deployment_logs_url(*, project_id: str, service_id: str, environment_id: str, deployment_id: str) -> str:
    """Where a deployment's build and deploy logs are, in Railway's dashboard."""
    return (
        f"https://railway.com/project/{project_id}/service/{service_id}"
        f"?environmentId={environment_id}&id={deployment_id}"
    )


class RailwayClient(ApiClient):
    """One Railway API session. Use `with RailwayClient.from_settings() as railway: ...`."""

    api = "Railway"
    auth_hint = _AUTH_HINT

    def __init__(
        self,
        settings: RailwaySettings,
        *,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        turn_deadline: float | None = None,
    ):
        """`turn_deadline`: see ApiClient (on the clock of `limiter_for(settings)`)."""
        super().__init__(
            base_url=with_source_param(settings.api_url),
            headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
            limiter=self.limiter_for(settings),
            policy=policy,
            transport=transport,
            turn_deadline=turn_deadline,
        )

    @staticmethod
    def limiter_for(settings: RailwaySettings) -> limits.Limiter:
        """This process's Railway limiter for the settings' account, URL and plan."""
        return limits.railway_limiter(
            api_url=with_source_param(settings.api_url),
            token=settings.token,
            plan=settings.plan,
            emulated_scale=settings.emulated_limits,
        )

    @classmethod
    def from_settings(cls, settings: RailwaySettings | None = None) -> RailwayClient:
        """A client for the configured token and URL (stack config, else environment).
        Raises providers.settings.SettingsError when no token is configured."""
        return cls(settings or railway_settings())

    # ------------------------------------------------------------ environments

    def create_environment(
        self,
        *,
        project_id: str,
        name: str,
        source_environment_id: str | None,
        ephemeral: bool = False,
    ) -> EnvironmentInfo:
        """Fork `source_environment_id` (services, variables, triggers) into a new environment,
        without deploying it yet. An environment of that name forked from the same source (one
        this create made before its answer was lost) is adopted; any other one is a conflict."""
        failure = f'Railway environment "{name}" could not be created'
        payload: dict[str, Any] = {"projectId": project_id, "name": name, "ephemeral": ephemeral}
        if source_environment_id is not None:
            payload["sourceEnvironmentId"] = source_environment_id
            payload["skipInitialDeploys"] = True

        def same_fork(found: EnvironmentInfo | None) -> EnvironmentInfo | None:
            if found is not None and found.source_environment_id == source_environment_id:
                return found
            return None

        def create() -> EnvironmentInfo:
            data = self._execute(ops.ENVIRONMENT_CREATE, {"input": payload}, failure=failure, idempotent=False)
            return _environment(data["environmentCreate"])

        operation = _operation_name(ops.ENVIRONMENT_CREATE)
        try:
            return self.apply_once(
                create,
                lambda: same_fork(self.find_environment(project_id=project_id, name=name)),
                failure=failure,
                operation=operation,
            )
        except Conflict:
            existing = self.find_environment(project_id=project_id, name=name)
            adopted = same_fork(existing)
            if adopted is not None:
                return adopted
            reason = f"name already taken in project {self._project_label(project_id)}"
            if existing is not None:
                reason += (
                    f" (environment {existing.id} was forked from "
                    f"{existing.source_environment_id or 'nothing'}, not {source_environment_id or 'nothing'})"
                )
            raise self.error(Conflict, failure, reason, operation=operation) from None

    def get_environment(self, environment_id: str) -> EnvironmentInfo | None:
        """The environment, or None when it no longer exists."""
        try:
            data = self._execute(
                ops.ENVIRONMENT,
                {"id": environment_id},
                failure=f"Railway environment {environment_id} could not be read",
            )
        except NotFound:
            return None
        node = data.get("environment")
        if not node or node.get("deletedAt"):
            return None
        return _environment(node)

    def find_environment(self, *, project_id: str, name: str) -> EnvironmentInfo | None:
        """The live environment called `name` in the project, if any."""
        failure = f'Railway environments of project {project_id} could not be listed (looking for "{name}")'
        for environment in self._environments(project_id, failure=failure):
            if environment.name == name:
                return environment
        return None

    def list_environments(self, project_id: str) -> list[EnvironmentInfo]:
        """Every live environment of the project, with its creation time, in Railway's order."""
        return list(
            self._environments(project_id, failure=f"Railway environments of project {project_id} could not be listed")
        )

    def _environments(self, project_id: str, *, failure: str) -> Iterator[EnvironmentInfo]:
        """The project's live environments, a page at a time (a caller that stops early reads
        no further page)."""
        after: str | None = None
        for _ in range(_MAX_ENVIRONMENT_PAGES):
            data = self._execute(ops.ENVIRONMENTS, {"projectId": project_id, "after": after}, failure=failure)
            connection = data["environments"]
            for edge in connection.get("edges") or []:
                node = edge["node"]
                if not node.get("deletedAt"):
                    yield _environment(node)
            page = connection.get("pageInfo") or {}
            after = page.get("endCursor")
            if not page.get("hasNextPage") or not after:
                return
        raise self.error(
            ApiFailure,
            failure,
            f"more than {_MAX_ENVIRONMENT_PAGES} pages of environments",
            operation=_operation_name(ops.ENVIRONMENTS),
        )

    def rename_environment(self, environment_id: str, name: str) -> EnvironmentInfo:
        data = self._execute(
            ops.ENVIRONMENT_RENAME,
            {"id": environment_id, "input": {"name": name}},
            failure=f'Railway environment {environment_id} could not be renamed to "{name}"',
        )
        return _environment(data["environmentRename"])

    def delete_environment(self, environment_id: str) -> bool:
        """Delete the environment; False when it was already gone."""
        return self._delete(
            ops.ENVIRONMENT_DELETE,
            environment_id,
            failure=f"Railway environment {environment_id} could not be deleted",
        )

    # ------------------------------------------------------------ variables

    def get_variables(self, *, project_id: str, environment_id: str, service_id: str | None) -> dict[str, str]:
        """Every variable of one scope (a service, or the environment's shared variables), as
        written. Raises NotFound when the environment or service is gone."""
        data = self._execute(
            ops.VARIABLES,
            {"projectId": project_id, "environmentId": environment_id, "serviceId": service_id},
            failure=f"Railway variables of {_scope(environment_id, service_id)} could not be read",
        )
        return {str(name): str(value) for name, value in (data.get("variables") or {}).items()}

    def upsert_variables(
        self, *, project_id: str, environment_id: str, service_id: str | None, variables: Mapping[str, str]
    ) -> None:
        """Set these names in one request, without a deployment (the Deployment resource starts the
        one a change needs); other names in the scope are left alone."""
        self._execute(
            ops.VARIABLE_COLLECTION_UPSERT,
            {
                "input": _without_none(
                    {
                        "projectId": project_id,
                        "environmentId": environment_id,
                        "serviceId": service_id,
                        "variables": dict(variables),
                        "skipDeploys": True,
                    }
                )
            },
            failure=(f"Railway variables {_names(variables)} of {_scope(environment_id, service_id)} could not be set"),
            secrets=variables.values(),
        )

    def delete_variable(self, *, project_id: str, environment_id: str, service_id: str | None, name: str) -> None:
        """Delete one name (deleting a missing name succeeds)."""
        self._execute(
            ops.VARIABLE_DELETE,
            {
                "input": _without_none(
                    {"projectId": project_id, "environmentId": environment_id, "serviceId": service_id, "name": name}
                )
            },
            failure=f"Railway variable {name} of {_scope(environment_id, service_id)} could not be deleted",
        )

    # ------------------------------------------------------------ deployment triggers

    def list_triggers(self, *, project_id: str, environment_id: str, service_id: str) -> list[DeploymentTriggerInfo]:
        data = self._execute(
            ops.DEPLOYMENT_TRIGGERS,
            {"projectId": project_id, "environmentId": environment_id, "serviceId": service_id},
            failure=f"Railway deployment triggers of {_scope(environment_id, service_id)} could not be listed",
        )
        return [_trigger(edge["node"]) for edge in data["deploymentTriggers"].get("edges") or []]

    def create_trigger(
        self,
        *,
        project_id: str,
        environment_id: str,
        service_id: str,
        provider: str,
        repository: str,
        branch: str,
    ) -> DeploymentTriggerInfo:
        """Create a trigger deploying `branch` of `repository`; if the answer is lost, adopt the
        trigger that appeared for the same environment and service."""
        failure = (
            f"Railway deployment trigger ({repository}@{branch}) for {_scope(environment_id, service_id)} "
            "could not be created"
        )
        payload = _without_none(
            {
                "projectId": project_id,
                "environmentId": environment_id,
                "serviceId": service_id,
                "provider": provider,
                "repository": repository,
                "branch": branch,
            }
        )

        def create() -> DeploymentTriggerInfo:
            data = self._execute(ops.DEPLOYMENT_TRIGGER_CREATE, {"input": payload}, failure=failure, idempotent=False)
            return _trigger(data["deploymentTriggerCreate"])

        def find() -> DeploymentTriggerInfo | None:
            found = self.list_triggers(project_id=project_id, environment_id=environment_id, service_id=service_id)
            return _prefer(found, lambda t: (t.repository, t.branch) == (repository, branch))

        return self.apply_once(create, find, failure=failure, operation=_operation_name(ops.DEPLOYMENT_TRIGGER_CREATE))

    def update_trigger(self, trigger_id: str, *, repository: str, branch: str) -> DeploymentTriggerInfo:
        data = self._execute(
            ops.DEPLOYMENT_TRIGGER_UPDATE,
            {
                "id": trigger_id,
                "input": {"repository": repository, "branch": branch},
            },
            failure=f"Railway deployment trigger {trigger_id} could not be updated to {repository}@{branch}",
        )
        return _trigger(data["deploymentTriggerUpdate"])

    def delete_trigger(self, trigger_id: str) -> bool:
        """Delete the trigger; False when it was already gone."""
        return self._delete(
            ops.DEPLOYMENT_TRIGGER_DELETE,
            trigger_id,
            failure=f"Railway deployment trigger {trigger_id} could not be deleted",
        )

    # ------------------------------------------------------------ service domains

    def list_service_domains(self, *, project_id: str, environment_id: str, service_id: str) -> list[ServiceDomainInfo]:
        data = self._execute(
            ops.DOMAINS,
            {"projectId": project_id, "environmentId": environment_id, "serviceId": service_id},
            failure=f"Railway domains of {_scope(environment_id, service_id)} could not be listed",
        )
        return [_service_domain(node) for node in data["domains"].get("serviceDomains") or []]

    def create_service_domain(
        self, *, project_id: str, environment_id: str, service_id: str, target_port: int | None = None
    ) -> ServiceDomainInfo:
        """Generate a railway.app domain for the service; if the answer is lost, adopt the
        domain that appeared for the same environment and service."""
        failure = f"Railway domain for {_scope(environment_id, service_id)} could not be created"
        payload = _without_none({"environmentId": environment_id, "serviceId": service_id, "targetPort": target_port})

        def create() -> ServiceDomainInfo:
            data = self._execute(ops.SERVICE_DOMAIN_CREATE, {"input": payload}, failure=failure, idempotent=False)
            return _service_domain(data["serviceDomainCreate"])

        def find() -> ServiceDomainInfo | None:
            found = self.list_service_domains(
                project_id=project_id, environment_id=environment_id, service_id=service_id
            )
            return _prefer(found, lambda d: d.target_port == target_port)

        return self.apply_once(
            create,
            find,
            failure=failure,
            operation=_operation_name(ops.SERVICE_DOMAIN_CREATE),
            if_made=(
                "delete any domain of this service made just now in the Railway dashboard before the next "
                "`pulumi up`, which would otherwise give the service a second one"
            ),
        )

    def update_service_domain(self, domain: ServiceDomainInfo, *, target_port: int | None) -> None:
        self._execute(
            ops.SERVICE_DOMAIN_UPDATE,
            {
                # targetPort null puts the domain back on the service's default port.
                "input": {
                    "serviceDomainId": domain.id,
                    "environmentId": domain.environment_id,
                    "serviceId": domain.service_id,
                    "domain": domain.domain,
                    "targetPort": target_port,
                }
            },
            failure=f"Railway domain {domain.domain} could not be updated to target port {target_port}",
        )

    def delete_service_domain(self, domain_id: str) -> bool:
        """Delete the domain; False when it was already gone."""
        return self._delete(
            ops.SERVICE_DOMAIN_DELETE, domain_id, failure=f"Railway domain {domain_id} could not be deleted"
        )

    # ------------------------------------------------------------ service instances

    def get_service_instance(self, *, environment_id: str, service_id: str) -> ServiceInstanceInfo | None:
        """The service's settings in the environment, or None when either is gone."""
        try:
            data = self._execute(
                ops.SERVICE_INSTANCE,
                {"environmentId": environment_id, "serviceId": service_id},
                failure=f"Railway settings of {_scope(environment_id, service_id)} could not be read",
            )
        except NotFound:
            return None
        return _service_instance(data["serviceInstance"])

    def update_service_instance(self, *, environment_id: str, service_id: str, settings: Mapping[str, Any]) -> None:
        """Set these settings (Railway's names; None clears one) of the service in this
        environment only; settings not named are left alone. Takes effect at the next deployment."""
        self._execute(
            ops.SERVICE_INSTANCE_UPDATE,
            {"environmentId": environment_id, "serviceId": service_id, "input": dict(settings)},
            failure=(
                f"Railway settings {', '.join(sorted(settings)) or '(none)'} of "
                f"{_scope(environment_id, service_id)} could not be updated"
            ),
        )

    # ------------------------------------------------------------ deployments

    def deploy_service(self, *, environment_id: str, service_id: str) -> str:
        """Start a deployment of the head of the branch the service's trigger follows and return
        its id at once. When the answer is lost, a deployment of the service created since the
        request was sent is adopted instead of starting a second."""
        failure = f"Railway deployment of {_scope(environment_id, service_id)} could not be started"
        sent_at = _utc_now() - _CLOCK_SKEW

        def deploy() -> str:
            data = self._execute(
                ops.SERVICE_INSTANCE_DEPLOY,
                {"environmentId": environment_id, "serviceId": service_id},
                failure=failure,
                idempotent=False,
            )
            return str(data["serviceInstanceDeployV2"])

        def started_since() -> str | None:
            latest = self.list_deployments(environment_id=environment_id, service_id=service_id, first=1)
            if latest and latest[0].created_at is not None and latest[0].created_at >= sent_at:
                return latest[0].id
            return None

        return self.apply_once(
            deploy,
            started_since,
            failure=failure,
            operation=_operation_name(ops.SERVICE_INSTANCE_DEPLOY),
            if_made="the next `pulumi up` starts another, which supersedes it",
        )

    def get_deployment(self, deployment_id: str) -> DeploymentInfo | None:
        """The deployment, or None when Railway no longer knows it (its environment is gone)."""
        try:
            data = self._execute(
                ops.DEPLOYMENT,
                {"id": deployment_id},
                failure=f"Railway deployment {deployment_id} could not be read",
            )
        except NotFound:
            return None
        return _deployment(data["deployment"])

    def list_deployments(self, *, environment_id: str, service_id: str, first: int = 10) -> list[DeploymentInfo]:
        """The service's deployments in the environment, newest first."""
        data = self._execute(
            ops.DEPLOYMENTS,
            {"input": {"environmentId": environment_id, "serviceId": service_id}, "first": first},
            failure=f"Railway deployments of {_scope(environment_id, service_id)} could not be listed",
        )
        return [_deployment(edge["node"]) for edge in data["deployments"].get("edges") or []]

    def latest_deployments(self, environment_id: str) -> dict[str, DeploymentInfo | None] | None:
        """Every service's latest deployment in the environment (None for a service never
        deployed there), by service id, in one request; None when the environment is gone."""
        try:
            data = self._execute(
                ops.ENVIRONMENT_DEPLOYMENTS,
                {"id": environment_id},
                failure=f"Railway deployments of environment {environment_id} could not be read",
            )
        except NotFound:
            return None
        environment = data.get("environment")
        if not environment:
            return None
        latest: dict[str, DeploymentInfo | None] = {}
        for edge in (environment.get("serviceInstances") or {}).get("edges") or []:
            node = edge["node"]
            deployment = node.get("latestDeployment")
            latest[str(node["serviceId"])] = _deployment(deployment) if deployment else None
        return latest

    # ------------------------------------------------------------ plumbing

    def _delete(self, document: str, object_id: str, *, failure: str) -> bool:
        try:
            self._execute(document, {"id": object_id}, failure=failure)
        except NotFound:
            return False
        return True

    def _project_label(self, project_id: str) -> str:
        # Only for error messages: an error looking the name up must not hide the real one.
        try:
            data = self._execute(ops.PROJECT_NAME, {"id": project_id}, failure="project name lookup")
            return str(data["project"]["name"])
        except (ApiError, KeyError, TypeError):
            return project_id

    def _execute(
        self,
        document: str,
        variables: Mapping[str, Any],
        *,
        failure: str,
        idempotent: bool = True,
        secrets: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Run one operation; return its `data`. `failure` says what could not be done, in user
        terms; Railway's own words are appended after scrubbing `secrets` (and the token).
        OutcomeUnknown passes through for apply_once."""
        operation = _operation_name(document)
        body = {"query": document, "operationName": operation, "variables": dict(variables)}
        response = self.send(
            "POST", self.base_url, operation=operation, failure=failure, json=body, idempotent=idempotent
        )

        # The body is already read (not streamed): nothing is left open.
        status = response.status_code
        if status in (401, 403):
            reason = f"HTTP {status}; {_AUTH_HINT}"
            raise self.error(AuthError, failure, reason, operation=operation, status_code=status)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise self.error(
                ApiFailure,
                failure,
                f"unexpected answer (HTTP {status}, not a GraphQL response)",
                operation=operation,
                status_code=status,
            )

        errors = payload.get("errors") or []
        if errors:
            kind, reason = _classify(errors)
            # Railway's own words may echo what was sent (a variable's value): hide it.
            raise self.error(kind, failure, scrub(reason, secrets), operation=operation, status_code=status)
        data = payload.get("data")
        if status >= 400 or not isinstance(data, dict):
            raise self.error(
                ApiFailure,
                failure,
                f"unexpected answer (HTTP {status}, no data)",
                operation=operation,
                status_code=status,
            )
        return data


def _classify(errors: list[Any]) -> tuple[type[ApiError], str]:
    messages: list[str] = []
    codes: set[str] = set()
    for item in errors:
        if isinstance(item, Mapping):
            messages.append(str(item.get("message") or "unknown error"))
            code = (item.get("extensions") or {}).get("code")
            if code:
                codes.add(str(code).upper())
        else:
            messages.append(str(item))
    reason = "; ".join(messages)
    lowered = reason.lower()
    if codes & _AUTH_CODES or "not authorized" in lowered:
        return AuthError, f"{reason}: {_AUTH_HINT}"
    if "NOT_FOUND" in codes or lowered.endswith("not found"):
        return NotFound, reason
    if "CONFLICT" in codes or "already exists" in lowered:
        return Conflict, reason
    return ApiFailure, reason


def _operation_name(document: str) -> str:
    match = _OPERATION_NAME.match(document)
    if match is None:
        raise ValueError("Railway operations must be named")
    return match.group(1)


def _scope(environment_id: str, service_id: str | None) -> str:
    if service_id is None:
        return f"environment {environment_id} (shared)"
    return f"service {service_id} in environment {environment_id}"


def _names(variables: Mapping[str, str]) -> str:
    return ", ".join(sorted(variables)) or "(none)"


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _prefer(candidates: list[T], matches: Callable[[T], bool]) -> T | None:
    for candidate in candidates:
        if matches(candidate):
            return candidate
    return candidates[0] if candidates else None


def _environment(node: Mapping[str, Any]) -> EnvironmentInfo:
    source = node.get("sourceEnvironment") or {}
    copied = node.get("deploymentTriggers")
    return EnvironmentInfo(
        id=str(node["id"]),
        name=str(node["name"]),
        project_id=str(node.get("projectId") or ""),
        is_ephemeral=bool(node.get("isEphemeral")),
        source_environment_id=source.get("id"),
        triggers=None if copied is None else tuple(_trigger(edge["node"]) for edge in copied.get("edges") or []),
        created_at=read_timestamp(node.get("createdAt")),
    )


def _trigger(node: Mapping[str, Any]) -> DeploymentTriggerInfo:
    return DeploymentTriggerInfo(
        id=str(node["id"]),
        environment_id=str(node.get("environmentId") or ""),
        service_id=node.get("serviceId"),
        provider=str(node.get("provider") or ""),
        repository=str(node.get("repository") or ""),
        branch=str(node.get("branch") or ""),
    )


def _service_domain(node: Mapping[str, Any]) -> ServiceDomainInfo:
    port = node.get("targetPort")
    return ServiceDomainInfo(
        id=str(node["id"]),
        domain=str(node["domain"]),
        environment_id=str(node.get("environmentId") or ""),
        service_id=str(node.get("serviceId") or ""),
        target_port=int(port) if port is not None else None,
    )


def _service_instance(node: Mapping[str, Any]) -> ServiceInstanceInfo:
    timeout = node.get("healthcheckTimeout")
    sleep = node.get("sleepApplication")
    return ServiceInstanceInfo(
        id=str(node["id"]),
        environment_id=str(node.get("environmentId") or ""),
        service_id=str(node.get("serviceId") or ""),
        healthcheck_path=node.get("healthcheckPath"),
        healthcheck_timeout=int(timeout) if timeout is not None else None,
        sleep_application=bool(sleep) if sleep is not None else None,
        root_directory=node.get("rootDirectory"),
    )


def _deployment(node: Mapping[str, Any]) -> DeploymentInfo:
    meta = node.get("meta")
    meta = meta if isinstance(meta, Mapping) else {}
    return DeploymentInfo(
        id=str(node["id"]),
        status=str(node.get("status") or ""),
        environment_id=str(node.get("environmentId") or ""),
        service_id=str(node.get("serviceId") or ""),
        created_at=read_timestamp(node.get("createdAt")),
        status_updated_at=read_timestamp(node.get("statusUpdatedAt")),
        branch=_text(meta.get("branch")),
        commit_hash=_text(meta.get("commitHash")),
        commit_message=_text(meta.get("commitMessage")),
        static_url=_text(node.get("staticUrl")),
    )


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""Supabase's Management API (REST, https://api.supabase.com/v1), as the providers need it.

A SupabaseClient is built inside each provider call (`SupabaseClient.from_settings()`), used as a
context manager and thrown away (see providers.api). Requests go through the shared request path
(timeouts, bounded retries, Retry-After / X-RateLimit-Reset, deadline: providers.http), so the
API's 120 requests per minute per endpoint are waited out rather than failed.

Every (method, path template) the client may send is an `Endpoint` in `ENDPOINTS`; the contract
test checks each against the published OpenAPI spec. Errors are the providers.api family, whose
messages say, in the user's terms, what could not be done and why, and name the endpoint; they
never contain the token, a database password or a key.

Creates can be retried safely. Project names are not unique, so a project create whose answer was
lost adopts the project of that name that appeared since the create began (never an older one);
a branch create adopts the branch of that name on the parent (branch names are unique there).

Readiness waits (`await_project_healthy`, `await_branch_healthy`) poll with backoff under their
own deadline, stop at once on a terminal status, and delete what they waited for when it cannot
come up, so a failed `pulumi up` leaves nothing half-made behind.

Long on purpose: one method per Management API endpoint the providers call, plus the two
readiness waits; splitting them would scatter the one client the design asks for per API.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from fleet.dates import read_timestamp
from providers import limits
from providers.api import ApiError, ApiFailure, Conflict, NotFound, RestClient, one_line
from providers.http import Endpoint, RetryPolicy
from providers.settings import SupabaseSettings, supabase_settings

__all__ = [
    "ACTIVE_HEALTHY",
    "CREATE_BRANCH",
    "CREATE_PROJECT",
    "DEFAULT_WAIT_POLICY",
    "DELETE_BRANCH",
    "DELETE_PROJECT",
    "ENDPOINTS",
    "GET_BRANCH",
    "GET_PROJECT",
    "HEALTH_SERVICES",
    "INSTANCE_SIZES",
    "LIST_BRANCHES",
    "LIST_ORGANIZATION_PROJECTS",
    "PROJECT_API_KEYS",
    "PROJECT_HEALTH",
    "TERMINAL_STATUSES",
    "UPDATE_BRANCH",
    "UPDATE_DATABASE_PASSWORD",
    "UPDATE_PROJECT",
    "BRANCH_INSTANCE_SIZES",
    "ApiKeys",
    "BranchDetail",
    "BranchInfo",
    "Endpoint",
    "ProjectFailedToStart",
    "ProjectInfo",
    "ReadinessDeadlineExceeded",
    "SupabaseClient",
    "WaitPolicy",
    "api_url_for",
    "db_host_for",
]

_log = logging.getLogger(__name__)


# ---------------------------------------------------------------- endpoints

CREATE_PROJECT = Endpoint("POST", "/v1/projects")
GET_PROJECT = Endpoint("GET", "/v1/projects/{ref}")
UPDATE_PROJECT = Endpoint("PATCH", "/v1/projects/{ref}")
DELETE_PROJECT = Endpoint("DELETE", "/v1/projects/{ref}")
LIST_ORGANIZATION_PROJECTS = Endpoint("GET", "/v1/organizations/{slug}/projects")
PROJECT_HEALTH = Endpoint("GET", "/v1/projects/{ref}/health")
PROJECT_API_KEYS = Endpoint("GET", "/v1/projects/{ref}/api-keys")
UPDATE_DATABASE_PASSWORD = Endpoint("PATCH", "/v1/projects/{ref}/database/password")
LIST_BRANCHES = Endpoint("GET", "/v1/projects/{ref}/branches")
CREATE_BRANCH = Endpoint("POST", "/v1/projects/{ref}/branches")
GET_BRANCH = Endpoint("GET", "/v1/branches/{branch_id_or_ref}")
UPDATE_BRANCH = Endpoint("PATCH", "/v1/branches/{branch_id_or_ref}")
DELETE_BRANCH = Endpoint("DELETE", "/v1/branches/{branch_id_or_ref}")

# Every endpoint the client may call: the contract test checks each against the spec.
ENDPOINTS: tuple[Endpoint, ...] = (
    CREATE_PROJECT,
    GET_PROJECT,
    UPDATE_PROJECT,
    DELETE_PROJECT,
    LIST_ORGANIZATION_PROJECTS,
    PROJECT_HEALTH,
    PROJECT_API_KEYS,
    UPDATE_DATABASE_PASSWORD,
    LIST_BRANCHES,
    CREATE_BRANCH,
    GET_BRANCH,
    UPDATE_BRANCH,
    DELETE_BRANCH,
)

# ---------------------------------------------------------------- vocabulary

ACTIVE_HEALTHY = "ACTIVE_HEALTHY"
# Statuses a project (or a branch's project) that is coming up never leaves by itself: waiting
# longer cannot help. ACTIVE_UNHEALTHY and UNKNOWN can still turn healthy, so they are waited on.
TERMINAL_STATUSES = frozenset(
    {"INIT_FAILED", "REMOVED", "GOING_DOWN", "INACTIVE", "PAUSING", "PAUSE_FAILED", "RESTORE_FAILED"}
)
# A project in one of these is gone or going: `read` reports it deleted, adoption skips it.
_GONE_STATUSES = frozenset({"REMOVED", "GOING_DOWN"})
# The services a branch must report healthy before it is used: its database and its REST API.
HEALTH_SERVICES: tuple[str, ...] = ("db", "rest")
# V1CreateProjectBody.desired_instance_size (the contract test keeps this in step with the spec).
INSTANCE_SIZES: tuple[str, ...] = (
    "nano",
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
    "24xlarge",
    "24xlarge_optimized_memory",
    "24xlarge_optimized_cpu",
    "24xlarge_high_memory",
    "48xlarge",
    "48xlarge_optimized_memory",
    "48xlarge_optimized_cpu",
    "48xlarge_high_memory",
)
# CreateBranchBody.desired_instance_size: a branch may also be "pico" (the contract test checks it).
BRANCH_INSTANCE_SIZES: tuple[str, ...] = ("pico", *INSTANCE_SIZES)
# The organization's projects page size (the API's maximum) and a bound on pages read.
_PAGE_SIZE = 100
_MAX_PAGES = 50
_ANON, _SERVICE_ROLE = "anon", "service_role"
_DEFAULT_DB_PORT = 5432

_AUTH_HINT = (
    "Supabase rejected the access token; set a personal access token that can manage the "
    "organization's projects in the stack config `stagefleet:supabaseAccessToken` or the "
    "environment variable `SUPABASE_ACCESS_TOKEN`"
)
_RECREATE_HINT = "run `pulumi up --refresh` to create it again"


def api_url_for(ref: str) -> str:
    return f"https://{ref}.supabase.co"


def db_host_for(ref: str) -> str:
    return f"db.{ref}.supabase.co"


# ---------------------------------------------------------------- errors


# The domain errors of a readiness wait; the API's own errors are providers.api's family.


class ProjectFailedToStart(ApiError):
    """A project or branch reached a status it never leaves by itself; it was deleted."""

    def __init__(self, message: str, *, ref: str, status: str):
        super().__init__(message, api=SupabaseClient.api)
        self.ref = ref
        self.status = status


class ReadinessDeadlineExceeded(ApiError):
    """A project or branch was not healthy within its deadline; it was deleted."""

    def __init__(self, message: str, *, ref: str, status: str | None, deadline: float):
        super().__init__(message, api=SupabaseClient.api)
        self.ref = ref
        self.status = status
        self.deadline = deadline


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class ProjectInfo:
    ref: str
    name: str
    organization_slug: str | None
    region: str | None
    status: str
    is_branch: bool = False
    # When Supabase made it (`created_at`, or `inserted_at` in the organization's listing) and its
    # compute size (`databases[].infra_compute_size` of the primary), when the answer says.
    created_at: dt.datetime | None = None
    instance_size: str | None = None


@dataclass(frozen=True)
class BranchInfo:
    id: str
    name: str
    project_ref: str
    parent_project_ref: str
    is_default: bool
    git_branch: str | None
    with_data: bool | None
    status: str | None
    created_at: dt.datetime | None = None
    # A persistent branch is kept; a preview branch is disposable (None: the answer did not say).
    persistent: bool | None = None


@dataclass(frozen=True)
class BranchDetail:
    """A branch's project: its ref, status and how to connect to its database."""

    ref: str
    status: str | None
    db_host: str
    db_port: int
    db_user: str = field(repr=False)
    db_pass: str | None = field(repr=False)


@dataclass(frozen=True)
class ApiKeys:
    anon: str = field(repr=False)
    service_role: str = field(repr=False)


@dataclass(frozen=True)
class WaitPolicy:
    """How a readiness wait polls: the first pause, growing by `factor` up to `max_delay`.
    `clock` and `sleep` are seams for tests; the deadline is the caller's."""

    first_delay: float = 1.0
    max_delay: float = 10.0
    factor: float = 2.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        if self.first_delay < 0 or self.max_delay < self.first_delay or self.factor < 1:
            raise ValueError("WaitPolicy needs 0 <= first_delay <= max_delay and factor >= 1")

    def delays(self) -> Iterable[float]:
        delay = self.first_delay
        while True:
            yield delay
            delay = min(self.max_delay, delay * self.factor)


# What a readiness wait does when nothing else is said: look at once, then after 0.5 s, the pauses
# growing by a quarter up to 2.5 s (reached after 10 s). A project is seen healthy at most 0.5 s to
# 2.5 s after it turns healthy, not up to 10 s as with a 1 s, 2 s, 4 s, 8 s backoff; and the host's
# at most 4 concurrent waits look 116 times in their first minute and 96 a minute after that, under
# the 120 a minute Supabase allows per endpoint (a 429 is waited out all the same).
DEFAULT_WAIT_POLICY = WaitPolicy(first_delay=0.5, max_delay=2.5, factor=1.25)


@dataclass(frozen=True)
class _Probe:
    """One look at something coming up."""

    status: str | None
    ready: bool = False
    terminal: bool = False
    gone: bool = False


# ---------------------------------------------------------------- client


class SupabaseClient(RestClient):
    """One Management API session. Use `with SupabaseClient.from_settings() as supabase: ...`."""

    api = "Supabase"
    auth_hint = _AUTH_HINT

    def __init__(
        self,
        settings: SupabaseSettings,
        *,
        policy: RetryPolicy | None = None,
        wait: WaitPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__(
            base_url=settings.api_url.rstrip("/"),
            headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
            limiter=limits.supabase_limiter(
                api_url=settings.api_url, token=settings.token, emulated_scale=settings.emulated_limits
            ),
            policy=policy,
            transport=transport,
        )
        self._wait = wait

    @classmethod
    def from_settings(cls, settings: SupabaseSettings | None = None) -> SupabaseClient:
        """A client for the configured token and URL (stack config, else environment).
        Raises providers.settings.SettingsError when no token is configured."""
        return cls(settings or supabase_settings())

    @property
    def wait_policy(self) -> WaitPolicy:
        # Read at call time so tests can swap the module default.
        return self._wait or DEFAULT_WAIT_POLICY

    # ------------------------------------------------------------ projects

    def create_project(
        self,
        *,
        name: str,
        organization_slug: str,
        region: str | None,
        db_pass: str,
        instance_size: str | None = None,
    ) -> ProjectInfo:
        """Create a project and return at once (status COMING_UP). When the answer is lost, the
        project of that name that appeared since this call began is adopted; projects of that
        name that existed before are never adopted (names are not unique)."""
        failure = f'Supabase project "{name}" could not be created in organization {organization_slug}'
        body: dict[str, Any] = {
            "name": name,
            "organization_slug": organization_slug,
            "db_pass": db_pass,
        }
        if region is not None:
            body["region_selection"] = {"type": "specific", "code": region}
        if instance_size is not None:
            body["desired_instance_size"] = instance_size
        existing = {project.ref for project in self.find_projects(organization_slug=organization_slug, name=name)}

        def create() -> ProjectInfo:
            payload = self.request(CREATE_PROJECT, json=body, failure=failure, idempotent=False, secrets=(db_pass,))
            return self.parsed(_project, payload, CREATE_PROJECT, failure)

        def find_new() -> ProjectInfo | None:
            found = self.find_projects(organization_slug=organization_slug, name=name)
            return next((project for project in found if project.ref not in existing), None)

        return self.apply_once(
            create,
            find_new,
            failure=failure,
            operation=CREATE_PROJECT.key,
            if_made=(
                f'delete (or `pulumi import`) any project called "{name}" made just now in organization '
                f"{organization_slug} before the next `pulumi up`, which would otherwise make a second one "
                "(project names are not unique, so an existing one is never adopted)"
            ),
        )

    def get_project(self, ref: str) -> ProjectInfo | None:
        """The project, or None when it does not exist (a branch's ref is not a project)."""
        try:
            payload = self.request(GET_PROJECT, ref=ref, failure=f"Supabase project {ref} could not be read")
        except NotFound:
            return None
        return self.parsed(_project, payload, GET_PROJECT, f"Supabase project {ref} could not be read")

    def find_projects(self, *, organization_slug: str, name: str) -> list[ProjectInfo]:
        """The organization's live projects called `name` (not branches, not being removed)."""
        failure = f'Supabase projects of organization {organization_slug} could not be listed (looking for "{name}")'
        return [
            project
            for project in self._organization_projects(organization_slug, search=name, failure=failure)
            if project.name == name
        ]

    def list_projects(self, organization_slug: str) -> list[ProjectInfo]:
        """Every live project of the organization (not branches, not being removed), with its
        creation time and compute size."""
        failure = f"Supabase projects of organization {organization_slug} could not be listed"
        return list(self._organization_projects(organization_slug, search=None, failure=failure))

    def _organization_projects(
        self, organization_slug: str, *, search: str | None, failure: str
    ) -> Iterator[ProjectInfo]:
        """The organization's live projects (whose name contains `search`, when given), a page at
        a time."""
        offset = 0
        for _ in range(_MAX_PAGES):
            query: dict[str, Any] = {"offset": offset, "limit": _PAGE_SIZE}
            if search is not None:
                query["search"] = search
            payload = self.mapping(
                self.request(LIST_ORGANIZATION_PROJECTS, slug=organization_slug, query=query, failure=failure),
                LIST_ORGANIZATION_PROJECTS,
                failure,
            )
            page = payload.get("projects")
            if not isinstance(page, list):
                raise self.unexpected(LIST_ORGANIZATION_PROJECTS, failure, "no project list")
            for node in page:
                if not isinstance(node, Mapping):
                    continue
                project = self.parsed(
                    lambda n: _project(n, organization_slug=organization_slug),
                    node,
                    LIST_ORGANIZATION_PROJECTS,
                    failure,
                )
                if not project.is_branch and project.status not in _GONE_STATUSES:
                    yield project
            offset += len(page)
            total = (payload.get("pagination") or {}).get("count")
            if not page or not isinstance(total, (int, float)) or offset >= total:
                return
        raise self.error(
            ApiFailure, failure, f"more than {_MAX_PAGES} pages of projects", operation=LIST_ORGANIZATION_PROJECTS.key
        )

    def rename_project(self, ref: str, name: str) -> None:
        self.request(
            UPDATE_PROJECT,
            ref=ref,
            json={"name": name},
            failure=f'Supabase project {ref} could not be renamed to "{name}"',
        )

    def update_database_password(self, ref: str, password: str, *, label: str | None = None) -> None:
        self.request(
            UPDATE_DATABASE_PASSWORD,
            ref=ref,
            json={"password": password},
            failure=f"the database password of Supabase project {_label(label, ref)} could not be changed",
            secrets=(password,),
        )

    def delete_project(self, ref: str) -> bool:
        """Delete the project (and its branches); False when it was already gone."""
        try:
            self.request(DELETE_PROJECT, ref=ref, failure=f"Supabase project {ref} could not be deleted")
        except NotFound:
            return False
        return True

    def get_api_keys(self, ref: str, *, label: str | None = None) -> ApiKeys | None:
        """The project's (or branch's) anon and service_role keys, or None when it is gone."""
        failure = f"API keys of Supabase project {_label(label, ref)} could not be read"
        try:
            payload = self.request(PROJECT_API_KEYS, ref=ref, query={"reveal": "true"}, failure=failure)
        except NotFound:
            return None
        if not isinstance(payload, list):
            raise self.unexpected(PROJECT_API_KEYS, failure, "not a list of keys")
        keys: dict[str, str] = {
            str(item.get("name")): item["api_key"]
            for item in payload
            if isinstance(item, Mapping) and isinstance(item.get("api_key"), str) and item.get("api_key")
        }
        missing = [name for name in (_ANON, _SERVICE_ROLE) if name not in keys]
        if missing:
            raise self.unexpected(PROJECT_API_KEYS, failure, f"no {' or '.join(missing)} key in the answer")
        return ApiKeys(anon=keys[_ANON], service_role=keys[_SERVICE_ROLE])

    def get_health(self, ref: str, services: Sequence[str] = HEALTH_SERVICES) -> dict[str, str] | None:
        """Service name -> status (COMING_UP, ACTIVE_HEALTHY, UNHEALTHY) for a project or branch
        ref, or None when the ref does not answer (gone, or not provisioned yet)."""
        failure = f"health of Supabase project {ref} could not be read"
        try:
            payload = self.request(
                PROJECT_HEALTH, ref=ref, query=[("services", service) for service in services], failure=failure
            )
        except NotFound:
            return None
        if not isinstance(payload, list):
            raise self.unexpected(PROJECT_HEALTH, failure, "not a list of services")
        return {
            str(item.get("name")): str(item.get("status") or "UNKNOWN") for item in payload if isinstance(item, Mapping)
        }

    # ------------------------------------------------------------ branches

    def list_branches(self, parent_ref: str) -> list[BranchInfo]:
        """The parent project's branches (empty while branching is off). Raises NotFound
        when the parent project is gone."""
        failure = f"branches of Supabase project {parent_ref} could not be listed"
        payload = self.request(LIST_BRANCHES, ref=parent_ref, failure=failure)
        if not isinstance(payload, list):
            raise self.unexpected(LIST_BRANCHES, failure, "not a list of branches")
        return [self.parsed(_branch, node, LIST_BRANCHES, failure) for node in payload]

    def find_branch(self, parent_ref: str, name: str) -> BranchInfo | None:
        return next((branch for branch in self.list_branches(parent_ref) if branch.name == name), None)

    def create_branch(
        self,
        *,
        parent_ref: str,
        name: str,
        git_branch: str | None = None,
        with_data: bool = False,
        persistent: bool = False,
        instance_size: str | None = None,
    ) -> BranchInfo:
        """Create a branch of the parent and return at once: `persistent` (kept) or a disposable
        preview, on `instance_size` compute (None: Supabase's default). The API enables branching
        on the parent with the first branch (making its default branch). A branch of that name
        already on the parent (one this create made before its answer was lost, or an earlier
        run's) is adopted as it is; the parent's default branch never is."""
        failure = f'Supabase branch "{name}" of project {parent_ref} could not be created'
        body: dict[str, Any] = {"branch_name": name, "with_data": with_data, "persistent": persistent}
        if git_branch is not None:
            body["git_branch"] = git_branch
        if instance_size is not None:
            body["desired_instance_size"] = instance_size

        def adoptable() -> BranchInfo | None:
            found = self.find_branch(parent_ref, name)
            return None if found is None or found.is_default else found

        def create() -> BranchInfo:
            payload = self.request(CREATE_BRANCH, ref=parent_ref, json=body, failure=failure, idempotent=False)
            return self.parsed(_branch, payload, CREATE_BRANCH, failure)

        try:
            return self.apply_once(create, adoptable, failure=failure, operation=CREATE_BRANCH.key)
        except Conflict:
            existing = self.find_branch(parent_ref, name)
            if existing is None:
                raise
            if not existing.is_default:
                return existing
            raise self.error(
                Conflict, failure, "the name is taken by the project's default branch", operation=CREATE_BRANCH.key
            ) from None

    def get_branch(self, branch_id: str, *, label: str | None = None) -> BranchDetail | None:
        """The branch's project ref, status and database connection, or None when it is gone."""
        failure = f"Supabase branch {_label(label, branch_id)} could not be read"
        try:
            payload = self.request(GET_BRANCH, branch_id_or_ref=branch_id, failure=failure)
        except NotFound:
            return None
        node = self.mapping(payload, GET_BRANCH, failure)
        try:
            port = node.get("db_port")
            return BranchDetail(
                ref=str(node["ref"]),
                status=_optional_str(node.get("status")),
                db_host=str(node["db_host"]),
                db_port=int(port) if port is not None else _DEFAULT_DB_PORT,
                db_user=str(node.get("db_user") or "postgres"),
                db_pass=_optional_str(node.get("db_pass")),
            )
        except (KeyError, TypeError, ValueError):
            # Never echo the node: it holds the branch's password.
            raise self.unexpected(GET_BRANCH, failure, "branch config without ref or database host") from None

    def update_branch(
        self,
        branch_id: str,
        *,
        git_branch: str | None = None,
        persistent: bool | None = None,
        label: str | None = None,
    ) -> None:
        """Link the branch to a git branch and/or make it persistent or a preview, in one request
        (UpdateBranchBody; a branch's compute size is not among its fields). Values are absolute:
        a retry after a lost answer does no harm."""
        body: dict[str, Any] = {}
        if git_branch is not None:
            body["git_branch"] = git_branch
        if persistent is not None:
            body["persistent"] = persistent
        if not body:
            return
        what = ", ".join(f"{key} {json.dumps(value)}" for key, value in body.items())
        self.request(
            UPDATE_BRANCH,
            branch_id_or_ref=branch_id,
            json=body,
            failure=f"Supabase branch {_label(label, branch_id)} could not be updated ({what})",
        )

    def delete_branch(self, branch_id: str) -> bool:
        """Delete the branch; False when it was already gone."""
        try:
            self.request(
                DELETE_BRANCH, branch_id_or_ref=branch_id, failure=f"Supabase branch {branch_id} could not be deleted"
            )
        except NotFound:
            return False
        return True

    # ------------------------------------------------------------ readiness

    def await_project_healthy(self, ref: str, *, label: str, deadline: float) -> None:
        """Wait until the project is ACTIVE_HEALTHY. On a terminal status or when `deadline`
        seconds pass first, delete the project and raise ProjectFailedToStart /
        ReadinessDeadlineExceeded; NotFound when it disappears while waited on."""

        def probe() -> _Probe:
            project = self.get_project(ref)
            if project is None or project.status in _GONE_STATUSES:
                return _Probe(project.status if project else None, gone=True)
            return _Probe(
                project.status,
                ready=project.status == ACTIVE_HEALTHY,
                terminal=project.status in TERMINAL_STATUSES,
            )

        self._await(
            probe,
            what=f'Supabase project "{label}" ({ref})',
            ref=ref,
            deadline=deadline,
            clean_up=lambda: self.delete_project(ref),
        )

    def await_branch_healthy(self, branch_id: str, ref: str, *, label: str, deadline: float) -> None:
        """Wait until the branch's services (HEALTH_SERVICES) are ACTIVE_HEALTHY; the branch's
        own status is read for terminal states. Deletes the branch and raises like
        await_project_healthy."""

        def probe() -> _Probe:
            health = self.get_health(ref)
            if health and all(health.get(service) == ACTIVE_HEALTHY for service in HEALTH_SERVICES):
                return _Probe(ACTIVE_HEALTHY, ready=True)
            detail = self.get_branch(branch_id, label=label)
            if detail is None or detail.status in _GONE_STATUSES:
                return _Probe(detail.status if detail else None, gone=True)
            status = detail.status or _summary(health)
            return _Probe(status, terminal=detail.status in TERMINAL_STATUSES)

        self._await(
            probe,
            what=f'Supabase branch "{label}" ({ref})',
            ref=ref,
            deadline=deadline,
            clean_up=lambda: self.delete_branch(branch_id),
        )

    def _await(
        self, probe: Callable[[], _Probe], *, what: str, ref: str, deadline: float, clean_up: Callable[[], bool]
    ) -> None:
        wait = self.wait_policy
        deadline_at = wait.clock() + deadline
        for delay in wait.delays():
            seen = probe()
            if seen.ready:
                return
            if seen.gone:
                raise NotFound(
                    f"{what} no longer exists (it was deleted while waiting for it to come up); {_RECREATE_HINT}",
                    api=self.api,
                )
            if seen.terminal:
                outcome = self._clean_up(clean_up, what)
                raise ProjectFailedToStart(
                    f"{what} failed to start: its status is {seen.status}. {outcome}", ref=ref, status=str(seen.status)
                )
            remaining = deadline_at - wait.clock()
            if remaining <= 0:
                outcome = self._clean_up(clean_up, what)
                raise ReadinessDeadlineExceeded(
                    f"{what} was not {ACTIVE_HEALTHY} within {deadline:g}s (last status: {seen.status or 'unknown'}). "
                    f"{outcome} If it needs longer, raise its readiness deadline.",
                    ref=ref,
                    status=seen.status,
                    deadline=deadline,
                )
            _log.debug("%s is %s; looking again in %.1fs", what, seen.status, min(delay, remaining))
            wait.sleep(min(delay, remaining))
        raise AssertionError("unreachable: delays() never ends")

    @staticmethod
    def _clean_up(clean_up: Callable[[], bool], what: str) -> str:
        try:
            clean_up()
        except ApiError as problem:
            return f"Deleting it failed too ({problem}): delete it in the Supabase dashboard, then {_RECREATE_HINT}."
        return f"It was deleted so nothing half-made is left; {_RECREATE_HINT}."

    # ------------------------------------------------------------ plumbing

    def said(self, payload: Any) -> str:
        """Supabase's explanation from an error body ({"message": ...} or {"error": ...})."""
        if not isinstance(payload, Mapping):
            return ""
        said = payload.get("message") or payload.get("error") or payload.get("msg") or ""
        if isinstance(said, (list, tuple)):
            said = "; ".join(str(item) for item in said)
        return one_line(str(said))

    def is_conflict(self, status: int, said: str) -> bool:
        return status == 409 or "already exists" in said


def _label(label: str | None, ref: str) -> str:
    return f'"{label}" ({ref})' if label else ref


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _summary(health: Mapping[str, str] | None) -> str:
    if not health:
        return "COMING_UP"
    return ", ".join(f"{name} {status}" for name, status in sorted(health.items()))


def _project(node: Mapping[str, Any], *, organization_slug: str | None = None) -> ProjectInfo:
    return ProjectInfo(
        ref=str(node["ref"]),
        name=str(node.get("name") or ""),
        organization_slug=_optional_str(node.get("organization_slug")) or organization_slug,
        region=_optional_str(node.get("region")),
        status=str(node.get("status") or "UNKNOWN"),
        is_branch=bool(node.get("is_branch")),
        created_at=read_timestamp(node.get("created_at") or node.get("inserted_at")),
        instance_size=_instance_size(node.get("databases")),
    )


def _instance_size(databases: Any) -> str | None:
    """The compute size of the project's primary database, as the organization's listing says it."""
    if not isinstance(databases, list):
        return None
    for database in databases:
        if isinstance(database, Mapping) and database.get("type", "PRIMARY") == "PRIMARY":
            size = database.get("infra_compute_size")
            return str(size) if size else None
    return None


def _branch(node: Mapping[str, Any]) -> BranchInfo:
    with_data = node.get("with_data")
    persistent = node.get("persistent")
    return BranchInfo(
        id=str(node["id"]),
        name=str(node.get("name") or ""),
        project_ref=str(node.get("project_ref") or ""),
        parent_project_ref=str(node.get("parent_project_ref") or ""),
        is_default=bool(node.get("is_default")),
        git_branch=_optional_str(node.get("git_branch")),
        with_data=bool(with_data) if with_data is not None else None,
        status=_optional_str(node.get("preview_project_status") or node.get("status")),
        created_at=read_timestamp(node.get("created_at")),
        persistent=persistent if isinstance(persistent, bool) else None,
    )

"""A local emulator of the Supabase Management API v1 (the subset a project/branch provider uses).

`SupabaseSandbox` serves REST routes under /v1 over loopback HTTP (sandbox.server) with
in-memory state and keeps the real API's behaviours the stagefleet client relies on:

- Bearer auth (`401 {"message": "Unauthorized"}`), errors as `{"message": "..."}`.
- Project status computed on read from the time since creation: COMING_UP until `healthy_after`
  seconds have passed, then ACTIVE_HEALTHY (or the status `fail_next_projects` chose);
  `set_status` pins a status ("someone paused it in the dashboard").
- Project names are not unique (a blind retry of POST /v1/projects makes a second project).
- Branches: the first branch created on a project enables branching (a default branch "main"
  whose project_ref is the parent's ref). Every other branch has its own project ref, which
  answers 404 on GET /v1/projects/{ref} but works for /health, /api-keys and
  /database/password.
- Legacy JWT api keys (anon, service_role) differ per project; redacted unless `reveal=true`.

Every route is named by "<METHOD> <path template as in the OpenAPI spec>"; that name is the
fault key, the journal key and the per-endpoint rate-limit key. Tests use the state helpers for
assertions and for out-of-band changes.

Long on purpose: one emulator is one in-memory API (projects, branches, keys, health and their
lifecycles), kept together so its behaviours read as the real API's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from sandbox.server import (
    DEFAULT_LIFETIME,
    Emulator,
    LoopbackServer,
    PlanLimits,
    Request,
    RequestInfo,
    Response,
    json_response,
)

__all__ = [
    "PROJECT_STATUSES",
    "ROUTES",
    "Route",
    "SupabaseApiError",
    "SupabaseApplication",
    "SupabaseSandbox",
]

DEFAULT_BRANCH_NAME = "main"
DEFAULT_REGION = "us-east-1"
POSTGRES_VERSION = "17.4.1.054"
POSTGRES_ENGINE = "17"
RELEASE_CHANNEL = "ga"
DB_PORT = 5432
DB_USER = "postgres"
# Keys are valid for ten years from the project's creation, like Supabase's legacy JWT keys.
_KEY_VALIDITY_SECONDS = 10 * 365 * 24 * 3600
_REDACTION = "\u2022" * 16

PROJECT_STATUSES = frozenset(
    {
        "INACTIVE",
        "ACTIVE_HEALTHY",
        "ACTIVE_UNHEALTHY",
        "COMING_UP",
        "UNKNOWN",
        "GOING_DOWN",
        "INIT_FAILED",
        "REMOVED",
        "RESTORING",
        "UPGRADING",
        "PAUSING",
        "RESTORE_FAILED",
        "RESTARTING",
        "PAUSE_FAILED",
        "RESIZING",
    }
)
# The per-database status enum of OrganizationProjectsResponse is narrower than the project's.
_DATABASE_STATUSES = frozenset(
    {
        "ACTIVE_HEALTHY",
        "ACTIVE_UNHEALTHY",
        "COMING_UP",
        "GOING_DOWN",
        "INIT_FAILED",
        "REMOVED",
        "RESTORING",
        "UNKNOWN",
        "RESTARTING",
        "RESIZING",
    }
)
REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-east-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-central-1",
    "eu-central-2",
    "ca-central-1",
    "ap-south-1",
    "sa-east-1",
)
_SMART_GROUPS = {"americas": "us-east-1", "emea": "eu-central-1", "apac": "ap-southeast-1"}
_SMART_GROUP_NAMES = {"americas": "Americas", "emea": "Europe, Middle East and Africa", "apac": "Asia-Pacific"}
INSTANCE_SIZES = (
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
_BRANCH_INSTANCE_SIZES = ("pico", *INSTANCE_SIZES)
HEALTH_SERVICES = ("auth", "db", "db_postgres_user", "pooler", "realtime", "rest", "storage", "pg_bouncer")
_CREATE_PROJECT_FIELDS = frozenset(
    {
        "db_pass",
        "name",
        "organization_id",
        "organization_slug",
        "plan",
        "region",
        "region_selection",
        "kps_enabled",
        "desired_instance_size",
        "template_url",
    }
)
_CREATE_BRANCH_FIELDS = frozenset(
    {
        "branch_name",
        "git_branch",
        "is_default",
        "persistent",
        "region",
        "desired_instance_size",
        "release_channel",
        "postgres_engine",
        "secrets",
        "with_data",
        "notify_url",
    }
)
_UPDATE_BRANCH_FIELDS = frozenset(
    {
        "branch_name",
        "git_branch",
        "reset_on_push",
        "persistent",
        "status",
        "request_review",
        "notify_url",
    }
)
_ADDON_TYPES = frozenset(
    {
        "custom_domain",
        "compute_instance",
        "pitr",
        "ipv4",
        "auth_mfa_phone",
        "auth_mfa_web_authn",
        "log_drain",
    }
)
_COMPUTE_PRICES = {"micro": 0.01344, "small": 0.0206, "medium": 0.0822, "large": 0.1517}


class SupabaseApiError(Exception):
    """An API error answered as `{"message": message}` with `status`."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def bad_request(message: str) -> SupabaseApiError:
    return SupabaseApiError(400, message)


def not_found(message: str) -> SupabaseApiError:
    return SupabaseApiError(404, message)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(secret: str, claims: Mapping[str, Any]) -> str:
    """An HS256 JWT signed with the project's JWT secret (three base64url parts)."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(dict(claims), separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


# ---------------------------------------------------------------- state records


@dataclass
class _Organization:
    slug: str
    name: str


@dataclass
class _Project:
    """A Supabase project; a (non-default) branch is backed by one with is_branch=True."""

    ref: str
    numeric_id: int
    name: str
    organization_slug: str
    region: str
    db_pass: str
    instance_size: str | None
    is_branch: bool
    parent_ref: str | None
    jwt_secret: str
    # What COMING_UP becomes after healthy_after: ACTIVE_HEALTHY, or a failure (fail_next_*).
    end_status: str = "ACTIVE_HEALTHY"
    # A status pinned by set_status (or a seed): the time-driven machine no longer applies.
    pinned_status: str | None = None
    created_at: datetime = field(default_factory=_now)
    born: float = field(default_factory=time.monotonic)
    addons: dict[str, str] = field(default_factory=dict)

    def status(self, healthy_after: float, now: float) -> str:
        if self.pinned_status is not None:
            return self.pinned_status
        return self.end_status if now - self.born >= healthy_after else "COMING_UP"

    def api_key(self, role: str) -> str:
        iat = int(self.created_at.timestamp())
        claims = {"iss": "supabase", "ref": self.ref, "role": role, "iat": iat, "exp": iat + _KEY_VALIDITY_SECONDS}
        return _jwt(self.jwt_secret, claims)


@dataclass
class _Branch:
    id: str
    name: str
    project_ref: str  # the branch's own project ref; the parent's ref for the default branch
    parent_project_ref: str
    is_default: bool
    git_branch: str | None
    with_data: bool
    persistent: bool
    notify_url: str | None = None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)


class SupabaseState:
    """In-memory Supabase data. Every method expects `lock` held (an RLock, so helpers nest)."""

    def __init__(self, healthy_after: float) -> None:
        self.lock = threading.RLock()
        self.healthy_after = healthy_after
        self.organizations: dict[str, _Organization] = {}
        self.projects: dict[str, _Project] = {}
        self.branches: dict[str, _Branch] = {}
        self.fail_projects: list[str] = []  # end statuses for the next created projects
        self.fail_branches: list[str] = []
        self._ids = itertools.count(1)

    # ------------------------------------------------------------ lookups (raise 404)

    def organization(self, slug: str) -> _Organization:
        org = self.organizations.get(slug)
        if org is None:
            raise not_found(f"Organization {slug} not found")
        return org

    def any_project(self, ref: str) -> _Project:
        """A project or a branch's project (health, api keys, database password)."""
        project = self.projects.get(ref)
        if project is None:
            raise not_found(f"Project {ref} not found")
        return project

    def project(self, ref: str) -> _Project:
        """A project that is not a branch (GET/PATCH/DELETE /v1/projects/{ref}, branches)."""
        project = self.any_project(ref)
        if project.is_branch:
            raise not_found(f"Project {ref} not found")
        return project

    def branch(self, id_or_ref: str) -> _Branch:
        """By branch id, or by the branch's project ref (a parent's ref names its default branch)."""
        branch = self.branches.get(id_or_ref)
        if branch is None:
            branch = next((b for b in self.branches.values() if b.project_ref == id_or_ref), None)
        if branch is None:
            raise not_found(f"Branch {id_or_ref} not found")
        return branch

    def project_branches(self, parent_ref: str) -> list[_Branch]:
        branches = [b for b in self.branches.values() if b.parent_project_ref == parent_ref]
        return sorted(branches, key=lambda b: (not b.is_default, b.created_at))

    def branching_enabled(self, parent_ref: str) -> bool:
        return any(b.is_default for b in self.branches.values() if b.parent_project_ref == parent_ref)

    def status(self, project: _Project) -> str:
        return project.status(self.healthy_after, time.monotonic())

    # ------------------------------------------------------------ changes

    def new_ref(self) -> str:
        while True:
            ref = "".join(secrets.choice(string.ascii_lowercase) for _ in range(20))
            if ref not in self.projects:
                return ref

    def create_project(
        self,
        *,
        name: str,
        organization_slug: str,
        region: str,
        db_pass: str,
        instance_size: str | None,
        is_branch: bool = False,
        parent_ref: str | None = None,
        ref: str | None = None,
    ) -> _Project:
        queue = self.fail_branches if is_branch else self.fail_projects
        project = _Project(
            ref=ref or self.new_ref(),
            numeric_id=next(self._ids),
            name=name,
            organization_slug=organization_slug,
            region=region,
            db_pass=db_pass,
            instance_size=instance_size,
            is_branch=is_branch,
            parent_ref=parent_ref,
            jwt_secret=secrets.token_urlsafe(32),
            end_status=queue.pop(0) if queue else "ACTIVE_HEALTHY",
        )
        self.projects[project.ref] = project
        return project

    def create_branch(
        self,
        parent: _Project,
        name: str,
        *,
        git_branch: str | None,
        with_data: bool,
        persistent: bool,
        is_default: bool,
        region: str | None = None,
        instance_size: str | None = None,
        notify_url: str | None = None,
    ) -> _Branch:
        if is_default:
            project_ref = parent.ref
        else:
            branch_project = self.create_project(
                name=name,
                organization_slug=parent.organization_slug,
                region=region or parent.region,
                db_pass=secrets.token_urlsafe(24),
                instance_size=instance_size,
                is_branch=True,
                parent_ref=parent.ref,
            )
            project_ref = branch_project.ref
        branch = _Branch(
            id=str(uuid.uuid4()),
            name=name,
            project_ref=project_ref,
            parent_project_ref=parent.ref,
            is_default=is_default,
            git_branch=git_branch,
            with_data=with_data,
            persistent=persistent,
            notify_url=notify_url,
        )
        self.branches[branch.id] = branch
        return branch

    def delete_branch(self, branch: _Branch) -> None:
        self.branches.pop(branch.id, None)
        if not branch.is_default:
            self.projects.pop(branch.project_ref, None)

    def disable_branching(self, parent_ref: str) -> None:
        for branch in self.project_branches(parent_ref):
            self.delete_branch(branch)

    def delete_project(self, project: _Project) -> None:
        if project.is_branch:
            for branch in [b for b in self.branches.values() if b.project_ref == project.ref]:
                self.delete_branch(branch)
        else:
            self.disable_branching(project.ref)
        self.projects.pop(project.ref, None)


# ---------------------------------------------------------------- routing


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # the OpenAPI path template
    operation_id: str
    handler: str  # name of the SupabaseApplication method

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/organizations", "v1-list-all-organizations", "list_organizations"),
    Route("GET", "/v1/organizations/{slug}", "v1-get-an-organization", "get_organization"),
    Route(
        "GET", "/v1/organizations/{slug}/projects", "v1-get-all-projects-for-organization", "list_organization_projects"
    ),
    Route("GET", "/v1/projects", "v1-list-all-projects", "list_projects"),
    Route("POST", "/v1/projects", "v1-create-a-project", "create_project"),
    Route("GET", "/v1/projects/available-regions", "v1-get-available-regions", "available_regions"),
    Route("GET", "/v1/projects/{ref}", "v1-get-project", "get_project"),
    Route("PATCH", "/v1/projects/{ref}", "v1-update-a-project", "update_project"),
    Route("DELETE", "/v1/projects/{ref}", "v1-delete-a-project", "delete_project"),
    Route("GET", "/v1/projects/{ref}/health", "v1-get-services-health", "health"),
    Route("GET", "/v1/projects/{ref}/api-keys", "v1-get-project-api-keys", "api_keys"),
    Route("PATCH", "/v1/projects/{ref}/database/password", "v1-update-database-password", "update_password"),
    Route("GET", "/v1/projects/{ref}/billing/addons", "v1-list-project-addons", "list_addons"),
    Route("PATCH", "/v1/projects/{ref}/billing/addons", "v1-apply-project-addon", "apply_addon"),
    Route("GET", "/v1/projects/{ref}/branches", "v1-list-all-branches", "list_branches"),
    Route("POST", "/v1/projects/{ref}/branches", "v1-create-a-branch", "create_branch"),
    Route("DELETE", "/v1/projects/{ref}/branches", "v1-disable-preview-branching", "disable_branching"),
    Route("GET", "/v1/projects/{ref}/branches/{name}", "v1-get-a-branch", "get_branch_by_name"),
    Route("GET", "/v1/branches/{branch_id_or_ref}", "v1-get-a-branch-config", "get_branch_config"),
    Route("PATCH", "/v1/branches/{branch_id_or_ref}", "v1-update-a-branch-config", "update_branch"),
    Route("DELETE", "/v1/branches/{branch_id_or_ref}", "v1-delete-a-branch", "delete_branch"),
)

_PARAM = re.compile(r"^\{(\w+)\}$")


def _segments(path: str) -> list[str]:
    return path.split("/")[1:]


def match_route(path: str) -> tuple[dict[str, Route], dict[str, str], str] | None:
    """The routes (by method) of the most specific template matching `path`, the path
    parameters and the template; None when no template matches.

    A literal segment beats a parameter ("/v1/projects/available-regions" is not a ref).
    """
    concrete = _segments(path)
    best: tuple[int, str, dict[str, str]] | None = None
    for template in dict.fromkeys(route.template for route in ROUTES):
        pattern = _segments(template)
        if len(pattern) != len(concrete):
            continue
        params: dict[str, str] = {}
        literals = 0
        for want, got in zip(pattern, concrete, strict=True):
            name = _PARAM.match(want)
            if name:
                if not got:
                    break
                params[name.group(1)] = unquote(got)
            elif want == got:
                literals += 1
            else:
                break
        else:
            if best is None or literals > best[0]:
                best = (literals, template, params)
    if best is None:
        return None
    _, template, params = best
    return {r.method: r for r in ROUTES if r.template == template}, params, template


@dataclass
class _Call:
    """One request, parsed, as a handler sees it."""

    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def json_object(self, allowed: frozenset[str] | None = None) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise bad_request("Request body must be a JSON object")
        if allowed is not None:
            unknown = sorted(set(self.body) - allowed)
            if unknown:
                raise bad_request("; ".join(f"property {name} should not exist" for name in unknown))
        return self.body


def _optional(body: Mapping[str, Any], name: str, kind: type, default: Any = None) -> Any:
    value = body.get(name, default)
    if value is not None and (not isinstance(value, kind) or (kind is not bool and isinstance(value, bool))):
        raise bad_request(f"{name} must be a {_JSON_TYPE_NAMES.get(kind, 'value of another type')}")
    return value


_JSON_TYPE_NAMES: dict[Any, str] = {str: "string", bool: "boolean", dict: "object"}


def _required_string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise bad_request(f"{name} is required")
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value


def _int_arg(call: _Call, name: str, default: int, low: int, high: int | None) -> int:
    raw = call.arg(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad_request(f"{name} must be {bound}")
    return value


# ---------------------------------------------------------------- the application


class SupabaseApplication:
    """The Supabase Management API as a sandbox.server Application."""

    def __init__(self, state: SupabaseState, tokens: set[str]) -> None:
        self.state = state
        self.tokens = tokens

    def describe(self, request: Request) -> RequestInfo:
        match = match_route(request.path)
        body = _parse_json(request.body)
        if match is None:
            return RequestInfo(key=f"{request.method} {request.path}", body=body, is_mutation=request.method != "GET")
        routes, params, template = match
        route = routes.get(request.method)
        return RequestInfo(
            key=f"{request.method} {template}",
            operation_name=route.operation_id if route else None,
            variables=params,
            is_mutation=request.method != "GET",
            body=body,
        )

    def __call__(self, request: Request) -> Response:
        match = match_route(request.path)
        if match is None:
            return _error(404, f"Cannot {request.method} {request.path}")
        routes, params, _ = match
        route = routes.get(request.method)
        if route is None:
            allow = ", ".join(sorted(routes))
            return _error(405, f"Method {request.method} not allowed on {request.path}", {"Allow": allow})
        if not self._authorized(request.headers):
            return _error(401, "Unauthorized")
        body: Any = None
        if request.method in ("POST", "PATCH", "PUT") and request.body.strip():
            try:
                body = json.loads(request.body)
            except ValueError:
                return _error(400, "Request body is not valid JSON")
        call = _Call(params, parse_qs(request.query, keep_blank_values=True), body)
        handler: Callable[[_Call], tuple[int, Any]] = getattr(self, route.handler)
        try:
            with self.state.lock:
                status, payload = handler(call)
        except SupabaseApiError as exc:
            return _error(exc.status, exc.message, exc.headers)
        return json_response(status, payload)

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token.strip() in self.tokens

    # ------------------------------------------------------------ representations

    def _project_json(self, project: _Project) -> dict[str, Any]:
        """V1ProjectResponse."""
        return {
            "id": project.ref,
            "ref": project.ref,
            "organization_id": project.organization_slug,
            "organization_slug": project.organization_slug,
            "name": project.name,
            "region": project.region,
            "created_at": _iso(project.created_at),
            "status": self.state.status(project),
        }

    def _project_with_database_json(self, project: _Project) -> dict[str, Any]:
        """V1ProjectWithDatabaseResponse."""
        return {
            **self._project_json(project),
            "database": {
                "host": f"db.{project.ref}.supabase.co",
                "version": POSTGRES_VERSION,
                "postgres_engine": POSTGRES_ENGINE,
                "release_channel": RELEASE_CHANNEL,
            },
        }

    def _organization_project_json(self, project: _Project) -> dict[str, Any]:
        status = self.state.status(project)
        database: dict[str, Any] = {
            "region": project.region,
            "status": status if status in _DATABASE_STATUSES else "UNKNOWN",
            "cloud_provider": "AWS",
            "identifier": project.ref,
            "type": "PRIMARY",
        }
        if project.instance_size:
            database["infra_compute_size"] = project.instance_size
        return {
            "ref": project.ref,
            "name": project.name,
            "cloud_provider": "AWS",
            "region": project.region,
            "is_branch": project.is_branch,
            "status": status,
            "inserted_at": _iso(project.created_at),
            "databases": [database],
        }

    def _branch_json(self, branch: _Branch) -> dict[str, Any]:
        """BranchResponse. `status` is the (deprecated) branch pipeline status;
        `preview_project_status` is the status of the branch's project."""
        project_status = self.state.status(self.state.any_project(branch.project_ref))
        if project_status == "COMING_UP":
            pipeline = "CREATING_PROJECT"
        elif project_status.endswith("FAILED"):
            pipeline = "MIGRATIONS_FAILED"
        else:
            pipeline = "FUNCTIONS_DEPLOYED"
        out: dict[str, Any] = {
            "id": branch.id,
            "name": branch.name,
            "project_ref": branch.project_ref,
            "parent_project_ref": branch.parent_project_ref,
            "is_default": branch.is_default,
            "persistent": branch.persistent,
            "status": pipeline,
            "created_at": _iso(branch.created_at),
            "updated_at": _iso(branch.updated_at),
            "with_data": branch.with_data,
            "preview_project_status": project_status,
        }
        if branch.git_branch is not None:
            out["git_branch"] = branch.git_branch
        if branch.notify_url is not None:
            out["notify_url"] = branch.notify_url
        return out

    # ------------------------------------------------------------ organizations

    def list_organizations(self, call: _Call) -> tuple[int, Any]:
        return 200, [{"id": o.slug, "slug": o.slug, "name": o.name} for o in self.state.organizations.values()]

    def get_organization(self, call: _Call) -> tuple[int, Any]:
        org = self.state.organization(call.params["slug"])
        return 200, {
            "id": org.slug,
            "name": org.name,
            "plan": "pro",
            "opt_in_tags": [],
            "allowed_release_channels": [RELEASE_CHANNEL],
        }

    def list_organization_projects(self, call: _Call) -> tuple[int, Any]:
        org = self.state.organization(call.params["slug"])
        offset = _int_arg(call, "offset", 0, 0, None)
        limit = _int_arg(call, "limit", 100, 1, 100)
        sort = call.arg("sort") or "name_asc"
        if sort not in ("name_asc", "name_desc", "created_asc", "created_desc"):
            raise bad_request("sort must be one of name_asc, name_desc, created_asc, created_desc")
        search = (call.arg("search") or "").lower()
        statuses = {s for s in (call.arg("statuses") or "").split(",") if s}
        projects = [
            p
            for p in self.state.projects.values()
            if not p.is_branch
            and p.organization_slug == org.slug
            and (not search or search in p.name.lower() or search in p.ref)
            and (not statuses or self.state.status(p) in statuses)
        ]
        if sort.startswith("name"):
            projects.sort(key=lambda p: (p.name.lower(), p.numeric_id), reverse=sort == "name_desc")
        else:
            projects.sort(key=lambda p: p.numeric_id, reverse=sort == "created_desc")
        page = projects[offset : offset + limit]
        return 200, {
            "projects": [self._organization_project_json(p) for p in page],
            "pagination": {"count": len(projects), "limit": limit, "offset": offset},
        }

    # ------------------------------------------------------------ projects

    def list_projects(self, call: _Call) -> tuple[int, Any]:
        projects = sorted((p for p in self.state.projects.values() if not p.is_branch), key=lambda p: p.numeric_id)
        return 200, [self._project_with_database_json(p) for p in projects]

    def available_regions(self, call: _Call) -> tuple[int, Any]:
        slug = call.arg("organization_slug")
        if not slug:
            raise bad_request("organization_slug is required")
        self.state.organization(slug)
        specific = [{"name": code, "code": code, "type": "specific", "provider": "AWS"} for code in REGIONS]
        groups = [{"name": _SMART_GROUP_NAMES[c], "code": c, "type": "smartGroup"} for c in _SMART_GROUPS]
        return 200, {
            "recommendations": {"smartGroup": groups[0], "specific": specific[:1]},
            "all": {"smartGroup": groups, "specific": specific},
        }

    def create_project(self, call: _Call) -> tuple[int, Any]:
        body = call.json_object(_CREATE_PROJECT_FIELDS)
        name = _required_string(body, "name")
        slug = _required_string(body, "organization_slug")
        db_pass = _required_string(body, "db_pass")
        if len(name) > 256:
            raise bad_request("name must be shorter than or equal to 256 characters")
        region = self._region(body)
        size = _optional(body, "desired_instance_size", str)
        if size is not None and size not in INSTANCE_SIZES:
            raise bad_request(f"desired_instance_size must be one of: {', '.join(INSTANCE_SIZES)}")
        self.state.organization(slug)
        project = self.state.create_project(
            name=name, organization_slug=slug, region=region, db_pass=db_pass, instance_size=size
        )
        return 201, self._project_json(project)

    @staticmethod
    def _region(body: Mapping[str, Any]) -> str:
        region = _optional(body, "region", str)
        selection = _optional(body, "region_selection", dict)
        if region is not None and selection is not None:
            raise bad_request("Only one of region or region_selection can be specified")
        if selection is not None:
            kind, code = selection.get("type"), selection.get("code")
            if kind == "specific" and code in REGIONS:
                return str(code)
            if kind == "smartGroup" and code in _SMART_GROUPS:
                return _SMART_GROUPS[str(code)]
            raise bad_request(f"region_selection is invalid: {json.dumps(selection)}")
        if region is not None:
            if region not in REGIONS:
                raise bad_request(f"region must be one of: {', '.join(REGIONS)}")
            return region
        return DEFAULT_REGION

    def get_project(self, call: _Call) -> tuple[int, Any]:
        return 200, self._project_with_database_json(self.state.project(call.params["ref"]))

    def update_project(self, call: _Call) -> tuple[int, Any]:
        project = self.state.project(call.params["ref"])
        body = call.json_object()
        name = _required_string(body, "name")
        if len(name) > 256:
            raise bad_request("name must be shorter than or equal to 256 characters")
        project.name = name
        return 200, {"id": project.numeric_id, "ref": project.ref, "name": project.name}

    def delete_project(self, call: _Call) -> tuple[int, Any]:
        project = self.state.project(call.params["ref"])
        self.state.delete_project(project)
        return 200, {"id": project.numeric_id, "ref": project.ref, "name": project.name}

    def health(self, call: _Call) -> tuple[int, Any]:
        project = self.state.any_project(call.params["ref"])
        services = [s for value in call.query.get("services", []) for s in value.split(",") if s]
        if not services:
            raise bad_request("services is required")
        unknown = [s for s in services if s not in HEALTH_SERVICES]
        if unknown:
            raise bad_request(f"services must be one of: {', '.join(HEALTH_SERVICES)} (got {', '.join(unknown)})")
        status = self.state.status(project)
        result = []
        for name in dict.fromkeys(services):
            entry: dict[str, Any] = {"name": name}
            if status in ("COMING_UP", "ACTIVE_HEALTHY"):
                entry.update(healthy=status == "ACTIVE_HEALTHY", status=status)
            else:
                entry.update(healthy=False, status="UNHEALTHY", error=f"Project is {status}")
            result.append(entry)
        return 200, result

    def api_keys(self, call: _Call) -> tuple[int, Any]:
        project = self.state.any_project(call.params["ref"])
        reveal = (call.arg("reveal") or "").lower() == "true"
        keys = []
        for role in ("anon", "service_role"):
            key = project.api_key(role)
            keys.append(
                {
                    "name": role,
                    "api_key": key if reveal else key[:10] + _REDACTION,
                    "id": role,
                    "type": "legacy",
                    "description": f"Legacy {role} API key",
                }
            )
        return 200, keys

    def update_password(self, call: _Call) -> tuple[int, Any]:
        project = self.state.any_project(call.params["ref"])
        password = _required_string(call.json_object(), "password")
        if len(password) < 4:
            raise bad_request("password must be longer than or equal to 4 characters")
        project.db_pass = password
        return 200, {"message": "Database password updated"}

    def list_addons(self, call: _Call) -> tuple[int, Any]:
        project = self.state.project(call.params["ref"])
        selected = []
        size = project.instance_size
        if size and size != "nano":
            variant = project.addons.get("compute_instance", f"ci_{size}")
            selected.append(
                {
                    "type": "compute_instance",
                    "variant": {
                        "id": variant,
                        "name": size.capitalize(),
                        "price": {
                            "description": f"${_COMPUTE_PRICES.get(size, 0.0)}/hour",
                            "type": "usage",
                            "interval": "hourly",
                            "amount": _COMPUTE_PRICES.get(size, 0.0),
                        },
                    },
                }
            )
        for kind, variant in project.addons.items():
            if kind != "compute_instance":
                selected.append(
                    {
                        "type": kind,
                        "variant": {
                            "id": variant,
                            "name": variant,
                            "price": {"description": "$0/month", "type": "fixed", "interval": "monthly", "amount": 0},
                        },
                    }
                )
        return 200, {"selected_addons": selected, "available_addons": []}

    def apply_addon(self, call: _Call) -> tuple[int, Any]:
        project = self.state.project(call.params["ref"])
        body = call.json_object(frozenset({"addon_variant", "addon_type"}))
        kind = _required_string(body, "addon_type")
        variant = _required_string(body, "addon_variant")
        if kind not in _ADDON_TYPES:
            raise bad_request(f"addon_type must be one of: {', '.join(sorted(_ADDON_TYPES))}")
        if kind == "compute_instance":
            size = variant.removeprefix("ci_")
            if not variant.startswith("ci_") or size not in INSTANCE_SIZES:
                raise bad_request(f"addon_variant {variant} is not a compute_instance variant")
            project.instance_size = size
        project.addons[kind] = variant
        return 200, {"message": "ok"}

    # ------------------------------------------------------------ branches

    def list_branches(self, call: _Call) -> tuple[int, Any]:
        parent = self.state.project(call.params["ref"])
        return 200, [self._branch_json(b) for b in self.state.project_branches(parent.ref)]

    def create_branch(self, call: _Call) -> tuple[int, Any]:
        parent = self.state.project(call.params["ref"])
        body = call.json_object(_CREATE_BRANCH_FIELDS)
        name = _required_string(body, "branch_name")
        git_branch = _optional(body, "git_branch", str)
        with_data = bool(_optional(body, "with_data", bool, False))
        persistent = bool(_optional(body, "persistent", bool, False))
        is_default = bool(_optional(body, "is_default", bool, False))
        region = _optional(body, "region", str)
        size = _optional(body, "desired_instance_size", str)
        notify_url = _optional(body, "notify_url", str)
        if size is not None and size not in _BRANCH_INSTANCE_SIZES:
            raise bad_request(f"desired_instance_size must be one of: {', '.join(_BRANCH_INSTANCE_SIZES)}")
        existing = self.state.project_branches(parent.ref)
        enabled = any(b.is_default for b in existing)
        taken = {b.name for b in existing} | (set() if enabled or is_default else {DEFAULT_BRANCH_NAME})
        if name in taken:
            raise SupabaseApiError(409, f"Branch {name} already exists")
        if is_default and enabled:
            raise SupabaseApiError(409, f"Project {parent.ref} already has a default branch")
        if not enabled and not is_default:
            # The first branch enables branching: the project itself becomes the default branch.
            self.state.create_branch(
                parent,
                DEFAULT_BRANCH_NAME,
                git_branch=DEFAULT_BRANCH_NAME,
                with_data=False,
                persistent=True,
                is_default=True,
            )
        branch = self.state.create_branch(
            parent,
            name,
            git_branch=git_branch,
            with_data=with_data,
            persistent=persistent or is_default,
            is_default=is_default,
            region=region,
            instance_size=size,
            notify_url=notify_url,
        )
        return 201, self._branch_json(branch)

    def disable_branching(self, call: _Call) -> tuple[int, Any]:
        parent = self.state.project(call.params["ref"])
        self.state.disable_branching(parent.ref)
        return 200, {"message": "ok"}

    def get_branch_by_name(self, call: _Call) -> tuple[int, Any]:
        parent = self.state.project(call.params["ref"])
        name = call.params["name"]
        branch = next((b for b in self.state.project_branches(parent.ref) if b.name == name), None)
        if branch is None:
            raise not_found(f"Branch {name} not found")
        return 200, self._branch_json(branch)

    def get_branch_config(self, call: _Call) -> tuple[int, Any]:
        branch = self.state.branch(call.params["branch_id_or_ref"])
        project = self.state.any_project(branch.project_ref)
        return 200, {
            "ref": project.ref,
            "postgres_version": POSTGRES_VERSION,
            "postgres_engine": POSTGRES_ENGINE,
            "release_channel": RELEASE_CHANNEL,
            "status": self.state.status(project),
            "db_host": f"db.{project.ref}.supabase.co",
            "db_port": DB_PORT,
            "db_user": DB_USER,
            "db_pass": project.db_pass,
            "jwt_secret": project.jwt_secret,
        }

    def update_branch(self, call: _Call) -> tuple[int, Any]:
        branch = self.state.branch(call.params["branch_id_or_ref"])
        body = call.json_object(_UPDATE_BRANCH_FIELDS)
        name = _optional(body, "branch_name", str)
        if name is not None and name != branch.name:
            if not name:
                raise bad_request("branch_name must not be empty")
            if any(b.name == name for b in self.state.project_branches(branch.parent_project_ref)):
                raise SupabaseApiError(409, f"Branch {name} already exists")
            branch.name = name
        if "git_branch" in body:
            branch.git_branch = _optional(body, "git_branch", str)
        if "persistent" in body:
            branch.persistent = bool(_optional(body, "persistent", bool, False))
        if "notify_url" in body:
            branch.notify_url = _optional(body, "notify_url", str)
        branch.updated_at = _now()
        return 200, self._branch_json(branch)

    def delete_branch(self, call: _Call) -> tuple[int, Any]:
        branch = self.state.branch(call.params["branch_id_or_ref"])
        if branch.is_default:
            raise bad_request(
                f"Cannot delete the default branch {branch.name}; disable branching on project "
                f"{branch.parent_project_ref} instead"
            )
        self.state.delete_branch(branch)
        return 200, {"message": "ok"}


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return json_response(status, {"message": message}, headers)


# ---------------------------------------------------------------- the sandbox


class SupabaseSandbox(Emulator):
    """The Supabase Management API on 127.0.0.1, with faults, a journal and state helpers."""

    def __init__(
        self,
        tokens: Iterable[str] = ("sbp_test",),
        *,
        healthy_after: float = 0.5,
        port: int = 0,
        lifetime: float | None = DEFAULT_LIFETIME,
        limits: PlanLimits | None = None,
    ) -> None:
        """`limits`: the limits to enforce as Supabase does (PlanLimits.supabase()); none by default."""
        self.tokens: set[str] = set(tokens)
        self._state = SupabaseState(healthy_after)
        self._app = SupabaseApplication(self._state, self.tokens)
        self._server = LoopbackServer(self._app, port=port, lifetime=lifetime)
        self._server.enforce(limits)

    # ------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """The API base URL, without /v1 (the client appends /v1/...)."""
        return self._server.base_url

    # ------------------------------------------------------------ timing, faults, latency, rate limit, journal

    @property
    def healthy_after(self) -> float:
        return self._state.healthy_after

    @healthy_after.setter
    def healthy_after(self, seconds: float) -> None:
        with self._state.lock:
            self._state.healthy_after = seconds

    def fail_next_projects(self, count: int = 1, status: str = "INIT_FAILED") -> None:
        """The next `count` projects created through the API end in `status` instead of ACTIVE_HEALTHY."""
        self._queue_failures(self._state.fail_projects, count, status)

    def fail_next_branches(self, count: int = 1, status: str = "INIT_FAILED") -> None:
        """The next `count` branches created through the API end in `status` (their project's)."""
        self._queue_failures(self._state.fail_branches, count, status)

    def _queue_failures(self, queue: list[str], count: int, status: str) -> None:
        _check_status(status)
        if count < 1:
            raise ValueError("count must be >= 1")
        with self._state.lock:
            queue.extend([status] * count)

    @property
    def rate_limit_per_minute(self) -> int | None:
        return self._server.rate_limit_per_minute

    @rate_limit_per_minute.setter
    def rate_limit_per_minute(self, limit: int | None) -> None:
        self._server.rate_limit_per_minute = limit

    @property
    def rate_limit_window(self) -> float:
        """The window of `rate_limit_per_minute` in seconds (60; tests may shorten it)."""
        return self._server.rate_limit_window

    @rate_limit_window.setter
    def rate_limit_window(self, seconds: float) -> None:
        self._server.rate_limit_window = seconds

    def enforce(self, limits: PlanLimits | None) -> None:
        """Enforce these limits from now on (None: lift them)."""
        self._server.enforce(limits)

    def journal_count(self, key: str | None = None, writes_only: bool = False) -> int:
        """Requests received with this key ("POST /v1/projects"; None = all); writes = not GET."""
        return self._server.journal.count(key, writes_only)

    # ------------------------------------------------------------ seeding

    def seed_organization(self, slug: str, name: str | None = None) -> dict[str, str]:
        with self._state.lock:
            org = _Organization(slug=slug, name=name or slug)
            self._state.organizations[slug] = org
            return {"id": org.slug, "slug": org.slug, "name": org.name}

    def organizations(self) -> list[dict[str, str]]:
        with self._state.lock:
            return [{"id": o.slug, "slug": o.slug, "name": o.name} for o in self._state.organizations.values()]

    def seed_project(
        self,
        name: str,
        organization_slug: str,
        *,
        region: str = DEFAULT_REGION,
        db_pass: str = "seeded-db-pass",
        instance_size: str | None = None,
        status: str | None = "ACTIVE_HEALTHY",
        ref: str | None = None,
        created_at: datetime | None = None,
    ) -> str:
        """A project that already exists (e.g. one to adopt), made at `created_at` (default now);
        returns its ref. `status` pins it; None runs the usual COMING_UP -> ACTIVE_HEALTHY machine
        from now. Does not consume fail_next_projects."""
        if status is not None:
            _check_status(status)
        with self._state.lock:
            if organization_slug not in self._state.organizations:
                raise KeyError(f"Organization {organization_slug} not found")
            if ref is not None and (ref in self._state.projects or not re.fullmatch(r"[a-z]{20}", ref)):
                raise ValueError(f"ref {ref!r} is taken or not 20 lowercase letters")
            pending, self._state.fail_projects = self._state.fail_projects, []
            try:
                project = self._state.create_project(
                    name=name,
                    organization_slug=organization_slug,
                    region=region,
                    db_pass=db_pass,
                    instance_size=instance_size,
                    ref=ref,
                )
            finally:
                self._state.fail_projects = pending
            project.pinned_status = status
            if created_at is not None:
                project.created_at = created_at
            return project.ref

    def seed_branch(
        self,
        parent_ref: str,
        name: str,
        *,
        branch_id: str | None = None,
        git_branch: str | None = None,
        persistent: bool = False,
        created_at: datetime | None = None,
    ) -> str:
        """A healthy branch of the project made in the dashboard (enabling branching first, as the
        API does), made at `created_at` (default now); returns its id."""
        with self._state.lock:
            parent = self._out_of_band(lambda: self._state.project(parent_ref))
            if any(b.name == name for b in self._state.project_branches(parent.ref)):
                raise ValueError(f"project {parent.ref} already has a branch {name!r}")
            if branch_id is not None and branch_id in self._state.branches:
                raise ValueError(f"branch id {branch_id!r} is taken")
            if not self._state.branching_enabled(parent.ref):
                self._state.create_branch(
                    parent,
                    DEFAULT_BRANCH_NAME,
                    git_branch=DEFAULT_BRANCH_NAME,
                    with_data=False,
                    persistent=True,
                    is_default=True,
                )
            pending, self._state.fail_branches = self._state.fail_branches, []
            try:
                branch = self._state.create_branch(
                    parent, name, git_branch=git_branch, with_data=False, persistent=persistent, is_default=False
                )
            finally:
                self._state.fail_branches = pending
            self._state.projects[branch.project_ref].pinned_status = "ACTIVE_HEALTHY"
            if branch_id is not None:
                del self._state.branches[branch.id]
                branch.id = branch_id
                self._state.branches[branch.id] = branch
            if created_at is not None:
                branch.created_at = branch.updated_at = created_at
                self._state.projects[branch.project_ref].created_at = created_at
            return branch.id

    # ------------------------------------------------------------ state, as plain copies

    def projects(self) -> list[dict[str, Any]]:
        """Every project, branch projects included (is_branch True, parent_ref set)."""
        with self._state.lock:
            return [
                {
                    "ref": p.ref,
                    "id": p.numeric_id,
                    "name": p.name,
                    "organization_slug": p.organization_slug,
                    "region": p.region,
                    "status": self._state.status(p),
                    "desired_instance_size": p.instance_size,
                    "db_pass": p.db_pass,
                    "is_branch": p.is_branch,
                    "parent_ref": p.parent_ref,
                    # When it stops COMING_UP (time.monotonic()): what a readiness wait can notice.
                    "ready_at": p.born + self._state.healthy_after,
                }
                for p in sorted(self._state.projects.values(), key=lambda p: p.numeric_id)
            ]

    def branches(self, parent_ref: str | None = None) -> list[dict[str, Any]]:
        """Branches (of one parent, or all). `status` is the branch project's status
        (COMING_UP, ACTIVE_HEALTHY, INIT_FAILED...); `persistent` and `instance_size` are as
        created or last PATCHed."""
        with self._state.lock:
            branches = sorted(self._state.branches.values(), key=lambda b: b.created_at)
            return [
                {
                    "id": b.id,
                    "name": b.name,
                    "project_ref": b.project_ref,
                    "parent_project_ref": b.parent_project_ref,
                    "git_branch": b.git_branch,
                    "with_data": b.with_data,
                    "status": self._state.status(self._state.any_project(b.project_ref)),
                    "is_default": b.is_default,
                    "persistent": b.persistent,
                    # The compute the branch was made with (desired_instance_size); None: default.
                    "instance_size": self._state.any_project(b.project_ref).instance_size,
                }
                for b in branches
                if parent_ref is None or b.parent_project_ref == parent_ref
            ]

    def branching_enabled(self, parent_ref: str) -> bool:
        with self._state.lock:
            return self._state.branching_enabled(parent_ref)

    def api_keys(self, ref: str) -> dict[str, str]:
        """The unredacted keys of a project or branch ref: {"anon": ..., "service_role": ...}."""
        with self._state.lock:
            project = self._out_of_band(lambda: self._state.any_project(ref))
            return {role: project.api_key(role) for role in ("anon", "service_role")}

    # ------------------------------------------------------------ out-of-band changes

    def delete_project(self, ref: str) -> None:
        """Delete a project (and its branches), or a branch's project."""
        with self._state.lock:
            self._state.delete_project(self._out_of_band(lambda: self._state.any_project(ref)))

    def set_status(self, ref: str, status: str | None) -> None:
        """Pin the status of a project, or of a branch (by project ref or branch id);
        None returns it to the time-driven COMING_UP -> ACTIVE_HEALTHY machine."""
        if status is not None:
            _check_status(status)
        with self._state.lock:
            project = self._state.projects.get(ref)
            if project is None:
                branch = self._out_of_band(lambda: self._state.branch(ref))
                project = self._state.any_project(branch.project_ref)
            project.pinned_status = status

    def delete_branch(self, branch_id: str) -> None:
        """Delete a branch (by id or project ref). Deleting the default branch disables branching
        on its parent (every branch goes), as the dashboard does."""
        with self._state.lock:
            branch = self._out_of_band(lambda: self._state.branch(branch_id))
            if branch.is_default:
                self._state.disable_branching(branch.parent_project_ref)
            else:
                self._state.delete_branch(branch)

    @staticmethod
    def _out_of_band(action: Callable[[], Any]) -> Any:
        """Helpers raise KeyError (a test bug), not the API's 404."""
        try:
            return action()
        except SupabaseApiError as exc:
            raise KeyError(exc.message) from None


def _check_status(status: str) -> None:
    if status not in PROJECT_STATUSES:
        raise ValueError(f"unknown project status {status!r}; expected one of {sorted(PROJECT_STATUSES)}")

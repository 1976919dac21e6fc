"""A local emulator of the Statsig Console API (the feature-gate endpoints stagefleet uses).

`StatsigSandbox` serves /console/v1/gates over loopback HTTP (sandbox.server) with in-memory
state. Every route is named "<METHOD> <path template>" (e.g. "POST /console/v1/gates",
"PATCH /console/v1/gates/{id}"); that name is the fault key and the journal key.

Taken from the Statsig docs (docs.statsig.com/console-api, /api-reference/gates/*):
- Base path /console/v1; auth header `STATSIG-API-KEY` (a Console API key);
  `STATSIG-API-VERSION` is optional (the only version is 20240601).
- Every response is `{"message": ..., "data": ...}`; lists add `"pagination"`
  ({itemsPerPage, pageNumber, totalItems, nextPage, previousPage, all}); list parameters
  `page` (1-based) and `limit`, archived gates listed only with `includeArchived=true`.
- Routes: GET/POST /gates, GET/POST (full update)/PATCH (partial update)/DELETE /gates/{id},
  PUT /gates/{id}/archive (body {archiveReason?, forceArchive?}), PUT /gates/{id}/unarchive.
- The gate object's fields (id, name, description, idType, isEnabled, status, rules, version,
  creator/modifier fields, owner, tags...) and messages ("Gate created successfully.",
  "Gates listed successfully.", "Gate updated successfully."...). An archived gate still reads
  on GET /gates/{id}, with `"status": "Archived"` (the docs' `includeArchiveMetadata` query
  "populate[s] archivedAt / archivedBy* / archiveReason ... when it is currently archived").
- Gate name constraints: 3..100 characters of `[a-zA-Z0-9_\\-. ]`; description <= 1000.
- Mutations (POST/PATCH/PUT/DELETE) are rate limited per project and rejected attempts count
  toward the quota (see sandbox.server.MutationRateLimiter); 4xx bodies are {status, message}
  (as the Statsig Terraform provider notes).

Chosen where the docs are silent (kept stable for the provider):
- POST /gates answers 201; every other success answers 200.
- A gate's id is derived from its name: lower-cased, spaces -> "_" ("Zippy Home" ->
  "zippy_home"). Creating a gate whose derived id or name (case-insensitively) is taken, by a
  live or an archived gate, answers 400 `A gate with the name "<name>" already exists.`
- Unknown key: 401 `{"status": 401, "message": "Invalid STATSIG-API-KEY."}`; a version other
  than 20240601: 400. Unknown id: 404 `{"status": 404, "message": "Gate <id> not found."}`.
- Validation errors: 400 `{"status": 400, "message": "<field>: <problem>"}`.
- Rules get a random 22-character `id` (and `baseID`); `environments` null means all.
- A full update (POST /gates/{id}) resets every field it does not carry to the create default
  (description "", isEnabled true, rules [], idType "userID", tags []); the id never changes.
- DELETE works on archived gates too; archiving twice is not an error (unless
  `refuse_rearchive` is set: then 400 "Gate <id> is already archived."); an archived gate can
  still be updated (POST/PATCH) and unarchived (PUT /gates/{id}/unarchive).
- No two gates get the same `createdTime` (a later gate's is at least a millisecond later), so
  a gate deleted and made again under its name is told apart from the first, as on Statsig.
- A rule's `environments` must name the project's environments (default development,
  staging, production; `StatsigSandbox(environments=...)`): else 400
  `rules[<i>].environments: unknown environment "<name>"`.

Long on purpose: one emulator is one in-memory API (its state, validation and every endpoint
stagefleet calls), kept together so its behaviours read as the real API's.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

from fleet import naming
from sandbox.server import (
    DEFAULT_LIFETIME,
    Emulator,
    LoopbackServer,
    Request,
    RequestInfo,
    Response,
    json_response,
)

__all__ = ["API_VERSION", "ROUTES", "StatsigApiError", "StatsigApplication", "StatsigSandbox", "gate_id_for"]

API_VERSION = "20240601"
BASE = "/console/v1"
DEFAULT_ENVIRONMENTS = ("development", "staging", "production")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_\-. ]*$")
NAME_MIN, NAME_MAX, DESCRIPTION_MAX = 3, 100, 1000
CONSOLE_API = "CONSOLE API"
_ID_ALPHABET = string.ascii_letters + string.digits


class StatsigApiError(Exception):
    """An API error answered as `{"status": status, "message": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> StatsigApiError:
    return StatsigApiError(400, message)


def gate_id_for(name: str) -> str:
    """The id Statsig derives from a gate name: lower-cased, spaces -> "_" (fleet.naming)."""
    return naming.statsig_gate_id(name)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _random_id(length: int = 22) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


# ---------------------------------------------------------------- state


@dataclass
class _Gate:
    id: str
    name: str
    description: str
    is_enabled: bool
    id_type: str
    rules: list[dict[str, Any]]
    tags: list[str]
    creator_id: str
    created_time: int
    last_modified_time: int
    version: int = 1
    archived: bool = False
    archived_at: int | None = None
    archive_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def json(self, archive_metadata: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "idType": self.id_type,
            "lastModifierID": self.creator_id,
            "lastModifiedTime": self.last_modified_time,
            "lastModifierName": CONSOLE_API,
            "lastModifierEmail": None,
            "creatorID": self.creator_id,
            "createdTime": self.created_time,
            "creatorName": CONSOLE_API,
            "creatorEmail": None,
            "targetApps": list(self.extra.get("targetApps") or []),
            "holdoutIDs": [],
            "tags": list(self.tags),
            "isEnabled": self.is_enabled,
            "status": "Archived" if self.archived else "In Progress",
            "rules": copy.deepcopy(self.rules),
            "checksPerHour": 0,
            "type": "PERMANENT",
            "typeReason": "NONE",
            "team": self.extra.get("team"),
            "reviewSettings": {"requiredReview": False, "allowedReviewers": []},
            "measureMetricLifts": True,
            "owner": {"ownerID": self.creator_id, "ownerName": CONSOLE_API, "ownerType": "SDK_KEY", "ownerEmail": ""},
            "monitoringMetrics": [],
            "version": self.version,
        }
        if archive_metadata and self.archived:
            data.update(
                {
                    "archivedAt": self.archived_at,
                    "archivedByID": self.creator_id,
                    "archivedByName": CONSOLE_API,
                    "archiveReason": self.archive_reason,
                }
            )
        return data

    def touch(self) -> None:
        self.version += 1
        self.last_modified_time = max(_now_ms(), self.last_modified_time)


class StatsigState:
    """In-memory gates, in creation order. Methods expect `lock` held (an RLock)."""

    def __init__(self, environments: Iterable[str] = DEFAULT_ENVIRONMENTS) -> None:
        self.lock = threading.RLock()
        self.gates: dict[str, _Gate] = {}
        self.environments = tuple(environments)
        self.key_id = _random_id()
        self.refuse_rearchive = False
        self._last_created = 0

    def creation_time(self) -> int:
        """Now in milliseconds, later than every gate made before."""
        self._last_created = max(_now_ms(), self._last_created + 1)
        return self._last_created

    def gate(self, gate_id: str) -> _Gate:
        gate = self.gates.get(gate_id)
        if gate is None:
            raise StatsigApiError(404, f"Gate {gate_id} not found.")
        return gate

    def name_taken(self, name: str, except_id: str | None = None) -> bool:
        wanted_id, wanted_name = gate_id_for(name), name.strip().lower()
        return any(
            gate.id != except_id and (gate.id == wanted_id or gate.name.strip().lower() == wanted_name)
            for gate in self.gates.values()
        )

    def create(
        self,
        name: str,
        *,
        description: str = "",
        is_enabled: bool = True,
        id_type: str = "userID",
        rules: list[dict[str, Any]] | None = None,
        tags: list[str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> _Gate:
        if self.name_taken(name):
            raise bad_request(f'A gate with the name "{name}" already exists.')
        now = self.creation_time()
        gate = _Gate(
            id=gate_id_for(name),
            name=name,
            description=description,
            is_enabled=is_enabled,
            id_type=id_type,
            rules=rules or [],
            tags=tags or [],
            creator_id=self.key_id,
            created_time=now,
            last_modified_time=now,
            extra=dict(extra or {}),
        )
        self.gates[gate.id] = gate
        return gate


# ---------------------------------------------------------------- validation


def _check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise bad_request("name: must be a string")
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise bad_request(f"name: must be between {NAME_MIN} and {NAME_MAX} characters")
    if not NAME_PATTERN.match(name):
        raise bad_request("name: may only contain letters, digits, spaces, '_', '-' and '.'")
    return name


def _check_description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request("description: must be a string")
    if len(value) > DESCRIPTION_MAX:
        raise bad_request(f"description: must be at most {DESCRIPTION_MAX} characters")
    return value


def _check_bool(body: Mapping[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"{name}: must be a boolean")
    return value


def _check_id_type(value: Any) -> str:
    if value is None:
        return "userID"
    if not isinstance(value, str) or not value:
        raise bad_request("idType: must be a non-empty string")
    return value


def _check_tags(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise bad_request("tags: must be an array of strings")
    return list(value)


def _check_rules(
    value: Any,
    previous: Iterable[Mapping[str, Any]] = (),
    environments: Iterable[str] = DEFAULT_ENVIRONMENTS,
) -> list[dict[str, Any]]:
    """The rules as stored: validated, each with an id (kept when a rule of the same name or id
    existed before, as the console keeps a rule's id across edits)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request("rules: must be an array")
    known_environments = set(environments)
    known = {}
    for rule in previous:
        known[("id", rule.get("id"))] = rule
        known[("name", rule.get("name"))] = rule
    rules: list[dict[str, Any]] = []
    seen_names: set[str] = set()
    for index, rule in enumerate(value):
        where = f"rules[{index}]"
        if not isinstance(rule, dict):
            raise bad_request(f"{where}: must be an object")
        name = rule.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad_request(f"{where}.name: is required")
        if name in seen_names:
            raise bad_request(f"{where}.name: duplicate rule name {name}")
        seen_names.add(name)
        percentage = rule.get("passPercentage")
        if isinstance(percentage, bool) or not isinstance(percentage, (int, float)) or not 0 <= percentage <= 100:
            raise bad_request(f"{where}.passPercentage: must be a number between 0 and 100")
        conditions = rule.get("conditions")
        if not isinstance(conditions, list):
            raise bad_request(f"{where}.conditions: must be an array")
        for c_index, condition in enumerate(conditions):
            c_where = f"{where}.conditions[{c_index}]"
            if not isinstance(condition, dict):
                raise bad_request(f"{c_where}: must be an object")
            if not isinstance(condition.get("type"), str) or not condition["type"]:
                raise bad_request(f"{c_where}.type: is required")
            if (
                "operator" in condition
                and condition["operator"] is not None
                and not isinstance(condition["operator"], str)
            ):
                raise bad_request(f"{c_where}.operator: must be a string")
            if condition["type"] in ("email", "user_id") and not isinstance(condition.get("targetValue"), list):
                raise bad_request(f"{c_where}.targetValue: must be an array")
        rule_environments = rule.get("environments")
        if rule_environments is not None and (
            not isinstance(rule_environments, list) or not all(isinstance(e, str) for e in rule_environments)
        ):
            raise bad_request(f"{where}.environments: must be an array of strings or null")
        for environment in rule_environments or ():
            if environment not in known_environments:
                raise bad_request(f'{where}.environments: unknown environment "{environment}"')
        before = known.get(("id", rule.get("id"))) or known.get(("name", name))
        rule_id = before["id"] if before else _random_id()
        stored: dict[str, Any] = {
            "id": rule_id,
            "baseID": rule_id,
            "name": name,
            "passPercentage": percentage,
            "conditions": [copy.deepcopy(c) for c in conditions],
            "environments": list(rule_environments) if rule_environments is not None else None,
        }
        if "returnValue" in rule:
            stored["returnValue"] = copy.deepcopy(rule["returnValue"])
        rules.append(stored)
    return rules


# ---------------------------------------------------------------- routing


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


ROUTES: tuple[Route, ...] = (
    Route("GET", f"{BASE}/gates", "list_gates"),
    Route("POST", f"{BASE}/gates", "create_gate"),
    Route("GET", f"{BASE}/gates/{{id}}", "get_gate"),
    Route("POST", f"{BASE}/gates/{{id}}", "update_gate"),
    Route("PATCH", f"{BASE}/gates/{{id}}", "patch_gate"),
    Route("DELETE", f"{BASE}/gates/{{id}}", "delete_gate"),
    Route("PUT", f"{BASE}/gates/{{id}}/archive", "archive_gate"),
    Route("PUT", f"{BASE}/gates/{{id}}/unarchive", "unarchive_gate"),
)


def match_route(path: str) -> tuple[dict[str, Route], dict[str, str], str] | None:
    """Routes by method of the template matching `path`, the path parameters and the template."""
    concrete = path.rstrip("/").split("/") if path != "/" else [""]
    for template in dict.fromkeys(route.template for route in ROUTES):
        pattern = template.split("/")
        if len(pattern) != len(concrete):
            continue
        params: dict[str, str] = {}
        for want, got in zip(pattern, concrete, strict=True):
            if want.startswith("{") and want.endswith("}"):
                if not got:
                    break
                params[want[1:-1]] = unquote(got)
            elif want != got:
                break
        else:
            return {r.method: r for r in ROUTES if r.template == template}, params, template
    return None


@dataclass
class _Call:
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "").lower() == "true"

    def json_object(self) -> dict[str, Any]:
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise bad_request("Request body must be a JSON object")
        return self.body


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _error(status: int, message: str) -> Response:
    return json_response(status, {"status": status, "message": message})


def _int_arg(call: _Call, name: str, default: int, high: int) -> int:
    raw = call.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name}: must be an integer") from None
    if not 1 <= value <= high:
        raise bad_request(f"{name}: must be between 1 and {high}")
    return value


# ---------------------------------------------------------------- the application


class StatsigApplication:
    """The Statsig Console API (gates) as a sandbox.server Application."""

    def __init__(self, state: StatsigState, keys: set[str]) -> None:
        self.state = state
        self.keys = keys

    def describe(self, request: Request) -> RequestInfo:
        match = match_route(request.path)
        body = _parse_json(request.body)
        mutation = request.method in ("POST", "PATCH", "PUT", "DELETE")
        if match is None:
            return RequestInfo(key=f"{request.method} {request.path}", body=body, is_mutation=mutation)
        routes, params, template = match
        route = routes.get(request.method)
        return RequestInfo(
            key=f"{request.method} {template}",
            operation_name=route.handler if route else None,
            variables=params,
            is_mutation=mutation,
            body=body,
        )

    def __call__(self, request: Request) -> Response:
        match = match_route(request.path)
        if match is None:
            return _error(404, f"Cannot {request.method} {request.path}")
        routes, params, _ = match
        route = routes.get(request.method)
        if route is None:
            response = _error(405, f"Method {request.method} not allowed on {request.path}")
            return Response(response.status, {**response.headers, "Allow": ", ".join(sorted(routes))}, response.body)
        if request.headers.get("statsig-api-key", "").strip() not in self.keys:
            return _error(401, "Invalid STATSIG-API-KEY.")
        version = request.headers.get("statsig-api-version")
        if version is not None and version.strip() != API_VERSION:
            return _error(400, f"Unsupported STATSIG-API-VERSION {version.strip()}; the only version is {API_VERSION}.")
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
        except StatsigApiError as exc:
            return _error(exc.status, exc.message)
        return json_response(status, payload)

    # ------------------------------------------------------------ handlers

    def list_gates(self, call: _Call) -> tuple[int, Any]:
        page = _int_arg(call, "page", 1, 10**9)
        limit = _int_arg(call, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        include_archived = call.flag("includeArchived")
        metadata = call.flag("includeArchiveMetadata")
        gates = [g for g in self.state.gates.values() if include_archived or not g.archived]
        total = len(gates)
        start = (page - 1) * limit
        chunk = gates[start : start + limit]

        def link(number: int) -> str:
            query = {"page": number, "limit": limit}
            if include_archived:
                query["includeArchived"] = "true"
            return f"{BASE}/gates?{urlencode(query)}"

        pagination = {
            "itemsPerPage": limit,
            "pageNumber": page,
            "totalItems": total,
            "nextPage": link(page + 1) if start + limit < total else None,
            "previousPage": link(page - 1) if page > 1 else None,
            "all": f"{BASE}/gates" + ("?includeArchived=true" if include_archived else ""),
        }
        return 200, {
            "message": "Gates listed successfully.",
            "data": [g.json(metadata) for g in chunk],
            "pagination": pagination,
        }

    def create_gate(self, call: _Call) -> tuple[int, Any]:
        body = call.json_object()
        if "name" not in body:
            raise bad_request("name: is required")
        name = _check_name(body["name"])
        gate = self.state.create(
            name,
            description=_check_description(body.get("description")),
            is_enabled=_check_bool(body, "isEnabled", True),
            id_type=_check_id_type(body.get("idType")),
            rules=_check_rules(body.get("rules"), environments=self.state.environments),
            tags=_check_tags(body.get("tags")),
            extra={k: body[k] for k in ("targetApps", "team") if k in body},
        )
        return 201, {"message": "Gate created successfully.", "data": gate.json(call.flag("includeArchiveMetadata"))}

    def get_gate(self, call: _Call) -> tuple[int, Any]:
        gate = self.state.gate(call.params["id"])
        return 200, {"message": "Gate read successfully.", "data": gate.json(call.flag("includeArchiveMetadata"))}

    def update_gate(self, call: _Call) -> tuple[int, Any]:
        """Full update: the gate becomes what the body says (missing fields take their defaults)."""
        gate = self.state.gate(call.params["id"])
        body = call.json_object()
        name = gate.name
        if body.get("name") is not None:
            name = _check_name(body["name"])
            if self.state.name_taken(name, except_id=gate.id):
                raise bad_request(f'A gate with the name "{name}" already exists.')
        description = _check_description(body.get("description"))
        is_enabled = _check_bool(body, "isEnabled", True)
        id_type = _check_id_type(body.get("idType"))
        rules = _check_rules(body.get("rules"), gate.rules, self.state.environments)
        tags = _check_tags(body.get("tags"))
        gate.name, gate.description, gate.is_enabled = name, description, is_enabled
        gate.id_type, gate.rules, gate.tags = id_type, rules, tags
        gate.extra = {k: body[k] for k in ("targetApps", "team") if k in body}
        gate.touch()
        return 200, {"message": "Gate updated successfully.", "data": gate.json(call.flag("includeArchiveMetadata"))}

    def patch_gate(self, call: _Call) -> tuple[int, Any]:
        """Partial update: only the fields in the body change (`rules` replaces the rule list)."""
        gate = self.state.gate(call.params["id"])
        body = call.json_object()
        changes: dict[str, Any] = {}
        if body.get("name") is not None:
            name = _check_name(body["name"])
            if self.state.name_taken(name, except_id=gate.id):
                raise bad_request(f'A gate with the name "{name}" already exists.')
            changes["name"] = name
        if "description" in body:
            changes["description"] = _check_description(body["description"])
        if "isEnabled" in body:
            changes["is_enabled"] = _check_bool(body, "isEnabled", gate.is_enabled)
        if "idType" in body:
            changes["id_type"] = _check_id_type(body["idType"])
        if "rules" in body:
            changes["rules"] = _check_rules(body["rules"], gate.rules, self.state.environments)
        if "tags" in body:
            changes["tags"] = _check_tags(body["tags"])
        for name, value in changes.items():
            setattr(gate, name, value)
        for key in ("targetApps", "team"):
            if key in body:
                gate.extra[key] = body[key]
        gate.touch()
        return 200, {"message": "Gate updated successfully.", "data": gate.json(call.flag("includeArchiveMetadata"))}

    def delete_gate(self, call: _Call) -> tuple[int, Any]:
        gate = self.state.gate(call.params["id"])
        del self.state.gates[gate.id]
        return 200, {"message": "Gate deleted successfully."}

    def archive_gate(self, call: _Call) -> tuple[int, Any]:
        gate = self.state.gate(call.params["id"])
        body = call.json_object()
        reason = body.get("archiveReason")
        if reason is not None and not isinstance(reason, str):
            raise bad_request("archiveReason: must be a string")
        if gate.archived and self.state.refuse_rearchive:
            raise bad_request(f"Gate {gate.id} is already archived.")
        if not gate.archived:
            gate.archived = True
            gate.archived_at = _now_ms()
            gate.archive_reason = reason or "The gate is no longer needed"
            gate.touch()
        return 200, {"message": "Gate updated successfully.", "data": gate.json(call.flag("includeArchiveMetadata"))}

    def unarchive_gate(self, call: _Call) -> tuple[int, Any]:
        gate = self.state.gate(call.params["id"])
        if gate.archived:
            gate.archived, gate.archived_at, gate.archive_reason = False, None, None
            gate.touch()
        return 200, {"message": "Gate updated successfully.", "data": gate.json(call.flag("includeArchiveMetadata"))}


# ---------------------------------------------------------------- the sandbox


class StatsigSandbox(Emulator):
    """The Statsig Console API (gates) on 127.0.0.1, with faults, a journal, a mutation rate
    limit in which rejected attempts count, and state helpers."""

    def __init__(
        self,
        keys: Iterable[str] = ("console-test",),
        *,
        port: int = 0,
        lifetime: float | None = DEFAULT_LIFETIME,
        environments: Iterable[str] = DEFAULT_ENVIRONMENTS,
    ) -> None:
        """`environments`: the project's environment names a rule may list."""
        self.keys: set[str] = set(keys)
        self._state = StatsigState(environments)
        self._app = StatsigApplication(self._state, self.keys)
        self._server = LoopbackServer(
            self._app,
            port=port,
            lifetime=lifetime,
            rejection_body=lambda status, reason: {"status": status, "message": reason},
        )

    @property
    def url(self) -> str:
        """The API base URL, without /console/v1 (the client appends /console/v1/...)."""
        return self._server.base_url

    # ------------------------------------------------------------ rate limit, journal

    @property
    def mutation_limit_per_window(self) -> int | None:
        """Mutation attempts (POST/PATCH/PUT/DELETE) allowed per `mutation_window` seconds;
        rejected attempts count. None (default) = unlimited."""
        return self._server.mutation_limit_per_window

    @mutation_limit_per_window.setter
    def mutation_limit_per_window(self, limit: int | None) -> None:
        if limit is not None and limit < 1:
            raise ValueError("mutation_limit_per_window must be >= 1 or None")
        self._server.mutation_limit_per_window = limit

    @property
    def mutation_window(self) -> float:
        return self._server.mutation_window

    @mutation_window.setter
    def mutation_window(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError("mutation_window must be > 0")
        self._server.mutation_window = seconds

    @property
    def refuse_rearchive(self) -> bool:
        """Answer 400 to archiving a gate that is archived already (Statsig's docs do not say
        whether it does); default False: archiving twice is no error."""
        return self._state.refuse_rearchive

    @refuse_rearchive.setter
    def refuse_rearchive(self, refuse: bool) -> None:
        with self._state.lock:
            self._state.refuse_rearchive = bool(refuse)

    def journal_count(self, key: str | None = None, writes_only: bool = False) -> int:
        """Requests received with this key ("POST /console/v1/gates"; None = all);
        writes = mutations (not GET)."""
        return self._server.journal.count(key, writes_only)

    # ------------------------------------------------------------ state, as the API returns it

    def gates(self) -> list[dict[str, Any]]:
        """Live (not archived) gates, as GET /console/v1/gates/{id} returns them (`data`)."""
        with self._state.lock:
            return [g.json() for g in self._state.gates.values() if not g.archived]

    def archived_gates(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return [g.json(archive_metadata=True) for g in self._state.gates.values() if g.archived]

    def gate(self, gate_id: str) -> dict[str, Any] | None:
        """One gate (live or archived) by id, or None."""
        with self._state.lock:
            found = self._state.gates.get(gate_id)
            return found.json(archive_metadata=True) if found else None

    # ------------------------------------------------------------ seeding and out-of-band changes

    def seed_gate(
        self,
        name: str,
        *,
        description: str = "",
        rules: list[dict[str, Any]] | None = None,
        is_enabled: bool = True,
        archived: bool = False,
        created_at: datetime | None = None,
    ) -> dict[str, Any]:
        """A gate that already exists (made in the console at `created_at`, default now); returns
        it as the API does."""
        with self._state.lock:
            gate = self._out_of_band(
                lambda: self._state.create(
                    _check_name(name),
                    description=_check_description(description),
                    is_enabled=is_enabled,
                    rules=_check_rules(rules, environments=self._state.environments),
                )
            )
            if created_at is not None:
                gate.created_time = gate.last_modified_time = int(created_at.timestamp() * 1000)
            if archived:
                gate.archived, gate.archived_at = True, _now_ms()
                gate.archive_reason = "archived in the console"
            return gate.json(archive_metadata=True)

    def delete_gate(self, gate_id: str) -> None:
        """Delete a gate as someone in the console would."""
        with self._state.lock:
            gate = self._out_of_band(lambda: self._state.gate(gate_id))
            del self._state.gates[gate.id]

    def archive_gate(self, gate_id: str) -> None:
        with self._state.lock:
            gate = self._out_of_band(lambda: self._state.gate(gate_id))
            if not gate.archived:
                gate.archived, gate.archived_at = True, _now_ms()
                gate.archive_reason = "archived in the console"
                gate.touch()

    def set_rules(self, gate_id: str, rules: list[dict[str, Any]]) -> None:
        """Replace a gate's rules out of band (validated like the API; rule ids kept by name)."""
        with self._state.lock:
            gate = self._out_of_band(lambda: self._state.gate(gate_id))
            gate.rules = self._out_of_band(lambda: _check_rules(rules, gate.rules, self._state.environments))
            gate.touch()

    def set_enabled(self, gate_id: str, enabled: bool) -> None:
        with self._state.lock:
            gate = self._out_of_band(lambda: self._state.gate(gate_id))
            gate.is_enabled = bool(enabled)
            gate.touch()

    def set_description(self, gate_id: str, description: str) -> None:
        with self._state.lock:
            gate = self._out_of_band(lambda: self._state.gate(gate_id))
            gate.description = self._out_of_band(lambda: _check_description(description))
            gate.touch()

    @staticmethod
    def _out_of_band(action: Callable[[], Any]) -> Any:
        """Helpers raise KeyError (unknown id) or ValueError (bad input): test bugs, not API errors."""
        try:
            return action()
        except StatsigApiError as exc:
            if exc.status == 404:
                raise KeyError(exc.message) from None
            raise ValueError(exc.message) from None

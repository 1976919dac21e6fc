"""Statsig's Console API (REST, https://statsigapi.net/console/v1): the feature-gate endpoints the
Gate provider needs.

A StatsigClient is built inside each provider call (`StatsigClient.from_settings()`), used as a
context manager and thrown away (see providers.api). Requests go through the shared request path
(timeouts, bounded retries, full-jitter backoff, Retry-After, deadline: providers.http).

Taken from the Statsig docs (docs.statsig.com/console-api, docs.statsig.com/api-reference/gates/*):
- Base URL https://statsigapi.net, paths under /console/v1; a Console API key in the
  `STATSIG-API-KEY` header; `STATSIG-API-VERSION: 20240601` (the only version; optional today,
  required "in the future").
- Answers are `{"message": ..., "data": ...}`; lists add `pagination` (`nextPage` is null on the
  last page) and take `page` and `limit`.
- Gates: GET /gates, POST /gates (name, description, isEnabled, idType, rules), GET /gates/{id},
  PATCH /gates/{id} (partial update: only the fields sent change; `rules` replaces the rule
  list), DELETE /gates/{id}, PUT /gates/{id}/archive ({archiveReason}), PUT /gates/{id}/unarchive.
  An archived gate still reads, with `"status": "Archived"`.
- A rule is {name, passPercentage, conditions: [{type, operator, targetValue}], environments}.
- Gate names: 3 to 100 characters of letters, digits, spaces, "_", "-" and "."; descriptions at
  most 1000 characters. A taken name answers 400 ("Name is already in use"); an unknown id 404
  ("Gate not found."); a bad key 401/403 whose message may quote the key sent (so every API
  message is scrubbed of it before it goes into an error).
- Mutations (POST/PATCH/PUT/DELETE) are rate limited per project with HTTP 429, and "attempts
  rejected by this rate limiter also count toward the quota": retry with exponential backoff and
  jitter, and only a bounded number of times.

Chosen here where the docs are silent:
- A gate's id is derived from its name, lower-cased with spaces turned into "_" (the docs'
  examples: "A Gate" is `a_gate`). Lookups by name try that id first and fall back to listing
  (archived gates included), so a different derivation only costs requests.
- A 400/409 whose message says the name is taken ("already exists", "already in use") is a
  conflict.
- `createdTime` (required in every gate answer) fingerprints a gate: the id is derived from the
  name, so a gate deleted in the console and made again under that name has the same id but
  another creation time.
- Archiving is safe to repeat: after a lost answer the gate is read and "already archived" is
  done, and so is an archive Statsig refuses because the gate is archived already.
- Pauses before a retry are stretched by up to a quarter (at most `MAX_SPREAD` seconds) at
  random, on top of an honoured Retry-After too (the client's RetryPolicy spread): the provider
  host runs several calls at once, and clients that all come back exactly when Retry-After says
  would be rejected together, each rejection counting against the quota.

Errors are the providers.api family, whose messages say, in the user's terms, what could not be
done and why ('Statsig gate "checkout-v2" could not be created: ...') and name the endpoint;
they never contain the Console API key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from fleet import naming
from providers import http, limits
from providers.api import ApiError, Conflict, NotFound, RestClient, one_line
from providers.http import Endpoint, RetryPolicy
from providers.settings import StatsigSettings, statsig_settings

__all__ = [
    "API_VERSION",
    "ARCHIVE_GATE",
    "CREATE_GATE",
    "DELETE_GATE",
    "ENDPOINTS",
    "GET_GATE",
    "LIST_GATES",
    "MAX_SPREAD",
    "SPREAD",
    "UNARCHIVE_GATE",
    "UPDATE_GATE",
    "GateInfo",
    "StatsigClient",
    "gate_id_for",
]

_log = logging.getLogger(__name__)

API_VERSION = "20240601"

LIST_GATES = Endpoint("GET", "/console/v1/gates")
CREATE_GATE = Endpoint("POST", "/console/v1/gates")
GET_GATE = Endpoint("GET", "/console/v1/gates/{id}")
UPDATE_GATE = Endpoint("PATCH", "/console/v1/gates/{id}")
DELETE_GATE = Endpoint("DELETE", "/console/v1/gates/{id}")
ARCHIVE_GATE = Endpoint("PUT", "/console/v1/gates/{id}/archive")
UNARCHIVE_GATE = Endpoint("PUT", "/console/v1/gates/{id}/unarchive")

# Every endpoint the client may call.
ENDPOINTS: tuple[Endpoint, ...] = (
    LIST_GATES,
    CREATE_GATE,
    GET_GATE,
    UPDATE_GATE,
    DELETE_GATE,
    ARCHIVE_GATE,
    UNARCHIVE_GATE,
)

ARCHIVED = "Archived"
# The gates page size and a bound on pages read.
_PAGE_SIZE = 100
_MAX_PAGES = 50
# Retry pauses grow by up to this fraction, and by at most MAX_SPREAD seconds (see the docstring).
SPREAD = 0.25
MAX_SPREAD = 2.0

_AUTH_HINT = (
    "Statsig rejected the Console API key; set a Console API key (Statsig console: Project "
    "Settings > API Keys) in the stack config `stagefleet:statsigConsoleKey` or the environment "
    "variable `STATSIG_CONSOLE_API_KEY`"
)
_RECREATE_HINT = "run `pulumi up --refresh` to create it again"


def gate_id_for(name: str) -> str:
    """The id Statsig gives a gate called `name`: lower-cased, spaces turned into "_" (fleet.naming)."""
    return naming.statsig_gate_id(name)


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class GateInfo:
    """A gate as the API returns it (the fields the provider uses). `rules` are the API's rule
    objects, unchanged, so they can be sent back as they came."""

    id: str
    name: str
    description: str
    is_enabled: bool
    status: str | None
    rules: tuple[Mapping[str, Any], ...]
    archived: bool = False
    # When it was made (`createdTime`, milliseconds since the epoch), when the answer says.
    created_at: dt.datetime | None = None
    # The same, exactly as the API gives it: what the Gate provider records to know its gate again.
    created_time: int | None = None


def _gate(node: Mapping[str, Any]) -> GateInfo:
    rules = node.get("rules") or []
    if not isinstance(rules, list):
        raise TypeError("rules is not a list")
    status = node.get("status")
    return GateInfo(
        id=str(node["id"]),
        name=str(node.get("name") or node["id"]),
        description=str(node.get("description") or ""),
        is_enabled=bool(node.get("isEnabled")),
        status=None if status is None else str(status),
        rules=tuple(rule for rule in rules if isinstance(rule, Mapping)),
        archived=status == ARCHIVED or node.get("isArchived") is True,
        created_at=_moment(node.get("createdTime")),
        created_time=_milliseconds(node.get("createdTime")),
    )


def _milliseconds(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _moment(milliseconds: Any) -> dt.datetime | None:
    """A time in milliseconds since the epoch (Statsig's `createdTime`), in UTC; None when absent."""
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, (int, float)):
        return None
    try:
        return dt.datetime.fromtimestamp(milliseconds / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


# ---------------------------------------------------------------- client


class StatsigClient(RestClient):
    """One Console API session. Use `with StatsigClient.from_settings() as statsig: ...`."""

    api = "Statsig"
    auth_hint = _AUTH_HINT

    def __init__(
        self,
        settings: StatsigSettings,
        *,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__(
            base_url=settings.api_url.rstrip("/"),
            headers={
                "STATSIG-API-KEY": settings.api_key,
                "STATSIG-API-VERSION": API_VERSION,
                "Accept": "application/json",
            },
            limiter=limits.statsig_limiter(
                api_url=settings.api_url, api_key=settings.api_key, emulated_scale=settings.emulated_limits
            ),
            # The module default is read at call time, so tests can swap it.
            policy=dataclasses.replace(policy or http.DEFAULT_RETRY_POLICY, spread=SPREAD, max_spread=MAX_SPREAD),
            transport=transport,
            # The header is not one providers.http knows to hide: name the key as a secret.
            secrets=(settings.api_key,),
        )

    @classmethod
    def from_settings(cls, settings: StatsigSettings | None = None) -> StatsigClient:
        """A client for the configured key and URL (stack config, else environment). Raises
        providers.settings.SettingsError when no key is configured."""
        return cls(settings or statsig_settings())

    # ------------------------------------------------------------ reads

    def get_gate(self, gate_id: str, *, label: str | None = None) -> GateInfo | None:
        """The gate (live or archived), or None when it does not exist."""
        failure = f"Statsig gate {_label(label, gate_id)} could not be read"
        try:
            payload = self.request(GET_GATE, id=gate_id, failure=failure)
        except NotFound:
            return None
        return self.parsed(_gate, _data(payload), GET_GATE, failure)

    def list_gates(self, *, include_archived: bool = False) -> list[GateInfo]:
        """Every gate of the project (archived ones too with `include_archived`)."""
        failure = "Statsig gates could not be listed"
        gates: list[GateInfo] = []
        for page in range(1, _MAX_PAGES + 1):
            query: dict[str, Any] = {"page": page, "limit": _PAGE_SIZE}
            if include_archived:
                query["includeArchived"] = "true"
            payload = self.request(LIST_GATES, query=query, failure=failure)
            nodes = _data(payload)
            if not isinstance(nodes, list):
                raise self.unexpected(LIST_GATES, failure, "no gate list")
            gates.extend(self.parsed(_gate, node, LIST_GATES, failure) for node in nodes)
            pagination = payload.get("pagination") if isinstance(payload, Mapping) else None
            if not nodes or not isinstance(pagination, Mapping) or not pagination.get("nextPage"):
                return gates
        _log.warning("Statsig gates: stopped listing after %d pages", _MAX_PAGES)
        return gates

    def find_gate(self, name: str) -> GateInfo | None:
        """The gate that keeps a gate called `name` from being created, live or archived, or
        None: the gate of that name (names are unique, case aside), else the gate holding the
        id derived from it (renamed in the console since)."""
        wanted = name.strip().lower()
        by_id = self.get_gate(gate_id_for(name), label=name)
        if by_id is not None and by_id.name.strip().lower() == wanted:
            return by_id
        by_name = next(
            (gate for gate in self.list_gates(include_archived=True) if gate.name.strip().lower() == wanted),
            None,
        )
        return by_name or by_id

    # ------------------------------------------------------------ writes

    def create_gate(
        self,
        *,
        name: str,
        description: str,
        rules: Sequence[Mapping[str, Any]],
        owned: Callable[[GateInfo], bool],
        is_enabled: bool = True,
    ) -> GateInfo:
        """Create an enabled gate (idType userID) with these rules. The name may already be
        taken by a gate this create made before its answer was lost, or by one an earlier run
        made: such a gate is adopted when `owned(gate)` says it is stagefleet's (unarchived
        first when it was archived), and returned as it is (the caller brings it in line).
        A gate of that name that is not owned is a Conflict."""
        failure = f'Statsig gate "{name}" could not be created'
        body = {
            "name": name,
            "description": description,
            "isEnabled": is_enabled,
            "idType": "userID",
            "rules": [dict(rule) for rule in rules],
        }

        def create() -> GateInfo:
            payload = self.request(CREATE_GATE, json=body, failure=failure, idempotent=False)
            return self.parsed(_gate, _data(payload), CREATE_GATE, failure)

        def find_applied() -> GateInfo | None:
            # Only a live gate of ours is what the lost create made; a stranger's is left to the
            # conflict below, once the create is sent again and told the name is taken.
            found = self.find_gate(name)
            return found if found is not None and not found.archived and owned(found) else None

        try:
            return self.apply_once(create, find_applied, failure=failure, operation=CREATE_GATE.key)
        except Conflict as conflict:
            existing = self.find_gate(name)
            if existing is None:
                raise
            if not owned(existing):
                reason = (
                    f'a gate named "{existing.name}" ({existing.id}) already exists in Statsig and is not '
                    f"managed by stagefleet (its description does not end with the stagefleet marker); "
                    f"rename the flag, or delete that gate in the Statsig console"
                )
                raise self.error(
                    Conflict, failure, reason, operation=CREATE_GATE.key, status_code=conflict.status_code
                ) from None
            if existing.archived:
                _log.info("Statsig gate %s: unarchiving the archived stagefleet gate of that name", existing.id)
                return self.unarchive_gate(existing.id, label=name)
            return existing

    def update_gate(
        self,
        gate_id: str,
        *,
        description: str,
        rules: Sequence[Mapping[str, Any]],
        is_enabled: bool = True,
        name: str | None = None,
        label: str | None = None,
    ) -> GateInfo:
        """Set the gate's description, enabled flag and (whole) rule list, and its name when
        given; nothing else changes. Sets absolute values, so a retry after a lost answer does
        no harm."""
        failure = f"Statsig gate {_label(label or name, gate_id)} could not be updated"
        body: dict[str, Any] = {
            "description": description,
            "isEnabled": is_enabled,
            "rules": [dict(rule) for rule in rules],
        }
        if name is not None:
            body["name"] = name
        try:
            payload = self.request(UPDATE_GATE, id=gate_id, json=body, failure=failure)
        except NotFound as gone:
            raise NotFound(
                f"{gone}; the gate no longer exists (deleted outside stagefleet?): {_RECREATE_HINT}",
                api=gone.api,
                operation=gone.operation,
                status_code=gone.status_code,
            ) from None
        return self.parsed(_gate, _data(payload), UPDATE_GATE, failure)

    def delete_gate(self, gate_id: str, *, label: str | None = None) -> bool:
        """Delete the gate; False when it was already gone."""
        try:
            self.request(DELETE_GATE, id=gate_id, failure=f"Statsig gate {_label(label, gate_id)} could not be deleted")
        except NotFound:
            return False
        return True

    def archive_gate(self, gate_id: str, *, reason: str, label: str | None = None) -> bool:
        """Archive the gate; False when it is gone. Safe to repeat: the request is not sent again
        blindly after a lost answer (the gate is read: archived is done), and a refusal to archive
        a gate that is archived already counts as done too."""
        failure = f"Statsig gate {_label(label, gate_id)} could not be archived"

        def archive() -> bool:
            self.request(ARCHIVE_GATE, id=gate_id, json={"archiveReason": reason}, failure=failure, idempotent=False)
            return True

        def archived_or_gone() -> bool | None:
            live = self.get_gate(gate_id, label=label)
            if live is None:
                return False
            return True if live.archived else None

        try:
            return self.apply_once(archive, archived_or_gone, failure=failure, operation=ARCHIVE_GATE.key)
        except NotFound:
            return False
        except ApiError as refused:
            try:
                settled = archived_or_gone()
            except ApiError:
                raise refused from None
            if settled is None:
                raise
            _log.info("Statsig gate %s: already archived, nothing to do", gate_id)
            return settled

    def unarchive_gate(self, gate_id: str, *, label: str | None = None) -> GateInfo:
        failure = f"Statsig gate {_label(label, gate_id)} could not be unarchived"
        payload = self.request(UNARCHIVE_GATE, id=gate_id, json={}, failure=failure)
        return self.parsed(_gate, _data(payload), UNARCHIVE_GATE, failure)

    # ------------------------------------------------------------ plumbing

    def said(self, payload: Any) -> str:
        """Statsig's explanation from an error body ({"status", "message", "errors": [...]})."""
        if not isinstance(payload, Mapping):
            return ""
        said = str(payload.get("message") or payload.get("error") or "")
        details = payload.get("errors")
        if isinstance(details, list):
            parts = [
                f"{item.get('property')}: {item.get('errorMessage') or item.get('error')}"
                for item in details
                if isinstance(item, Mapping)
            ]
            if parts:
                said = f"{said} ({'; '.join(parts)})" if said else "; ".join(parts)
        return one_line(said)

    def is_conflict(self, status: int, said: str) -> bool:
        # Statsig answers a taken name with 400 "Name is already in use".
        return status == 409 or (status == 400 and ("already exists" in said or "already in use" in said))


def _data(payload: Any) -> Any:
    """The `data` of a `{"message", "data"}` answer (or the payload, when it is not wrapped)."""
    if isinstance(payload, Mapping) and "data" in payload:
        return payload["data"]
    return payload


def _label(label: str | None, gate_id: str) -> str:
    return f'"{label}" ({gate_id})' if label else gate_id

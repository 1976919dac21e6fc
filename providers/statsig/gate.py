"""A Statsig feature gate that lets named developers (by email or user id) see an unfinished
feature on the shared staging environment, and nobody else.

What stagefleet writes: an enabled gate (idType userID) whose description ends with the marker
"[managed by stagefleet]" (after the flag's description and "(owner: <owner>)"), and at most two
rules, first in the gate's rule list, each passing 100% in the environments given:
"stagefleet: enabled for emails" (one condition: email any <emails>) and
"stagefleet: enabled for user ids" (one condition: user_id any <user ids>). Statsig ANDs the
conditions of one rule, so emails and user ids get a rule each: a user matching either passes.
Rules added by hand (any other name) are kept, after stagefleet's, and are not reported.

`read` reports who the gate is live-enabled for, as stagefleet defines it: the targets of a
stagefleet rule count only while the gate is enabled and the rule is as stagefleet writes it
(pass 100%, its one condition, the same environments as the other rule); anything else reads as
enabled for nobody, so `pulumi refresh` shows the drift and the next `pulumi up` rewrites the
rules. An archived gate reads as gone, like a deleted one; creating the flag again then adopts
and unarchives it.

Never touching a gate that is not ours: Statsig derives a gate's id from its name, so the id in
the state may name a gate someone else made after ours was deleted in the console. `create`
records the gate's creation time (`created_time`, Statsig's `createdTime`), and read, update and
delete act only on a gate that carries the marker and was created at that time. Any other gate at
that id is a stranger: `read` reports ours gone (refresh drops it; the next `up` then meets the
stranger's name and, the gate being unmarked, refuses to take it over, saying so), `update`
refuses without writing, and `delete` (or archive) leaves it as it is. Removing the marker in the
console hands a gate over the same way. A state recorded before `created_time` existed is checked
by the marker alone, and the next read records the live gate's time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, ReadResult, Resource, UpdateResult
from pulumi.output import Unknown

from fleet import naming
from providers.api import Conflict, NotFound
from providers.resource import Choice, DeclarativeProvider, InvalidProperty, Prop, Schema, args_to_props
from providers.statsig.client import GateInfo, StatsigClient, gate_id_for

_log = logging.getLogger(__name__)

__all__ = [
    "EMAIL_RULE",
    "MANAGED_MARKER",
    "ON_DELETE_CHOICES",
    "RULE_PREFIX",
    "USER_ID_RULE",
    "Gate",
    "GateArgs",
    "GateProvider",
    "desired_rules",
    "gate_description",
    "is_managed",
    "observed",
    "recorded_created_time",
    "stranger_reason",
]

MANAGED_MARKER = naming.STATSIG_MANAGED_MARKER
# Every rule stagefleet writes is named with this prefix; other rules are not stagefleet's.
RULE_PREFIX = "stagefleet: enabled for"
EMAIL_RULE = f"{RULE_PREFIX} emails"
USER_ID_RULE = f"{RULE_PREFIX} user ids"
ON_DELETE_CHOICES = ("delete", "archive")
ARCHIVE_REASON = "Removed from the stagefleet config (stagefleet:featureFlags)"

# Statsig's gate name constraints (docs: Partially Update Gates, `name`).
_NAME = re.compile(r"[a-zA-Z0-9_\-. ]{3,100}")
_NAME_MAX = 100
_DESCRIPTION_MAX = naming.STATSIG_DESCRIPTION_LIMIT
_ENVIRONMENT = re.compile(r"[A-Za-z0-9_\-. ]{1,100}")
_OWNER_PART = re.compile(r"(?:^| )\(owner: ([^()]+)\)$")
_TARGETS = ("description", "owner", "emails", "user_ids", "environments")


# ---------------------------------------------------------------- property types


class GateName(Prop):
    def normalise(self, value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidProperty(f"must be a string, got {type(value).__name__}")
        if value != value.strip():
            raise InvalidProperty("must not start or end with a space")
        if not _NAME.fullmatch(value):
            raise InvalidProperty(
                f"must be 3 to {_NAME_MAX} letters, digits, spaces, '_', '-' or '.' (Statsig's gate names)"
            )
        return value


class Description(Prop):
    """Free text, possibly empty; surrounding white space is dropped (Statsig keeps it, but a
    description that reads back differently would be drift on every refresh)."""

    def normalise(self, value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidProperty(f"must be a string, got {type(value).__name__}")
        return value.strip()


class Owner(Prop):
    def normalise(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InvalidProperty("must be a non-empty string")
        if any(char in value for char in "()[]\n"):
            raise InvalidProperty("must not contain brackets or line breaks (it is written into the description)")
        return value.strip()


@dataclasses.dataclass(frozen=True)
class TextList(Prop):
    """A list of non-empty strings, each matching `pattern`; duplicates are dropped, order kept.
    Items may be unknown in preview."""

    pattern: re.Pattern[str] | None = None
    what: str = "a string"
    non_empty: bool = False

    def fallback(self) -> Any:
        return list(self.default or [])

    def normalise(self, value: Any) -> list[Any]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            raise InvalidProperty(f"must be a list of strings, got {type(value).__name__}")
        items: list[Any] = []
        for index, item in enumerate(value):
            if isinstance(item, Unknown):
                items.append(item)
                continue
            if not isinstance(item, str) or not item.strip():
                raise InvalidProperty(f"[{index}] must be a non-empty string")
            item = item.strip()
            if self.pattern is not None and not self.pattern.fullmatch(item):
                raise InvalidProperty(f'[{index}] "{item}" is not {self.what}')
            if item not in items:
                items.append(item)
        if self.non_empty and not items:
            raise InvalidProperty("must not be empty")
        return items


# ---------------------------------------------------------------- what is written and read


def gate_description(description: str, owner: str | None) -> str:
    """The description stagefleet writes: the flag's, the owner, then the marker (fleet.naming)."""
    return naming.statsig_gate_description(description, owner)


def is_managed(gate: GateInfo) -> bool:
    """Whether stagefleet made the gate (and may adopt it): its description ends with the marker
    (fleet.naming's rule, which `fleet orphans` applies too)."""
    return naming.is_managed_gate_description(gate.description)


def recorded_created_time(props: Mapping[str, Any]) -> int | None:
    """The creation time the state recorded for the gate (a number crosses the wire as a float)."""
    value = props.get("created_time")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def stranger_reason(gate: GateInfo, recorded: int | None) -> str | None:
    """Why the live gate at this resource's id is not the one it made, or None when it is: it
    must carry the stagefleet marker and, when the state recorded one, have that creation time."""
    if not is_managed(gate):
        return "its description does not end with the stagefleet marker (it is not, or no longer, stagefleet's)"
    if recorded is not None and gate.created_time is not None and gate.created_time != recorded:
        return (
            f"it was created at {_when(gate.created_time)}, not at {_when(recorded)} when stagefleet made its gate "
            f"(stagefleet's gate was deleted and another made under the same name)"
        )
    return None


def _when(milliseconds: int) -> str:
    return dt.datetime.fromtimestamp(milliseconds / 1000, tz=dt.UTC).isoformat(timespec="milliseconds")


def _parse_description(text: str) -> tuple[str, str | None]:
    """(description, owner) from a managed gate's description."""
    body = text.rstrip()[: -len(MANAGED_MARKER)].rstrip()
    match = _OWNER_PART.search(body)
    if match is None:
        return body, None
    return body[: match.start()].rstrip(), match.group(1)


def _rule(name: str, kind: str, targets: Sequence[str], environments: Sequence[str]) -> dict[str, Any]:
    return {
        "name": name,
        "passPercentage": 100,
        "conditions": [{"type": kind, "operator": "any", "targetValue": list(targets)}],
        "environments": list(environments),
    }


def desired_rules(emails: Sequence[str], user_ids: Sequence[str], environments: Sequence[str]) -> list[dict[str, Any]]:
    """The rules stagefleet writes for these targets (a rule per kind of target that has any)."""
    rules = []
    if emails:
        rules.append(_rule(EMAIL_RULE, "email", emails, environments))
    if user_ids:
        rules.append(_rule(USER_ID_RULE, "user_id", user_ids, environments))
    return rules


def _is_stagefleet_rule(rule: Mapping[str, Any]) -> bool:
    return str(rule.get("name") or "").startswith(RULE_PREFIX)


def _merged_rules(live: GateInfo, inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """stagefleet's rules first (Statsig stops at the first rule a user qualifies for), then the
    rules someone added by hand, as they are."""
    return desired_rules(inputs["emails"], inputs["user_ids"], inputs["environments"]) + [
        dict(rule) for rule in live.rules if not _is_stagefleet_rule(rule)
    ]


def observed(gate: GateInfo) -> dict[str, Any]:
    """The gate's live description, owner, emails, user ids and environments, as stagefleet
    defines them (see the module docstring)."""
    if is_managed(gate):
        description, owner = _parse_description(gate.description)
    else:
        description, owner = gate.description, None
    ours = {str(rule.get("name")): rule for rule in gate.rules if _is_stagefleet_rule(rule)}
    first = ours.get(EMAIL_RULE) or ours.get(USER_ID_RULE)
    environments = _string_list(first.get("environments")) if first is not None else []

    def granted(name: str, kind: str) -> list[str]:
        rule = ours.get(name)
        if rule is None or not gate.is_enabled:
            return []
        conditions = rule.get("conditions")
        if (
            rule.get("passPercentage") != 100
            or _string_list(rule.get("environments")) != environments
            or not isinstance(conditions, list)
            or len(conditions) != 1
            or not isinstance(conditions[0], Mapping)
        ):
            return []
        condition = conditions[0]
        if condition.get("type") != kind or condition.get("operator") != "any":
            return []
        return _string_list(condition.get("targetValue"))

    return {
        "description": description,
        "owner": owner,
        "emails": granted(EMAIL_RULE, "email"),
        "user_ids": granted(USER_ID_RULE, "user_id"),
        "environments": environments,
    }


def _string_list(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _wanted(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {name: inputs.get(name) for name in _TARGETS}


def _same_gate(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """A replacement whose new name gives the old gate's id (a change of case, or a gate renamed
    in the console) must delete the old gate first: creating first would adopt the old gate,
    which the old resource's delete would then remove. An unknown name may turn out the same."""
    name = news.get("name")
    if not isinstance(name, str):
        return True
    old_id = olds.get("gate_id") or gate_id_for(str(olds.get("name") or ""))
    return old_id == gate_id_for(name)


# ---------------------------------------------------------------- the provider


class GateProvider(DeclarativeProvider):
    schema = Schema(
        GateName("name", replaces=True),
        Description("description", required=False, default=""),
        Owner("owner", required=False),
        TextList("emails", required=False, default=[], pattern=naming.EMAIL_ADDRESS, what="an email address"),
        TextList(
            "user_ids",
            required=False,
            default=[],
            pattern=naming.USER_ID,
            what="a user id (letters, digits, '_', '.', ':', '-'; at most 128)",
        ),
        TextList(
            "environments",
            required=False,
            default=["staging"],
            pattern=_ENVIRONMENT,
            what="a Statsig environment name",
            non_empty=True,
        ),
        Choice("on_delete", required=False, default="delete", choices=ON_DELETE_CHOICES),
        delete_before_replace=_same_gate,
    )

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = self.schema.check(news)
        inputs, failures = checked.inputs, list(checked.failures)
        failed = {failure.property for failure in failures}
        emails, user_ids = inputs.get("emails"), inputs.get("user_ids")
        nobody = isinstance(emails, list) and isinstance(user_ids, list) and not emails and not user_ids
        if nobody and not failed & {"emails", "user_ids"}:
            failures.append(
                CheckFailure("emails", "emails and user_ids are both empty: the gate must be enabled for someone")
            )
        description, owner = inputs.get("description"), inputs.get("owner")
        if isinstance(description, str) and (owner is None or isinstance(owner, str)) and "description" not in failed:
            length = len(gate_description(description, owner))
            if length > _DESCRIPTION_MAX:
                failures.append(
                    CheckFailure(
                        "description",
                        f"description is too long: with the owner and the stagefleet marker it has {length} "
                        f"characters; Statsig allows {_DESCRIPTION_MAX}",
                    )
                )
        return CheckResult(inputs, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.schema.inputs(props)
        name = inputs["name"]
        with StatsigClient.from_settings() as statsig:
            gate = statsig.create_gate(
                name=name,
                description=gate_description(inputs["description"], inputs["owner"]),
                rules=desired_rules(inputs["emails"], inputs["user_ids"], inputs["environments"]),
                owned=is_managed,
            )
            # An adopted gate (an earlier run's, or unarchived) is brought in line.
            if gate.name != name or not gate.is_enabled or observed(gate) != _wanted(inputs):
                gate = self._write(statsig, gate, inputs, rename=gate.name != name)
        return CreateResult(gate.id, {**inputs, "gate_id": gate.id, "created_time": gate.created_time})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.schema.inputs(props)
        recorded = recorded_created_time(props)
        with StatsigClient.from_settings() as statsig:
            gate = statsig.get_gate(id_, label=props.get("name"))
        if gate is None or gate.archived:
            return ReadResult(None, {})
        stranger = stranger_reason(gate, recorded)
        if stranger is not None:
            _log.warning("Statsig gate %s is not the gate stagefleet made: %s; reading it as gone", id_, stranger)
            return ReadResult(None, {})
        # Name, description, owner and targets are live; on_delete is stagefleet's own.
        created_time = recorded if recorded is not None else gate.created_time
        return ReadResult(
            id_, {**inputs, "name": gate.name, **observed(gate), "gate_id": id_, "created_time": created_time}
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.schema.inputs(news)
        created_time = recorded_created_time(olds)
        if _wanted(self.schema.inputs(olds)) != _wanted(inputs):
            name = inputs["name"]
            with StatsigClient.from_settings() as statsig:
                live = statsig.get_gate(id_, label=name)
                if live is None or live.archived:
                    raise NotFound(
                        f'Statsig gate "{name}" ({id_}) could not be updated: it no longer exists (it was '
                        f"{'archived' if live else 'deleted'} outside stagefleet); run `pulumi up --refresh` "
                        f"to create it again",
                        api=statsig.api,
                    )
                stranger = stranger_reason(live, created_time)
                if stranger is not None:
                    raise Conflict(
                        f'Statsig gate "{name}" ({id_}) could not be updated: the gate at that id is not the one '
                        f"stagefleet made: {stranger}. stagefleet leaves it untouched; run `pulumi refresh` to drop "
                        f"its own gate from the state, then rename the flag or have that gate removed",
                        api=statsig.api,
                    )
                self._write(statsig, live, inputs)
                if created_time is None:
                    created_time = live.created_time
        # A change of on_delete alone is stagefleet's business: nothing to send.
        return UpdateResult({**inputs, "gate_id": id_, "created_time": created_time})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        inputs = self.schema.inputs(props)
        with StatsigClient.from_settings() as statsig:
            live = statsig.get_gate(id_, label=inputs["name"])
            if live is None:
                return  # gone already
            stranger = stranger_reason(live, recorded_created_time(props))
            if stranger is not None:
                _log.warning("Statsig gate %s is not the gate stagefleet made: %s; leaving it untouched", id_, stranger)
                return
            if inputs["on_delete"] == "archive":
                if not live.archived:
                    statsig.archive_gate(id_, reason=ARCHIVE_REASON, label=inputs["name"])
            else:
                statsig.delete_gate(id_, label=inputs["name"])

    @staticmethod
    def _write(statsig: StatsigClient, live: GateInfo, inputs: Mapping[str, Any], *, rename: bool = False) -> GateInfo:
        return statsig.update_gate(
            live.id,
            description=gate_description(inputs["description"], inputs["owner"]),
            rules=_merged_rules(live, inputs),
            is_enabled=True,
            name=inputs["name"] if rename else None,
            label=inputs["name"],
        )


# ---------------------------------------------------------------- the resource


@dataclass
class GateArgs:
    name: pulumi.Input[str]
    description: pulumi.Input[str] = ""
    owner: pulumi.Input[str] | None = None
    emails: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=list)
    user_ids: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=list)
    environments: pulumi.Input[Sequence[pulumi.Input[str]]] = field(default_factory=lambda: ["staging"])
    # "delete" deletes the gate when the resource goes; "archive" archives it in Statsig.
    on_delete: pulumi.Input[str] = "delete"


class Gate(Resource, module="statsig", name="Gate"):
    """pulumi-python:dynamic/statsig:Gate, id = the Statsig gate id (derived by Statsig from the
    name: lower case, spaces as "_"), also output as `gate_id`. An enabled gate passing the
    given emails and user ids in the given environments (default ["staging"]). A new name
    replaces the gate; description, owner, emails, user_ids and environments are updated in
    place; on_delete ("delete" or "archive") says what destroying it does."""

    name: pulumi.Output[str]
    description: pulumi.Output[str]
    owner: pulumi.Output[str | None]
    emails: pulumi.Output[list[str]]
    user_ids: pulumi.Output[list[str]]
    environments: pulumi.Output[list[str]]
    on_delete: pulumi.Output[str]
    gate_id: pulumi.Output[str]
    # Statsig's createdTime of the gate it made (ms since the epoch): how it knows its gate again.
    created_time: pulumi.Output[int | None]

    def __init__(self, resource_name: str, args: GateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(GateProvider(), resource_name, args_to_props(args, gate_id=None, created_time=None), opts)

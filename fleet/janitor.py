"""Which review stacks to destroy: the decision behind `python -m fleet janitor`.

Inputs are what CI already has, recorded as files: `pulumi stack ls --json` and
`gh pr list --state open --json number,headRefName,updatedAt`. A review stack (`pr-<number>`,
short or fully qualified) is destroyed when its pull request is no longer open, or when neither
the pull request nor the stack has seen any activity for the TTL (the newer of the pull request's
`updatedAt` and the stack's last update: a review that is being discussed keeps its environment
even when nobody pushes). Nothing else is ever listed for destruction: not a stack with another
name, not one with an update in progress. Input that is not what those commands print is an
error (JanitorInputError) and nothing is decided from it.

Given the fleet stack (--stack), it also reports the environments and the feature flags (Statsig
gates) whose `expires` date has passed, and those expiring within the policy's warning days:
expired entries keep running until a pull request removes them from the config (fleet/expiry.py
writes that edit; the janitor workflow opens the pull request), and the owners of those expiring
soon are told.
"""

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleet import naming
from fleet.dates import EXPIRY_WARNING_DAYS, assume_utc, parse_timestamp
from fleet.wording import kind_of

DEFAULT_TTL_DAYS = 7


class JanitorInputError(ValueError):
    """An input file is unreadable or not what the command that should have written it prints."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


@dataclass(frozen=True)
class StackSummary:
    """One entry of `pulumi stack ls --json`."""

    name: str
    last_update: dt.datetime | None
    update_in_progress: bool
    resource_count: int | None

    @property
    def pull_request(self) -> int | None:
        return naming.review_stack_number(self.name)


@dataclass(frozen=True)
class OpenPullRequest:
    """One entry of `gh pr list --state open --json number,headRefName,updatedAt`."""

    number: int
    head_ref: str | None
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class Decision:
    stack: str
    pull_request: int | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "pullRequest": self.pull_request, "reason": self.reason}


@dataclass(frozen=True)
class ExpiredEnvironment:
    """An environment of the fleet stack past (`days` > 0) or close to (`days` <= 0: that many
    days left) its `expires` date."""

    environment: str
    expires: dt.date
    owner: str | None
    days: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "expires": self.expires.isoformat(),
            "owner": self.owner,
            **_days_json(self.days),
        }


@dataclass(frozen=True)
class ExpiredFlag:
    """A feature flag of the fleet stack past (or close to) its `expires` date: its Statsig gate
    still shows the feature to the people listed until the flag is removed or extended."""

    flag: str
    gate_id: str
    expires: dt.date
    owner: str
    enabled_for: tuple[str, ...]
    days: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "flag": self.flag,
            "gateId": self.gate_id,
            "expires": self.expires.isoformat(),
            "owner": self.owner,
            "enabledFor": list(self.enabled_for),
            **_days_json(self.days),
        }


def _days_json(days: int) -> dict[str, int]:
    return {"daysAgo": days} if days > 0 else {"daysLeft": -days}


def _since(days: int) -> str:
    """How long ago an entry expired (days > 0), or when it will (days <= 0)."""
    if days > 0:
        return f"{_days(days)} ago"
    return {0: "today", -1: "tomorrow"}.get(days, f"in {_days(-days)}")


@dataclass(frozen=True)
class JanitorReport:
    destroy: list[Decision]
    keep: list[Decision]
    expired: list[ExpiredEnvironment]
    ttl_days: int
    expired_flags: list[ExpiredFlag] = field(default_factory=list)
    expiring: list[ExpiredEnvironment] = field(default_factory=list)
    expiring_flags: list[ExpiredFlag] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "destroy": [decision.as_json() for decision in self.destroy],
            "keep": [decision.as_json() for decision in self.keep],
            "expired": [environment.as_json() for environment in self.expired],
            "expiredFlags": [flag.as_json() for flag in self.expired_flags],
            "expiring": [environment.as_json() for environment in self.expiring],
            "expiringFlags": [flag.as_json() for flag in self.expiring_flags],
        }

    def text_lines(self) -> list[str]:
        """`destroy <stack>: <reason>` lines first, so `grep ^destroy | cut` gets the stacks; then
        `keep`, `expired <environment>`, `expired-flag <flag name>`, `expiring <environment>` and
        `expiring-flag <flag name>` lines."""
        lines = [f"destroy {d.stack}: {d.reason}" for d in self.destroy]
        lines += [f"keep {d.stack}: {d.reason}" for d in self.keep]
        for word, environments in (("expired", self.expired), ("expiring", self.expiring)):
            for env in environments:
                owner = f" (owner {env.owner})" if env.owner else ""
                verb = "expired" if env.days > 0 else "expires"
                lines.append(
                    f"{word} {env.environment}: {verb} on {env.expires.isoformat()}, {_since(env.days)}{owner}"
                )
        for word, flags in (("expired-flag", self.expired_flags), ("expiring-flag", self.expiring_flags)):
            for flag in flags:
                verb = "expired" if flag.days > 0 else "expires"
                lines.append(
                    f"{word} {flag.flag}: {verb} on {flag.expires.isoformat()}, {_since(flag.days)} (owner "
                    f"{flag.owner}; Statsig gate {flag.gate_id}, enabled for {', '.join(flag.enabled_for)})"
                )
        return lines

    def markdown(self, stack: str | None, today: dt.date) -> str:
        """For people: one table per part that has entries (nothing at all when none has). The
        janitor workflow keeps this in one issue, found by its first line, that tells the owners."""
        parts: list[str] = []
        if self.destroy:
            parts.append(
                "Review stacks to destroy:\n\n| stack | why |\n| --- | --- |\n"
                + "".join(f"| `{d.stack}` | {d.reason} |\n" for d in self.destroy)
            )
        fleet = f" of the fleet stack `{stack}`" if stack else ""
        for title, environments, flags in (
            (
                f"Expired entries{fleet}: they keep running until the janitor's pull request removing them is merged",
                self.expired,
                self.expired_flags,
            ),
            (
                f"Expiring within {EXPIRY_WARNING_DAYS} days{fleet}: to keep one, change its `expires` in a pull "
                "request (one line)",
                self.expiring,
                self.expiring_flags,
            ),
        ):
            rows = [
                f"| environment `{env.environment}` | {env.owner or '—'} | {env.expires.isoformat()} | {_since(env.days)} |\n"
                for env in environments
            ] + [
                f"| feature flag `{flag.flag}` | {flag.owner} | {flag.expires.isoformat()} | {_since(flag.days)} |\n"
                for flag in flags
            ]
            if rows:
                parts.append(
                    f"{title}:\n\n| entry | owner | expires | when |\n| --- | --- | --- | --- |\n" + "".join(rows)
                )
        if not parts:
            return ""
        return f"<!-- stagefleet:janitor -->\nAs of {today.isoformat()}.\n\n" + "\n".join(parts)


# --- reading the inputs --------------------------------------------------------------------------


def read_json_file(path: str | Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JanitorInputError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise JanitorInputError(str(path), f"cannot read it: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        # Position only: the decoder's message quotes no content.
        raise JanitorInputError(str(path), f"not valid JSON: {error}") from None


def parse_stacks(document: Any, source: str = "stacks") -> list[StackSummary]:
    """`pulumi stack ls --json`: a list of {name, current, lastUpdate?, updateInProgress?,
    resourceCount?, url?}."""
    items = _list_of_objects(document, source, "pulumi stack ls --json")
    stacks = []
    for index, item in enumerate(items):
        where = f"entry {index}"
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise JanitorInputError(source, f'{where}: "name" must be a non-empty string')
        where = f"entry {index} ({json.dumps(name)})"
        in_progress = item.get("updateInProgress", False)
        if not isinstance(in_progress, bool):
            raise JanitorInputError(source, f'{where}: "updateInProgress" must be true or false')
        count = item.get("resourceCount")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            raise JanitorInputError(source, f'{where}: "resourceCount" must be a whole number')
        stacks.append(
            StackSummary(
                name=name,
                last_update=_timestamp(item.get("lastUpdate"), source, where, "lastUpdate"),
                update_in_progress=in_progress,
                resource_count=count,
            )
        )
    return stacks


def parse_open_pull_requests(document: Any, source: str = "open pull requests") -> list[OpenPullRequest]:
    """`gh pr list --state open --json number,headRefName,updatedAt`."""
    items = _list_of_objects(document, source, "gh pr list --state open --json number,headRefName,updatedAt")
    pull_requests = []
    for index, item in enumerate(items):
        where = f"entry {index}"
        number = item.get("number")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise JanitorInputError(source, f'{where}: "number" must be a pull request number (1 or more)')
        head_ref = item.get("headRefName")
        if head_ref is not None and not isinstance(head_ref, str):
            raise JanitorInputError(source, f'{where}: "headRefName" must be a string')
        pull_requests.append(
            OpenPullRequest(
                number=number,
                head_ref=head_ref,
                updated_at=_timestamp(item.get("updatedAt"), source, where, "updatedAt"),
            )
        )
    return pull_requests


def _list_of_objects(document: Any, source: str, command: str) -> list[Mapping[str, Any]]:
    if not isinstance(document, list):
        got = kind_of(document, words="json")
        raise JanitorInputError(source, f"expected a JSON list (the output of `{command}`), got {got}")
    for index, item in enumerate(document):
        if not isinstance(item, Mapping):
            got = kind_of(item, words="json")
            raise JanitorInputError(source, f"entry {index}: expected an object, got {got}")
    return document


def _timestamp(value: object, source: str, where: str, key: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError:
            pass
    raise JanitorInputError(source, f'{where}: "{key}" must be an ISO 8601 date and time')


def parse_now(text: str) -> dt.datetime:
    """An ISO 8601 date and time (UTC when it has no offset)."""
    return parse_timestamp(text)


# --- deciding ------------------------------------------------------------------------------------


def plan(
    stacks: Iterable[StackSummary],
    open_pull_requests: Iterable[OpenPullRequest],
    *,
    now: dt.datetime,
    ttl_days: int = DEFAULT_TTL_DAYS,
    fleet: Any = None,
) -> JanitorReport:
    """Decide for every stack; `fleet` (a FleetSpec, optional) adds its expired environments and
    feature flags."""
    if ttl_days < 1:
        raise ValueError("ttl_days must be at least 1")
    now = assume_utc(now)
    open_by_number = {pull_request.number: pull_request for pull_request in open_pull_requests}
    ttl = dt.timedelta(days=ttl_days)
    destroy: list[Decision] = []
    keep: list[Decision] = []
    for stack in stacks:
        number = stack.pull_request
        if number is None:
            keep.append(Decision(stack.name, None, "not a review stack (its name is not pr-<number>)"))
        elif stack.update_in_progress:
            keep.append(Decision(stack.name, number, "an update is in progress; left for the next run"))
        elif number not in open_by_number:
            destroy.append(Decision(stack.name, number, f"pull request #{number} is closed"))
        else:
            pull_request = open_by_number[number]
            moments = [moment for moment in (pull_request.updated_at, stack.last_update) if moment is not None]
            if not moments:
                keep.append(
                    Decision(stack.name, number, f"pull request #{number} is open; the stack was never updated")
                )
                continue
            idle = _whole_days(now - max(moments))
            if now - max(moments) > ttl:
                activity = (
                    f"pull request updated {_day(pull_request.updated_at)}, stack updated {_day(stack.last_update)}"
                )
                reason = f"no activity for {idle} days (TTL {ttl_days}; {activity})"
                destroy.append(Decision(stack.name, number, reason))
            else:
                reason = f"pull request #{number} is open, last activity {_days(idle)} ago (TTL {ttl_days})"
                keep.append(Decision(stack.name, number, reason))
    today = now.date()
    return JanitorReport(
        destroy=sorted(destroy, key=_order),
        keep=sorted(keep, key=_order),
        expired=expired_environments(fleet, today) if fleet is not None else [],
        ttl_days=ttl_days,
        expired_flags=expired_flags(fleet, today) if fleet is not None else [],
        expiring=expired_environments(fleet, today, within=EXPIRY_WARNING_DAYS) if fleet is not None else [],
        expiring_flags=expired_flags(fleet, today, within=EXPIRY_WARNING_DAYS) if fleet is not None else [],
    )


def _day(moment: dt.datetime | None) -> str:
    return moment.date().isoformat() if moment is not None else "never"


def expired_environments(fleet: Any, today: dt.date, *, within: int | None = None) -> list[ExpiredEnvironment]:
    """Fleet environments whose `expires` date has passed (the day itself still counts), in
    config order; with `within`, those expiring in that many days or fewer instead."""
    return [
        ExpiredEnvironment(env.name, env.expires, env.owner, (today - env.expires).days)
        for env in fleet.environments
        if env.expires is not None and _selected(env.expires, today, within)
    ]


def expired_flags(fleet: Any, today: dt.date, *, within: int | None = None) -> list[ExpiredFlag]:
    """Feature flags whose `expires` date has passed (the day itself still counts), in config
    order; with `within`, those expiring in that many days or fewer instead. A flag without
    `expires` is the policy's business (validate fails), not the janitor's."""
    return [
        ExpiredFlag(
            flag.name, flag.gate_id, flag.expires, flag.owner, tuple(flag.enabled_for), (today - flag.expires).days
        )
        for flag in fleet.feature_flags
        if flag.expires is not None and _selected(flag.expires, today, within)
    ]


def _selected(expires: dt.date, today: dt.date, within: int | None) -> bool:
    if within is None:
        return expires < today
    return today <= expires <= today + dt.timedelta(days=within)


def _order(decision: Decision) -> tuple[Any, ...]:
    # Review stacks by pull request number (pr-9 before pr-10), then by name; others last.
    number = decision.pull_request
    return (number is None, number if number is not None else 0, decision.stack)


def _whole_days(delta: dt.timedelta) -> int:
    return max(0, math.floor(delta.total_seconds() / 86400))


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


__all__: Sequence[str] = [
    "DEFAULT_TTL_DAYS",
    "Decision",
    "ExpiredEnvironment",
    "ExpiredFlag",
    "JanitorInputError",
    "JanitorReport",
    "OpenPullRequest",
    "StackSummary",
    "expired_environments",
    "expired_flags",
    "parse_now",
    "parse_open_pull_requests",
    "parse_stacks",
    "plan",
    "read_json_file",
]

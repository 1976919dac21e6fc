"""Removing what has expired from the fleet stack file: the edit behind the janitor's pull request.

An expired environment or feature flag keeps running (fleet/policy.py: a warning, never a stopped
fleet) until a pull request removes its entry; merging that pull request destroys it through the
normal deploy. The edit is made on the text, line by line, so that everything else in the file —
comments, order, quoting, blank lines — stays byte for byte: the result is the file minus the
removed entries (each entry with the comment lines directly above it). It is then read back and
must be exactly the old config without those entries, and a valid fleet, or nothing is written.

An expired environment stays when something that stays needs it: a kept environment (or the
defaults) uses its database, or its owner answers for a feature flag that stays (a flag's owner
must own an environment). Pure: no pulumi, no I/O beyond what the caller hands in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleet.config import FleetConfigError, FleetSpec
from fleet.stackfile import config_of, parse_stack_document
from fleet.wording import quote

ENVIRONMENTS_KEY = "stagefleet:environments"
FLAGS_KEY = "stagefleet:featureFlags"


class ExpiryEditError(Exception):
    """The file cannot be edited safely: nothing is written."""


@dataclass(frozen=True)
class Removed:
    kind: str  # "environment" or "feature flag"
    name: str
    owner: str | None
    expires: dt.date
    days_ago: int


@dataclass(frozen=True)
class Kept:
    kind: str
    name: str
    owner: str | None
    expires: dt.date
    reason: str


@dataclass(frozen=True)
class Removal:
    text: str
    removed: list[Removed] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)

    @property
    def owners(self) -> list[str]:
        """Everyone whose entry goes, in file order, once each."""
        return list(dict.fromkeys(entry.owner for entry in self.removed if entry.owner))


def remove_expired(text: str, spec: FleetSpec, today: dt.date, path: Path = Path("Pulumi.staging.yaml")) -> Removal:
    """The stack file `text` (whose config is `spec`) without the entries expired before `today`."""
    environments = {env.name: env for env in spec.environments if env.expires is not None and env.expires < today}
    flags = [flag for flag in spec.feature_flags if flag.expires is not None and flag.expires < today]
    kept: list[Kept] = []
    flag_names = {flag.name for flag in flags}
    staying_flags = [flag for flag in spec.feature_flags if flag.name not in flag_names]
    while True:
        reasons = _still_needed(spec, set(environments), staying_flags)
        if not reasons:
            break
        for name, reason in reasons.items():
            env = environments.pop(name)
            assert env.expires is not None
            kept.append(Kept("environment", name, env.owner, env.expires, reason))
    removed = [
        Removed("environment", env.name, env.owner, env.expires, (today - env.expires).days)
        for env in spec.environments
        if env.name in environments and env.expires is not None
    ] + [
        Removed("feature flag", flag.name, flag.owner, flag.expires, (today - flag.expires).days)
        for flag in flags
        if flag.expires is not None
    ]
    if not removed:
        return Removal(text, [], kept)
    env_indices = [index for index, env in enumerate(spec.environments) if env.name in environments]
    flag_indices = [index for index, flag in enumerate(spec.feature_flags) if flag.name in flag_names]
    edited = remove_list_items(text, ENVIRONMENTS_KEY, env_indices)
    edited = remove_list_items(edited, FLAGS_KEY, flag_indices)
    _check(text, edited, env_indices, flag_indices, path)
    return Removal(edited, removed, kept)


def _still_needed(spec: FleetSpec, going: set[str], staying_flags: Sequence[Any]) -> dict[str, str]:
    """Environments about to go that something staying needs, and why."""
    reasons: dict[str, str] = {}
    staying = [env for env in spec.environments if env.name not in going]
    default_source = spec.defaults.database.source
    for env in staying:
        source = env.database.source if env.database is not None else None
        if source in going and source not in reasons:
            reasons[source] = f"environment {quote(env.name)} uses its database"
    if default_source in going and any(env.database is None for env in staying) and default_source not in reasons:
        reasons[default_source] = "stagefleet:defaults.database uses its database"
    owners = {env.owner for env in staying}
    for flag in staying_flags:
        if flag.owner in owners:
            continue
        last = [env.name for env in spec.environments if env.name in going and env.owner == flag.owner]
        if last and last[0] not in reasons:
            reasons[last[0]] = f"its owner answers for feature flag {quote(flag.name)}, which has not expired"
    return reasons


# --- the line-based edit ----------------------------------------------------------------------

_COMMENT = re.compile(r"^\s*#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_blank(line: str) -> bool:
    return not line.strip()


def remove_list_items(text: str, key: str, indices: Sequence[int]) -> str:
    """`text` without items `indices` of the block sequence under the top-level config key `key`
    (e.g. "stagefleet:environments"): each item's lines, and the comment lines directly above its
    dash at its indentation. An emptied list becomes `key: []`."""
    if not indices:
        return text
    lines = text.splitlines(keepends=True)
    key_line = _find_key(lines, key)
    items = _items(lines, key_line, key)
    wanted = set(indices)
    if max(wanted) >= len(items):
        raise ExpiryEditError(f"{key} has {len(items)} entries in the file; cannot remove entry {max(wanted)}")
    drop: set[int] = set()
    for index in wanted:
        start, end = items[index]
        drop.update(range(start, end))
    if wanted == set(range(len(items))):
        line = lines[key_line]
        body, newline = line.rstrip("\r\n"), line[len(line.rstrip("\r\n")) :]
        head, hash_, comment = body.partition(" #")
        lines[key_line] = f"{head.rstrip()} []" + (f" #{comment}" if hash_ else "") + newline
    return "".join(line for number, line in enumerate(lines) if number not in drop)


def _find_key(lines: list[str], key: str) -> int:
    pattern = re.compile(rf"^(\s*){re.escape(key)}:\s*(#.*)?$")
    found = [number for number, line in enumerate(lines) if pattern.match(line.rstrip("\r\n"))]
    if len(found) != 1:
        written = any(line.lstrip().startswith(f"{key}:") for line in lines)
        why = "written in flow style ([...]) or with an anchor" if written else "not found"
        raise ExpiryEditError(f"{key}: {why}; edit it by hand")
    return found[0]


def _items(lines: list[str], key_line: int, key: str) -> list[tuple[int, int]]:
    """(first line, line after the last) of each item of the block sequence under `key_line`."""
    key_indent = _indent(lines[key_line])
    dash_indent: int | None = None
    starts: list[int] = []
    end = len(lines)
    for number in range(key_line + 1, len(lines)):
        line = lines[number]
        if _is_blank(line) or _COMMENT.match(line):
            continue
        indent = _indent(line)
        stripped = line.lstrip(" ")
        is_dash = stripped.startswith("- ") or stripped.rstrip("\r\n") == "-"
        if dash_indent is None:
            if not is_dash or indent < key_indent:
                raise ExpiryEditError(f"{key}: not a list of entries; edit it by hand")
            dash_indent = indent
        if indent < dash_indent or (indent == dash_indent and not is_dash):
            end = number
            break
        if indent == dash_indent:
            starts.append(number)
    items: list[tuple[int, int]] = []
    for position, start in enumerate(starts):
        stop = starts[position + 1] if position + 1 < len(starts) else end
        items.append((start, stop))
    assert dash_indent is not None or not items
    # Each item ends at its last line of content (deeper than the dash); what follows it — blank
    # lines, comments at the dash's indentation or less — is not its own. Comments directly above
    # a dash, at its indentation, are that item's.
    spans: list[tuple[int, int]] = []
    for start, stop in items:
        last = start
        for number in range(start + 1, stop):
            line = lines[number]
            if _is_blank(line):
                continue
            if _COMMENT.match(line) and dash_indent is not None and _indent(line) <= dash_indent:
                continue
            last = number
        first = start
        while (
            first - 1 > key_line
            and _COMMENT.match(lines[first - 1])
            and dash_indent is not None
            and _indent(lines[first - 1]) == dash_indent
        ):
            first -= 1
        spans.append((first, last + 1))
    return spans


def _check(before: str, after: str, env_indices: Sequence[int], flag_indices: Sequence[int], path: Path) -> None:
    """The edited file must read as the old config minus exactly those entries, and be a valid fleet."""
    old = config_of(parse_stack_document(before, path), path)
    try:
        new = config_of(parse_stack_document(after, path), path)
    except Exception as error:
        raise ExpiryEditError(f"the edited file does not read back ({error}); edit it by hand") from None
    expected = dict(old)
    for key, indices in ((ENVIRONMENTS_KEY, env_indices), (FLAGS_KEY, flag_indices)):
        if indices:
            expected[key] = [item for index, item in enumerate(old[key]) if index not in set(indices)]
    if new != expected:
        raise ExpiryEditError("the edited file is not the old one minus the expired entries; edit it by hand")
    try:
        FleetSpec.from_config(new)
    except FleetConfigError as error:
        raise ExpiryEditError(f"without those entries the fleet is invalid:\n{error}") from None


def pull_request_body(removal: Removal, stack: str, today: dt.date) -> str:
    """The janitor's pull request: what goes, whose it is (an owner written as a GitHub @handle is
    mentioned), and how to keep it instead."""
    lines = [
        "<!-- stagefleet:expired -->",
        f"These entries of `Pulumi.{stack}.yaml` expired before {today.isoformat()}. They keep running until "
        "this pull request is merged; the deploy then destroys them.",
        "",
        "| entry | owner | expired on | days ago |",
        "| --- | --- | --- | ---: |",
    ]
    for entry in removal.removed:
        owner = entry.owner or "—"
        lines.append(f"| {entry.kind} `{entry.name}` | {owner} | {entry.expires.isoformat()} | {entry.days_ago} |")
    if removal.kept:
        lines += ["", "Expired, but kept for now:", ""]
        for kept in removal.kept:
            lines.append(f"- {kept.kind} `{kept.name}` (owner {kept.owner or '—'}): {kept.reason}")
    lines += [
        "",
        "To keep one, change its `expires` in a pull request of your own (one line; at most "
        "`stagefleet:limits.maxDeveloperDays` ahead): once that is merged, the next janitor run leaves it out of "
        "this one. This branch is rebuilt from main on every run.",
    ]
    return "\n".join(lines) + "\n"

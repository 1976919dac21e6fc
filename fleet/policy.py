"""The fleet's rules, checked by `python -m fleet validate` and by the program before it declares
anything, so a pull request that breaks one fails CI and `pulumi preview` with the same message.

Errors:
- more long-lived environments (every environment of the fleet stack) than limits.maxLongLived;
- an estimated monthly total above limits.monthlyBudgetUsd;
- a developer environment without `expires`, or expiring more than limits.maxDeveloperDays
  (default 90) days after today;
- a dedicated database of an instance size the price table has no price for (the budget cannot be
  checked without it);
- a feature flag without `expires`, or expiring more than limits.maxFlagDays (default 90) days
  after today.
Warnings (never fail a run):
- an environment or a feature flag past its `expires` date (the date itself is still fine): it
  keeps running until a pull request removes it (the janitor workflow opens one). Time passing
  must never stop the fleet: a merge of an unrelated change deploys as usual;
- an environment or a feature flag expiring within 7 days;
- two environments deploying the same branch (every service deploys the environment's branch,
  so each push to it is deployed twice).

Given the `Baseline` of a pull request (`validate --base`, the stack file of the branch it merges
into), the expiry rules hold each entry the pull request adds or whose `expires` (or kind) it
changes: an added or extended entry that is already expired is an error there, and an entry that
was already in the base, unchanged, is never an error for being too far ahead (unless the pull
request lowers the limit). Without a baseline every entry is held to the limits and nothing
expired fails.

Every problem has its config path and a hint. `today` is always given by the caller (the CLI's
--today, the program's date) so the rules are deterministic under test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fleet import cost
from fleet.config import (
    FLEET_KEY_ORDER,
    ConfigProblem,
    FleetConfigError,
    FleetSpec,
    Loc,
    config_path,
    problem_sort_key,
)
from fleet.dates import EXPIRY_WARNING_DAYS
from fleet.wording import quote


@dataclass(frozen=True)
class Baseline:
    """The expiry-relevant part of the stack a pull request merges into: which entries exist with
    which kind and `expires`, and the limits they were held to."""

    environments: Mapping[str, tuple[str, dt.date | None]]
    flags: Mapping[str, dt.date | None]
    max_developer_days: int | None
    max_flag_days: int | None

    @classmethod
    def of(cls, spec: FleetSpec) -> Baseline:
        return cls(
            environments={env.name: (env.kind, env.expires) for env in spec.environments},
            flags={flag.name: flag.expires for flag in spec.feature_flags},
            max_developer_days=spec.limits.max_developer_days,
            max_flag_days=spec.limits.max_flag_days,
        )

    @classmethod
    def empty(cls) -> Baseline:
        """A base with no stack file (a new stack): every entry is added."""
        return cls(environments={}, flags={}, max_developer_days=None, max_flag_days=None)


class PolicyViolation(FleetConfigError):
    """The config is well-formed but breaks the fleet's rules. `problems` holds the errors;
    `warnings` the warnings found alongside them."""

    def __init__(self, problems: Sequence[ConfigProblem], warnings: Sequence[ConfigProblem] = ()) -> None:
        super().__init__(problems)
        self.warnings = list(warnings)


def check(spec: FleetSpec, today: dt.date, base: Baseline | None = None) -> list[ConfigProblem]:
    """Every rule the fleet breaks, errors and warnings, in config order; `base` is what the pull
    request under review merges into, when there is one."""
    unpriced = _unpriced(spec)
    found = [
        *unpriced,
        *_long_lived(spec),
        *_expiry(spec, today, base),
        *_same_branch(spec),
        *_flag_expiry(spec, today, base),
    ]
    if not unpriced:  # the estimate needs every price
        found += _budget(spec)
    found.sort(key=lambda item: problem_sort_key(item[0], FLEET_KEY_ORDER))
    return [problem for _, problem in found]


def errors(problems: Sequence[ConfigProblem]) -> list[ConfigProblem]:
    return [problem for problem in problems if problem.severity == "error"]


def warnings(problems: Sequence[ConfigProblem]) -> list[ConfigProblem]:
    return [problem for problem in problems if problem.severity == "warning"]


def enforce(spec: FleetSpec, today: dt.date, base: Baseline | None = None) -> list[ConfigProblem]:
    """The warnings, or PolicyViolation when anything is an error."""
    problems = check(spec, today, base)
    if errors(problems):
        raise PolicyViolation(errors(problems), warnings(problems))
    return warnings(problems)


def problem_lines(problem: ConfigProblem, *, mark_warning: bool = True) -> list[str]:
    """How a problem is printed, by the CLI and in the program's error: `path: message`, a
    warning prefixed with `warning: ` (unless whatever prints it says so itself, as Pulumi's
    log does), then its hint indented."""
    prefix = "warning: " if problem.severity == "warning" and mark_warning else ""
    lines = [f"{prefix}{problem}"]
    if problem.hint:
        lines.append(f"  hint: {problem.hint}")
    return lines


def unpriced(spec: FleetSpec) -> list[ConfigProblem]:
    """Instance sizes in use without a price: the estimate cannot be made without them."""
    return [problem for _, problem in _unpriced(spec)]


# --- the rules --------------------------------------------------------------------------------


def _problem(loc: Loc, message: str, hint: str, severity: str = "error") -> tuple[Loc, ConfigProblem]:
    return loc, ConfigProblem(config_path(loc), message, severity=severity, hint=hint)  # type: ignore[arg-type]


def _unpriced(spec: FleetSpec) -> list[tuple[Loc, ConfigProblem]]:
    found: list[tuple[Loc, ConfigProblem]] = []
    reported: set[str] = set()
    for index, env in enumerate(spec.environments):
        database = spec.database_for(env)
        if database.strategy == "dedicated":
            size: str | None = spec.instance_size_for(env)
        elif database.strategy == "branch":
            # A branch of the default size is priced by stagefleet:prices.supabaseBranchPerDayUsd.
            size = spec.branch_instance_size_for(env)
            if size == cost.BRANCH_DEFAULT_INSTANCE_SIZE:
                continue
        else:
            continue
        if size is None or size in reported or spec.prices.compute_usd(size) is not None:
            continue
        reported.add(size)
        if database.instance_size is not None and env.database is not None:
            loc: Loc = ("environments", index, "database", "instanceSize")
        elif database.strategy == "branch":
            loc = ("supabase", "branchInstanceSize")
        elif spec.supabase is not None and spec.supabase.instance_size == size:
            loc = ("supabase", "instanceSize")
        else:
            loc = ("environments", index, "database")
        price_path = config_path(("prices", "supabaseComputeUsd", size))
        found.append(
            _problem(
                loc,
                f"no price for Supabase instance size {quote(size)} (used by environment "
                f"{quote(env.name)}): Supabase publishes none, so the estimate and the budget "
                "cannot be checked",
                f"give its monthly price in USD: pulumi config set --path '{price_path}' <amount>",
            )
        )
    return found


def _long_lived(spec: FleetSpec) -> list[tuple[Loc, ConfigProblem]]:
    limit = spec.limits.max_long_lived
    count = len(spec.environments)
    if limit is None or count <= limit:
        return []
    excess = count - limit
    # Reported at the first environment beyond the limit: in a pull request that adds one, that
    # is usually the new entry.
    return [
        _problem(
            ("environments", limit),
            f"{count} long-lived environments, {excess} more than stagefleet:limits.maxLongLived allows ({limit})",
            "remove an environment nobody needs any more (`python -m fleet janitor` lists expired "
            "ones), or raise the limit: pulumi config set --path 'stagefleet:limits.maxLongLived' "
            f"{count}",
        )
    ]


def _budget(spec: FleetSpec) -> list[tuple[Loc, ConfigProblem]]:
    estimate = cost.estimate(spec)
    over = estimate.over_budget
    if over is None:
        return []
    assert estimate.budget is not None
    biggest = ", ".join(f"{c.environment} {cost.usd(c.total)}" for c in cost.largest(estimate.environments))
    branch = cost.HourlyRate.per_day(spec.prices.supabase_branch_per_day_usd).monthly()
    return [
        _problem(
            ("limits", "monthlyBudgetUsd"),
            f"the estimated monthly cost {cost.usd(estimate.total)} is {cost.usd(over)} over the "
            f"budget of {cost.usd(estimate.budget)} (largest: {biggest})",
            f"a shared database costs nothing and a Supabase branch {cost.usd(branch)} a month; or "
            "use a smaller instanceSize, remove an environment, or raise the budget: pulumi config "
            "set --path 'stagefleet:limits.monthlyBudgetUsd' <amount>",
        )
    ]


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _expiry(spec: FleetSpec, today: dt.date, base: Baseline | None) -> list[tuple[Loc, ConfigProblem]]:
    found: list[tuple[Loc, ConfigProblem]] = []
    max_days = spec.limits.max_developer_days
    latest = today + dt.timedelta(days=max_days)
    limit_lowered = base is not None and base.max_developer_days is not None and base.max_developer_days > max_days
    for index, env in enumerate(spec.environments):
        loc: Loc = ("environments", index, "expires")
        path = config_path(loc)
        developer = env.kind == "developer"
        if env.expires is None:
            if developer:
                found.append(
                    _problem(
                        loc,
                        "required for developer environments",
                        f"at most {max_days} days from today (stagefleet:limits.maxDeveloperDays), "
                        f"e.g. pulumi config set --path '{path}' {latest.isoformat()}",
                    )
                )
            continue
        entry = _Dated(
            loc=loc,
            who=f"environment {quote(env.name)}" + (f" (owner {env.owner})" if env.owner else ""),
            expires=env.expires,
            max_days=max_days if developer else None,
            limit="stagefleet:limits.maxDeveloperDays",
            kind_of_entry="a developer environment",
            removal="remove it from stagefleet:environments (the janitor workflow opens a pull request that does)",
            changed=_changed(base, base.environments.get(env.name) if base else None, (env.kind, env.expires)),
            limit_lowered=limit_lowered,
        )
        found += entry.problems(today)
    return found


def _flag_expiry(spec: FleetSpec, today: dt.date, base: Baseline | None) -> list[tuple[Loc, ConfigProblem]]:
    """Feature flags follow the developer environments' rules: a gate nobody removes keeps a
    half-finished feature on for somebody, so every flag has an end date, and not a distant one."""
    found: list[tuple[Loc, ConfigProblem]] = []
    max_days = spec.limits.max_flag_days
    latest = today + dt.timedelta(days=max_days)
    limit_lowered = base is not None and base.max_flag_days is not None and base.max_flag_days > max_days
    on_delete = "archived" if spec.statsig.on_delete == "archive" else "deleted"
    for index, flag in enumerate(spec.feature_flags):
        loc: Loc = ("featureFlags", index, "expires")
        path = config_path(loc)
        if flag.expires is None:
            found.append(
                _problem(
                    loc,
                    "required for feature flags",
                    f"at most {max_days} days from today (stagefleet:limits.maxFlagDays), "
                    f"e.g. pulumi config set --path '{path}' {latest.isoformat()}",
                )
            )
            continue
        entry = _Dated(
            loc=loc,
            who=f"feature flag {quote(flag.name)} (owner {flag.owner})",
            expires=flag.expires,
            max_days=max_days,
            limit="stagefleet:limits.maxFlagDays",
            kind_of_entry="a feature flag",
            removal=f"remove it from stagefleet:featureFlags (its Statsig gate is then {on_delete}; the janitor "
            "workflow opens a pull request that does)",
            changed=_changed(base, base.flags.get(flag.name, _ABSENT) if base else None, flag.expires),
            limit_lowered=limit_lowered,
        )
        found += entry.problems(today)
    return found


_ABSENT = object()


def _changed(base: Baseline | None, before: object, now: object) -> bool | None:
    """Whether a pull request adds the entry or changes what its expiry rules read; None when
    there is no pull request to compare with."""
    if base is None:
        return None
    return before is None or before is _ABSENT or before != now


@dataclass(frozen=True)
class _Dated:
    """An entry with an `expires` date (an environment or a feature flag), and what its rules say."""

    loc: Loc
    who: str
    expires: dt.date
    max_days: int | None  # None: no maximum (team and shared environments)
    limit: str
    kind_of_entry: str
    removal: str
    changed: bool | None  # None: no baseline
    limit_lowered: bool

    def problems(self, today: dt.date) -> list[tuple[Loc, ConfigProblem]]:
        path = config_path(self.loc)
        left = (self.expires - today).days
        latest = today + dt.timedelta(days=self.max_days) if self.max_days is not None else None
        new_date = latest.isoformat() if latest else "<YYYY-MM-DD>"
        date = self.expires.isoformat()
        if left < 0:
            if self.changed:
                return [
                    _problem(
                        self.loc,
                        f"{self.who} expired on {date}, {_days(-left)} ago: a pull request may not add an "
                        "expired entry or extend one to a date that has passed",
                        f"set a date from today on: pulumi config set --path '{path}' {new_date}",
                    )
                ]
            return [
                _problem(
                    self.loc,
                    f"{self.who} expired on {date}, {_days(-left)} ago; it keeps running until it is removed",
                    f"{self.removal}, or extend it: pulumi config set --path '{path}' {new_date}",
                    severity="warning",
                )
            ]
        if self.max_days is not None and latest is not None and left > self.max_days:
            message = (
                f"{date} is {left} days away; {self.kind_of_entry} may last at most {self.max_days} days "
                f"from today ({self.limit})"
            )
            hint = f"set {latest.isoformat()} or earlier and extend it when the time comes, or raise {self.limit}"
            # Unchanged since the base, under the same limit: the pull request under review did
            # not ask for it, and time only brings the date closer.
            held = self.changed is None or self.changed or self.limit_lowered
            return [_problem(self.loc, message, hint, severity="error" if held else "warning")]
        if left <= EXPIRY_WARNING_DAYS:
            when = {0: "today", 1: "tomorrow"}.get(left, f"in {left} days")
            extend = self.expires + dt.timedelta(days=30)
            if latest is not None:
                extend = min(extend, latest)
            return [
                _problem(
                    self.loc,
                    f"{self.who} expires {when}, on {date}",
                    "after that date it keeps running, reported as expired, and the janitor workflow proposes "
                    f"removing it; to keep it: pulumi config set --path '{path}' "
                    f"{extend.isoformat() if latest is not None else '<YYYY-MM-DD>'}",
                    severity="warning",
                )
            ]
        return []


def _same_branch(spec: FleetSpec) -> list[tuple[Loc, ConfigProblem]]:
    found: list[tuple[Loc, ConfigProblem]] = []
    first: dict[str, int] = {}
    services = [service.name for service in spec.railway.services]
    deployed = " and ".join([", ".join(services[:-1]), services[-1]] if len(services) > 1 else services)
    for index, env in enumerate(spec.environments):
        if env.branch not in first:
            first[env.branch] = index
            continue
        other = spec.environments[first[env.branch]]
        other_path = config_path(("environments", first[env.branch]))
        found.append(
            _problem(
                ("environments", index, "branch"),
                f"branch {quote(env.branch)} is already deployed by environment "
                f"{quote(other.name)} ({other_path}): every push to it deploys {deployed} to both",
                f"give {quote(env.name)} a branch of its own, or use {quote(other.name)} instead of a second copy",
                severity="warning",
            )
        )
    return found

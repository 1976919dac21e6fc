"""The fleet's rules, checked by `python -m fleet validate` and by the program before it declares
anything, so a pull request that breaks one fails CI and `pulumi preview` with the same message.

Errors:
- more long-lived environments (every environment of the fleet stack) than limits.maxLongLived;
- an estimated monthly total above limits.monthlyBudgetUsd;
- an environment past its `expires` date (the date itself is still fine);
- a developer environment without `expires`, or expiring more than limits.maxDeveloperDays
  (default 90) days after today;
- a dedicated database of an instance size the price table has no price for (the budget cannot be
  checked without it);
- a feature flag past its `expires` date, without `expires`, or expiring more than
  limits.maxFlagDays (default 90) days after today.
Warnings (never fail a run):
- an environment or a feature flag expiring within 7 days;
- two environments deploying the same branch (every service deploys the environment's branch,
  so each push to it is deployed twice).

Every problem has its config path and a hint. `today` is always given by the caller (the CLI's
--today, the program's date) so the rules are deterministic under test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

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
from fleet.wording import quote

EXPIRY_WARNING_DAYS = 7


class PolicyViolation(FleetConfigError):
    """The config is well-formed but breaks the fleet's rules. `problems` holds the errors;
    `warnings` the warnings found alongside them."""

    def __init__(self, problems: Sequence[ConfigProblem], warnings: Sequence[ConfigProblem] = ()) -> None:
        super().__init__(problems)
        self.warnings = list(warnings)


def check(spec: FleetSpec, today: dt.date) -> list[ConfigProblem]:
    """Every rule the fleet breaks, errors and warnings, in config order."""
    unpriced = _unpriced(spec)
    found = [
        *unpriced,
        *_long_lived(spec),
        *_expiry(spec, today),
        *_same_branch(spec),
        *_flag_expiry(spec, today),
    ]
    if not unpriced:  # the estimate needs every price
        found += _budget(spec)
    found.sort(key=lambda item: problem_sort_key(item[0], FLEET_KEY_ORDER))
    return [problem for _, problem in found]


def errors(problems: Sequence[ConfigProblem]) -> list[ConfigProblem]:
    return [problem for problem in problems if problem.severity == "error"]


def warnings(problems: Sequence[ConfigProblem]) -> list[ConfigProblem]:
    return [problem for problem in problems if problem.severity == "warning"]


def enforce(spec: FleetSpec, today: dt.date) -> list[ConfigProblem]:
    """The warnings, or PolicyViolation when anything is an error."""
    problems = check(spec, today)
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


def _expiry(spec: FleetSpec, today: dt.date) -> list[tuple[Loc, ConfigProblem]]:
    found: list[tuple[Loc, ConfigProblem]] = []
    max_days = spec.limits.max_developer_days
    latest = today + dt.timedelta(days=max_days)
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
        left = (env.expires - today).days
        who = f"environment {quote(env.name)}" + (f" (owner {env.owner})" if env.owner else "")
        if left < 0:
            new_date = latest.isoformat() if developer else "<YYYY-MM-DD>"
            found.append(
                _problem(
                    loc,
                    f"{who} expired on {env.expires.isoformat()}, {_days(-left)} ago",
                    f"remove it from stagefleet:environments, or extend it: pulumi config set "
                    f"--path '{path}' {new_date}",
                )
            )
            continue
        if developer and left > max_days:
            found.append(
                _problem(
                    loc,
                    f"{env.expires.isoformat()} is {left} days away; a developer environment may "
                    f"last at most {max_days} days from today (stagefleet:limits.maxDeveloperDays)",
                    f"set {latest.isoformat()} or earlier and extend it when the time comes, or "
                    "raise stagefleet:limits.maxDeveloperDays",
                )
            )
            continue
        if left <= EXPIRY_WARNING_DAYS:
            when = {0: "today", 1: "tomorrow"}.get(left, f"in {left} days")
            extend = min(env.expires + dt.timedelta(days=30), latest) if developer else None
            new_date = extend.isoformat() if extend else "<YYYY-MM-DD>"
            found.append(
                _problem(
                    loc,
                    f"{who} expires {when}, on {env.expires.isoformat()}",
                    "after that date validate and pulumi up fail until it is removed or extended: "
                    f"pulumi config set --path '{path}' {new_date}",
                    severity="warning",
                )
            )
    return found


def _flag_expiry(spec: FleetSpec, today: dt.date) -> list[tuple[Loc, ConfigProblem]]:
    """Feature flags follow the developer environments' rules: a gate nobody removes keeps a
    half-finished feature on for somebody, so every flag has an end date, and not a distant one."""
    found: list[tuple[Loc, ConfigProblem]] = []
    max_days = spec.limits.max_flag_days
    latest = today + dt.timedelta(days=max_days)
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
        left = (flag.expires - today).days
        who = f"feature flag {quote(flag.name)} (owner {flag.owner})"
        if left < 0:
            found.append(
                _problem(
                    loc,
                    f"{who} expired on {flag.expires.isoformat()}, {_days(-left)} ago",
                    f"remove it from stagefleet:featureFlags (its Statsig gate is then {on_delete}), or "
                    f"extend it: pulumi config set --path '{path}' {latest.isoformat()}",
                )
            )
        elif left > max_days:
            found.append(
                _problem(
                    loc,
                    f"{flag.expires.isoformat()} is {left} days away; a feature flag may last at most "
                    f"{max_days} days from today (stagefleet:limits.maxFlagDays)",
                    f"set {latest.isoformat()} or earlier and extend it when the time comes, or raise "
                    "stagefleet:limits.maxFlagDays",
                )
            )
        elif left <= EXPIRY_WARNING_DAYS:
            when = {0: "today", 1: "tomorrow"}.get(left, f"in {left} days")
            extend = min(flag.expires + dt.timedelta(days=30), latest)
            found.append(
                _problem(
                    loc,
                    f"{who} expires {when}, on {flag.expires.isoformat()}",
                    "after that date validate and pulumi up fail until it is removed or extended: "
                    f"pulumi config set --path '{path}' {extend.isoformat()}",
                    severity="warning",
                )
            )
    return found


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

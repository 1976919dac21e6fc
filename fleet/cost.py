"""What the fleet costs a month, estimated from the stack config and the price table.

Prices come from `stagefleet:prices` (PricesSpec), each key defaulting to a public price:
Railway about $20 a month per long-lived environment (the team's own figure), Supabase compute per
instance size (nano $0, micro ~$10, small ~$15, medium ~$60, large ~$110, ...) and a Supabase
branch at ~$0.32 a day on micro compute (a branch's default size).

The rules of the estimate:
- Everything is billed by the hour, and a partial hour bills as a full hour (Supabase's rule,
  applied to Railway as well). A month is 730 hours (365 × 24 / 12), the month Supabase's "~$10"
  and our monthly prices stand for; a day is 24 hours.
- Every environment of the fleet stack is long-lived: one Railway environment a month each.
- Its database: dedicated = a Supabase project of its instance size; branch = a Supabase branch
  of its size (stagefleet:supabase.branchInstanceSize): on micro, Supabase's default for a
  branch, at the daily branch price; on any other size, priced like a project of that size (a
  branch bills its compute by the hour as a project does); shared = nothing (the owner pays for it); external = nothing (it is
  not ours to pay).
- Review stacks (one per pull request) are estimated per day: a Railway environment at the
  long-lived rate by the hour, plus their database (a branch, by default). They are not part of
  the fleet's monthly total: how many pull requests are open is not in the config.
- Amounts are rounded to cents line by line (half up), and every total is the sum of the rounded
  lines it adds up, so a table always adds up to its total.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Literal

from fleet import review, tables
from fleet.config import DatabaseSpec, EnvironmentSpec, FleetSpec

HOURS_PER_MONTH = 730
HOURS_PER_DAY = 24
CENT = Decimal("0.01")


class UnknownPriceError(ValueError):
    """A dedicated database of an instance size the price table has no price for."""

    def __init__(self, instance_size: str) -> None:
        super().__init__(f"no price for Supabase instance size {instance_size!r}")
        self.instance_size = instance_size


def cents(amount: Fraction | Decimal | int) -> Decimal:
    """An exact amount rounded to cents, half up."""
    if isinstance(amount, Fraction):
        amount = Decimal(amount.numerator) / Decimal(amount.denominator)
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def usd(amount: Decimal) -> str:
    """$1,234.50; negative amounts as -$9.73."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def signed_usd(amount: Decimal) -> str:
    """+$30.00, -$9.73, $0.00: a difference."""
    return f"+{usd(amount)}" if amount > 0 else usd(amount)


def _exact(value: float | int) -> Fraction:
    # str() first: 0.32 is the price written in the config, not the binary float nearest to it.
    return Fraction(str(value))


@dataclass(frozen=True)
class HourlyRate:
    """A price per hour, exact. Billing rounds a partial hour up to a full one."""

    per_hour: Fraction

    @classmethod
    def per_month(cls, amount: float | int) -> HourlyRate:
        return cls(_exact(amount) / HOURS_PER_MONTH)

    @classmethod
    def per_day(cls, amount: float | int) -> HourlyRate:
        return cls(_exact(amount) / HOURS_PER_DAY)

    def bill(self, hours: float) -> Fraction:
        """What running for `hours` costs: every started hour is paid in full."""
        if hours < 0:
            raise ValueError("hours must not be negative")
        return self.per_hour * math.ceil(hours)

    def monthly(self) -> Decimal:
        return cents(self.bill(HOURS_PER_MONTH))

    def daily(self) -> Decimal:
        return cents(self.bill(HOURS_PER_DAY))


FREE = HourlyRate(Fraction(0))


def railway_rate(spec: FleetSpec) -> HourlyRate:
    return HourlyRate.per_month(spec.prices.railway_per_long_lived_environment_usd)


# The compute Supabase gives a branch made without desired_instance_size.
BRANCH_DEFAULT_INSTANCE_SIZE = "micro"


def database_rate(spec: FleetSpec, database: DatabaseSpec, instance_size: str | None) -> HourlyRate:
    """What a database of this strategy and compute size costs us by the hour (a branch's size
    None: Supabase's default for a branch)."""
    if database.strategy == "branch" and instance_size in (None, BRANCH_DEFAULT_INSTANCE_SIZE):
        return HourlyRate.per_day(spec.prices.supabase_branch_per_day_usd)
    if database.strategy in ("dedicated", "branch"):
        size = instance_size or ""
        price = spec.prices.compute_usd(size)
        if price is None:
            raise UnknownPriceError(size)
        return HourlyRate.per_month(price)
    return FREE  # shared: the owner pays; external: not ours


def describe_database(database: DatabaseSpec, instance_size: str | None = None) -> str:
    """dedicated micro / branch of main / shared with main / external."""
    if database.strategy == "dedicated":
        return f"dedicated {instance_size}" if instance_size else "dedicated"
    if database.strategy == "branch":
        return f"branch of {database.source}" + (f" ({instance_size})" if instance_size else "")
    if database.strategy == "shared":
        return f"shared with {database.source}"
    return "external"


@dataclass(frozen=True)
class EnvironmentCost:
    """One environment's estimate for a month, in USD rounded to cents."""

    environment: str
    kind: str
    database: DatabaseSpec
    instance_size: str | None  # dedicated, or a branch of a size of its own
    railway: Decimal
    supabase: Decimal

    @property
    def total(self) -> Decimal:
        return self.railway + self.supabase

    def describe_database(self) -> str:
        return describe_database(self.database, self.instance_size)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.environment,
            "kind": self.kind,
            "database": _database_json(self.database, self.instance_size),
            "railwayUsd": float(self.railway),
            "supabaseUsd": float(self.supabase),
            "monthlyUsd": float(self.total),
        }


def _database_json(database: DatabaseSpec, instance_size: str | None) -> dict[str, Any]:
    return {"strategy": database.strategy, "source": database.source, "instanceSize": instance_size}


@dataclass(frozen=True)
class ReviewStackCost:
    """A review stack (one pull request's environment) for one day."""

    database: DatabaseSpec
    instance_size: str | None
    railway: Decimal
    supabase: Decimal

    @property
    def total(self) -> Decimal:
        return self.railway + self.supabase

    def describe_database(self) -> str:
        return describe_database(self.database, self.instance_size)

    def as_json(self) -> dict[str, Any]:
        return {
            "database": _database_json(self.database, self.instance_size),
            "railwayPerDayUsd": float(self.railway),
            "supabasePerDayUsd": float(self.supabase),
            "perDayUsd": float(self.total),
        }


@dataclass(frozen=True)
class FleetCost:
    """The fleet stack's monthly estimate."""

    environments: list[EnvironmentCost]
    budget: Decimal | None  # stagefleet:limits.monthlyBudgetUsd
    review_stack: ReviewStackCost | None  # None when the fleet has no environment to branch
    max_pull_requests: int | None

    @property
    def railway(self) -> Decimal:
        return sum((cost.railway for cost in self.environments), Decimal("0.00"))

    @property
    def supabase(self) -> Decimal:
        return sum((cost.supabase for cost in self.environments), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.railway + self.supabase

    @property
    def over_budget(self) -> Decimal | None:
        """By how much the total exceeds the budget; None when within it or without one."""
        if self.budget is None or self.total <= self.budget:
            return None
        return self.total - self.budget

    def environment(self, name: str) -> EnvironmentCost:
        for cost in self.environments:
            if cost.environment == name:
                return cost
        raise KeyError(name)

    def as_json(self) -> dict[str, Any]:
        review = self.review_stack
        return {
            "currency": "USD",
            "hoursPerMonth": HOURS_PER_MONTH,
            "environments": [cost.as_json() for cost in self.environments],
            "railwayUsd": float(self.railway),
            "supabaseUsd": float(self.supabase),
            "totalMonthlyUsd": float(self.total),
            "budget": None
            if self.budget is None
            else {
                "monthlyUsd": float(self.budget),
                "remainingUsd": float(self.budget - self.total),
                "over": self.over_budget is not None,
            },
            "reviewStack": None
            if review is None
            else {
                **review.as_json(),
                "maxPullRequests": self.max_pull_requests,
                "maxPerDayUsd": float(review.total * self.max_pull_requests)
                if self.max_pull_requests is not None
                else None,
            },
        }


def database_size(spec: FleetSpec, env: EnvironmentSpec, database: DatabaseSpec) -> str | None:
    """The compute size the environment's database is priced at: a project's size, a branch's own
    size (None: a branch's default), nothing for the others."""
    if database.strategy == "dedicated":
        return spec.instance_size_for(env)
    if database.strategy == "branch":
        return spec.branch_instance_size_for(env)
    return None


def environment_cost(spec: FleetSpec, env: EnvironmentSpec) -> EnvironmentCost:
    database = spec.database_for(env)
    size = database_size(spec, env, database)
    return EnvironmentCost(
        environment=env.name,
        kind=env.kind,
        database=database,
        instance_size=size,
        railway=railway_rate(spec).monthly(),
        supabase=database_rate(spec, database, size).monthly(),
    )


def review_stack_cost(spec: FleetSpec, database: DatabaseSpec, instance_size: str | None = None) -> ReviewStackCost:
    """One day of a review stack whose database is `database` (its `source` a fleet environment):
    a dedicated one of `instance_size` (default stagefleet:supabase.instanceSize), a branch of
    stagefleet:supabase.branchInstanceSize."""
    size: str | None = None
    if database.strategy == "dedicated":
        size = instance_size or _default_size(spec)
    elif database.strategy == "branch" and spec.supabase is not None:
        size = spec.supabase.branch_instance_size
    return ReviewStackCost(
        database=database,
        instance_size=size,
        railway=railway_rate(spec).daily(),
        supabase=database_rate(spec, database, size).daily(),
    )


def _default_size(spec: FleetSpec) -> str:
    return spec.supabase.instance_size if spec.supabase is not None else "micro"


def default_review_database(spec: FleetSpec) -> DatabaseSpec | None:
    """What a review stack gets when Pulumi.pr.yaml names no database (fleet/review.py's rule):
    a Supabase branch of the fleet's first environment of kind shared."""
    return review.default_database(spec)


def estimate(spec: FleetSpec) -> FleetCost:
    """The fleet's monthly estimate. Raises UnknownPriceError for an instance size without a price
    (fleet.policy reports it with its config path)."""
    budget = spec.limits.monthly_budget_usd
    review_database = default_review_database(spec)
    return FleetCost(
        environments=[environment_cost(spec, env) for env in spec.environments],
        budget=cents(_exact(budget)) if budget is not None else None,
        review_stack=review_stack_cost(spec, review_database) if review_database is not None else None,
        max_pull_requests=spec.limits.max_pull_requests,
    )


# --- comparing two configs ------------------------------------------------------------------------

Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class CostChange:
    environment: str
    change: Change
    before: EnvironmentCost | None
    after: EnvironmentCost | None

    @property
    def before_total(self) -> Decimal:
        return self.before.total if self.before is not None else Decimal("0.00")

    @property
    def after_total(self) -> Decimal:
        return self.after.total if self.after is not None else Decimal("0.00")

    @property
    def delta(self) -> Decimal:
        return self.after_total - self.before_total

    def describe(self) -> str:
        """What changed about its cost: `dedicated micro`, `dedicated micro -> branch of main`."""
        if self.before is None:
            assert self.after is not None
            return self.after.describe_database()
        if self.after is None:
            return self.before.describe_database()
        before, after = self.before.describe_database(), self.after.describe_database()
        if before != after:
            return f"{before} -> {after}"
        return f"{after} (prices)"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.environment,
            "change": self.change,
            "beforeUsd": float(self.before_total) if self.before is not None else None,
            "afterUsd": float(self.after_total) if self.after is not None else None,
            "deltaUsd": float(self.delta),
            "database": self.describe(),
        }


@dataclass(frozen=True)
class CostDiff:
    base: FleetCost
    head: FleetCost
    changes: list[CostChange]  # environments whose monthly cost changed, head order then removed

    @property
    def delta(self) -> Decimal:
        return self.head.total - self.base.total

    def summary(self) -> str:
        """One line for a pull request comment: `this adds $30.00/month (...)`."""
        total = f"estimated total {usd(self.head.total)}/month"
        over = self.head.over_budget
        if self.head.budget is None:
            context = total
        elif over is not None:
            context = f"{total}, {usd(over)} over the {usd(self.head.budget)} budget"
        else:
            context = f"{total}, budget {usd(self.head.budget)}"
        if self.delta > 0:
            return f"this adds {usd(self.delta)}/month ({context})"
        if self.delta < 0:
            return f"this saves {usd(-self.delta)}/month ({context})"
        return f"this does not change the estimated cost ({context})"

    def as_json(self) -> dict[str, Any]:
        return {
            "changes": [change.as_json() for change in self.changes],
            "beforeUsd": float(self.base.total),
            "afterUsd": float(self.head.total),
            "deltaUsd": float(self.delta),
            "summary": self.summary(),
        }


def compare(base: FleetCost, head: FleetCost) -> CostDiff:
    """Per environment: added, removed, or changed cost (an unchanged cost is left out)."""
    before = {cost.environment: cost for cost in base.environments}
    after = {cost.environment: cost for cost in head.environments}
    changes: list[CostChange] = []
    for name, cost in after.items():
        if name not in before:
            changes.append(CostChange(name, "added", None, cost))
        elif before[name].total != cost.total:
            changes.append(CostChange(name, "changed", before[name], cost))
    for name, cost in before.items():
        if name not in after:
            changes.append(CostChange(name, "removed", cost, None))
    return CostDiff(base, head, changes)


def largest(costs: Sequence[EnvironmentCost], count: int = 3) -> list[EnvironmentCost]:
    """The most expensive environments, most expensive first (config order among equals)."""
    return sorted(costs, key=lambda cost: -cost.total)[:count]


# --- rendering ------------------------------------------------------------------------------------

ESTIMATE_COLUMNS = [
    tables.Column("environment"),
    tables.Column("kind"),
    tables.Column("database"),
    tables.Column("Railway", "right"),
    tables.Column("Supabase", "right"),
    tables.Column("monthly", "right"),
]
DIFF_COLUMNS = [
    tables.Column("environment"),
    tables.Column("change"),
    tables.Column("database"),
    tables.Column("before", "right"),
    tables.Column("after", "right"),
    tables.Column("difference", "right"),
]


def render_estimate(estimate: FleetCost, fmt: Literal["markdown", "table"]) -> str:
    """The estimate per environment with its total row, then the budget and review stack lines."""
    rows = [
        [c.environment, c.kind, c.describe_database(), usd(c.railway), usd(c.supabase), usd(c.total)]
        for c in estimate.environments
    ]
    total = ["total", "", "", usd(estimate.railway), usd(estimate.supabase), usd(estimate.total)]
    lines = [budget_line(estimate)]
    review = review_line(estimate)
    if review:
        lines.append(review)
    return tables.render(ESTIMATE_COLUMNS, rows, fmt, [total]) + "\n" + "\n".join(lines) + "\n"


def budget_line(estimate: FleetCost) -> str:
    if estimate.budget is None:
        return f"Budget: none set (stagefleet:limits.monthlyBudgetUsd); estimated {usd(estimate.total)} a month."
    over = estimate.over_budget
    state = f"{usd(over)} over" if over is not None else f"{usd(estimate.budget - estimate.total)} left"
    return (
        f"Budget: {usd(estimate.total)} of {usd(estimate.budget)} a month "
        f"(stagefleet:limits.monthlyBudgetUsd), {state}."
    )


def review_line(estimate: FleetCost) -> str | None:
    review = estimate.review_stack
    if review is None:
        return None
    line = (
        f"Review stacks: {usd(review.total)} a day each (Railway {usd(review.railway)}, "
        f"{review.describe_database()} {usd(review.supabase)})"
    )
    if estimate.max_pull_requests is not None:
        most = review.total * estimate.max_pull_requests
        line += f"; at most {estimate.max_pull_requests} at once (stagefleet:limits.maxPullRequests): {usd(most)} a day"
    return line + "; not in the monthly total."


def render_diff(diff: CostDiff, base_label: str, fmt: Literal["markdown", "table"]) -> str:
    """The one-line summary, the environments whose cost changes, then the new estimate."""
    parts = [diff.summary() + "\n"]
    if diff.changes:
        rows = [
            [
                change.environment,
                change.change,
                change.describe(),
                usd(change.before_total) if change.before is not None else "—",
                usd(change.after_total) if change.after is not None else "—",
                signed_usd(change.delta),
            ]
            for change in diff.changes
        ]
        total = ["total", "", "", usd(diff.base.total), usd(diff.head.total), signed_usd(diff.delta)]
        parts.append(f"Against {base_label}:\n\n" + tables.render(DIFF_COLUMNS, rows, fmt, [total]))
    else:
        parts.append(f"No environment's cost differs from {base_label}.\n")
    parts.append(render_estimate(diff.head, fmt))
    return "\n".join(parts)


def render_review_stack(stack: str, review: ReviewStackCost, ttl_days: int | None = None) -> str:
    line = (
        f"Review stack {stack}: {usd(review.total)} a day (Railway {usd(review.railway)}, "
        f"{review.describe_database()} {usd(review.supabase)})"
    )
    if ttl_days is not None:
        line += f"; left idle, the janitor destroys it after {ttl_days} days"
    return line + ".\n"

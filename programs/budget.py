"""Before an `up` sends anything: can Railway's hourly request budget pay for what it creates?

Creating environments costs Railway requests (PER_ENVIRONMENT, PER_SERVICE, PER_DOMAIN below);
the account's plan allows so many an hour (stagefleet:railway.plan; providers/limits.py). When an
up needs more than remain, it does not fail: the limiter paces every request, and the ones over
the budget wait until the hourly window has room again. That can be most of an hour, so the up
says so at its start (pulumi.log.warn), with how many requests it needs and how many remain,
instead of appearing to stall.

What remains is the plan's budget less what this machine's stagefleet processes sent in the last
hour (the limiter's ledger) and no more than Railway last said (X-RateLimit-Remaining). Which
environments are new takes one request (the project's environments): it is sent only when
creating every declared environment would not fit, so a fleet well inside its budget, and every
preview, send nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from fleet import FleetSpec, naming
from fleet.config import EnvironmentSpec
from fleet.config.models import RailwayPlanLimits
from providers import settings
from providers.api import ApiError
from providers.http import RetryPolicy
from providers.limits import RAILWAY_PLANS, Plan
from providers.railway.client import RailwayClient

__all__ = ["PER_DOMAIN", "PER_ENVIRONMENT", "PER_SERVICE", "Budget", "railway_budget", "warn_if_over_budget"]

# Railway requests a new environment costs in an up (bench/results/fleet_scale.json, requests by
# operation): environmentCreate; per service serviceInstanceUpdate, variableCollectionUpsert,
# deploymentTriggerUpdate and serviceInstanceDeployV2; serviceDomainCreate per public domain.
PER_ENVIRONMENT = 1
PER_SERVICE = 4
PER_DOMAIN = 1
# What `python -m fleet status --wait` then asks per environment, typically (bench/readiness.py).
STATUS_PER_ENVIRONMENT = 3

# The one look at the project's environments is advice: it gives up quickly rather than hold the up.
_ONE_LOOK = RetryPolicy(attempts=2, base_delay=0.5, max_delay=1.0, deadline=15.0)


@dataclass(frozen=True)
class Budget:
    """What creating `new_environments` costs against Railway's hourly budget."""

    new_environments: int
    needed: int
    remaining: int
    limit: int
    window_seconds: float
    plan: Plan

    @property
    def covered(self) -> bool:
        return self.needed <= self.remaining

    def warning(self) -> str:
        short = self.needed - self.remaining
        return (
            f"Railway: this up creates {self.new_environments} environment"
            f"{'' if self.new_environments == 1 else 's'}, about {self.needed:,} Railway API requests "
            f"(and `python -m fleet status --wait` about {STATUS_PER_ENVIRONMENT * self.new_environments:,} more), "
            f"but only {self.remaining:,} of the {self.limit:,} an hour remain ({self.plan.describe()}): "
            f"the up paces its requests and the last ~{short:,} wait until the hourly window has room again, "
            f"up to {_duration(self.window_seconds)}, instead of being refused (HTTP 429). "
            "To go faster, create the environments over several ups, or set stagefleet:railway.plan to the "
            "account's plan if it allows more"
        )


def railway_requests(spec: FleetSpec, environments: Sequence[EnvironmentSpec]) -> int:
    """The Railway requests creating `environments` takes in an up (roughly: retries aside)."""
    services = spec.railway.services
    per_environment = PER_ENVIRONMENT + PER_SERVICE * len(services) + PER_DOMAIN * sum(s.domain for s in services)
    return per_environment * len(environments)


def plan_of(spec: FleetSpec) -> Plan:
    """The plan the providers pace by: the config's `railway.plan`, else what providers.settings
    finds (STAGEFLEET_RAILWAY_PLAN, else Pro)."""
    plan = spec.railway.plan
    if isinstance(plan, RailwayPlanLimits):
        return Plan("custom", per_second=plan.per_second, per_hour=plan.per_hour)
    if plan is not None:
        return RAILWAY_PLANS[plan]
    return settings.railway_plan()


def railway_budget(spec: FleetSpec) -> Budget | None:
    """The hourly budget against the environments this up creates; None when it cannot be told
    (no token, no configured hourly window for this URL, Railway not answering)."""
    config_token = spec.railway_token.get_secret_value() if spec.railway_token else None
    token = config_token or settings.setting(settings.RAILWAY_TOKEN_KEY, settings.RAILWAY_TOKEN_ENV)
    if token is None or not spec.environments:
        return None
    api_url = (
        spec.railway_api_url
        or settings.setting(settings.RAILWAY_API_URL_KEY, settings.RAILWAY_API_URL_ENV)
        or settings.DEFAULT_RAILWAY_API_URL
    )
    try:
        railway_settings = settings.RailwaySettings(
            token=token,
            api_url=settings.with_source_param(api_url),
            plan=plan_of(spec),
            emulated_limits=settings.emulated_limits_scale(),
        )
    except settings.SettingsError:
        return None  # the providers report it, naming the key, on their first call
    limiter = RailwayClient.limiter_for(railway_settings)
    hour = limiter.window("an hour")
    if hour is None:
        return None

    def budget(new: Sequence[EnvironmentSpec]) -> Budget:
        return Budget(
            new_environments=len(new),
            needed=railway_requests(spec, new),
            remaining=limiter.remaining(hour),
            limit=limiter.limit(hour),
            window_seconds=hour.seconds,
            plan=railway_settings.plan,
        )

    every = budget(spec.environments)
    if every.covered:
        return every
    try:
        with RailwayClient(railway_settings, policy=_ONE_LOOK) as railway:
            existing = {found.name for found in railway.list_environments(spec.railway.project_id)}
    except ApiError:
        return None
    new = [env for env in spec.environments if naming.railway_environment_name(env.name) not in existing]
    return budget(new)


def warn_if_over_budget(spec: FleetSpec) -> Budget | None:
    """In an up (not a preview): warn when the environments it creates need more Railway requests
    than remain this hour. Returns the budget looked at (None when none was)."""
    if pulumi.runtime.is_dry_run():
        return None
    found = railway_budget(spec)
    if found is not None and found.new_environments and not found.covered:
        pulumi.log.warn(found.warning())
    return found


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} hour{'' if seconds == 3600 else 's'}"
    if seconds >= 120:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{seconds:.0f} s"

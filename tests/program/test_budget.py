"""programs/budget.py: an up that needs more Railway requests than its hourly budget has left
says so at its start (how many it needs, how many remain), against the Railway sandbox with the
documented limits applied to it (STAGEFLEET_EMULATED_LIMITS=1)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from fleet import FleetSpec
from programs import budget
from providers.railway.client import RailwayClient
from providers.settings import RailwaySettings
from sandbox.railway import RailwaySandbox
from tests.unit.fleet_support import FLEET

TOKEN = "budget-token-71c2"
PROJECT_ID = FLEET["stagefleet:railway"]["projectId"]
BASE_ENVIRONMENT_ID = FLEET["stagefleet:railway"]["baseEnvironmentId"]


@pytest.fixture
def railway(monkeypatch: pytest.MonkeyPatch) -> Iterator[RailwaySandbox]:
    with RailwaySandbox(tokens={TOKEN}, lifetime=60) as sandbox:
        sandbox.seed_project(
            name="gatewayz",
            project_id=PROJECT_ID,
            base_environment="staging-template",
            base_environment_id=BASE_ENVIRONMENT_ID,
            services=[
                {"name": "api", "id": "svc-api", "repository": "o/api"},
                {"name": "web", "id": "svc-web", "repository": "o/web"},
            ],
        )
        monkeypatch.setenv("RAILWAY_API_TOKEN", TOKEN)
        monkeypatch.setenv("RAILWAY_API_URL", sandbox.url)
        monkeypatch.setenv("STAGEFLEET_EMULATED_LIMITS", "1")
        monkeypatch.delenv("STAGEFLEET_RAILWAY_PLAN", raising=False)
        sandbox.journal_clear()
        yield sandbox


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: said.append(message))
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: False)
    return said


def spec(per_hour: int) -> FleetSpec:
    config: dict[str, Any] = copy.deepcopy(FLEET)
    config["stagefleet:railway"]["plan"] = {"perSecond": 50, "perHour": per_hour}
    return FleetSpec.from_config(config)


def test_a_new_environment_costs_the_railway_requests_an_up_sends_for_it():
    # environmentCreate, then per service: instance settings, variables, trigger, deployment, domain.
    assert budget.railway_requests(spec(100), spec(100).environments[:1]) == 1 + 2 * 5


def test_an_up_that_needs_more_than_remains_warns_with_both_counts(railway: RailwaySandbox, warnings: list[str]):
    found = budget.warn_if_over_budget(spec(40))

    assert found is not None and (found.new_environments, found.needed, found.remaining) == (5, 55, 39)
    assert len(warnings) == 1
    assert "creates 5 environments, about 55 Railway API requests" in warnings[0]
    assert "only 39 of the 40 an hour remain" in warnings[0]


def test_environments_railway_already_has_are_not_counted(railway: RailwaySandbox, warnings: list[str]):
    settings = RailwaySettings(TOKEN, railway.url, plan=budget.plan_of(spec(40)), emulated_limits=1.0)
    with RailwayClient(settings) as client:
        client.create_environment(project_id=PROJECT_ID, name="staging-main", source_environment_id=BASE_ENVIRONMENT_ID)

    found = budget.warn_if_over_budget(spec(40))

    assert found is not None and (found.new_environments, found.needed, found.remaining) == (4, 44, 38)


def test_a_fleet_inside_its_budget_sends_nothing_and_says_nothing(railway: RailwaySandbox, warnings: list[str]):
    found = budget.warn_if_over_budget(spec(1000))

    assert found is not None and found.covered
    assert warnings == [] and railway.journal == []


def test_a_preview_looks_at_no_budget(railway: RailwaySandbox, warnings: list[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: True)

    assert budget.warn_if_over_budget(spec(40)) is None
    assert warnings == [] and railway.journal == []


def test_without_a_token_there_is_no_budget_to_look_at(
    railway: RailwaySandbox, warnings: list[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("RAILWAY_API_TOKEN")

    assert budget.warn_if_over_budget(spec(40)) is None
    assert warnings == []

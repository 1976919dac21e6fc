"""stagefleet:railway.plan: the Railway plan whose API limits the providers keep to, a name or
the numbers, each fault with its exact config path."""

import pytest

from fleet import FleetSpec
from fleet.config.models import RailwayPlanLimits

RAILWAY = "stagefleet:railway"
SHAPE = 'use "hobby", "pro" or {perSecond: N, perHour: N}'


@pytest.mark.parametrize("name", ["hobby", "pro"])
def test_a_plan_is_named(config, name):
    config[RAILWAY]["plan"] = name
    assert FleetSpec.from_config(config).railway.plan == name


def test_a_plan_may_be_the_numbers(config):
    config[RAILWAY]["plan"] = {"perSecond": 20, "perHour": 5000.0}
    assert FleetSpec.from_config(config).railway.plan == RailwayPlanLimits(per_second=20, per_hour=5000)


def test_without_a_plan_none_is_read(config):
    assert FleetSpec.from_config(config).railway.plan is None


def test_an_unknown_plan_name_is_named_with_the_shapes_allowed(config, problems_of, error_of):
    config[RAILWAY]["plan"] = "team"
    assert problems_of(config) == [(f"{RAILWAY}.plan", '"team" is not a Railway plan')]
    assert error_of(config).problems[0].hint == SHAPE


@pytest.mark.parametrize(
    ("plan", "at", "message"),
    [
        ({"perSecond": 0, "perHour": 10}, "perSecond", "must be at least 1"),
        ({"perSecond": 10}, "perHour", "required key is missing"),
        ({"perSecond": 10, "perHour": 10, "perDay": 1}, "perDay", "unknown key: only perSecond and perHour"),
        ({"perSecond": "ten", "perHour": 10}, "perSecond", "expected a whole number"),
    ],
)
def test_numbers_that_are_wrong_name_the_key(config, problems_of, plan, at, message):
    config[RAILWAY]["plan"] = plan
    assert problems_of(config) == [(f"{RAILWAY}.plan.{at}", message)]


def test_a_plan_that_is_neither_a_name_nor_numbers_says_so(config, problems_of):
    config[RAILWAY]["plan"] = 10
    assert problems_of(config) == [(f"{RAILWAY}.plan", "expected a plan name or a mapping, got a number")]

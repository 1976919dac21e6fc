"""stagefleet:lateAnswerGrace: the providers' late-answer grace window, set per stack (fleet and
review stacks alike), checked by `fleet validate` before anything talks to an API."""

from typing import Any

import pytest

from fleet import FleetConfigError, FleetSpec, ReviewSpec
from tests.unit.review_support import PULL_REQUEST, fleet_config

KEY = "stagefleet:lateAnswerGrace"


@pytest.mark.parametrize(("value", "seconds"), [("45", 45.0), ("2.5", 2.5), (60, 60.0), (0, 0.0)])
def test_the_window_is_a_number_of_seconds_given_as_text_or_a_number(config, value: Any, seconds: float):
    config[KEY] = value

    assert FleetSpec.from_config(config).late_answer_grace == seconds


def test_without_it_the_providers_default_applies(config):
    assert FleetSpec.from_config(config).late_answer_grace is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", 'expected a number of seconds, got "soon"'),
        ("-1", "must not be negative"),
        ("181", "must be at most 180"),
        (True, "expected a number, got a boolean"),
    ],
)
def test_a_bad_window_names_the_key(config, problems_of, value: Any, message: str):
    config[KEY] = value

    assert problems_of(config) == [(KEY, message)]


@pytest.mark.parametrize(("value", "problems"), [("30", []), ("-1", [(KEY, "must not be negative")])])
def test_a_review_stack_may_set_it_too_and_is_checked_the_same(value: str, problems: list[tuple[str, str]]):
    fleet = FleetSpec.from_config(fleet_config())
    review = {"stagefleet:fleetStack": "staging", "stagefleet:pullRequest": dict(PULL_REQUEST), KEY: value}

    try:
        ReviewSpec.from_config(review, fleet)
        found = []
    except FleetConfigError as error:
        found = [(problem.path, problem.message) for problem in error.problems]

    assert found == problems

"""Names of review stacks and what they create: the program, the workflows and the janitor
agree through fleet.naming."""

import pytest

from fleet.naming import (
    pr_environment_name,
    review_stack_name,
    review_stack_number,
    stack_short_name,
    supabase_review_branch_name,
)


def test_a_review_stack_is_named_after_the_pull_request():
    assert review_stack_name(42) == "pr-42"


def test_the_review_stack_and_its_environment_share_the_name():
    assert review_stack_name(7) == pr_environment_name(7)


def test_a_review_database_branch_is_named_prefix_pr_number():
    assert supabase_review_branch_name("gatewayz", 42) == "gatewayz-pr-42"


@pytest.mark.parametrize(
    ("stack", "number"),
    [("pr-42", 42), ("organization/stagefleet/pr-42", 42), ("gatewayz/pr-7", 7), ("pr-1", 1)],
)
def test_the_pull_request_number_is_read_from_short_and_qualified_names(stack, number):
    assert review_stack_number(stack) == number


@pytest.mark.parametrize(
    "stack",
    ["staging", "pr", "pr-", "pr-abc", "pr-012", "pr-0", "pr-12-old", "preview-12", "xpr-12", "pr-12/extra", "PR-12"],
)
def test_a_name_other_than_pr_number_is_not_a_review_stack(stack):
    assert review_stack_number(stack) is None


def test_the_short_name_of_a_qualified_stack_is_its_last_segment():
    assert stack_short_name("organization/stagefleet/staging") == "staging"
    assert stack_short_name("staging") == "staging"

"""The program's entry point: the stack config decides between the fleet and a review stack."""

from __future__ import annotations

from pathlib import Path

import pulumi

from fleet.review import is_review_stack
from programs.config import stack_config
from programs.fleet import deploy_fleet, load_fleet_spec
from programs.review import deploy_review, load_review


def main() -> None:
    """Run the program of this stack: a review stack's (pr-<n>, or any stack whose config names a
    fleet stack) or the fleet's."""
    mapping = stack_config()
    stack = pulumi.get_stack()
    if is_review_stack(stack, mapping):
        review = load_review(mapping, Path.cwd(), stack)
        deploy_review(review, pulumi.StackReference(review.fleet_stack))
    else:
        deploy_fleet(load_fleet_spec(mapping))

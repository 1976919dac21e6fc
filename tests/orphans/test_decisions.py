"""fleet.orphans.find: which live objects are orphans, why, what they cost, and which are old enough
to delete. Pure: live objects and owners are written by hand here, no API is called."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fleet.orphans import Conventions, LiveObject, OwnedResource, Owners, find, monthly_cost
from tests.orphans.support import BASE_ENVIRONMENT_ID, DAY, HOUR, NOW, PREFIX, PROJECT_ID, SPEC

CONVENTIONS = Conventions.of(SPEC)
MARKED = "Checkout v3 (owner: alice@gatewayz.ai) [managed by stagefleet]"


def environment(
    name: str, object_id: str = "env-x", age: dt.timedelta = 10 * DAY, project: str = PROJECT_ID
) -> LiveObject:
    return LiveObject("railway-environment", object_id, name, NOW - age, parent=project)


def project(name: str, ref: str = "ref-x", age: dt.timedelta = 10 * DAY, size: str | None = "micro") -> LiveObject:
    return LiveObject("supabase-project", ref, name, NOW - age, instance_size=size)


def branch(name: str, branch_id: str = "branch-x", age: dt.timedelta = 10 * DAY) -> LiveObject:
    return LiveObject("supabase-branch", branch_id, name, NOW - age, parent="ref-main")


def gate(name: str, description: str = MARKED, age: dt.timedelta = 10 * DAY) -> LiveObject:
    return LiveObject("statsig-gate", name, name, NOW - age, description=description)


def owners(*resources: OwnedResource, stacks: tuple[str, ...] = ("staging",)) -> Owners:
    return Owners(frozenset(stacks) | {r.stack for r in resources}, resources)


def decide(live, owned=None, *, open_prs=None, min_age=dt.timedelta(hours=24)):
    return find(
        live, owned or owners(), CONVENTIONS, now=NOW, prices=SPEC.prices, min_age=min_age, open_pull_requests=open_prs
    )


def why(findings) -> list[tuple[str, str]]:
    return [(f.object.name, f.why) for f in findings]


def test_an_environment_named_like_ours_that_no_stack_owns_is_an_orphan():
    old, recent = decide([environment("staging-dev9-zoe")])

    assert why(old) == [("staging-dev9-zoe", "no stack owns it")] and recent == []


def test_what_a_stack_owns_is_never_reported():
    owned = owners(
        OwnedResource("staging", "railway-environment", "env-main", "staging-main"),
        OwnedResource("staging", "supabase-project", "ref-main", f"{PREFIX}-staging-main"),
        OwnedResource("pr-14", "supabase-branch", "branch-14", f"{PREFIX}-pr-14"),
        OwnedResource("staging", "statsig-gate", "payments-v2", "payments-v2"),
    )
    live = [
        environment("staging-main", "env-main"),
        project(f"{PREFIX}-staging-main", "ref-main"),
        branch(f"{PREFIX}-pr-14", "branch-14"),
        gate("payments-v2"),
    ]

    assert decide(live, owned) == ([], [])


@pytest.mark.parametrize(
    "live",
    [
        environment("production"),
        environment("my-app"),
        environment("staging"),
        environment("staging-template", BASE_ENVIRONMENT_ID),  # the base every environment forks from
        environment("staging-base", BASE_ENVIRONMENT_ID),  # the base, renamed
        environment("staging-dev9-zoe", project="another-project"),
        project("my-app"),
        project(f"{PREFIX}-production"),
        project("other-staging-main"),
        branch("feature-x"),
        gate("by-hand", "Made in the console"),
        gate("quoted", "[managed by stagefleet] until someone edited this"),
    ],
    ids=lambda live: f"{live.kind}:{live.name}",
)
def test_nothing_named_outside_our_conventions_is_ever_reported(live):
    assert decide([live]) == ([], [])


def test_an_object_a_stack_has_under_another_id_is_a_duplicate_naming_that_stack_and_id():
    owned = owners(
        OwnedResource("staging", "supabase-project", "ref-b", f"{PREFIX}-staging-dev1-alice"),
        OwnedResource("staging", "railway-environment", "env-main", "staging-main"),
    )

    old, _ = decide([project(f"{PREFIX}-staging-dev1-alice", "ref-c"), environment("staging-main", "env-other")], owned)

    assert why(old) == [
        ("staging-main", "a stack has another id for that name (staging owns env-main)"),
        (f"{PREFIX}-staging-dev1-alice", "a stack has another id for that name (staging owns ref-b)"),
    ]
    assert [f.reason for f in old] == ["duplicate", "duplicate"]


def test_an_object_of_a_review_stack_that_is_gone_is_of_a_closed_pull_request():
    live = [environment("pr-14"), branch(f"{PREFIX}-pr-14"), project(f"{PREFIX}-staging-pr-14")]

    old, _ = decide(live)

    assert why(old) == [
        ("pr-14", "review stack of a closed pull request (#14; stack pr-14 is gone)"),
        (f"{PREFIX}-staging-pr-14", "review stack of a closed pull request (#14; stack pr-14 is gone)"),
        (f"{PREFIX}-pr-14", "review stack of a closed pull request (#14; stack pr-14 is gone)"),
    ]
    assert {f.pull_request for f in old} == {14}


def test_with_the_open_pull_requests_an_object_of_a_closed_one_is_reported_even_while_its_stack_exists():
    owned = owners(stacks=("staging", "pr-16", "pr-18"))
    live = [environment("pr-16", "env-16"), environment("pr-18", "env-18"), environment("pr-19", "env-19")]

    old, _ = decide(live, owned, open_prs=[18])

    assert why(old) == [
        ("pr-16", "review stack of a closed pull request (#16)"),
        ("pr-18", "no stack owns it"),
        ("pr-19", "review stack of a closed pull request (#19; stack pr-19 is gone)"),
    ]


def test_an_object_of_an_open_pull_request_whose_stack_is_gone_is_unowned_not_closed():
    # The janitor destroys a review stack left idle beyond its TTL while its pull request stays open.
    old, _ = decide([environment("pr-20", "env-20")], open_prs=[20])

    assert why(old) == [("pr-20", "no stack owns it (stack pr-20 is gone; #20 is open)")]


def test_without_the_open_pull_requests_an_object_of_an_existing_review_stack_is_just_unowned():
    old, _ = decide([environment("pr-16")], owners(stacks=("staging", "pr-16")))

    assert why(old) == [("pr-16", "no stack owns it")]


def test_a_duplicate_is_said_to_be_one_even_when_its_pull_request_is_closed():
    owned = owners(OwnedResource("pr-16", "supabase-branch", "branch-16", f"{PREFIX}-pr-16"))

    old, _ = decide([branch(f"{PREFIX}-pr-16", "branch-other")], owned, open_prs=[])

    assert why(old) == [(f"{PREFIX}-pr-16", "a stack has another id for that name (pr-16 owns branch-16)")]


def test_objects_younger_than_the_grace_period_or_of_unknown_age_are_apart_and_the_limit_itself_is_old_enough():
    live = [
        environment("pr-17", "env-17", age=23 * HOUR),
        environment("pr-18", "env-18", age=24 * HOUR),
        LiveObject("statsig-gate", "undated", "undated", None, description=MARKED),
    ]

    old, recent = decide(live)

    assert [f.object.name for f in old] == ["pr-18"]
    assert [(f.object.name, f.age) for f in recent] == [("pr-17", 23 * HOUR), ("undated", None)]


def test_a_shorter_grace_period_makes_younger_objects_orphans():
    old, recent = decide([environment("pr-17", age=2 * HOUR)], min_age=dt.timedelta(hours=1))

    assert [f.object.name for f in old] == ["pr-17"] and recent == []


def test_an_object_made_after_now_is_zero_old():
    _, [finding] = decide([environment("pr-17", age=-HOUR)])

    assert finding.age == dt.timedelta(0)


@pytest.mark.parametrize(
    ("live", "monthly"),
    [
        (environment("staging-x"), Decimal("20.00")),  # the long-lived rate
        (project(f"{PREFIX}-staging-x", size="small"), Decimal("15.00")),  # by its instance size
        (project(f"{PREFIX}-staging-x", size=None), None),  # the API did not say it
        (project(f"{PREFIX}-staging-x", size="pico"), None),  # a size without a price
        (branch(f"{PREFIX}-pr-3"), Decimal("9.73")),  # $0.32 a day, 730 hours a month
        (gate("flag"), Decimal("0.00")),
    ],
    ids=lambda value: value.kind if isinstance(value, LiveObject) else str(value),
)
def test_the_monthly_cost_is_the_fleets_price_of_what_it_is(live, monthly):
    assert monthly_cost(live, SPEC.prices) == monthly


def test_orphans_are_listed_by_vendor_and_kind_then_name():
    live = [
        gate("b-flag"),
        branch(f"{PREFIX}-pr-2"),
        project(f"{PREFIX}-staging-z"),
        environment("staging-b", "e2"),
        environment("pr-9", "e1"),
    ]

    old, _ = decide(live)

    assert [f.object.name for f in old] == ["pr-9", "staging-b", f"{PREFIX}-staging-z", f"{PREFIX}-pr-2", "b-flag"]

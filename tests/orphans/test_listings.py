"""The listings `fleet orphans` reads through the providers' clients: every live object of a vendor,
with when it was made (and a Supabase project's compute size), against the sandboxes; and the
sandboxes' helpers that seed objects made at a given time."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx

from providers.http import RetryPolicy
from providers.railway.client import RailwayClient
from providers.settings import RailwaySettings, StatsigSettings, SupabaseSettings
from providers.statsig.client import StatsigClient
from providers.supabase.client import SupabaseClient
from tests.orphans.support import (
    BASE_ENVIRONMENT_ID,
    DAY,
    NOW,
    ORGANIZATION,
    PROJECT_ID,
    RAILWAY_TOKEN,
    STATSIG_KEY,
    SUPABASE_TOKEN,
    Fleet,
    ref,
    uuid,
)


def railway(fleet: Fleet) -> RailwayClient:
    return RailwayClient(RailwaySettings(RAILWAY_TOKEN, fleet.railway.url))


def supabase(fleet: Fleet) -> SupabaseClient:
    return SupabaseClient(SupabaseSettings(SUPABASE_TOKEN, fleet.supabase.url))


def statsig(fleet: Fleet) -> StatsigClient:
    return StatsigClient(StatsigSettings(STATSIG_KEY, fleet.statsig.url))


# --- Railway -------------------------------------------------------------------------------------


def test_railway_lists_every_environment_of_the_project_with_its_creation_time(fleet):
    fleet.environment("staging-main", 1, 30 * DAY)
    fleet.environment("pr-14", 2, 2 * DAY)

    with railway(fleet) as client:
        listed = client.list_environments(PROJECT_ID)

    assert [(e.name, e.id, e.project_id) for e in listed] == [
        ("staging-template", BASE_ENVIRONMENT_ID, PROJECT_ID),
        ("staging-main", uuid(1), PROJECT_ID),
        ("pr-14", uuid(2), PROJECT_ID),
    ]
    assert [e.created_at for e in listed[1:]] == [NOW - 30 * DAY, NOW - 2 * DAY]
    assert listed[1].source_environment_id == BASE_ENVIRONMENT_ID


def test_railway_environments_deleted_since_are_not_listed(fleet):
    fleet.environment("pr-14", 2, 2 * DAY)
    fleet.railway.delete_environment(uuid(2))

    with railway(fleet) as client:
        assert [e.name for e in client.list_environments(PROJECT_ID)] == ["staging-template"]


def test_railway_listing_reads_every_page_and_skips_deleted_environments():
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["operationName"] == "Environments"
        first = body["variables"]["after"] is None
        node: dict[str, Any] = {
            "id": "e-1" if first else "e-2",
            "name": "pr-1" if first else "pr-2",
            "projectId": "p",
            "createdAt": "2026-12-04T10:00:00.000Z",
        }
        if not first:
            node["deletedAt"] = None
        gone = {"id": "e-0", "name": "pr-0", "projectId": "p", "deletedAt": "2026-12-05T00:00:00Z"}
        page = {
            "edges": [{"node": node}, {"node": gone}],
            "pageInfo": {"hasNextPage": first, "endCursor": "c1" if first else "c2"},
        }
        return httpx.Response(200, json={"data": {"environments": page}})

    policy = RetryPolicy(attempts=1, sleep=lambda _: None)
    client = RailwayClient(
        RailwaySettings("t", "https://railway.test/graphql/v2"), policy=policy, transport=httpx.MockTransport(answer)
    )
    with client:
        listed = client.list_environments("p")

    assert [(e.id, e.created_at) for e in listed] == [
        ("e-1", dt.datetime(2026, 12, 4, 10, tzinfo=dt.UTC)),
        ("e-2", dt.datetime(2026, 12, 4, 10, tzinfo=dt.UTC)),
    ]


# --- Supabase ------------------------------------------------------------------------------------


def test_supabase_lists_the_organizations_projects_with_creation_time_and_size(fleet):
    fleet.project("gatewayz-staging-main", "a", 30 * DAY, size="small")
    fleet.project("my-app", "b", 3 * DAY, size=None)
    fleet.supabase.seed_organization("elsewhere")
    fleet.supabase.seed_project("gatewayz-staging-other", "elsewhere")

    with supabase(fleet) as client:
        listed = client.list_projects(ORGANIZATION)

    assert [(p.name, p.ref, p.instance_size, p.created_at) for p in listed] == [
        ("gatewayz-staging-main", ref("a"), "small", NOW - 30 * DAY),
        ("my-app", ref("b"), None, NOW - 3 * DAY),
    ]


def test_supabase_project_listing_leaves_out_branches_and_pages_through_them_all(fleet):
    parent = fleet.project("gatewayz-staging-main", "a", 30 * DAY)
    fleet.branch(parent, "gatewayz-pr-14", 10, 2 * DAY)
    for number in range(120):  # more than one page of 100
        fleet.supabase.seed_project(f"project-{number:03d}", ORGANIZATION)

    with supabase(fleet) as client:
        listed = client.list_projects(ORGANIZATION)

    assert len(listed) == 121 and not any(p.is_branch for p in listed)
    assert fleet.supabase.journal_count("GET /v1/organizations/{slug}/projects") == 2


def test_supabase_branches_say_when_they_were_made(fleet):
    parent = fleet.project("gatewayz-staging-main", "a", 30 * DAY)
    fleet.branch(parent, "gatewayz-pr-14", 10, 2 * DAY)

    with supabase(fleet) as client:
        branches = client.list_branches(parent)

    assert [(b.name, b.is_default, b.id) for b in branches] == [
        ("main", True, branches[0].id),
        ("gatewayz-pr-14", False, uuid(10)),
    ]
    assert branches[1].created_at == NOW - 2 * DAY and branches[1].status == "ACTIVE_HEALTHY"


def test_finding_a_project_by_name_still_finds_only_that_name(fleet):
    fleet.project("gatewayz-staging-main", "a", 30 * DAY)
    fleet.project("gatewayz-staging-main-2", "b", 30 * DAY)

    with supabase(fleet) as client:
        found = client.find_projects(organization_slug=ORGANIZATION, name="gatewayz-staging-main")

    assert [p.ref for p in found] == [ref("a")]


# --- Statsig -------------------------------------------------------------------------------------


def test_statsig_gates_say_when_they_were_made(fleet):
    fleet.gate("checkout-v3", 40 * DAY)

    with statsig(fleet) as client:
        [gate] = client.list_gates()

    assert (gate.id, gate.created_at) == ("checkout-v3", NOW - 40 * DAY)
    assert gate.description.endswith("[managed by stagefleet]")

"""`pulumi up`, `pulumi refresh` and `pulumi destroy` of the whole sandbox stack, without the CLI:
the real program, the real provider host, both emulators."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from fleet.stackfile import load_stack_config
from harness import REPO
from harness.host import DynamicProviderHost
from harness.mocks import TODAY, stack_mapping
from harness.new_stack import destroy, refresh, up
from programs.fleet import deploy_fleet, load_fleet_spec
from sandbox.railway import RailwaySandbox
from sandbox.supabase import SupabaseSandbox

RAILWAY_TOKEN = "program-up-railway-token"
SUPABASE_TOKEN = "sbp_program_up_token"


@dataclass(frozen=True)
class Stack:
    sandboxes: tuple[RailwaySandbox, SupabaseSandbox]
    host: DynamicProviderHost
    deployment: Any  # program_engine's Deployment


@contextlib.contextmanager
def deployed_stack() -> Iterator[Stack]:
    """Both sandboxes, seeded as Pulumi.sandbox.yaml expects, a provider host, and the program up."""
    railway_config = load_stack_config(REPO / "Pulumi.sandbox.yaml")["stagefleet:railway"]
    with (
        RailwaySandbox(tokens={RAILWAY_TOKEN}, lifetime=300) as railway,
        SupabaseSandbox(tokens={SUPABASE_TOKEN}, healthy_after=0.3, lifetime=300) as supabase,
    ):
        railway.seed_project(
            name=railway_config["projectName"],
            project_id=railway_config["projectId"],
            base_environment=railway_config["baseEnvironment"],
            base_environment_id=railway_config["baseEnvironmentId"],
            services=[
                {"name": s["name"], "id": s["id"], "repository": s["repository"]} for s in railway_config["services"]
            ],
        )
        supabase.seed_organization(slug="gatewayz-sandbox", name="Gatewayz sandbox")
        with DynamicProviderHost() as provider_host:
            provider_host.configure(
                {
                    "stagefleet:railwayToken": RAILWAY_TOKEN,
                    "stagefleet:railwayApiUrl": railway.url,
                    "stagefleet:supabaseAccessToken": SUPABASE_TOKEN,
                    "stagefleet:supabaseApiUrl": supabase.url,
                }
            )
            deployment = up(sandbox_program, provider_host)
            assert deployment.error is None, deployment.error
            yield Stack((railway, supabase), provider_host, deployment)


def sandbox_program():
    return deploy_fleet(load_fleet_spec(stack_mapping("Pulumi.sandbox.yaml")), today=TODAY)


@pytest.fixture(scope="module")
def shared_stack() -> Iterator[Stack]:
    """One `up` for the tests that only look at what it made (or read it back)."""
    with deployed_stack() as stack:
        yield stack


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The module's shared stack, or, for a test marked own_stack (it changes what `up` made),
    one of its own."""
    if request.node.get_closest_marker("own_stack") is None:
        yield request.getfixturevalue("shared_stack")
    else:
        with deployed_stack() as own:
            yield own


@pytest.fixture
def sandboxes(stack: Stack) -> tuple[RailwaySandbox, SupabaseSandbox]:
    return stack.sandboxes


@pytest.fixture
def host(stack: Stack) -> DynamicProviderHost:
    return stack.host


@pytest.fixture
def deployed(stack: Stack) -> Any:
    return stack.deployment


PROJECT = "11111111-1111-4111-8111-111111111111"
ENVIRONMENTS = {"staging-main", "staging-dev1-alice", "staging-payments", "staging-dev2-bob"}


def test_up_creates_one_railway_environment_per_configured_environment(deployed, sandboxes):
    railway, _ = sandboxes
    names = {e["name"] for e in railway.environments(PROJECT)}
    assert names == ENVIRONMENTS | {"staging-template"}


def test_up_creates_a_project_per_dedicated_database_and_a_branch_for_the_branch_database(deployed, sandboxes):
    _, supabase = sandboxes
    projects = sorted(p["name"] for p in supabase.projects() if not p["is_branch"])
    assert projects == ["gatewayz-sandbox-staging-dev1-alice", "gatewayz-sandbox-staging-main"]
    main_ref = next(p["ref"] for p in supabase.projects() if p["name"] == "gatewayz-sandbox-staging-main")
    assert [b["name"] for b in supabase.branches(main_ref) if not b["is_default"]] == [
        "gatewayz-sandbox-staging-dev2-bob"
    ]


def test_services_are_wired_to_their_database_with_the_key_their_config_names(deployed, sandboxes):
    railway, supabase = sandboxes
    by_name = {e["name"]: e["id"] for e in railway.environments(PROJECT)}
    api = "33333333-3333-4333-8333-333333333333"
    web = "44444444-4444-4444-8444-444444444444"
    alice_project = next(p for p in supabase.projects() if p["name"] == "gatewayz-sandbox-staging-dev1-alice")
    alice_api = railway.variables(by_name["staging-dev1-alice"], api)
    alice_web = railway.variables(by_name["staging-dev1-alice"], web)
    assert alice_api["SUPABASE_URL"] == f"https://{alice_project['ref']}.supabase.co"
    assert alice_api["SUPABASE_KEY"] != alice_web["SUPABASE_KEY"]
    keys = supabase.api_keys(alice_project["ref"])
    assert (alice_api["SUPABASE_KEY"], alice_web["SUPABASE_KEY"]) == (keys["service_role"], keys["anon"])
    payments_api = railway.variables(by_name["staging-payments"], api)
    main_api = railway.variables(by_name["staging-main"], api)
    assert payments_api["SUPABASE_URL"] == main_api["SUPABASE_URL"]
    assert payments_api["STAGING_ACCESS_TOKEN"] != main_api["STAGING_ACCESS_TOKEN"]


def test_every_service_deploys_its_environments_branch_and_has_a_domain(deployed, sandboxes):
    railway, _ = sandboxes
    bob = next(e["id"] for e in railway.environments(PROJECT) if e["name"] == "staging-dev2-bob")
    assert {t["branch"] for t in railway.triggers(bob)} == {"feature/bob-chat"}
    assert len(railway.service_domains(bob)) == 2
    assert deployed.exports["environments"]["dev2-bob"]["urls"]["api"].startswith("https://")


def test_refresh_right_after_up_finds_no_drift(deployed, host):
    for resource, read_id, outputs in refresh(deployed, host):
        assert (resource.name, read_id, outputs) == (resource.name, resource.id, resource.outputs)


@pytest.mark.own_stack
def test_destroy_leaves_only_what_existed_before(deployed, host, sandboxes):
    railway, supabase = sandboxes
    destroy(deployed, host)
    assert {e["name"] for e in railway.environments(PROJECT)} == {"staging-template"}
    assert supabase.projects() == []


def test_a_branch_is_made_only_after_its_parent_project_is_healthy(deployed, sandboxes):
    _, supabase = sandboxes
    journal = list(supabase.journal)
    main_ref = next(p["ref"] for p in supabase.projects() if p["name"] == "gatewayz-sandbox-staging-main")
    branch_created = next(e.at for e in journal if e.key == "POST /v1/projects/{ref}/branches")
    main_created = next(
        e.at for e in journal if e.key == "POST /v1/projects" and e.body["name"] == "gatewayz-sandbox-staging-main"
    )
    assert branch_created - main_created >= 0.3  # healthy_after: the parent was up first
    assert any(
        e.key == "GET /v1/projects/{ref}/api-keys" and main_ref in e.path and e.at < branch_created for e in journal
    )


@pytest.mark.own_stack
def test_a_review_stack_comes_up_on_a_branch_of_the_fleet_database_and_goes_away_cleanly(deployed, host, sandboxes):
    import json

    import pulumi

    from programs.review import deploy_review, load_review

    railway, supabase = sandboxes
    template = load_stack_config(REPO / "Pulumi.pr.yaml")
    template["stagefleet:fleetStack"] = "organization/stagefleet/sandbox"
    template["stagefleet:pullRequest"] = {"number": 7, "branch": "feature/pr-7", "title": "PR 7", "author": "dana"}
    mapping = {key: json.dumps(value) if not isinstance(value, str) else value for key, value in template.items()}

    def review_program():
        review = load_review(mapping, REPO, "pr-7")
        return deploy_review(review, pulumi.StackReference(review.fleet_stack), today=TODAY)

    review_stack = up(review_program, host, stack="pr-7", fleet_outputs=deployed.exports)
    assert review_stack.error is None, review_stack.error
    [environment] = [e for e in railway.environments(PROJECT) if e["name"] == "pr-7"]
    assert environment["isEphemeral"] is True
    main_ref = deployed.exports["environments"]["main"]["databaseRef"]
    assert "gatewayz-sandbox-pr-7" in [b["name"] for b in supabase.branches(main_ref)]

    destroy(review_stack, host)
    assert "pr-7" not in {e["name"] for e in railway.environments(PROJECT)}
    assert "gatewayz-sandbox-pr-7" not in [b["name"] for b in supabase.branches(main_ref)]
    assert {e["name"] for e in railway.environments(PROJECT)} == ENVIRONMENTS | {"staging-template"}


SERVICES = {"api": "33333333-3333-4333-8333-333333333333", "web": "44444444-4444-4444-8444-444444444444"}
BRANCHES = {
    "staging-main": "main",
    "staging-dev1-alice": "feature/alice-payment",
    "staging-payments": "feature/payment-v2",
    "staging-dev2-bob": "feature/bob-chat",
}


def test_every_service_of_every_new_environment_has_exactly_one_deployment_of_its_branch(deployed, sandboxes):
    railway, _ = sandboxes
    for environment in railway.environments(PROJECT):
        if environment["name"] == "staging-template":
            continue
        deployments = railway.deployments(environment_id=environment["id"])
        assert sorted(d["serviceId"] for d in deployments) == sorted(SERVICES.values()), environment["name"]
        assert {d["branch"] for d in deployments} == {BRANCHES[environment["name"]]}
        assert {d["trigger"] for d in deployments} == {"api"}, "only stagefleet deployed: no fork or variable deploy"


def test_each_deployment_saw_the_variables_and_settings_written_before_it(deployed, sandboxes):
    railway, _ = sandboxes
    alice = next(e["id"] for e in railway.environments(PROJECT) if e["name"] == "staging-dev1-alice")
    for name, service_id in SERVICES.items():
        [deployment] = railway.deployments(environment_id=alice, service_id=service_id)
        live = railway.variables(alice, service_id)
        assert {
            key: deployment["variables"].get(key) for key in ("SUPABASE_URL", "SUPABASE_KEY", "STAGING_ACCESS_TOKEN")
        } == {key: live[key] for key in ("SUPABASE_URL", "SUPABASE_KEY", "STAGING_ACCESS_TOKEN")}, name
        # dev1-alice is a team environment in the sandbox stack: it does not sleep.
        assert deployment["settings"]["sleepApplication"] is False
    [api] = railway.deployments(environment_id=alice, service_id=SERVICES["api"])
    assert api["settings"]["healthcheckPath"] == "/health"


def test_the_environments_export_names_each_services_deployment(deployed, sandboxes):
    railway, _ = sandboxes
    exported = deployed.exports["environments"]["dev2-bob"]["services"]
    bob = next(e["id"] for e in railway.environments(PROJECT) if e["name"] == "staging-dev2-bob")
    live = {d["serviceId"]: d["id"] for d in railway.deployments(environment_id=bob)}
    assert {service["serviceId"]: service["deploymentId"] for service in exported.values()} == live

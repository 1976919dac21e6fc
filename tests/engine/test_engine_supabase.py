"""The Supabase providers, pickled by the SDK and run in `python -m pulumi.dynamic`, through the
calls `pulumi preview`, `pulumi up`, `pulumi refresh` and `pulumi destroy` make, against the
Supabase sandbox. The host polls with the production backoff (first look again after 1 s)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from harness.host import PROVIDER_KEY, DynamicProviderHost, DynamicResourceClient, EngineError
from providers.supabase.branch import BranchProvider
from providers.supabase.client import DEFAULT_WAIT_POLICY
from providers.supabase.project import ProjectProvider
from providers.supabase.project_keys import ProjectKeysProvider
from sandbox.supabase import SupabaseSandbox

TOKEN = "sbp_engine_test_8d2c4e"
ORGANIZATION = "gatewayz"
DB_PASS = "engine-db-pass-71c3"
PROJECT = "pulumi-python:dynamic/supabase:Project"
KEYS = "pulumi-python:dynamic/supabase:ProjectKeys"
BRANCH = "pulumi-python:dynamic/supabase:Branch"


@dataclass(frozen=True)
class Seeded:
    sandbox: SupabaseSandbox

    @property
    def config(self) -> dict[str, str]:
        return {"stagefleet:supabaseAccessToken": TOKEN, "stagefleet:supabaseApiUrl": self.sandbox.url}

    def projects(self) -> list[dict]:
        return [p for p in self.sandbox.projects() if not p["is_branch"]]


@pytest.fixture
def supabase() -> Iterator[Seeded]:
    with SupabaseSandbox(tokens={TOKEN}, healthy_after=0.3, lifetime=300) as sandbox:
        sandbox.seed_organization(slug=ORGANIZATION, name="Gatewayz")
        yield Seeded(sandbox)


@pytest.fixture
def host(supabase: Seeded) -> Iterator[DynamicProviderHost]:
    with DynamicProviderHost() as provider_host:
        provider_host.configure(supabase.config)
        yield provider_host


@pytest.fixture
def unconfigured_host() -> Iterator[DynamicProviderHost]:
    """A provider host with no credentials at all, as a preview on a fork's pull request has."""
    with DynamicProviderHost() as provider_host:
        provider_host.configure({})
        yield provider_host


def projects(host: DynamicProviderHost, name: str = "dev1-alice") -> DynamicResourceClient:
    return DynamicResourceClient(host, ProjectProvider(), PROJECT, f"{name}-project")


def keys(host: DynamicProviderHost, name: str = "dev1-alice") -> DynamicResourceClient:
    return DynamicResourceClient(host, ProjectKeysProvider(), KEYS, f"{name}-keys")


def branches(host: DynamicProviderHost, name: str = "pr-42") -> DynamicResourceClient:
    return DynamicResourceClient(host, BranchProvider(), BRANCH, f"{name}-branch")


def up_create(resource: DynamicResourceClient, inputs: dict) -> tuple[str, dict]:
    """What `pulumi up` does for a new resource: Check, then Create with the checked inputs."""
    checked, failures = resource.check({}, inputs)
    assert failures == []
    return resource.create(checked)


def most_looks_within(deadline: float) -> int:
    """How many times the host's readiness wait (the production schedule) can look at a project
    within `deadline` seconds: once, then once after each pause, the last pause cut short."""
    looks, waited = 1, 0.0
    for delay in DEFAULT_WAIT_POLICY.delays():
        if waited >= deadline:
            return looks
        waited += min(delay, deadline - waited)
        looks += 1
    raise AssertionError("unreachable: delays() never ends")


def up_update(resource: DynamicResourceClient, resource_id: str, state: dict, old_inputs: dict, new_inputs: dict):
    """What `pulumi up` does for a changed resource: Check, Diff, and Update when Diff says so."""
    checked, failures = resource.check(old_inputs, new_inputs)
    assert failures == []
    diff = resource.diff(resource_id, state, checked)
    return diff, (
        resource.update(resource_id, state, checked) if diff.changes == provider_pb2.DiffResponse.DIFF_SOME else None
    )


def project_inputs(name: str = "gatewayz-staging-dev1-alice", **overrides) -> dict:
    return {"name": name, "organization_slug": ORGANIZATION, "region": "us-east-1", "db_pass": DB_PASS, **overrides}


def keys_inputs(state: dict, **overrides) -> dict:
    return {
        "project_ref": state["ref"],
        "label": state["name"],
        "db_pass": state["db_pass"],
        "db_host": state["db_host"],
        "kind": "project",
        "deadline_seconds": 60.0,
        **overrides,
    }


def branch_keys_inputs(state: dict, **overrides) -> dict:
    return {
        "project_ref": state["ref"],
        "label": state["name"],
        "kind": "branch",
        "branch_id": state["branch_id"],
        "deadline_seconds": 60.0,
        **overrides,
    }


def test_a_project_is_created_at_once_and_its_keys_wait_until_it_is_healthy(host, supabase):
    ref, state = up_create(projects(host), project_inputs())
    # (None values, like the unset instance_size, do not cross the wire.)
    assert {k: v for k, v in state.items() if k != PROVIDER_KEY} == {
        **project_inputs(),
        "ref": ref,
        "api_url": f"https://{ref}.supabase.co",
        "db_host": f"db.{ref}.supabase.co",
        "status": "COMING_UP",
        "database_password": project_inputs()["db_pass"],
    }
    assert [p["status"] for p in supabase.projects()] == ["COMING_UP"]

    keys_id, keys_state = up_create(keys(host), keys_inputs(state))
    live_keys = supabase.sandbox.api_keys(ref)
    assert keys_id == ref
    assert [p["status"] for p in supabase.projects()] == ["ACTIVE_HEALTHY"]
    assert (keys_state["anon_key"], keys_state["service_role_key"]) == (live_keys["anon"], live_keys["service_role"])
    assert keys_state["connection_string"] == f"postgresql://postgres:{DB_PASS}@db.{ref}.supabase.co:5432/postgres"
    # Numbers cross the wire as floats.
    assert keys_state["deadline_seconds"] == 60.0


def test_a_project_that_fails_to_start_is_deleted_and_the_error_says_what_to_do(host, supabase):
    supabase.sandbox.fail_next_projects(1, status="INIT_FAILED")
    ref, state = up_create(projects(host), project_inputs())
    with pytest.raises(EngineError) as raised:
        up_create(keys(host), keys_inputs(state))
    details = raised.value.details
    assert (
        f'Supabase project "gatewayz-staging-dev1-alice" ({ref}) failed to start: its status is INIT_FAILED' in details
    )
    assert "pulumi up --refresh" in details
    assert DB_PASS not in details and TOKEN not in details
    assert supabase.projects() == []
    # `pulumi up --refresh` then sees the project gone, and the next up creates it again.
    assert projects(host).read(ref, state)[0] == ""


def test_a_project_not_healthy_by_its_deadline_is_deleted_within_the_deadline(host, supabase):
    supabase.sandbox.healthy_after = 60.0
    ref, state = up_create(projects(host), project_inputs())
    supabase.sandbox.journal_clear()
    with pytest.raises(EngineError) as raised:
        up_create(keys(host), keys_inputs(state, deadline_seconds=1.5))
    assert f"({ref}) was not ACTIVE_HEALTHY within 1.5s" in raised.value.details
    assert supabase.projects() == []
    # The wait looked again after its first pause, no more often than its schedule allows in
    # 1.5 s, and the delete was the last request: it gave up at the deadline, not after it.
    looks = [e.key for e in supabase.sandbox.journal if e.key != "GET /v1/projects/{ref}/api-keys"]
    assert looks[-1] == "DELETE /v1/projects/{ref}"
    assert set(looks[:-1]) == {"GET /v1/projects/{ref}"}
    assert 2 <= len(looks[:-1]) <= most_looks_within(1.5)


def test_a_branch_is_created_at_once_its_keys_wait_and_destroy_deletes_it(host, supabase):
    parent_ref, parent = up_create(projects(host), project_inputs("gatewayz-staging-main"))
    up_create(keys(host, "main"), keys_inputs(parent))
    assert supabase.sandbox.branching_enabled(parent_ref) is False

    resource = branches(host)
    branch_id, state = up_create(
        resource, {"parent_ref": parent_ref, "name": "gatewayz-staging-pr-42", "git_branch": "feature/pr-42"}
    )
    assert supabase.sandbox.branching_enabled(parent_ref) is True
    [default, branch] = supabase.sandbox.branches(parent_ref)
    assert default["is_default"] and (branch["id"], branch["status"]) == (branch_id, "COMING_UP")
    assert state["ref"] == branch["project_ref"] and state["api_url"] == f"https://{branch['project_ref']}.supabase.co"

    _, keys_state = up_create(keys(host, "pr-42"), branch_keys_inputs(state))
    assert keys_state["anon_key"] == supabase.sandbox.api_keys(state["ref"])["anon"]
    assert keys_state["connection_string"].endswith(f"@db.{state['ref']}.supabase.co:5432/postgres")

    resource.delete(branch_id, state)
    assert [b["name"] for b in supabase.sandbox.branches(parent_ref)] == ["main"]


def test_a_branch_already_there_is_adopted(host, supabase):
    parent_ref, _ = up_create(projects(host), project_inputs("gatewayz-staging-main"))
    inputs = {"parent_ref": parent_ref, "name": "gatewayz-staging-pr-42"}
    first, _ = up_create(branches(host), inputs)
    again, _ = up_create(branches(host), inputs)
    assert again == first
    assert [b["name"] for b in supabase.sandbox.branches(parent_ref)] == ["main", "gatewayz-staging-pr-42"]


def test_rename_and_new_password_are_in_place_updates(host, supabase):
    resource = projects(host)
    inputs = project_inputs()
    ref, state = up_create(resource, inputs)
    changed = {**inputs, "name": "gatewayz-staging-alice", "db_pass": "rotated-db-pass-0042"}
    diff, new_state = up_update(resource, ref, state, inputs, changed)
    assert list(diff.replaces) == []
    assert (new_state["name"], new_state["db_pass"]) == ("gatewayz-staging-alice", "rotated-db-pass-0042")
    [project] = supabase.projects()
    assert (project["ref"], project["name"], project["db_pass"]) == (
        ref,
        "gatewayz-staging-alice",
        "rotated-db-pass-0042",
    )


def test_a_new_region_is_a_replacement(host, supabase):
    resource = projects(host)
    inputs = project_inputs()
    ref, state = up_create(resource, inputs)
    checked, _ = resource.check(inputs, {**inputs, "region": "eu-west-2"})
    assert list(resource.diff(ref, state, checked).replaces) == ["region"]


def test_refresh_of_a_project_deleted_by_hand_reports_it_gone(host, supabase):
    resource = projects(host)
    ref, state = up_create(resource, project_inputs())
    supabase.sandbox.delete_project(ref)
    assert resource.read(ref, state)[0] == ""


def test_destroy_deletes_the_project_and_a_second_destroy_succeeds(host, supabase):
    resource = projects(host)
    ref, state = up_create(resource, project_inputs())
    resource.delete(ref, state)
    resource.delete(ref, state)
    assert supabase.projects() == []


def test_refresh_of_unchanged_resources_reports_exactly_their_state(host, supabase):
    """So `pulumi refresh --expect-no-changes` passes right after `pulumi up`."""
    project = projects(host)
    ref, project_state = up_create(project, project_inputs())
    project_keys = keys(host)
    keys_id, keys_state = up_create(project_keys, keys_inputs(project_state))
    branch = branches(host)
    branch_id, branch_state = up_create(
        branch, {"parent_ref": ref, "name": "gatewayz-staging-pr-42", "git_branch": "feature/pr-42", "with_data": True}
    )
    branch_keys = keys(host, "pr-42")
    branch_keys_id, branch_keys_state = up_create(branch_keys, branch_keys_inputs(branch_state))

    assert [p["status"] for p in supabase.sandbox.projects()] == ["ACTIVE_HEALTHY", "ACTIVE_HEALTHY"]
    for kind, (resource, resource_id, state) in {
        # Created COMING_UP, now ACTIVE_HEALTHY: the expected lifecycle, which is not drift.
        "project": (project, ref, project_state),
        "keys": (project_keys, keys_id, keys_state),
        "branch": (branch, branch_id, branch_state),
        "branch keys": (branch_keys, branch_keys_id, branch_keys_state),
    }.items():
        read_id, refreshed = resource.read(resource_id, state)
        assert (kind, read_id, refreshed) == (kind, resource_id, state)
        # The engine's refresh diff (Diff of the read state against the program's inputs).
        assert resource.diff(resource_id, refreshed, state).changes == provider_pb2.DiffResponse.DIFF_NONE


def test_refresh_reports_a_paused_project(host, supabase):
    resource = projects(host)
    ref, state = up_create(resource, project_inputs())
    supabase.sandbox.set_status(ref, "INACTIVE")
    assert resource.read(ref, state) == (ref, {**state, "status": "INACTIVE"})


def test_pickled_providers_carry_no_token_and_no_state(host):
    for provider, type_token in (
        (ProjectProvider(), PROJECT),
        (ProjectKeysProvider(), KEYS),
        (BranchProvider(), BRANCH),
    ):
        pickled = base64.b64decode(DynamicResourceClient(host, provider, type_token, "x").pickled_provider)
        assert TOKEN.encode() not in pickled
        assert b"httpx" not in pickled
        # Pickled by reference: the module and class name, not the code or any instance state.
        assert len(pickled) < 400, len(pickled)


def test_check_and_diff_make_no_requests_and_need_no_credentials(unconfigured_host, supabase):
    supabase.sandbox.journal_clear()
    ref = "abcdefghijklmnopqrst"
    # (resource, inputs, an input whose change is an update, one whose change replaces)
    resources = [
        (projects(unconfigured_host), project_inputs(), "name", "region"),
        (
            keys(unconfigured_host),
            {"project_ref": ref, "label": "a", "db_pass": DB_PASS, "db_host": f"db.{ref}.supabase.co"},
            "label",
            "project_ref",
        ),
        (
            keys(unconfigured_host, "pr"),
            {"project_ref": ref, "label": "pr", "kind": "branch", "branch_id": "b-1"},
            "label",
            "branch_id",
        ),
        (
            branches(unconfigured_host),
            {"parent_ref": ref, "name": "pr-1", "git_branch": "main"},
            "git_branch",
            "parent_ref",
        ),
    ]
    for resource, inputs, updatable, replacing in resources:
        checked, failures = resource.check({}, inputs)
        assert failures == []
        assert resource.diff("some-id", checked, checked).changes == provider_pb2.DiffResponse.DIFF_NONE
        changed = resource.diff("some-id", checked, {**checked, updatable: "changed"})
        assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME and list(changed.replaces) == []
        # A preview also sees values that are not known yet.
        unknown = {**checked, replacing: rpc.UNKNOWN}
        assert resource.check(checked, unknown)[1] == []
        assert list(resource.diff("some-id", checked, unknown).replaces) == [replacing]
    assert supabase.sandbox.journal_count() == 0


def test_create_without_credentials_fails_naming_where_to_set_them(unconfigured_host):
    with pytest.raises(EngineError) as raised:
        up_create(projects(unconfigured_host), project_inputs())
    assert "stagefleet:supabaseAccessToken" in raised.value.details
    assert "SUPABASE_ACCESS_TOKEN" in raised.value.details


def test_an_error_reaching_the_engine_names_the_project_but_no_secret(host, supabase):
    # Each 503 to a create opens a late-answer window before it is sent again: a short one here.
    host.configure({**supabase.config, "stagefleet:lateAnswerGrace": "0.3"})
    supabase.sandbox.faults.add("POST /v1/projects", "503", times=50)
    with pytest.raises(EngineError) as raised:
        up_create(projects(host), project_inputs())
    assert "gatewayz-staging-dev1-alice" in raised.value.details
    assert TOKEN not in raised.value.details and DB_PASS not in raised.value.details


def test_the_host_logs_no_secret(supabase):
    with DynamicProviderHost() as provider_host:
        provider_host.configure(supabase.config)
        _, state = up_create(projects(provider_host), project_inputs())
        _, keys_state = up_create(keys(provider_host), keys_inputs(state))
    secrets = [TOKEN, DB_PASS, keys_state["anon_key"], keys_state["service_role_key"], keys_state["connection_string"]]
    assert [secret for secret in secrets if secret in provider_host.stderr_text] == []


def test_four_projects_come_up_side_by_side(host, supabase):
    """Creates return at once, so the four waits overlap instead of queueing behind each other."""
    supabase.sandbox.healthy_after = 1.0
    names = [f"gatewayz-staging-dev{i}" for i in range(4)]
    states = [up_create(projects(host, name), project_inputs(name))[1] for name in names]
    supabase.sandbox.journal_clear()

    def wait(state: dict) -> dict:
        return up_create(keys(host, state["name"]), keys_inputs(state))[1]

    with ThreadPoolExecutor(max_workers=4) as pool:
        waited = list(pool.map(wait, states))
    # Each wait looked more than once (its project was still coming up), and every wait had
    # begun before any had ended: in a queue, a wait's first look would follow another's last.
    looks = {
        state["ref"]: [
            e.at
            for e in supabase.sandbox.journal
            if e.key == "GET /v1/projects/{ref}" and e.path.endswith(state["ref"])
        ]
        for state in states
    }
    assert all(len(at) >= 2 for at in looks.values()), looks
    assert max(at[0] for at in looks.values()) < min(at[-1] for at in looks.values())
    assert sorted(p["name"] for p in supabase.projects()) == names
    assert all(state["anon_key"] for state in waited)

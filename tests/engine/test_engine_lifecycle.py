"""Each provider, pickled by the SDK and run in `python -m pulumi.dynamic`, through the calls
`pulumi up`, `pulumi refresh` and `pulumi destroy` make."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from harness.host import DynamicResourceClient, EngineError
from providers.railway.deployment import DeploymentProvider
from providers.railway.deployment_trigger import DeploymentTriggerProvider
from providers.railway.environment import EnvironmentProvider
from providers.railway.service_domain import ServiceDomainProvider
from providers.railway.service_instance import ServiceInstanceProvider
from providers.railway.variables import VariablesProvider
from providers.tokens import AccessTokenProvider
from tests.engine.conftest import TOKEN

ENVIRONMENT = "pulumi-python:dynamic/railway:Environment"
VARIABLES = "pulumi-python:dynamic/railway:Variables"
TRIGGER = "pulumi-python:dynamic/railway:DeploymentTrigger"
DOMAIN = "pulumi-python:dynamic/railway:ServiceDomain"
TOKEN_TYPE = "pulumi-python:dynamic:AccessToken"
SETTINGS = "pulumi-python:dynamic/railway:ServiceInstance"
DEPLOYMENT = "pulumi-python:dynamic/railway:Deployment"


def environments(host, name="dev1-alice"):
    return DynamicResourceClient(host, EnvironmentProvider(), ENVIRONMENT, f"{name}-environment")


def up_create(resource: DynamicResourceClient, inputs: dict) -> tuple[str, dict]:
    """What `pulumi up` does for a new resource: Check, then Create with the checked inputs."""
    checked, failures = resource.check({}, inputs)
    assert failures == []
    return resource.create(checked)


def up_update(resource: DynamicResourceClient, resource_id: str, state: dict, old_inputs: dict, new_inputs: dict):
    """What `pulumi up` does for a changed resource: Check, Diff, and Update when Diff says so."""
    checked, failures = resource.check(old_inputs, new_inputs)
    assert failures == []
    diff = resource.diff(resource_id, state, checked)
    return diff, (
        resource.update(resource_id, state, checked) if diff.changes == provider_pb2.DiffResponse.DIFF_SOME else None
    )


def environment_inputs(railway, name="staging-dev1-alice") -> dict:
    return {
        "project_id": railway.project_id,
        "name": name,
        "source_environment_id": railway.base_environment_id,
        "ephemeral": False,
    }


def test_environment_is_created_forked_from_the_base_environment(host, railway):
    environment_id, state = up_create(environments(host), environment_inputs(railway))
    [created] = [e for e in railway.sandbox.environments(railway.project_id) if e["name"] == "staging-dev1-alice"]
    assert created["id"] == environment_id == state["environment_id"]
    assert created["sourceEnvironmentId"] == railway.base_environment_id
    assert created["skipInitialDeploys"] is True


def test_environment_rename_is_an_in_place_update(host, railway):
    resource = environments(host)
    inputs = environment_inputs(railway)
    environment_id, state = up_create(resource, inputs)
    renamed = {**inputs, "name": "staging-alice"}
    diff, new_state = up_update(resource, environment_id, state, inputs, renamed)
    assert list(diff.replaces) == []
    assert new_state["name"] == "staging-alice"
    assert [e["name"] for e in railway.sandbox.environments(railway.project_id) if e["id"] == environment_id] == [
        "staging-alice"
    ]


def test_environment_source_change_is_a_replacement(host, railway):
    resource = environments(host)
    inputs = environment_inputs(railway)
    environment_id, state = up_create(resource, inputs)
    checked, _ = resource.check(inputs, {**inputs, "source_environment_id": "another-base"})
    diff = resource.diff(environment_id, state, checked)
    assert "source_environment_id" in diff.replaces


def test_refresh_of_an_environment_deleted_by_hand_reports_it_gone(host, railway):
    resource = environments(host)
    environment_id, state = up_create(resource, environment_inputs(railway))
    railway.sandbox.delete_environment(environment_id)
    read_id, _ = resource.read(environment_id, state)
    assert read_id == ""


def test_destroy_deletes_the_environment(host, railway):
    resource = environments(host)
    environment_id, state = up_create(resource, environment_inputs(railway))
    resource.delete(environment_id, state)
    assert environment_id not in [e["id"] for e in railway.sandbox.environments(railway.project_id)]


def test_variables_upsert_in_one_call_and_drop_only_names_they_no_longer_manage(host, railway):
    environment_id, _ = up_create(environments(host), environment_inputs(railway))
    resource = DynamicResourceClient(host, VariablesProvider(), VARIABLES, "dev1-alice-api-variables")
    inputs = {
        "project_id": railway.project_id,
        "environment_id": environment_id,
        "service_id": railway.api_id,
        "variables": {"SUPABASE_URL": "https://a.supabase.co", "FEATURE_X": "on"},
    }
    railway.sandbox.journal_clear()
    variables_id, state = up_create(resource, inputs)
    assert railway.sandbox.journal_count("variableCollectionUpsert") == 1
    assert variables_id == f"{environment_id}:{railway.api_id}"

    railway.sandbox.set_variable(environment_id, railway.api_id, "SET_BY_HAND", "kept")
    _, new_state = up_update(
        resource, variables_id, state, inputs, {**inputs, "variables": {"SUPABASE_URL": "https://b.supabase.co"}}
    )
    live = railway.sandbox.variables(environment_id, railway.api_id)
    assert live["SUPABASE_URL"] == "https://b.supabase.co"
    assert "FEATURE_X" not in live
    assert live["SET_BY_HAND"] == "kept"
    assert new_state["variables"] == {"SUPABASE_URL": "https://b.supabase.co"}


def test_refresh_shows_a_variable_changed_by_hand(host, railway):
    environment_id, _ = up_create(environments(host), environment_inputs(railway))
    resource = DynamicResourceClient(host, VariablesProvider(), VARIABLES, "dev1-alice-api-variables")
    inputs = {
        "project_id": railway.project_id,
        "environment_id": environment_id,
        "service_id": railway.api_id,
        "variables": {"LOG_LEVEL": "info"},
    }
    variables_id, state = up_create(resource, inputs)
    railway.sandbox.set_variable(environment_id, railway.api_id, "LOG_LEVEL", "debug")
    _, refreshed = resource.read(variables_id, state)
    assert refreshed["variables"] == {"LOG_LEVEL": "debug"}


def test_deployment_trigger_follows_the_environment_branch_and_updates_in_place(host, railway):
    environment_id, _ = up_create(environments(host), environment_inputs(railway))
    resource = DynamicResourceClient(host, DeploymentTriggerProvider(), TRIGGER, "dev1-alice-api-trigger")
    inputs = {
        "project_id": railway.project_id,
        "environment_id": environment_id,
        "service_id": railway.api_id,
        "repository": "gatewayz/gatewayz-backend",
        "branch": "feature/alice-payment",
        "provider": "github",
    }
    trigger_id, state = up_create(resource, inputs)
    assert [t["branch"] for t in railway.sandbox.triggers(environment_id, railway.api_id)] == ["feature/alice-payment"]

    diff, _ = up_update(resource, trigger_id, state, inputs, {**inputs, "branch": "feature/alice-payment-v2"})
    assert list(diff.replaces) == []
    assert [(t["id"], t["branch"]) for t in railway.sandbox.triggers(environment_id, railway.api_id)] == [
        (trigger_id, "feature/alice-payment-v2")
    ]


def test_service_domain_outputs_domain_and_url_with_the_port_crossing_the_wire_as_a_float(host, railway):
    environment_id, _ = up_create(environments(host), environment_inputs(railway))
    resource = DynamicResourceClient(host, ServiceDomainProvider(), DOMAIN, "dev1-alice-api-domain")
    inputs = {
        "project_id": railway.project_id,
        "environment_id": environment_id,
        "service_id": railway.api_id,
        "target_port": 8000.0,
    }
    domain_id, state = up_create(resource, inputs)
    [domain] = railway.sandbox.service_domains(environment_id, railway.api_id)
    assert domain["id"] == domain_id and domain["targetPort"] == 8000
    assert state["url"] == f"https://{domain['domain']}"


def test_access_token_is_generated_with_its_prefix_and_replaced_when_keepers_change(host):
    resource = DynamicResourceClient(host, AccessTokenProvider(), TOKEN_TYPE, "dev1-alice-access-token")
    inputs = {"prefix": "staging_dev1-alice", "keepers": {"rotation": "2026-09-04"}}
    token_id, state = up_create(resource, inputs)
    assert state["value"].startswith("staging_dev1-alice_") and len(state["value"]) > len("staging_dev1-alice_") + 40
    checked, _ = resource.check(inputs, {**inputs, "keepers": {"rotation": "2026-12-03"}})
    assert "keepers" in resource.diff(token_id, state, checked).replaces


def test_pickled_providers_carry_no_token_and_no_state(host):
    providers = (
        EnvironmentProvider(),
        VariablesProvider(),
        DeploymentTriggerProvider(),
        ServiceDomainProvider(),
        AccessTokenProvider(),
        ServiceInstanceProvider(),
        DeploymentProvider(),
    )
    for provider in providers:
        pickled = base64.b64decode(DynamicResourceClient(host, provider, ENVIRONMENT, "x").pickled_provider)
        assert TOKEN.encode() not in pickled
        assert b"httpx" not in pickled
        # Pickled by reference: the module and class name, not the code or any instance state.
        assert len(pickled) < 400, len(pickled)


def test_check_and_diff_make_no_requests_and_need_no_credentials(unconfigured_host, railway):
    railway.sandbox.journal_clear()
    resources = [
        (environments(unconfigured_host), environment_inputs(railway)),
        (
            DynamicResourceClient(unconfigured_host, VariablesProvider(), VARIABLES, "v"),
            {
                "project_id": railway.project_id,
                "environment_id": "e",
                "service_id": railway.api_id,
                "variables": {"A": "1"},
            },
        ),
        (
            DynamicResourceClient(unconfigured_host, DeploymentTriggerProvider(), TRIGGER, "t"),
            {
                "project_id": railway.project_id,
                "environment_id": "e",
                "service_id": railway.api_id,
                "repository": "o/r",
                "branch": "main",
                "provider": "github",
            },
        ),
        (
            DynamicResourceClient(unconfigured_host, ServiceDomainProvider(), DOMAIN, "d"),
            {
                "project_id": railway.project_id,
                "environment_id": "e",
                "service_id": railway.api_id,
                "target_port": 80.0,
            },
        ),
        (
            DynamicResourceClient(unconfigured_host, ServiceInstanceProvider(), SETTINGS, "s"),
            {
                "environment_id": "e",
                "service_id": railway.api_id,
                "healthcheck_path": "/health",
                "healthcheck_timeout": 120.0,
                "sleep_application": True,
            },
        ),
        (
            DynamicResourceClient(unconfigured_host, DeploymentProvider(), DEPLOYMENT, "dep"),
            {
                "environment_id": "e",
                "service_id": railway.api_id,
                "branch": "main",
                "variables_digest": "sha256:0",
                "settings": {"healthcheckPath": "/health"},
            },
        ),
    ]
    for resource, inputs in resources:
        checked, failures = resource.check({}, inputs)
        assert failures == []
        changed = {**checked, **{k: "changed" for k in ("name", "branch") if k in checked}}
        resource.diff("some-id", checked, changed)
        # A preview also sees values that are not known yet.
        unknown = {**checked, "environment_id": rpc.UNKNOWN}
        resource.check(checked, unknown)
        resource.diff("some-id", checked, unknown)
    assert railway.sandbox.journal_count() == 0


def test_create_without_credentials_fails_naming_where_to_set_them(unconfigured_host, railway):
    with pytest.raises(EngineError) as raised:
        up_create(environments(unconfigured_host), environment_inputs(railway))
    assert "stagefleet:railwayToken" in raised.value.details
    assert "RAILWAY_API_TOKEN" in raised.value.details


def test_four_concurrent_creates_in_the_host_make_exactly_four_environments(host, railway):
    names = [f"staging-dev{i}" for i in range(4)]

    def create(name):
        return up_create(environments(host, name), environment_inputs(railway, name))[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(create, names))
    live = [e for e in railway.sandbox.environments(railway.project_id) if e["name"] in names]
    assert sorted(e["id"] for e in live) == sorted(ids)


def test_an_error_reaching_the_engine_never_contains_the_token(host, railway):
    # Each 503 to a create opens a late-answer window before it is sent again: a short one here.
    host.configure({**railway.config, "stagefleet:lateAnswerGrace": "0.3"})
    railway.sandbox.faults.add("environmentCreate", "503", times=50)
    with pytest.raises(EngineError) as raised:
        up_create(environments(host), environment_inputs(railway))
    assert TOKEN not in raised.value.details
    assert "staging-dev1-alice" in raised.value.details


def test_refresh_of_unchanged_resources_reports_exactly_their_state(host, railway):
    """So `pulumi refresh --expect-no-changes` passes right after `pulumi up`."""
    environment_id, environment_state = up_create(environments(host), environment_inputs(railway))
    scope = {"project_id": railway.project_id, "environment_id": environment_id, "service_id": railway.api_id}
    created = {
        "environment": (environments(host), environment_id, environment_state),
        "variables": (
            DynamicResourceClient(host, VariablesProvider(), VARIABLES, "v"),
            *up_create(
                DynamicResourceClient(host, VariablesProvider(), VARIABLES, "v"), {**scope, "variables": {"A": "1"}}
            ),
        ),
        "trigger": (
            DynamicResourceClient(host, DeploymentTriggerProvider(), TRIGGER, "t"),
            *up_create(
                DynamicResourceClient(host, DeploymentTriggerProvider(), TRIGGER, "t"),
                {**scope, "repository": "gatewayz/gatewayz-backend", "branch": "feature/x"},
            ),
        ),
        "domain": (
            DynamicResourceClient(host, ServiceDomainProvider(), DOMAIN, "d"),
            *up_create(
                DynamicResourceClient(host, ServiceDomainProvider(), DOMAIN, "d"), {**scope, "target_port": 8000.0}
            ),
        ),
        "token": (
            DynamicResourceClient(host, AccessTokenProvider(), TOKEN_TYPE, "k"),
            *up_create(
                DynamicResourceClient(host, AccessTokenProvider(), TOKEN_TYPE, "k"),
                {"prefix": "p", "keepers": {"a": "b"}},
            ),
        ),
        "settings": (
            DynamicResourceClient(host, ServiceInstanceProvider(), SETTINGS, "s"),
            *up_create(
                DynamicResourceClient(host, ServiceInstanceProvider(), SETTINGS, "s"),
                {
                    "environment_id": environment_id,
                    "service_id": railway.api_id,
                    "healthcheck_path": "/health",
                    "healthcheck_timeout": 120.0,
                    "sleep_application": True,
                },
            ),
        ),
        "deployment": (
            DynamicResourceClient(host, DeploymentProvider(), DEPLOYMENT, "dep"),
            *up_create(
                DynamicResourceClient(host, DeploymentProvider(), DEPLOYMENT, "dep"),
                {
                    "environment_id": environment_id,
                    "service_id": railway.api_id,
                    "branch": "feature/x",
                    "variables_digest": "sha256:0",
                    "settings": {"healthcheckPath": "/health"},
                },
            ),
        ),
    }
    for kind, (resource, resource_id, state) in created.items():
        read_id, refreshed = resource.read(resource_id, state)
        assert (kind, read_id, refreshed) == (kind, resource_id, state)

"""What holds for every provider: preview makes no API call and needs no token, the pickled provider
carries nothing, secrets stay out of errors, and only declared GraphQL documents are sent."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from providers import settings
from providers.api import AuthError, Conflict, NotFound
from providers.railway import operations
from providers.railway.deployment import Deployment, DeploymentArgs, DeploymentProvider
from providers.railway.deployment_trigger import DeploymentTrigger, DeploymentTriggerArgs, DeploymentTriggerProvider
from providers.railway.environment import Environment, EnvironmentArgs, EnvironmentProvider
from providers.railway.service_domain import ServiceDomain, ServiceDomainArgs, ServiceDomainProvider
from providers.railway.service_instance import ServiceInstance, ServiceInstanceArgs, ServiceInstanceProvider
from providers.railway.variables import Variables, VariablesArgs, VariablesProvider
from providers.settings import SettingsError
from providers.tokens import AccessToken, AccessTokenArgs, AccessTokenProvider
from tests.providers.conftest import BACKEND_REPOSITORY, TOKEN, Railway

SECRET_VALUE = "sb-very-secret-5d4c"


@dataclass(frozen=True)
class Sample:
    """A provider with old state and new inputs that differ (so diff has work to do)."""

    provider: type[ResourceProvider]
    olds: dict[str, Any]
    news: dict[str, Any]


SAMPLES = {
    "Environment": Sample(
        EnvironmentProvider,
        {
            "project_id": "p",
            "name": "staging-a",
            "source_environment_id": "s",
            "ephemeral": False,
            "environment_id": "e",
        },
        {"project_id": "p", "name": "staging-b", "source_environment_id": Unknown(), "ephemeral": False},
    ),
    "Variables": Sample(
        VariablesProvider,
        {"project_id": "p", "environment_id": "e", "service_id": "s", "variables": {"KEY": SECRET_VALUE}},
        {"project_id": "p", "environment_id": "e", "service_id": "s", "variables": {"KEY": Unknown()}},
    ),
    "DeploymentTrigger": Sample(
        DeploymentTriggerProvider,
        {
            "project_id": "p",
            "environment_id": "e",
            "service_id": "s",
            "repository": "r",
            "branch": "a",
            "provider": "github",
        },
        {"project_id": "p", "environment_id": "e", "service_id": "s", "repository": "r", "branch": "b"},
    ),
    "ServiceDomain": Sample(
        ServiceDomainProvider,
        {"project_id": "p", "environment_id": "e", "service_id": "s", "target_port": 8080.0, "domain": "d", "url": "u"},
        {"project_id": "p", "environment_id": Unknown(), "service_id": "s", "target_port": 3000.0},
    ),
    "ServiceInstance": Sample(
        ServiceInstanceProvider,
        {"environment_id": "e", "service_id": "s", "healthcheck_path": "/health", "sleep_application": False},
        {"environment_id": "e", "service_id": "s", "healthcheck_path": "/healthz", "sleep_application": Unknown()},
    ),
    "Deployment": Sample(
        DeploymentProvider,
        {
            "environment_id": "e",
            "service_id": "s",
            "branch": "a",
            "variables_digest": "sha256:1",
            "settings": {},
            "deployment_id": "d",
        },
        {"environment_id": "e", "service_id": "s", "branch": "a", "variables_digest": Unknown(), "settings": {}},
    ),
    "AccessToken": Sample(
        AccessTokenProvider,
        {"prefix": "staging_a", "keepers": {"rotation": "1"}, "value": "staging_a_xyz"},
        {"prefix": "staging_a", "keepers": {"rotation": "2"}},
    ),
}


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_check_makes_no_request(railway: Railway, sample: Sample) -> None:
    provider = railway.configure(sample.provider())
    assert provider.check(sample.olds, sample.news).failures == []
    assert railway.sandbox.journal_count() == 0


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_diff_makes_no_request(railway: Railway, sample: Sample) -> None:
    provider = railway.configure(sample.provider())
    news = provider.check(sample.olds, sample.news).inputs
    assert provider.diff("id-1", sample.olds, news).changes is True
    assert railway.sandbox.journal_count() == 0


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_check_and_diff_need_no_credentials(sample: Sample) -> None:
    provider = sample.provider()
    news = provider.check(sample.olds, sample.news).inputs
    assert provider.diff("id-1", sample.olds, news).changes is True


def test_an_api_call_without_a_token_names_the_stack_config_key_and_the_environment_variable() -> None:
    provider = EnvironmentProvider()
    with pytest.raises(SettingsError) as caught:
        provider.create(provider.check({}, {"project_id": "p", "name": "staging-a"}).inputs)
    assert "stagefleet:railwayToken" in str(caught.value) and "RAILWAY_API_TOKEN" in str(caught.value)


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_the_pickled_provider_carries_no_token_and_no_state(railway: Railway, sample: Sample) -> None:
    provider = railway.configure(sample.provider())
    provider.check(sample.olds, sample.news)
    pickled = base64.b64decode(serialize_provider(provider))
    assert TOKEN.encode() not in pickled and railway.sandbox.url.encode() not in pickled
    assert vars(provider) == {}
    assert type(dill.loads(pickled)) is sample.provider


def test_an_unknown_token_is_an_auth_error_that_does_not_repeat_it(railway: Railway) -> None:
    wrong = "rw-wrong-token-e3e3"
    settings.configure({"stagefleet:railwayToken": wrong, "stagefleet:railwayApiUrl": railway.sandbox.url})
    provider = EnvironmentProvider()
    with pytest.raises(AuthError) as caught:
        provider.create(provider.check({}, {"project_id": railway.project_id, "name": "staging-a"}).inputs)
    assert wrong not in str(caught.value) and "Not Authorized" in str(caught.value)


def test_variable_values_never_appear_in_errors(railway: Railway) -> None:
    provider = railway.configure(VariablesProvider())
    props = provider.check(
        {},
        {"project_id": railway.project_id, "environment_id": "gone", "variables": {"SUPABASE_KEY": SECRET_VALUE}},
    ).inputs
    with pytest.raises(NotFound) as caught:
        provider.create(props)
    assert SECRET_VALUE not in str(caught.value) and TOKEN not in str(caught.value)
    assert "SUPABASE_KEY" in str(caught.value)


def test_every_request_carries_the_source_query_parameter(railway: Railway) -> None:
    provider = railway.configure(EnvironmentProvider())
    created = provider.create(provider.check({}, {"project_id": railway.project_id, "name": "staging-a"}).inputs)
    provider.read(created.id, created.outs)
    assert {entry.query_string for entry in railway.sandbox.journal} == {"source=stagefleet"}


def test_an_api_url_with_its_own_query_keeps_it_alongside_the_source(railway: Railway) -> None:
    settings.configure({"stagefleet:railwayToken": TOKEN, "stagefleet:railwayApiUrl": f"{railway.sandbox.url}?team=qa"})
    EnvironmentProvider().read(railway.base_environment_id, {})
    assert {entry.query_string for entry in railway.sandbox.journal} == {"team=qa&source=stagefleet"}


def test_every_document_sent_is_declared_in_operations(railway: Railway) -> None:
    declared = {getattr(operations, name) for name in operations.__all__}
    fork = {"project_id": railway.project_id, "source_environment_id": railway.base_environment_id}
    environments = railway.configure(EnvironmentProvider())
    environment = environments.create(environments.check({}, {**fork, "name": "staging-a"}).inputs)
    scope = {"project_id": railway.project_id, "environment_id": environment.id, "service_id": railway.api_id}
    source = {**scope, "repository": BACKEND_REPOSITORY}
    lifecycles: list[tuple[type[ResourceProvider], dict[str, Any], dict[str, Any]]] = [
        (VariablesProvider, {**scope, "variables": {"A": "1"}}, {**scope, "variables": {"B": "2"}}),
        (DeploymentTriggerProvider, {**source, "branch": "a"}, {**source, "branch": "b"}),
        (ServiceDomainProvider, {**scope, "target_port": 80}, {**scope, "target_port": 81}),
        (EnvironmentProvider, {**fork, "name": "staging-b"}, {**fork, "name": "staging-c"}),
        (
            ServiceInstanceProvider,
            {"environment_id": environment.id, "service_id": railway.api_id, "healthcheck_path": "/a"},
            {"environment_id": environment.id, "service_id": railway.api_id, "healthcheck_path": "/b"},
        ),
    ]
    for provider_class, first, second in lifecycles:
        provider = railway.configure(provider_class())
        created = provider.create(provider.check({}, first).inputs)
        updated = provider.update(created.id, created.outs, provider.check(created.outs, second).inputs)
        provider.read(created.id, updated.outs)
        provider.delete(created.id, updated.outs)
    deployments = railway.configure(DeploymentProvider())
    deployment = {
        "environment_id": environment.id,
        "service_id": railway.api_id,
        "branch": "b",
        "variables_digest": "x",
    }
    railway.sandbox.faults.add("serviceInstanceDeployV2", "drop_after_apply")  # and the lookup after a lost answer
    started = deployments.create(deployments.check({}, deployment).inputs)
    deployments.read(started.id, started.outs)
    # A conflict also sends the lookups behind its message.
    with pytest.raises(Conflict):
        environments.create(environments.check({}, {"project_id": railway.project_id, "name": "staging-a"}).inputs)
    sent = {entry.query for entry in railway.sandbox.journal}
    assert sent <= declared
    assert len(sent) >= 19


@dataclass
class Registration:
    type_token: str
    props: dict[str, Any]
    opts: pulumi.ResourceOptions


@pytest.fixture
def registrations(monkeypatch: pytest.MonkeyPatch) -> list[Registration]:
    """Capture what a dynamic Resource hands to CustomResource, without an engine."""
    captured: list[Registration] = []

    def register(self: Any, t: str, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions, *_: Any) -> None:
        captured.append(Registration(t, props, opts))

    monkeypatch.setattr(pulumi.CustomResource, "__init__", register)
    return captured


def test_resources_register_their_type_tokens_inputs_and_secret_outputs(registrations: list[Registration]) -> None:
    Environment("env", EnvironmentArgs(project_id="p", name="n", source_environment_id="s"))
    Variables("vars", VariablesArgs(project_id="p", environment_id="e", service_id=None, variables={"A": "1"}))
    DeploymentTrigger("trigger", DeploymentTriggerArgs("p", "e", "s", "r", "b"))
    ServiceDomain("domain", ServiceDomainArgs("p", "e", "s", target_port=8080))
    AccessToken("token", AccessTokenArgs(prefix="staging_a", keepers={"rotation": "1"}))
    ServiceInstance("settings", ServiceInstanceArgs("e", "s", healthcheck_path="/health"))
    Deployment("deployment", DeploymentArgs("e", "s", "b", "sha256:1", {}))
    summary = {
        reg.type_token: (
            sorted(key for key in reg.props if key != "__provider"),
            sorted((reg.opts.additional_secret_outputs or []) if reg.opts else []),
        )
        for reg in registrations
    }
    assert summary == {
        "pulumi-python:dynamic/railway:Environment": (
            ["environment_id", "ephemeral", "name", "project_id", "source_environment_id"],
            [],
        ),
        "pulumi-python:dynamic/railway:Variables": (
            ["environment_id", "project_id", "service_id", "variables"],
            ["variables"],
        ),
        "pulumi-python:dynamic/railway:DeploymentTrigger": (
            ["branch", "environment_id", "project_id", "provider", "repository", "service_id"],
            [],
        ),
        "pulumi-python:dynamic/railway:ServiceDomain": (
            ["domain", "environment_id", "project_id", "service_id", "target_port", "url"],
            [],
        ),
        "pulumi-python:dynamic:AccessToken": (["keepers", "prefix", "value"], ["value"]),
        "pulumi-python:dynamic/railway:ServiceInstance": (
            [
                "environment_id",
                "healthcheck_path",
                "healthcheck_timeout",
                "root_directory",
                "service_id",
                "sleep_application",
            ],
            [],
        ),
        "pulumi-python:dynamic/railway:Deployment": (
            ["branch", "deployment_id", "environment_id", "service_id", "settings", "variables_digest"],
            [],
        ),
    }

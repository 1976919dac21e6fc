"""railway:ServiceDomain against the sandbox: generated domain and url, target port, refresh, delete."""

from __future__ import annotations

from typing import Any

import pytest

from providers.railway.environment import EnvironmentProvider
from providers.railway.service_domain import ServiceDomainProvider
from tests.providers.conftest import Railway


@pytest.fixture
def environment_id(railway: Railway) -> str:
    provider = railway.configure(EnvironmentProvider())
    created = provider.create(
        provider.check(
            {},
            {
                "project_id": railway.project_id,
                "name": "staging-dev1-alice",
                "source_environment_id": railway.base_environment_id,
            },
        ).inputs
    )
    railway.sandbox.journal_clear()
    return created.id


@pytest.fixture
def provider(railway: Railway) -> ServiceDomainProvider:
    return railway.configure(ServiceDomainProvider())


def inputs(railway: Railway, environment_id: str, **overrides: Any) -> dict[str, Any]:
    props = {"project_id": railway.project_id, "environment_id": environment_id, "service_id": railway.api_id}
    props.update(overrides)
    return ServiceDomainProvider().check({}, props).inputs


def test_create_generates_a_domain_and_its_https_url(
    railway: Railway, environment_id: str, provider: ServiceDomainProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    [domain] = railway.sandbox.service_domains(environment_id, railway.api_id)
    assert created.id == domain["id"]
    assert created.outs["domain"] == domain["domain"]
    assert created.outs["url"] == f"https://{domain['domain']}"


def test_create_returns_every_input_with_the_domain(
    railway: Railway, environment_id: str, provider: ServiceDomainProvider
) -> None:
    props = inputs(railway, environment_id)
    created = provider.create(props)
    assert created.outs == {**props, "domain": created.outs["domain"], "url": created.outs["url"]}


def test_create_passes_the_target_port_as_an_integer(
    railway: Railway, environment_id: str, provider: ServiceDomainProvider
) -> None:
    props = inputs(railway, environment_id, target_port=8080.0)
    assert props["target_port"] == 8080 and isinstance(props["target_port"], int)
    provider.create(props)
    [domain] = railway.sandbox.service_domains(environment_id, railway.api_id)
    assert domain["targetPort"] == 8080


def test_a_target_port_change_is_an_update(
    railway: Railway, environment_id: str, provider: ServiceDomainProvider
) -> None:
    created = provider.create(inputs(railway, environment_id, target_port=8080))
    news = inputs(railway, environment_id, target_port=3000)
    diff = provider.diff(created.id, created.outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs == {**news, "domain": created.outs["domain"], "url": created.outs["url"]}
    [domain] = railway.sandbox.service_domains(environment_id, railway.api_id)
    assert (domain["id"], domain["targetPort"]) == (created.id, 3000)


def test_a_port_read_back_as_a_float_is_no_change(railway: Railway) -> None:
    olds = {**inputs(railway, "env-1", target_port=8080), "target_port": 8080.0}
    assert ServiceDomainProvider().diff("d-1", olds, inputs(railway, "env-1", target_port=8080)).changes is False


def test_read_returns_the_live_domain(railway: Railway, environment_id: str, provider: ServiceDomainProvider) -> None:
    created = provider.create(inputs(railway, environment_id))
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (created.id, created.outs)


def test_read_drops_a_domain_deleted_out_of_band(
    railway: Railway, environment_id: str, provider: ServiceDomainProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    railway.sandbox.delete_service_domain(created.id)
    read = provider.read(created.id, created.outs)
    assert (read.id, read.outs) == (None, {})


def test_read_drops_the_domain_when_its_environment_is_gone(
    railway: Railway, environment_id: str, provider: ServiceDomainProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    railway.sandbox.delete_environment(environment_id)
    assert provider.read(created.id, created.outs).id is None


def test_delete_removes_the_domain(railway: Railway, environment_id: str, provider: ServiceDomainProvider) -> None:
    created = provider.create(inputs(railway, environment_id))
    provider.delete(created.id, created.outs)
    assert railway.sandbox.service_domains(environment_id, railway.api_id) == []


def test_delete_of_a_domain_already_gone_succeeds(
    railway: Railway, environment_id: str, provider: ServiceDomainProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    railway.sandbox.delete_service_domain(created.id)
    provider.delete(created.id, created.outs)


@pytest.mark.parametrize(("changed", "value"), [("environment_id", "other-env"), ("service_id", "other-service")])
def test_diff_replaces_on_environment_or_service(railway: Railway, changed: str, value: str) -> None:
    olds = inputs(railway, "env-1")
    assert ServiceDomainProvider().diff("d-1", olds, {**olds, changed: value}).replaces == [changed]


@pytest.mark.parametrize("port", [0, 70000, 80.5, "8080", True])
def test_check_rejects_a_target_port_that_is_not_a_port(port: Any) -> None:
    [failure] = (
        ServiceDomainProvider()
        .check({}, {"project_id": "p", "environment_id": "e", "service_id": "s", "target_port": port})
        .failures
    )
    assert failure.property == "target_port"

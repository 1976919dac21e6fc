"""railway:ServiceInstance against the sandbox: the service's settings in one environment, set in
one request, read back live, only the settings it manages."""

from __future__ import annotations

from typing import Any

import pytest

from providers.railway.environment import EnvironmentProvider
from providers.railway.service_instance import ServiceInstanceProvider
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
def provider(railway: Railway) -> ServiceInstanceProvider:
    return railway.configure(ServiceInstanceProvider())


def inputs(railway: Railway, environment_id: str, **settings: Any) -> dict[str, Any]:
    props = {"environment_id": environment_id, "service_id": railway.api_id, **settings}
    checked = ServiceInstanceProvider().check({}, props)
    assert checked.failures == []
    return checked.inputs


def live_settings(railway: Railway, environment_id: str) -> dict[str, Any]:
    [instance] = [i for i in railway.sandbox.service_instances(environment_id) if i["serviceId"] == railway.api_id]
    return instance


def test_create_writes_every_managed_setting_in_one_request_and_deploys_nothing(
    railway: Railway, environment_id: str, provider: ServiceInstanceProvider
) -> None:
    provider.create(
        inputs(railway, environment_id, healthcheck_path="/health", healthcheck_timeout=120, sleep_application=True)
    )
    [update] = [entry for entry in railway.sandbox.journal if entry.is_mutation]
    assert update.root_fields == ("serviceInstanceUpdate",)
    assert update.variables["environmentId"] == environment_id
    assert update.variables["input"] == {
        "healthcheckPath": "/health",
        "healthcheckTimeout": 120,
        "sleepApplication": True,
    }
    assert railway.sandbox.deployments(environment_id=environment_id) == []


def test_create_changes_only_that_environments_instance(
    railway: Railway, environment_id: str, provider: ServiceInstanceProvider
) -> None:
    provider.create(inputs(railway, environment_id, healthcheck_path="/health"))
    assert live_settings(railway, environment_id)["healthcheckPath"] == "/health"
    assert live_settings(railway, railway.base_environment_id)["healthcheckPath"] is None


def test_create_names_the_instance_by_environment_and_service(
    railway: Railway, environment_id: str, provider: ServiceInstanceProvider
) -> None:
    props = inputs(railway, environment_id, sleep_application=True)
    created = provider.create(props)
    assert created.id == f"{environment_id}:{railway.api_id}"
    assert created.outs == props


def test_settings_left_out_are_not_sent(
    railway: Railway, environment_id: str, provider: ServiceInstanceProvider
) -> None:
    provider.create(inputs(railway, environment_id))
    [update] = [entry for entry in railway.sandbox.journal if entry.is_mutation]
    assert update.variables["input"] == {"sleepApplication": False}


def test_read_reports_a_setting_changed_by_hand(
    railway: Railway, environment_id: str, provider: ServiceInstanceProvider
) -> None:
    props = inputs(railway, environment_id, healthcheck_path="/health", healthcheck_timeout=120)
    created = provider.create(props)
    railway.sandbox.update_service_instance(environment_id, railway.api_id, healthcheckPath="/status")
    read = provider.read(created.id, created.outs)
    assert read.outs["healthcheck_path"] == "/status"
    assert read.outs["healthcheck_timeout"] == 120


def test_read_ignores_settings_it_does_not_manage(
    railway: Railway, environment_id: str, provider: ServiceInstanceProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    railway.sandbox.update_service_instance(environment_id, railway.api_id, healthcheckPath="/status")
    assert provider.read(created.id, created.outs).outs == created.outs


def test_read_of_an_instance_whose_environment_is_gone_reports_it_gone(
    railway: Railway, environment_id: str, provider: ServiceInstanceProvider
) -> None:
    created = provider.create(inputs(railway, environment_id))
    railway.sandbox.delete_environment(environment_id)
    assert provider.read(created.id, created.outs).id is None


def test_update_sends_only_the_settings_that_changed(
    railway: Railway, environment_id: str, provider: ServiceInstanceProvider
) -> None:
    olds = provider.create(inputs(railway, environment_id, healthcheck_path="/health", sleep_application=True)).outs
    railway.sandbox.journal_clear()
    news = inputs(railway, environment_id, healthcheck_path="/healthz", sleep_application=True)
    provider.update(f"{environment_id}:{railway.api_id}", olds, news)
    [update] = [entry for entry in railway.sandbox.journal if entry.is_mutation]
    assert update.variables["input"] == {"healthcheckPath": "/healthz"}
    assert live_settings(railway, environment_id)["healthcheckPath"] == "/healthz"


def test_update_clears_a_setting_no_longer_managed(
    railway: Railway, environment_id: str, provider: ServiceInstanceProvider
) -> None:
    olds = provider.create(inputs(railway, environment_id, healthcheck_path="/health")).outs
    provider.update(f"{environment_id}:{railway.api_id}", olds, inputs(railway, environment_id))
    assert live_settings(railway, environment_id)["healthcheckPath"] is None


def test_update_without_a_change_sends_nothing(
    railway: Railway, environment_id: str, provider: ServiceInstanceProvider
) -> None:
    olds = provider.create(inputs(railway, environment_id, healthcheck_path="/health")).outs
    railway.sandbox.journal_clear()
    provider.update(
        f"{environment_id}:{railway.api_id}", olds, inputs(railway, environment_id, healthcheck_path="/health")
    )
    assert railway.sandbox.journal == []


def test_delete_sends_nothing(railway: Railway, environment_id: str, provider: ServiceInstanceProvider) -> None:
    created = provider.create(inputs(railway, environment_id, healthcheck_path="/health"))
    railway.sandbox.journal_clear()
    provider.delete(created.id, created.outs)
    assert railway.sandbox.journal == []


@pytest.mark.parametrize(
    ("settings", "failure"),
    [
        ({"healthcheck_timeout": 0}, "healthcheck_timeout must be between 1 and 3600, got 0"),
        ({"healthcheck_timeout": 90.5}, "healthcheck_timeout must be a whole number"),
        ({"sleep_application": "yes"}, "sleep_application must be true or false, got str"),
    ],
)
def test_check_rejects_settings_railway_would_refuse(railway: Railway, settings: dict, failure: str) -> None:
    checked = ServiceInstanceProvider().check({}, {"environment_id": "e", "service_id": "s", **settings})
    assert [f.reason for f in checked.failures] == [failure]


def test_a_new_environment_or_service_replaces_and_a_setting_updates() -> None:
    olds = ServiceInstanceProvider().check({}, {"environment_id": "e", "service_id": "s"}).inputs
    schema = ServiceInstanceProvider.schema
    assert schema.diff(olds, {**olds, "environment_id": "e2"}).replaces == ["environment_id"]
    assert schema.diff(olds, {**olds, "service_id": "s2"}).replaces == ["service_id"]
    changed = schema.diff(olds, {**olds, "healthcheck_path": "/health", "sleep_application": True})
    assert changed.changes and changed.replaces == []

"""Retries, rate limits and lost answers, end to end through the providers and the sandbox's faults."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from providers import http
from providers.api import ApiFailure
from providers.railway.deployment_trigger import DeploymentTriggerProvider
from providers.railway.environment import EnvironmentProvider
from providers.railway.service_domain import ServiceDomainProvider
from providers.railway.variables import VariablesProvider
from tests.providers.conftest import BACKEND_REPOSITORY, FAST_RETRIES, Railway

NAME = "staging-dev1-alice"


def environment_inputs(railway: Railway) -> dict[str, Any]:
    return (
        EnvironmentProvider()
        .check(
            {}, {"project_id": railway.project_id, "name": NAME, "source_environment_id": railway.base_environment_id}
        )
        .inputs
    )


@pytest.fixture
def environments(railway: Railway) -> EnvironmentProvider:
    return railway.configure(EnvironmentProvider())


@pytest.fixture
def environment_id(railway: Railway, environments: EnvironmentProvider) -> str:
    created = environments.create(environment_inputs(railway))
    railway.sandbox.journal_clear()
    return created.id


def calls(railway: Railway, operation: str, *, at_least: int = 0, within: float = 0.0) -> list[Any]:
    """Journal entries of one operation, waiting up to `within` seconds for `at_least` of them."""
    give_up_at = time.monotonic() + within
    while True:
        entries = [entry for entry in railway.sandbox.journal if entry.operation_name == operation]
        if len(entries) >= at_least or time.monotonic() >= give_up_at:
            return entries
        time.sleep(0.05)


def test_a_429_is_retried_after_the_retry_after_delay(railway: Railway, environments: EnvironmentProvider) -> None:
    railway.sandbox.faults.add("environmentCreate", "429", retry_after=0.3, times=1)
    environments.create(environment_inputs(railway))
    rejected, accepted = calls(railway, "EnvironmentCreate")
    assert (rejected.status, accepted.status) == (429, 200)
    assert accepted.at - rejected.at >= 0.3
    assert railway.environment_names().count(NAME) == 1


def test_a_503_on_a_read_is_retried(railway: Railway, environments: EnvironmentProvider, environment_id: str) -> None:
    railway.sandbox.faults.add("environment", "503", times=2)
    read = environments.read(environment_id, {})
    assert read.outs is not None and read.outs["name"] == NAME
    assert [entry.status for entry in calls(railway, "Environment")] == [503, 503, 200]


def test_a_503_on_a_create_is_looked_up_before_the_create_is_repeated(
    railway: Railway, environments: EnvironmentProvider
) -> None:
    railway.sandbox.faults.add("environmentCreate", "503", times=1)
    created = environments.create(environment_inputs(railway))
    journal = [(entry.operation_name, entry.status) for entry in railway.sandbox.journal]
    assert (journal[0], journal[-1]) == (("EnvironmentCreate", 503), ("EnvironmentCreate", 200))
    # Looked up again and again over the late-answer window before it was sent again.
    between = journal[1:-1]
    assert len(between) > 1 and set(between) == {("Environments", 200)}
    [environment] = [env for env in railway.sandbox.environments(railway.project_id) if env["name"] == NAME]
    assert environment["id"] == created.id


def test_a_dropped_environment_create_leaves_exactly_one_environment(
    railway: Railway, environments: EnvironmentProvider
) -> None:
    railway.sandbox.faults.add("environmentCreate", "drop_after_apply", times=1)
    created = environments.create(environment_inputs(railway))
    [environment] = [env for env in railway.sandbox.environments(railway.project_id) if env["name"] == NAME]
    assert environment["id"] == created.id
    assert len(calls(railway, "EnvironmentCreate")) == 1


def test_a_create_answered_after_the_deadline_is_adopted_not_repeated(
    railway: Railway, environments: EnvironmentProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The deadline bounds each request's read timeout, so a 1.5 s answer times out after 1 s.
    monkeypatch.setattr(http, "DEFAULT_RETRY_POLICY", replace(FAST_RETRIES, deadline=1.0))
    railway.sandbox.faults.add("environmentCreate", "slow", delay=1.5, times=1)
    created = environments.create(environment_inputs(railway))
    [environment] = [env for env in railway.sandbox.environments(railway.project_id) if env["name"] == NAME]
    assert environment["id"] == created.id
    # The slow request is journaled once its late answer is written; a repeat would precede it.
    assert len(calls(railway, "EnvironmentCreate", at_least=1, within=3.0)) == 1


def test_a_dropped_trigger_create_leaves_exactly_one_trigger(railway: Railway, environment_id: str) -> None:
    for copied in railway.sandbox.triggers(environment_id, railway.api_id):
        railway.sandbox.delete_trigger(copied["id"])
    railway.sandbox.faults.add("deploymentTriggerCreate", "drop_after_apply", times=1)
    provider = railway.configure(DeploymentTriggerProvider())
    created = provider.create(
        provider.check(
            {},
            {
                "project_id": railway.project_id,
                "environment_id": environment_id,
                "service_id": railway.api_id,
                "repository": BACKEND_REPOSITORY,
                "branch": "feature/x",
            },
        ).inputs
    )
    [trigger] = railway.sandbox.triggers(environment_id, railway.api_id)
    assert trigger["id"] == created.id and trigger["branch"] == "feature/x"


def test_a_dropped_domain_create_leaves_exactly_one_domain(railway: Railway, environment_id: str) -> None:
    railway.sandbox.faults.add("serviceDomainCreate", "drop_after_apply", times=1)
    provider = railway.configure(ServiceDomainProvider())
    created = provider.create(
        provider.check(
            {}, {"project_id": railway.project_id, "environment_id": environment_id, "service_id": railway.api_id}
        ).inputs
    )
    [domain] = railway.sandbox.service_domains(environment_id, railway.api_id)
    assert (domain["id"], domain["domain"]) == (created.id, created.outs["domain"])


def test_a_dropped_variables_upsert_is_simply_sent_again(railway: Railway, environment_id: str) -> None:
    railway.sandbox.faults.add("variableCollectionUpsert", "drop_after_apply", times=1)
    provider = railway.configure(VariablesProvider())
    provider.create(
        provider.check(
            {},
            {
                "project_id": railway.project_id,
                "environment_id": environment_id,
                "service_id": railway.api_id,
                "variables": {"A": "1"},
            },
        ).inputs
    )
    assert [entry.status for entry in calls(railway, "VariableCollectionUpsert")] == [None, 200]
    assert railway.sandbox.variables(environment_id, railway.api_id) == {"A": "1"}


def test_the_per_second_rate_limit_is_waited_out(private_railway: Railway) -> None:
    private_railway.sandbox.rate_limit_per_second = 2
    environments = private_railway.configure(EnvironmentProvider())
    created = environments.create(environment_inputs(private_railway))
    for _ in range(3):
        assert environments.read(created.id, {}).id == created.id
    assert any(entry.fault == "rate_limit" for entry in private_railway.sandbox.journal)


def test_an_api_that_keeps_failing_gives_an_error_in_user_terms(
    railway: Railway, environments: EnvironmentProvider, environment_id: str
) -> None:
    railway.sandbox.faults.add("environment", "503", times=50)
    with pytest.raises(ApiFailure) as caught:
        environments.read(environment_id, {})
    message = str(caught.value)
    assert message.startswith(f"Railway environment {environment_id} could not be read: Railway API unavailable")
    assert "gave up after 5 attempts; last problem: HTTP 503" in message
    assert message.endswith("(Railway Environment)")

"""Creates the Railway sandbox applies after the client has given up on them ("apply_late": held,
never answered, applied later): the provider keeps looking over its late-answer window and adopts
what the late create made, so exactly one object exists once the server is done. Domains have no
natural key: when the window passes before the server applies the create, the twin it leaves is
named by the next refresh of the domain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from providers import http
from providers.railway.environment import EnvironmentProvider
from providers.railway.service_domain import ServiceDomainProvider
from tests.providers.conftest import FAST_RETRIES, Railway

NAME = "staging-dev1-alice"
# The client gives up after GIVE_UP; the server applies the create at LANDS_AFTER, while the
# provider is still looking (its window, GRACE, is far longer: it adopts the object as it lands).
GIVE_UP = 0.3
LANDS_AFTER = 0.6
GRACE = 5.0
SETTLE = 10.0


@pytest.fixture(autouse=True)
def short_read_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(http, "READ_TIMEOUT", GIVE_UP)
    monkeypatch.setattr(http, "DEFAULT_RETRY_POLICY", replace(FAST_RETRIES, late_answer_grace=GRACE))
    yield


def _environment(railway: Railway) -> str:
    props = {"project_id": railway.project_id, "name": NAME, "source_environment_id": railway.base_environment_id}
    provider = railway.configure(EnvironmentProvider())
    return provider.create(provider.check({}, props).inputs).id


def _creates(railway: Railway, field: str) -> list[Any]:
    return [entry for entry in railway.sandbox.journal if field in entry.root_fields]


def test_a_domain_create_applied_late_leaves_exactly_one_domain(railway: Railway) -> None:
    environment_id = _environment(railway)
    railway.sandbox.faults.add("serviceDomainCreate", "apply_late", delay=LANDS_AFTER)
    provider = railway.configure(ServiceDomainProvider())
    props = {"project_id": railway.project_id, "environment_id": environment_id, "service_id": railway.api_id}

    created = provider.create(provider.check({}, props).inputs)

    assert railway.sandbox.settle(SETTLE)
    [domain] = railway.sandbox.service_domains(environment_id, railway.api_id)
    assert (domain["id"], domain["domain"]) == (created.id, created.outs["domain"])
    assert len(_creates(railway, "serviceDomainCreate")) == 1


def test_an_environment_create_applied_late_is_adopted_not_made_twice(railway: Railway) -> None:
    railway.sandbox.faults.add("environmentCreate", "apply_late", delay=LANDS_AFTER)

    created_id = _environment(railway)

    assert railway.sandbox.settle(SETTLE)
    [environment] = [e for e in railway.sandbox.environments(railway.project_id) if e["name"] == NAME]
    assert environment["id"] == created_id
    assert len(_creates(railway, "environmentCreate")) == 1


def test_a_domain_applied_after_the_window_passed_is_named_by_the_next_refresh(
    railway: Railway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A window shorter than the server's delay: the create is sent again, then the first lands too.
    monkeypatch.setattr(http, "DEFAULT_RETRY_POLICY", replace(FAST_RETRIES, late_answer_grace=0.1))
    environment_id = _environment(railway)
    railway.sandbox.faults.add("serviceDomainCreate", "apply_late", delay=1.5)
    provider = railway.configure(ServiceDomainProvider())
    props = {"project_id": railway.project_id, "environment_id": environment_id, "service_id": railway.api_id}
    created = provider.create(provider.check({}, props).inputs)
    assert railway.sandbox.settle(SETTLE)
    [twin] = [
        d["domain"] for d in railway.sandbox.service_domains(environment_id, railway.api_id) if d["id"] != created.id
    ]

    with caplog.at_level("WARNING", logger="providers.railway.service_domain"):
        read = provider.read(created.id, created.outs)

    assert (read.id, read.outs) == (created.id, created.outs)
    [warning] = [r.getMessage() for r in caplog.records if r.name == "providers.railway.service_domain"]
    assert twin in warning and created.outs["domain"] in warning


def test_a_refresh_of_a_service_with_one_domain_warns_of_nothing(
    railway: Railway, caplog: pytest.LogCaptureFixture
) -> None:
    environment_id = _environment(railway)
    provider = railway.configure(ServiceDomainProvider())
    props = {"project_id": railway.project_id, "environment_id": environment_id, "service_id": railway.api_id}
    created = provider.create(provider.check({}, props).inputs)

    with caplog.at_level("WARNING", logger="providers.railway.service_domain"):
        provider.read(created.id, created.outs)

    assert [r for r in caplog.records if r.name == "providers.railway.service_domain"] == []

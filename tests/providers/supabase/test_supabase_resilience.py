"""Rate limits, retries and lost answers, end to end through the Supabase providers and the
sandbox's faults."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import httpx
import pytest

from providers import http
from providers.api import ApiFailure
from providers.settings import SupabaseSettings
from providers.supabase.client import SupabaseClient
from providers.supabase.project import ProjectProvider
from providers.supabase.project_keys import ProjectKeysProvider
from tests.providers.conftest import FAST_RETRIES
from tests.providers.supabase.conftest import TOKEN, Supabase

NAME = "gatewayz-staging-dev1-alice"


@pytest.fixture
def projects(supabase: Supabase) -> ProjectProvider:
    return supabase.configure(ProjectProvider())


def calls(supabase: Supabase, key: str, *, at_least: int = 0, within: float = 0.0) -> list[Any]:
    """Journal entries of one endpoint, waiting up to `within` seconds for `at_least` of them."""
    give_up_at = time.monotonic() + within
    while True:
        entries = [entry for entry in supabase.sandbox.journal if entry.key == key]
        if len(entries) >= at_least or time.monotonic() >= give_up_at:
            return entries
        time.sleep(0.05)


class WithoutRetryAfter(httpx.BaseTransport):
    """A real HTTP transport that strips Retry-After and X-RateLimit-Remaining from answers, so
    the client cannot pace itself by what remains and, once refused, only X-RateLimit-Reset tells
    it how long to wait (as when a proxy drops the headers)."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        for name in ("retry-after", "x-ratelimit-remaining"):
            if name in response.headers:
                del response.headers[name]
        return response

    def close(self) -> None:
        self._inner.close()


def test_a_429_is_retried_after_the_retry_after_delay(supabase: Supabase, projects: ProjectProvider) -> None:
    supabase.sandbox.faults.add("POST /v1/projects", "429", retry_after=0.3, times=1)
    projects.create(supabase.project_inputs())
    rejected, accepted = calls(supabase, "POST /v1/projects")
    assert (rejected.status, accepted.status) == (429, 201)
    assert accepted.at - rejected.at >= 0.3
    assert len(supabase.projects(NAME)) == 1


def test_the_per_endpoint_rate_limit_is_kept_to_by_its_headers_without_a_429(
    supabase: Supabase, projects: ProjectProvider
) -> None:
    ref, outs = supabase.create_project()
    supabase.sandbox.rate_limit_window = 0.5
    supabase.sandbox.rate_limit_per_minute = 2
    for _ in range(5):
        assert projects.read(ref, outs).id == ref
    reads = calls(supabase, "GET /v1/projects/{ref}")
    assert [entry.status for entry in reads] == [200] * 5


def test_a_429_with_only_x_ratelimit_reset_is_waited_out(supabase: Supabase) -> None:
    ref, _ = supabase.create_project()
    supabase.sandbox.rate_limit_window = 0.4
    supabase.sandbox.rate_limit_per_minute = 1
    settings = SupabaseSettings(TOKEN, supabase.sandbox.url)
    with SupabaseClient(settings, transport=WithoutRetryAfter()) as supabase_client:
        for _ in range(3):
            assert supabase_client.get_project(ref) is not None
    reads = calls(supabase, "GET /v1/projects/{ref}")
    assert [entry.status for entry in reads].count(200) == 3
    limited = [entry for entry in reads if entry.status == 429]
    assert limited, "the limit of 1 per 0.4 s must have been hit"
    # Each rejection was followed by a wait for the window, not an immediate hammering.
    following = [reads[reads.index(entry) + 1] for entry in limited]
    assert all(after.at - before.at >= 0.1 for before, after in zip(limited, following, strict=True))


def test_polling_for_readiness_keeps_to_the_rate_limit(supabase: Supabase) -> None:
    ref, project = supabase.create_project()
    supabase.sandbox.rate_limit_window = 0.3
    supabase.sandbox.rate_limit_per_minute = 2
    created = supabase.configure(ProjectKeysProvider()).create(supabase.keys_inputs(project))
    assert created.outs["anon_key"] == supabase.sandbox.api_keys(ref)["anon"]
    assert not any(entry.fault == "rate_limit" for entry in supabase.sandbox.journal)


def test_a_503_on_a_read_is_retried(supabase: Supabase, projects: ProjectProvider) -> None:
    ref, outs = supabase.create_project()
    supabase.sandbox.faults.add("GET /v1/projects/{ref}", "503", times=2)
    assert projects.read(ref, outs).outs["name"] == NAME
    assert [entry.status for entry in calls(supabase, "GET /v1/projects/{ref}")] == [503, 503, 200]


def test_a_create_answered_after_the_deadline_is_adopted_not_repeated(
    supabase: Supabase, projects: ProjectProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The deadline bounds each request's read timeout, so a 1.5 s answer times out after 1 s.
    monkeypatch.setattr(http, "DEFAULT_RETRY_POLICY", replace(FAST_RETRIES, deadline=1.0))
    supabase.sandbox.faults.add("POST /v1/projects", "slow", delay=1.5, times=1)
    created = projects.create(supabase.project_inputs())
    [project] = supabase.projects(NAME)
    assert project["ref"] == created.id
    # The slow request is journaled once its late answer is written; a repeat would precede it.
    assert len(calls(supabase, "POST /v1/projects", at_least=1, within=3.0)) == 1


def test_an_api_that_keeps_failing_gives_an_error_in_user_terms(supabase: Supabase, projects: ProjectProvider) -> None:
    ref, outs = supabase.create_project()
    supabase.sandbox.faults.add("GET /v1/projects/{ref}", "503", times=50)
    with pytest.raises(ApiFailure) as caught:
        projects.read(ref, outs)
    message = str(caught.value)
    assert message.startswith(f"Supabase project {ref} could not be read: Supabase API unavailable")
    assert "gave up after 5 attempts; last problem: HTTP 503" in message
    assert message.endswith("(Supabase GET /v1/projects/{ref})")

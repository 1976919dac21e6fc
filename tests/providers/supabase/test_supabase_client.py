"""SupabaseClient: requests it sends, how answers become results or errors, and how readiness
waits poll, give up and clean up. On httpx.MockTransport with a fake clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from providers.api import ApiFailure, AuthError, Conflict, NotFound
from providers.http import RetryPolicy
from providers.settings import SupabaseSettings
from providers.supabase import client as supabase_client
from providers.supabase.client import (
    ENDPOINTS,
    Endpoint,
    ProjectFailedToStart,
    ReadinessDeadlineExceeded,
    SupabaseClient,
    WaitPolicy,
)

TOKEN = "sbp_mock_token_0a9b1c"
API = "https://api.supabase.test"
REF = "abcdefghijklmnopqrst"
BRANCH_ID = "0b9c5d2e-1111-4222-8333-444455556666"
DB_PASS = "mock-db-pass-5f5f"
# No window: a lost answer is looked up once (the window itself is tests/providers/test_http.py's).
NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0, sleep=lambda _: None, late_answer_grace=0.0)

Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def wait(self, **overrides: float) -> WaitPolicy:
        return WaitPolicy(clock=lambda: self.now, sleep=self.sleep, **overrides)  # type: ignore[arg-type]


def client(
    handler: Handler, *, wait: WaitPolicy | None = None, seen: list[httpx.Request] | None = None
) -> SupabaseClient:
    def recording(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    return SupabaseClient(
        SupabaseSettings(TOKEN, API), policy=NO_WAIT, wait=wait, transport=httpx.MockTransport(recording)
    )


def answer(status: int, payload: Any = None) -> Handler:
    return lambda _request: httpx.Response(status, json=payload)


def routes(table: dict[str, Callable[[httpx.Request], httpx.Response]]) -> Handler:
    """Answer by "<METHOD> <path>"; anything else is a test bug."""

    def handler(request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        if key not in table:
            raise AssertionError(f"unexpected request {key}")
        return table[key](request)

    return handler


def project_node(status: str = "COMING_UP", *, ref: str = REF, name: str = "gatewayz-staging-a") -> dict[str, Any]:
    return {
        "id": ref,
        "ref": ref,
        "organization_id": "gatewayz",
        "organization_slug": "gatewayz",
        "name": name,
        "region": "us-east-1",
        "created_at": "2026-06-01T00:00:00Z",
        "status": status,
    }


def keys_node(anon: str = "anon-key-1", service_role: str = "service-key-1") -> list[dict[str, Any]]:
    return [
        {"name": "anon", "api_key": anon, "type": "legacy"},
        {"name": "service_role", "api_key": service_role, "type": "legacy"},
    ]


def statuses(*sequence: str) -> Callable[[httpx.Request], httpx.Response]:
    """GET /v1/projects/{ref} answering these statuses in turn (the last repeats)."""
    calls = []

    def get(_request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json=project_node(sequence[min(len(calls), len(sequence)) - 1]))

    return get


# ------------------------------------------------------------ requests


def test_requests_carry_bearer_auth_and_go_to_the_v1_path() -> None:
    seen: list[httpx.Request] = []
    with client(answer(200, project_node()), seen=seen) as supabase:
        supabase.get_project(REF)
    [request] = seen
    assert request.method == "GET"
    assert str(request.url) == f"{API}/v1/projects/{REF}"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_create_project_sends_region_selection_and_instance_size() -> None:
    seen: list[httpx.Request] = []
    handler = routes(
        {
            "GET /v1/organizations/gatewayz/projects": answer(
                200, {"projects": [], "pagination": {"count": 0, "limit": 100, "offset": 0}}
            ),
            "POST /v1/projects": answer(201, project_node()),
        }
    )
    with client(handler, seen=seen) as supabase:
        created = supabase.create_project(
            name="gatewayz-staging-a",
            organization_slug="gatewayz",
            region="eu-west-2",
            db_pass=DB_PASS,
            instance_size="micro",
        )
    assert (created.ref, created.status) == (REF, "COMING_UP")
    assert json.loads(seen[-1].content) == {
        "name": "gatewayz-staging-a",
        "organization_slug": "gatewayz",
        "db_pass": DB_PASS,
        "region_selection": {"type": "specific", "code": "eu-west-2"},
        "desired_instance_size": "micro",
    }


def test_health_asks_for_the_database_and_rest_services() -> None:
    seen: list[httpx.Request] = []
    with client(answer(200, [{"name": "db", "healthy": True, "status": "ACTIVE_HEALTHY"}]), seen=seen) as supabase:
        assert supabase.get_health(REF) == {"db": "ACTIVE_HEALTHY"}
    assert seen[0].url.query == b"services=db&services=rest"


def test_api_keys_are_read_revealed() -> None:
    seen: list[httpx.Request] = []
    with client(answer(200, keys_node()), seen=seen) as supabase:
        keys = supabase.get_api_keys(REF)
    assert keys is not None and (keys.anon, keys.service_role) == ("anon-key-1", "service-key-1")
    assert seen[0].url.params["reveal"] == "true"


def test_path_parameters_are_percent_encoded() -> None:
    assert Endpoint("GET", "/v1/branches/{branch_id_or_ref}").url(API, branch_id_or_ref="../x y") == (
        f"{API}/v1/branches/..%2Fx%20y"
    )


def test_an_endpoint_without_its_path_parameters_is_a_bug() -> None:
    with pytest.raises(ValueError, match="path parameters missing"):
        Endpoint("GET", "/v1/projects/{ref}").url(API)


def test_every_endpoint_constant_is_listed_once() -> None:
    constants = {value for value in vars(supabase_client).values() if isinstance(value, Endpoint)}
    assert constants == set(ENDPOINTS) and len(ENDPOINTS) == len(set(ENDPOINTS))


def test_find_projects_reads_every_page_and_skips_branches_and_removed_projects() -> None:
    def organization_projects(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        pages = {
            0: [{**project_node(ref="a" * 20), "is_branch": False}, {**project_node(ref="b" * 20), "is_branch": True}],
            2: [
                {**project_node("REMOVED", ref="c" * 20), "is_branch": False},
                {**project_node(ref="d" * 20, name="other"), "is_branch": False},
            ],
            4: [{**project_node("ACTIVE_HEALTHY", ref="e" * 20), "is_branch": False}],
        }
        return httpx.Response(
            200, json={"projects": pages[offset], "pagination": {"count": 5, "limit": 2, "offset": offset}}
        )

    with client(organization_projects) as supabase:
        found = supabase.find_projects(organization_slug="gatewayz", name="gatewayz-staging-a")
    assert [project.ref for project in found] == ["a" * 20, "e" * 20]


# ------------------------------------------------------------ errors


def test_401_is_an_auth_error_naming_where_the_token_comes_from() -> None:
    with client(answer(401, {"message": "Unauthorized"})) as supabase, pytest.raises(AuthError) as caught:
        supabase.get_project(REF)
    message = str(caught.value)
    assert "stagefleet:supabaseAccessToken" in message and "SUPABASE_ACCESS_TOKEN" in message
    assert TOKEN not in message


def test_a_missing_project_reads_as_none() -> None:
    with client(answer(404, {"message": "Project not found"})) as supabase:
        assert supabase.get_project(REF) is None
        assert supabase.get_api_keys(REF) is None
        assert supabase.get_branch(BRANCH_ID) is None


def test_deleting_something_already_gone_reports_false() -> None:
    with client(answer(404, {"message": "not found"})) as supabase:
        assert supabase.delete_project(REF) is False
        assert supabase.delete_branch(BRANCH_ID) is False


def test_an_unknown_organization_is_not_found_in_user_terms() -> None:
    handler = routes({"GET /v1/organizations/nope/projects": answer(404, {"message": "Organization nope not found"})})
    with client(handler) as supabase, pytest.raises(NotFound) as caught:
        supabase.create_project(name="p", organization_slug="nope", region="us-east-1", db_pass=DB_PASS)
    assert str(caught.value) == (
        'Supabase projects of organization nope could not be listed (looking for "p"): '
        "HTTP 404 Organization nope not found (Supabase GET /v1/organizations/{slug}/projects)"
    )


def test_other_errors_say_what_failed_and_name_the_endpoint() -> None:
    with client(answer(400, {"message": "name must be shorter"})) as supabase, pytest.raises(ApiFailure) as caught:
        supabase.rename_project(REF, "x" * 3)
    assert str(caught.value) == (
        f'Supabase project {REF} could not be renamed to "xxx": HTTP 400 name must be shorter '
        "(Supabase PATCH /v1/projects/{ref})"
    )
    assert (caught.value.operation, caught.value.status_code) == ("PATCH /v1/projects/{ref}", 400)


def test_409_is_a_conflict() -> None:
    with client(answer(409, {"message": "Branch x already exists"})) as supabase, pytest.raises(Conflict):
        supabase.rename_project(REF, "x")


def test_messages_are_scrubbed_of_the_password_and_the_token() -> None:
    said = {"message": f"password {DB_PASS} rejected for token {TOKEN}"}
    with client(answer(400, said)) as supabase, pytest.raises(ApiFailure) as caught:
        supabase.update_database_password(REF, DB_PASS, label="gatewayz-staging-a")
    assert DB_PASS not in str(caught.value) and TOKEN not in str(caught.value)
    assert "database password" in str(caught.value) and "gatewayz-staging-a" in str(caught.value)


def test_long_api_messages_are_cut_short() -> None:
    with client(answer(400, {"message": "x" * 5000})) as supabase, pytest.raises(ApiFailure) as caught:
        supabase.rename_project(REF, "n")
    assert len(str(caught.value)) < 500


def test_an_answer_that_is_not_json_is_an_api_error() -> None:
    with client(lambda _request: httpx.Response(200, text="<html>edge</html>")) as supabase:
        with pytest.raises(ApiFailure, match="not JSON"):
            supabase.get_project(REF)


def test_keys_missing_from_the_answer_are_an_api_error_that_shows_no_key() -> None:
    only_anon = [{"name": "anon", "api_key": "anon-secret-77"}]
    with client(answer(200, only_anon)) as supabase, pytest.raises(ApiFailure) as caught:
        supabase.get_api_keys(REF)
    assert "no service_role key" in str(caught.value) and "anon-secret-77" not in str(caught.value)


def test_a_broken_branch_config_is_an_error_that_does_not_echo_its_password() -> None:
    with client(answer(200, {"db_pass": "branch-secret-42", "status": "ACTIVE_HEALTHY"})) as supabase:
        with pytest.raises(ApiFailure) as caught:
            supabase.get_branch(BRANCH_ID)
    assert "branch-secret-42" not in str(caught.value)


def test_a_create_supabase_never_confirms_is_an_error_asking_for_a_refresh() -> None:
    handler = routes(
        {
            "GET /v1/organizations/gatewayz/projects": answer(
                200, {"projects": [], "pagination": {"count": 0, "limit": 100, "offset": 0}}
            ),
            "POST /v1/projects": answer(502, {"message": "Bad Gateway"}),
        }
    )
    with client(handler) as supabase, pytest.raises(ApiFailure) as caught:
        supabase.create_project(name="p", organization_slug="gatewayz", region="us-east-1", db_pass=DB_PASS)
    assert "did not confirm it" in str(caught.value) and "pulumi refresh" in str(caught.value)
    assert DB_PASS not in str(caught.value)


def test_a_lost_create_adopts_only_a_project_that_did_not_exist_before() -> None:
    older = {**project_node("ACTIVE_HEALTHY", ref="o" * 20), "is_branch": False}
    ours = {**project_node(ref="n" * 20), "is_branch": False}
    listings = iter([[older], [older, ours]])
    posts: list[int] = []

    def listing(_request: httpx.Request) -> httpx.Response:
        page = next(listings)
        return httpx.Response(
            200, json={"projects": page, "pagination": {"count": len(page), "limit": 100, "offset": 0}}
        )

    def post(_request: httpx.Request) -> httpx.Response:
        posts.append(1)
        return httpx.Response(503)

    handler = routes({"GET /v1/organizations/gatewayz/projects": listing, "POST /v1/projects": post})
    with client(handler) as supabase:
        adopted = supabase.create_project(
            name="gatewayz-staging-a", organization_slug="gatewayz", region="us-east-1", db_pass=DB_PASS
        )
    assert adopted.ref == "n" * 20 and len(posts) == 1


# ------------------------------------------------------------ readiness


def test_a_wait_backs_off_from_its_first_delay_to_its_cap() -> None:
    fake = FakeTime()
    handler = routes({f"GET /v1/projects/{REF}": statuses(*["COMING_UP"] * 7, "ACTIVE_HEALTHY")})
    with client(handler, wait=fake.wait()) as supabase:
        supabase.await_project_healthy(REF, label="gatewayz-staging-a", deadline=600)
    assert fake.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_a_healthy_project_is_not_waited_for() -> None:
    fake = FakeTime()
    with client(routes({f"GET /v1/projects/{REF}": statuses("ACTIVE_HEALTHY")}), wait=fake.wait()) as supabase:
        supabase.await_project_healthy(REF, label="p", deadline=600)
    assert fake.sleeps == []


def test_a_terminal_status_stops_the_wait_at_once_and_deletes_the_project() -> None:
    fake = FakeTime()
    deleted: list[str] = []
    handler = routes(
        {
            f"GET /v1/projects/{REF}": statuses("COMING_UP", "INIT_FAILED"),
            f"DELETE /v1/projects/{REF}": lambda request: (
                deleted.append(request.url.path) or httpx.Response(200, json={})
            ),
        }
    )
    with client(handler, wait=fake.wait()) as supabase, pytest.raises(ProjectFailedToStart) as caught:
        supabase.await_project_healthy(REF, label="gatewayz-staging-a", deadline=600)
    assert fake.sleeps == [1.0] and deleted == [f"/v1/projects/{REF}"]
    assert str(caught.value) == (
        f'Supabase project "gatewayz-staging-a" ({REF}) failed to start: its status is INIT_FAILED. '
        "It was deleted so nothing half-made is left; run `pulumi up --refresh` to create it again."
    )
    assert (caught.value.ref, caught.value.status) == (REF, "INIT_FAILED")


def test_the_deadline_bounds_the_wait_and_the_project_is_deleted() -> None:
    fake = FakeTime()
    deleted: list[str] = []
    handler = routes(
        {
            f"GET /v1/projects/{REF}": statuses("COMING_UP"),
            f"DELETE /v1/projects/{REF}": lambda request: (
                deleted.append(request.url.path) or httpx.Response(200, json={})
            ),
        }
    )
    with client(handler, wait=fake.wait()) as supabase, pytest.raises(ReadinessDeadlineExceeded) as caught:
        supabase.await_project_healthy(REF, label="gatewayz-staging-a", deadline=30)
    # 1 + 2 + 4 + 8 + 10 = 25, then the last pause is cut to the 5 s left; one last look, then stop.
    assert fake.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 5.0] and fake.now == 30.0
    assert deleted == [f"/v1/projects/{REF}"]
    message = str(caught.value)
    assert message.startswith(f'Supabase project "gatewayz-staging-a" ({REF}) was not ACTIVE_HEALTHY within 30s')
    assert "last status: COMING_UP" in message and "pulumi up --refresh" in message


def test_a_failed_clean_up_says_to_delete_it_by_hand() -> None:
    fake = FakeTime()
    handler = routes(
        {
            f"GET /v1/projects/{REF}": statuses("INIT_FAILED"),
            f"DELETE /v1/projects/{REF}": answer(403, {"message": "Forbidden"}),
        }
    )
    with client(handler, wait=fake.wait()) as supabase, pytest.raises(ProjectFailedToStart) as caught:
        supabase.await_project_healthy(REF, label="p", deadline=60)
    assert "Deleting it failed too" in str(caught.value) and "Supabase dashboard" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_a_project_deleted_while_waited_on_is_not_found() -> None:
    fake = FakeTime()
    handler = routes({f"GET /v1/projects/{REF}": answer(404, {"message": "Project not found"})})
    with client(handler, wait=fake.wait()) as supabase, pytest.raises(NotFound, match="no longer exists"):
        supabase.await_project_healthy(REF, label="p", deadline=60)


def test_a_branch_is_ready_when_its_database_and_rest_services_are_healthy() -> None:
    fake = FakeTime()
    health = iter(
        [
            [{"name": "db", "status": "COMING_UP"}, {"name": "rest", "status": "COMING_UP"}],
            [{"name": "db", "status": "ACTIVE_HEALTHY"}, {"name": "rest", "status": "COMING_UP"}],
            [{"name": "db", "status": "ACTIVE_HEALTHY"}, {"name": "rest", "status": "ACTIVE_HEALTHY"}],
        ]
    )
    config = {"ref": REF, "status": "COMING_UP", "db_host": f"db.{REF}.supabase.co", "db_port": 5432}
    handler = routes(
        {
            f"GET /v1/projects/{REF}/health": lambda _request: httpx.Response(200, json=next(health)),
            f"GET /v1/branches/{BRANCH_ID}": answer(200, config),
        }
    )
    with client(handler, wait=fake.wait()) as supabase:
        supabase.await_branch_healthy(BRANCH_ID, REF, label="pr-42", deadline=600)
    assert fake.sleeps == [1.0, 2.0]


def test_a_failed_branch_is_deleted_not_its_parent() -> None:
    fake = FakeTime()
    deleted: list[str] = []
    config = {"ref": REF, "status": "INIT_FAILED", "db_host": "h", "db_port": 5432}
    handler = routes(
        {
            f"GET /v1/projects/{REF}/health": answer(200, [{"name": "db", "status": "UNHEALTHY"}]),
            f"GET /v1/branches/{BRANCH_ID}": answer(200, config),
            f"DELETE /v1/branches/{BRANCH_ID}": lambda request: (
                deleted.append(request.url.path) or httpx.Response(200, json={})
            ),
        }
    )
    with client(handler, wait=fake.wait()) as supabase, pytest.raises(ProjectFailedToStart) as caught:
        supabase.await_branch_healthy(BRANCH_ID, REF, label="pr-42", deadline=600)
    assert deleted == [f"/v1/branches/{BRANCH_ID}"]
    assert str(caught.value).startswith(f'Supabase branch "pr-42" ({REF}) failed to start: its status is INIT_FAILED.')


def test_wait_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        WaitPolicy(first_delay=5.0, max_delay=1.0)
    with pytest.raises(ValueError):
        WaitPolicy(factor=0.5)


def test_an_answer_without_the_fields_it_needs_is_an_api_error_naming_the_endpoint() -> None:
    with client(answer(200, {"name": "no ref here"})) as supabase, pytest.raises(ApiFailure) as caught:
        supabase.get_project(REF)
    assert str(caught.value) == (
        f"Supabase project {REF} could not be read: unexpected answer (a required field is missing) "
        "(Supabase GET /v1/projects/{ref})"
    )

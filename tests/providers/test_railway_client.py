"""RailwayClient: how Railway's answers become results or errors, on httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from providers.api import ApiFailure, AuthError, Conflict, NotFound
from providers.http import RetryPolicy
from providers.railway.client import RailwayClient
from providers.settings import RailwaySettings

TOKEN = "rw-mock-token-0a9b"
API_URL = "https://railway.test/graphql/v2"
# No window: a lost answer is looked up once (the window itself is tests/providers/test_http.py's).
NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0, sleep=lambda _: None, late_answer_grace=0.0)

Handler = Callable[[dict[str, Any]], httpx.Response]


def client(answer: Handler, seen: list[httpx.Request] | None = None) -> RailwayClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return answer(json.loads(request.content))

    return RailwayClient(RailwaySettings(TOKEN, API_URL), policy=NO_WAIT, transport=httpx.MockTransport(handler))


def data(payload: dict[str, Any]) -> Handler:
    return lambda _body: httpx.Response(200, json={"data": payload})


def errors(*items: dict[str, Any]) -> Handler:
    return lambda _body: httpx.Response(200, json={"errors": list(items), "data": None})


def test_requests_post_a_named_operation_with_bearer_auth_to_the_source_tagged_url() -> None:
    seen: list[httpx.Request] = []
    with client(data({"environment": None}), seen) as railway:
        railway.get_environment("env-1")
    [request] = seen
    assert request.method == "POST"
    assert str(request.url) == f"{API_URL}?source=stagefleet"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    body = json.loads(request.content)
    assert body["operationName"] == "Environment" and body["variables"] == {"id": "env-1"}


def test_not_authorized_is_an_auth_error_naming_where_the_token_comes_from() -> None:
    with client(errors({"message": "Not Authorized"})) as railway, pytest.raises(AuthError) as caught:
        railway.get_environment("env-1")
    message = str(caught.value)
    assert "stagefleet:railwayToken" in message and "RAILWAY_API_TOKEN" in message and TOKEN not in message


def test_http_401_is_an_auth_error() -> None:
    with client(lambda _body: httpx.Response(401)) as railway, pytest.raises(AuthError):
        railway.rename_environment("env-1", "new")


def test_a_not_found_code_is_railway_not_found() -> None:
    answer = errors({"message": "Deployment trigger not found", "extensions": {"code": "NOT_FOUND"}})
    with client(answer) as railway, pytest.raises(NotFound):
        railway.update_trigger("t-1", repository="r", branch="b")


def test_deleting_something_already_gone_reports_false() -> None:
    answer = errors({"message": "Service domain not found", "extensions": {"code": "NOT_FOUND"}})
    with client(answer) as railway:
        assert railway.delete_service_domain("d-1") is False


def test_a_conflict_code_is_railway_conflict() -> None:
    answer = errors({"message": "Domain taken", "extensions": {"code": "CONFLICT"}})
    with client(answer) as railway, pytest.raises(Conflict):
        railway.rename_environment("env-1", "taken")


def test_other_errors_say_what_failed_and_name_the_operation() -> None:
    answer = errors({"message": "Something broke", "extensions": {"code": "INTERNAL_SERVER_ERROR"}})
    with client(answer) as railway, pytest.raises(ApiFailure) as caught:
        railway.rename_environment("env-1", "staging-x")
    assert str(caught.value) == (
        'Railway environment env-1 could not be renamed to "staging-x": Something broke (Railway EnvironmentRename)'
    )
    assert caught.value.operation == "EnvironmentRename"


def test_railway_messages_are_scrubbed_of_variable_values() -> None:
    answer = errors({"message": "Invalid value sb-secret-77 for SUPABASE_KEY"})
    with client(answer) as railway, pytest.raises(ApiFailure) as caught:
        railway.upsert_variables(
            project_id="p", environment_id="e", service_id=None, variables={"SUPABASE_KEY": "sb-secret-77"}
        )
    assert "sb-secret-77" not in str(caught.value) and "SUPABASE_KEY" in str(caught.value)


def test_railway_messages_are_scrubbed_of_the_token() -> None:
    with client(errors({"message": f"token {TOKEN} lacks scope"})) as railway, pytest.raises(ApiFailure) as caught:
        railway.get_environment("env-1")
    assert TOKEN not in str(caught.value)


def test_an_answer_that_is_not_json_is_an_api_error() -> None:
    def edge_error_page(_body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, text="<html>edge error</html>")

    with client(edge_error_page) as railway, pytest.raises(ApiFailure, match="not a GraphQL response"):
        railway.get_environment("env-1")


def test_find_environment_reads_every_page() -> None:
    def answer(body: dict[str, Any]) -> httpx.Response:
        wanted = {"id": "e-2", "name": "wanted", "projectId": "p", "sourceEnvironment": {"id": "s"}}
        if body["variables"]["after"] is None:
            node, page_info = {**wanted, "id": "e-1", "name": "other"}, {"hasNextPage": True, "endCursor": "c1"}
        else:
            node, page_info = wanted, {"hasNextPage": False, "endCursor": "c2"}
        page = {"edges": [{"node": node}], "pageInfo": page_info}
        return httpx.Response(200, json={"data": {"environments": page}})

    with client(answer) as railway:
        found = railway.find_environment(project_id="p", name="wanted")
    assert found is not None and (found.id, found.source_environment_id) == ("e-2", "s")


def test_find_environment_ignores_deleted_environments() -> None:
    node = {"id": "e-1", "name": "wanted", "projectId": "p", "deletedAt": "2026-01-01T00:00:00Z"}
    answer = data({"environments": {"edges": [{"node": node}], "pageInfo": {"hasNextPage": False}}})
    with client(answer) as railway:
        assert railway.find_environment(project_id="p", name="wanted") is None


def test_a_create_railway_never_confirms_is_an_error_asking_for_a_refresh() -> None:
    def answer(body: dict[str, Any]) -> httpx.Response:
        if body["operationName"] == "ServiceDomainCreate":
            return httpx.Response(502)
        return httpx.Response(200, json={"data": {"domains": {"serviceDomains": []}}})

    with client(answer) as railway, pytest.raises(ApiFailure) as caught:
        railway.create_service_domain(project_id="p", environment_id="e", service_id="s")
    assert "did not confirm it" in str(caught.value) and "pulumi refresh" in str(caught.value)

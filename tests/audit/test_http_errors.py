"""An httpx error raised under the clients never carries the credential's header out
(Authorization for Railway and Supabase, STATSIG-API-KEY for Statsig).

httpx exceptions hold the request (and so its headers), and a transport or proxy may well quote
a header in its message. Whatever the failure (not sent, timed out, dropped, unusable URL, an
API answer that echoes the header back), what the clients raise has no token in its message,
repr, args, chained exceptions or formatted traceback, and holds no httpx request or response.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from providers.api import ApiError
from providers.http import RetryPolicy
from providers.railway.client import RailwayClient
from providers.settings import RailwaySettings, StatsigSettings, SupabaseSettings
from providers.statsig.client import StatsigClient
from providers.supabase.client import SupabaseClient

TOKEN = "audit-http-token-6a1f0c93be"
NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0, sleep=lambda _: None, late_answer_grace=0.0)


def _credential_header(request: httpx.Request) -> tuple[str, str]:
    """(name, value) of the header that carries the credential, whichever API it is."""
    return next((name, value) for name, value in request.headers.items() if TOKEN in value)


def _quoting(kind: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    """A transport that fails with `kind`, quoting the request's credential header."""

    def fail(request: httpx.Request) -> httpx.Response:
        name, value = _credential_header(request)
        raise kind(f"failed sending with {name}: {value}", request=request)

    return fail


def _echoing(status: int, body: Callable[[str], Any]) -> Callable[[httpx.Request], httpx.Response]:
    """An API that answers `status` with a body quoting the credential header."""
    return lambda request: httpx.Response(status, json=body(_credential_header(request)[1]))


FAILURES = {
    "connect error (not sent)": _quoting(httpx.ConnectError),
    "read timeout (maybe applied)": _quoting(httpx.ReadTimeout),
    "connection dropped": _quoting(httpx.RemoteProtocolError),
    "read error": _quoting(httpx.ReadError),
    "unusable URL": _quoting(httpx.UnsupportedProtocol),
    "proxy error": _quoting(httpx.ProxyError),
}


def _railway(handler: Callable[[httpx.Request], httpx.Response]) -> RailwayClient:
    return RailwayClient(
        RailwaySettings(TOKEN, "https://railway.invalid/graphql/v2"),
        policy=NO_WAIT,
        transport=httpx.MockTransport(handler),
    )


def _supabase(handler: Callable[[httpx.Request], httpx.Response]) -> SupabaseClient:
    return SupabaseClient(
        SupabaseSettings(TOKEN, "https://supabase.invalid"), policy=NO_WAIT, transport=httpx.MockTransport(handler)
    )


def _statsig(handler: Callable[[httpx.Request], httpx.Response]) -> StatsigClient:
    return StatsigClient(
        StatsigSettings(TOKEN, "https://statsig.invalid/console/v1"),
        policy=NO_WAIT,
        transport=httpx.MockTransport(handler),
    )


CALLS: dict[str, Callable[[Callable[[httpx.Request], httpx.Response]], Any]] = {
    "Railway read": lambda handler: _railway(handler).get_environment("env-1"),
    "Railway create": lambda handler: _railway(handler).create_environment(
        project_id="p-1", name="staging-dev1-alice", source_environment_id="base-1"
    ),
    "Supabase read": lambda handler: _supabase(handler).get_project("abcdefghijklmnopqrst"),
    "Supabase create": lambda handler: _supabase(handler).create_project(
        name="gatewayz-staging-dev1-alice", organization_slug="gatewayz", region="us-east-1", db_pass="pw-0f9e8d7c6b"
    ),
    "Statsig read": lambda handler: _statsig(handler).get_gate("staging_dev1_alice_new_checkout"),
    "Statsig create": lambda handler: _statsig(handler).create_gate(
        name="staging_dev1_alice_new_checkout", description="[managed by stagefleet]", rules=[], owned=lambda _: False
    ),
}


def _caught(call: Callable[[], Any]) -> BaseException:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _assert_clean(error: BaseException) -> None:
    for link in _chain(error):
        assert TOKEN not in str(link) and TOKEN not in repr(link) and TOKEN not in repr(link.args)
        for value in vars(link).values():
            assert not isinstance(value, (httpx.Request, httpx.Response, httpx.HTTPError)), type(value)
            assert TOKEN not in repr(value)
    assert TOKEN not in "".join(traceback.format_exception(error))


@pytest.mark.parametrize("failure", FAILURES, ids=str)
@pytest.mark.parametrize("call", CALLS, ids=str)
def test_a_transport_error_quoting_the_header_does_not_carry_it_out(call: str, failure: str) -> None:
    error = _caught(lambda: CALLS[call](FAILURES[failure]))
    _assert_clean(error)
    assert "***" in str(error) or "failed sending" not in str(error), "the quoted header is scrubbed, not passed on"


@pytest.mark.parametrize("call", ["Railway read", "Railway create"])
def test_a_graphql_error_echoing_the_header_does_not_carry_it_out(call: str) -> None:
    echo = _echoing(200, lambda header: {"errors": [{"message": f"token {header} is not allowed here"}], "data": None})
    _assert_clean(_caught(lambda: CALLS[call](echo)))


@pytest.mark.parametrize("status", [401, 403, 500, 502])
@pytest.mark.parametrize("call", ["Supabase read", "Supabase create", "Railway read", "Statsig read", "Statsig create"])
def test_an_error_answer_echoing_the_header_does_not_carry_it_out(call: str, status: int) -> None:
    echo = _echoing(status, lambda header: {"message": f"rejected {header}"})
    _assert_clean(_caught(lambda: CALLS[call](echo)))


def test_the_scrubbing_keeps_the_rest_of_the_message_readable() -> None:
    error = _caught(lambda: CALLS["Supabase read"](_quoting(httpx.ConnectError)))
    message = str(error)
    assert message.startswith("Supabase project abcdefghijklmnopqrst could not be read: Supabase API unavailable: ")
    assert "GET https://supabase.invalid/v1/projects/abcdefghijklmnopqrst" in message
    assert "authorization: ***" in message.lower()

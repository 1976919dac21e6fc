"""--connect-to SUFFIX=URL (and STAGEFLEET_CONNECT_TO): probes of matching hosts go to URL with the
original Host header; nothing else changes."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fleet.probe import ConnectTo, ProbeResult, connect_to_from_env, probe, probe_client


def probe_through(rules: list[ConnectTo], url: str, transport: httpx.AsyncBaseTransport | None = None) -> ProbeResult:
    async def run() -> ProbeResult:
        async with probe_client(rules, transport=transport) as client:
            return await probe(client, url, timeout=2.0)

    return asyncio.run(run())


def test_a_matching_host_is_sent_to_the_target_with_its_own_host_header_and_path(http_server):
    edge = http_server(status=200)
    rules = [ConnectTo.parse(f"up.railway.app={edge.url}")]

    result = probe_through(rules, "https://pr-12-api.up.railway.app/health?deep=1")

    assert result.status == 200
    assert result.url == "https://pr-12-api.up.railway.app/health?deep=1"  # reported as asked
    assert edge.seen == [("pr-12-api.up.railway.app", "/health?deep=1")]


def test_a_host_outside_the_suffix_is_left_alone():
    seen: list[str] = []

    def elsewhere(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    rules = [ConnectTo.parse("up.railway.app=http://127.0.0.1:9")]

    result = probe_through(rules, "https://api.notup.railway.app/health", httpx.MockTransport(elsewhere))

    assert (result.status, seen) == (204, ["https://api.notup.railway.app/health"])


@pytest.mark.parametrize(
    ("host", "matches"),
    [
        ("api.up.railway.app", True),
        ("API.UP.RAILWAY.APP", True),
        ("up.railway.app", True),
        ("api.up.railway.app.", True),
        ("apiup.railway.app", False),
        ("up.railway.app.evil.com", False),
    ],
)
def test_a_rule_matches_its_suffix_on_a_label_boundary(host, matches):
    assert ConnectTo.parse("up.railway.app=http://127.0.0.1:1").matches(host) is matches


def test_the_first_matching_rule_wins(http_server):
    first, second = http_server(status=200), http_server(status=503)
    rules = [ConnectTo.parse(f"api.up.railway.app={first.url}"), ConnectTo.parse(f"up.railway.app={second.url}")]

    assert probe_through(rules, "https://api.up.railway.app/").status == 200
    assert probe_through(rules, "https://web.up.railway.app/").status == 503


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("up.railway.app", "expected SUFFIX=URL (e.g. up.railway.app=http://127.0.0.1:8788), got 'up.railway.app'"),
        (
            "=http://127.0.0.1:1",
            "expected SUFFIX=URL (e.g. up.railway.app=http://127.0.0.1:8788), got '=http://127.0.0.1:1'",
        ),
        ("up.railway.app=127.0.0.1:8788", "'127.0.0.1:8788' is not an http:// or https:// URL"),
        ("up.railway.app=ftp://127.0.0.1", "'ftp://127.0.0.1' is not an http:// or https:// URL"),
        (
            "up.railway.app=http://127.0.0.1:1/base",
            "'http://127.0.0.1:1/base': give only scheme, host and port; the probe keeps its own path",
        ),
    ],
)
def test_a_malformed_rule_says_what_is_expected(text, message):
    with pytest.raises(ValueError) as raised:
        ConnectTo.parse(text)
    assert str(raised.value) == message


def test_the_environment_variable_holds_rules_separated_by_commas_or_spaces():
    rules = connect_to_from_env(
        {"STAGEFLEET_CONNECT_TO": "up.railway.app=http://127.0.0.1:1, example.test=http://127.0.0.1:2 "}
    )

    assert [(rule.suffix, str(rule.target)) for rule in rules] == [
        ("up.railway.app", "http://127.0.0.1:1"),
        ("example.test", "http://127.0.0.1:2"),
    ]


def test_a_malformed_environment_variable_is_named():
    with pytest.raises(ValueError) as raised:
        connect_to_from_env({"STAGEFLEET_CONNECT_TO": "nonsense"})
    assert str(raised.value).startswith("STAGEFLEET_CONNECT_TO: expected SUFFIX=URL")

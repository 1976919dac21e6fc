"""Fixtures for the sandbox specifications: a running RailwaySandbox, a seeded project and a
minimal GraphQL client (plain httpx, so these tests do not depend on providers/)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest

from sandbox import server as _loopback_server
from sandbox.railway import RailwaySandbox, SeedResult
from sandbox.statsig import StatsigSandbox
from sandbox.supabase import SupabaseSandbox
from tests.sandbox.railway_support import FakeClock
from tests.sandbox.supabase_support import HEALTHY_AFTER, ORG, Api
from tests.sandbox.supabase_support import TOKEN as SUPABASE_TOKEN

TOKEN = "test-token"
# Every wait in these tests is bounded; a hung sandbox fails the test instead of blocking it.
HTTP_TIMEOUT = 10.0


class GraphQL:
    """Posts GraphQL documents to the sandbox the way the stagefleet client does."""

    def __init__(self, url: str, token: str | None = TOKEN) -> None:
        self.url = url
        self.token = token
        self._http = httpx.Client(timeout=HTTP_TIMEOUT)

    def post(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = "default",
        operation_name: str | None = None,
        query_string: str = "source=stagefleet",
    ) -> httpx.Response:
        token = self.token if token == "default" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
        if operation_name:
            payload["operationName"] = operation_name
        url = f"{self.url}?{query_string}" if query_string else self.url
        return self._http.post(url, json=payload, headers=headers)

    def data(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The response data, asserting the request succeeded without errors."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def errors(self, query: str, variables: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The GraphQL errors of a request expected to fail as the real API does (HTTP 200)."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body.get("errors"), body
        return body["errors"]

    def close(self) -> None:
        self._http.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rw(clock: FakeClock) -> Iterator[RailwaySandbox]:
    with RailwaySandbox(tokens={TOKEN}, lifetime=120, clock=clock) as sandbox:
        yield sandbox


@pytest.fixture
def seed(rw: RailwaySandbox) -> SeedResult:
    return rw.seed_project(
        name="gatewayz",
        base_environment="staging-template",
        services=[
            {"name": "api", "id": None, "repository": "gatewayz/gatewayz-backend"},
            {"name": "web", "id": None, "repository": "gatewayz/gatewayz-frontend", "rootDirectory": "apps/web"},
        ],
    )


@pytest.fixture
def gql(rw: RailwaySandbox) -> Iterator[GraphQL]:
    client = GraphQL(rw.url)
    yield client
    client.close()


class Edge:
    """Requests to the sandbox edge, addressed to a service domain by the Host header."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=HTTP_TIMEOUT)

    def get(self, domain: str, path: str = "/") -> httpx.Response:
        return self._http.get(path, headers={"Host": domain})

    def head(self, domain: str, path: str = "/") -> httpx.Response:
        return self._http.head(path, headers={"Host": domain})

    def close(self) -> None:
        self._http.close()


@pytest.fixture
def edge(rw: RailwaySandbox) -> Iterator[Edge]:
    client = Edge(rw.edge_url)
    yield client
    client.close()


@pytest.fixture
def new_client(rw: RailwaySandbox) -> Iterator[Callable[[], GraphQL]]:
    """Makes independent clients (own connection pool each), closed after the test."""
    clients: list[GraphQL] = []
    lock = threading.Lock()

    def make() -> GraphQL:
        client = GraphQL(rw.url)
        with lock:
            clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# ---------------------------------------------------------------- Supabase emulator fixtures


@pytest.fixture
def sb() -> Iterator[SupabaseSandbox]:
    with SupabaseSandbox(tokens={SUPABASE_TOKEN}, healthy_after=HEALTHY_AFTER, lifetime=120) as sandbox:
        sandbox.seed_organization(slug=ORG, name="Gatewayz")
        yield sandbox


@pytest.fixture
def api(sb: SupabaseSandbox) -> Iterator[Api]:
    client = Api(sb.url)
    yield client
    client.close()


@pytest.fixture
def project(api: Api) -> dict[str, Any]:
    """A project created through the API (COMING_UP for HEALTHY_AFTER seconds)."""
    return api.create_project()


# ---------------------------------------------------------------- Statsig emulator fixtures


STATSIG_KEY = "console-test"
STATSIG_VERSION = "20240601"


class StatsigApi:
    """Calls the Statsig sandbox the way the stagefleet client does: STATSIG-API-KEY and
    STATSIG-API-VERSION headers, JSON bodies, /console/v1 paths (plain httpx)."""

    def __init__(self, url: str, key: str | None = STATSIG_KEY, version: str | None = STATSIG_VERSION) -> None:
        headers = {}
        if key is not None:
            headers["STATSIG-API-KEY"] = key
        if version is not None:
            headers["STATSIG-API-VERSION"] = version
        self.http = httpx.Client(base_url=f"{url}/console/v1", headers=headers, timeout=HTTP_TIMEOUT)

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        if body is not None:
            kwargs["json"] = body
        return self.http.request(method, path, **kwargs)

    def create_gate(self, name: str = "Checkout v2", **fields: Any) -> dict[str, Any]:
        response = self.request("POST", "/gates", {"name": name, **fields})
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def close(self) -> None:
        self.http.close()


def staging_rule(emails: list[str] | None = None, user_ids: list[str] | None = None) -> dict[str, Any]:
    """The rule stagefleet writes: one named rule, 100% pass, email / user_id conditions."""
    conditions = []
    if emails:
        conditions.append({"type": "email", "operator": "any", "targetValue": list(emails)})
    if user_ids:
        conditions.append({"type": "user_id", "operator": "any", "targetValue": list(user_ids)})
    return {
        "name": "stagefleet: enabled for",
        "passPercentage": 100,
        "conditions": conditions,
        "environments": ["staging"],
    }


@pytest.fixture
def st() -> Iterator[StatsigSandbox]:
    with StatsigSandbox(keys={STATSIG_KEY}, lifetime=120) as sandbox:
        yield sandbox


@pytest.fixture
def statsig(st: StatsigSandbox) -> Iterator[StatsigApi]:
    client = StatsigApi(st.url)
    yield client
    client.close()


@pytest.fixture
def make_rule() -> Callable[..., dict[str, Any]]:
    """staging_rule(emails=None, user_ids=None), for test modules (they do not import conftest)."""
    return staging_rule


@pytest.fixture
def statsig_client(st: StatsigSandbox) -> Iterator[Callable[..., StatsigApi]]:
    """Makes clients with other keys/versions: statsig_client(key="console-x", version=None)."""
    clients: list[StatsigApi] = []

    def make(key: str | None = STATSIG_KEY, version: str | None = STATSIG_VERSION) -> StatsigApi:
        client = StatsigApi(st.url, key=key, version=version)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# ---------------------------------------------------------------- the servers' pauses


class HeldPauses:
    """Stands in for the loopback server's time.sleep: every pause a sandbox takes (added latency,
    a slow answer) is recorded and held until the test releases it. A test sees how long a
    request is made to wait and that its answer waits with it, without timing anything."""

    def __init__(self) -> None:
        self._pauses: queue.Queue[float] = queue.Queue()
        self._released = threading.Event()

    def sleep(self, seconds: float) -> None:
        self._pauses.put(seconds)
        self._released.wait(HTTP_TIMEOUT)

    def next(self) -> float:
        """The next pause a server takes (waits for it to begin)."""
        return self._pauses.get(timeout=HTTP_TIMEOUT)

    def release(self) -> None:
        self._released.set()


class _ServerTime:
    """sandbox.server's `time` module, with sleep replaced."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self.sleep = sleep

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def held_pauses(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldPauses]:
    pauses = HeldPauses()
    monkeypatch.setattr(_loopback_server, "time", _ServerTime(pauses.sleep))
    yield pauses
    pauses.release()

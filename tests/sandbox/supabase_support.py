"""Fixtures and a minimal REST client for the Supabase sandbox specifications (plain httpx, so
these tests do not depend on providers/). Holds no tests; the test_supabase_* modules import it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

TOKEN = "sbp_test"
ORG = "gatewayz"
HEALTHY_AFTER = 0.3
# Every wait in these tests is bounded; a hung sandbox fails the test instead of blocking it.
HTTP_TIMEOUT = 10.0
WAIT_TIMEOUT = 5.0


class Api:
    """Calls the sandbox the way the stagefleet client does: Bearer token, JSON, /v1 paths."""

    def __init__(self, url: str, token: str | None = TOKEN) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=HTTP_TIMEOUT)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, json=body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.patch(path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.delete(path, **kwargs)

    def create_project(self, name: str = "gatewayz-staging-dev1", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "organization_slug": ORG, "db_pass": "s3cret-Pass!", **fields}
        response = self.post("/v1/projects", body)
        assert response.status_code == 201, response.text
        return response.json()

    def create_branch(self, parent_ref: str, name: str = "pr-42", **fields: Any) -> dict[str, Any]:
        response = self.post(f"/v1/projects/{parent_ref}/branches", {"branch_name": name, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def health(self, ref: str) -> list[dict[str, Any]]:
        response = self.get(f"/v1/projects/{ref}/health", params={"services": ["db", "rest"]})
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        self.http.close()


def wait_until(predicate: Callable[[], bool], timeout: float = WAIT_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.05)

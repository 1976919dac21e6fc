"""Engine tests: providers driven through `python -m pulumi.dynamic` over gRPC, against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.host import DynamicProviderHost
from sandbox.railway import RailwaySandbox

TOKEN = "engine-test-token-4f2a9b"


@dataclass(frozen=True)
class Seeded:
    sandbox: RailwaySandbox
    project_id: str
    base_environment_id: str
    api_id: str
    web_id: str

    @property
    def config(self) -> dict[str, str]:
        return {"stagefleet:railwayToken": TOKEN, "stagefleet:railwayApiUrl": self.sandbox.url}


@pytest.fixture
def railway() -> Iterator[Seeded]:
    with RailwaySandbox(tokens={TOKEN}, lifetime=300) as sandbox:
        seed = sandbox.seed_project(
            name="gatewayz",
            services=[
                {"name": "api", "repository": "gatewayz/gatewayz-backend"},
                {"name": "web", "repository": "gatewayz/gatewayz-frontend"},
            ],
            variables={"APP_ENV": "staging"},
        )
        yield Seeded(
            sandbox, seed.project_id, seed.base_environment_id, seed.service_ids["api"], seed.service_ids["web"]
        )


@pytest.fixture
def host(railway: Seeded) -> Iterator[DynamicProviderHost]:
    with DynamicProviderHost() as provider_host:
        provider_host.configure(railway.config)
        yield provider_host


@pytest.fixture
def unconfigured_host() -> Iterator[DynamicProviderHost]:
    """A provider host with no credentials at all, as a preview on a fork's pull request has."""
    with DynamicProviderHost() as provider_host:
        provider_host.configure({})
        yield provider_host

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from fleet import FleetConfigError, FleetSpec

Problems = Callable[[Mapping[str, Any]], list[tuple[str, str]]]


@pytest.fixture
def config() -> dict[str, Any]:
    """A small valid stack config, as the Pulumi program receives it (already-parsed values)."""
    return {
        "stagefleet:railway": {
            "projectId": "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01",
            "baseEnvironmentId": "7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10",
            "services": [
                {
                    "name": "api",
                    "id": "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60",
                    "repository": "gatewayz/gatewayz-backend",
                },
                {
                    "name": "web",
                    "id": "9a7c5e3b-1d2f-4a6b-8c0e-3f5a7b9d1e20",
                    "repository": "gatewayz/gatewayz-frontend",
                },
            ],
        },
        # main's database is dedicated: a Supabase project in this organization.
        "stagefleet:supabase": {"organizationSlug": "gatewayz", "region": "us-east-1"},
        "stagefleet:defaults": {
            "variables": {"APP_ENV": "staging"},
            "database": {"strategy": "shared", "source": "main"},
        },
        "stagefleet:environments": [
            {"name": "main", "kind": "shared", "branch": "main", "database": {"strategy": "dedicated"}},
            {"name": "dev1-alice", "kind": "developer", "owner": "alice@gatewayz.ai", "branch": "feature/alice"},
            {"name": "payments", "kind": "team", "branch": "feature/payment-v2"},
        ],
    }


@pytest.fixture
def problems_of() -> Problems:
    """(path, message) of every problem FleetSpec.from_config reports for a config."""

    def collect(config: Mapping[str, Any]) -> list[tuple[str, str]]:
        with pytest.raises(FleetConfigError) as caught:
            FleetSpec.from_config(config)
        return [(problem.path, problem.message) for problem in caught.value.problems]

    return collect


@pytest.fixture
def json_error_of() -> Callable[[str], json.JSONDecodeError]:
    """The decoder's error for text that is not valid JSON. stagefleet reports it after its own
    words; the decoder's wording and positions are CPython's, and changed in 3.13."""

    def decode(text: str) -> json.JSONDecodeError:
        with pytest.raises(json.JSONDecodeError) as caught:
            json.loads(text)
        return caught.value

    return decode


@pytest.fixture
def error_of() -> Callable[[Mapping[str, Any]], FleetConfigError]:
    def catch(config: Mapping[str, Any]) -> FleetConfigError:
        with pytest.raises(FleetConfigError) as caught:
            FleetSpec.from_config(config)
        return caught.value

    return catch

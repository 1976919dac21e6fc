"""A fleet config for the cost, catalog and policy tests, with every database strategy, and the
real staging stack file."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

from fleet import FleetSpec
from fleet.stackfile import load_stack_config

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 26)

# Hand-computed with the default prices ($20 Railway a month per environment; Supabase small $15,
# micro $10; a branch $0.32 a day = 0.32 / 24 * 730 = $9.7333... a month -> $9.73):
#   main  20 + 15 = 35.00   alice 20 + 10 = 30.00   bob 20 + 10 = 30.00
#   charlie 20 + 9.73 = 29.73   payments 20 + 0 (shared) = 20.00   total 144.73
STAGING_COSTS = {
    "main": "35.00",
    "dev1-alice": "30.00",
    "dev2-bob": "30.00",
    "dev3-charlie": "29.73",
    "payments": "20.00",
}
STAGING_TOTAL = "144.73"

FLEET: dict[str, Any] = {
    "stagefleet:railway": {
        "projectId": "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01",
        "baseEnvironmentId": "7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10",
        "services": [
            {"name": "api", "id": "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60", "repository": "gatewayz/gatewayz-backend"},
            {"name": "web", "id": "9a7c5e3b-1d2f-4a6b-8c0e-3f5a7b9d1e20", "repository": "gatewayz/gatewayz-frontend"},
        ],
    },
    "stagefleet:supabase": {"organizationSlug": "gatewayz", "instanceSize": "micro"},
    "stagefleet:defaults": {"database": {"strategy": "dedicated"}},
    "stagefleet:environments": [
        {
            "name": "main",
            "kind": "shared",
            "owner": "platform",
            "branch": "main",
            "purpose": "Latest main",
            "database": {"strategy": "dedicated", "instanceSize": "medium"},
        },
        {
            "name": "dev1-alice",
            "kind": "developer",
            "owner": "alice@gatewayz.ai",
            "branch": "feature/alice",
            "purpose": "Payments",
            "expires": "2027-01-31",
        },
        {
            "name": "qa",
            "kind": "team",
            "owner": "qa",
            "branch": "release",
            "database": {"strategy": "branch", "source": "main"},
        },
        {
            "name": "payments",
            "kind": "team",
            "branch": "feature/payment-v2",
            "database": {"strategy": "shared", "source": "main"},
        },
        {
            "name": "legacy",
            "kind": "team",
            "branch": "legacy",
            "database": {"strategy": "external", "supabaseUrl": "https://abc.supabase.co", "supabaseKey": "k"},
        },
    ],
}
# main 20 + 60 (medium) = 80.00; alice 20 + 10 (micro) = 30.00; qa 20 + 9.73 = 29.73;
# payments 20 + 0 = 20.00; legacy 20 + 0 (external) = 20.00; total 179.73
FLEET_COSTS = {"main": "80.00", "dev1-alice": "30.00", "qa": "29.73", "payments": "20.00", "legacy": "20.00"}
FLEET_TOTAL = "179.73"


def fleet_config() -> dict[str, Any]:
    return copy.deepcopy(FLEET)


def spec_of(config: dict[str, Any]) -> FleetSpec:
    return FleetSpec.from_config(config)


def staging_config() -> dict[str, Any]:
    return load_stack_config(REPO / "Pulumi.staging.yaml")


def staging_spec() -> FleetSpec:
    return FleetSpec.from_config(staging_config())

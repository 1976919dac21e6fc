"""Shared by the review stack and janitor tests: a fleet config with every kind of database, a
pull request as CI sets it, and `python -m fleet` run as CI runs it."""

import subprocess
from pathlib import Path
from typing import Any

from tests import fleet_command

REPO = Path(__file__).resolve().parents[2]

PULL_REQUEST = {"number": 42, "branch": "feature/checkout-v2", "title": "Checkout v2", "author": "alice"}


def fleet_config() -> dict[str, Any]:
    """A valid fleet stack config: main (dedicated), dev1-alice (dedicated by default), payments
    (shares main's database), legacy (external)."""
    return {
        "stagefleet:railway": {
            "projectId": "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01",
            "projectName": "gatewayz",
            "baseEnvironmentId": "7d3e1f90-52c4-4b8a-a6d1-2f9e8c7b4a10",
            "services": [
                {
                    "name": "api",
                    "id": "5b1e9c3a-7f24-4e6b-b8d0-1a2c3e4f5a60",
                    "repository": "gatewayz/gatewayz-backend",
                    "variables": {"LOG_LEVEL": "warn"},
                },
                {
                    "name": "web",
                    "id": "9a7c5e3b-1d2f-4a6b-8c0e-3f5a7b9d1e20",
                    "repository": "gatewayz/gatewayz-frontend",
                },
            ],
        },
        "stagefleet:supabase": {"organizationSlug": "gatewayz"},
        "stagefleet:defaults": {"variables": {"APP_ENV": "staging"}, "database": {"strategy": "dedicated"}},
        "stagefleet:environments": [
            {"name": "main", "kind": "shared", "branch": "main"},
            {"name": "dev1-alice", "kind": "developer", "owner": "alice@gatewayz.ai", "branch": "feature/alice"},
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
                "database": {
                    "strategy": "external",
                    "supabaseUrl": "https://legacyref.supabase.co",
                    "supabaseKey": "legacy-key",
                },
            },
        ],
    }


def run_fleet(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return fleet_command.run(cwd, *args)

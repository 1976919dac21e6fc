"""Stack exports shared by the fleet stack and review stacks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from components.staging_environment import StagingEnvironment
from fleet.config import EnvironmentSpec


def export_environments(
    specs: Iterable[EnvironmentSpec], components: Mapping[str, StagingEnvironment]
) -> dict[str, Any]:
    """Per environment what people, the catalog and review-stack comments read: nothing secret."""
    return {
        env.name: {
            "kind": env.kind,
            "branch": env.branch,
            "owner": env.owner,
            "purpose": env.purpose,
            "expires": env.expires.isoformat() if env.expires else None,
            "railwayEnvironmentId": components[env.name].railway_environment_id,
            "railwayEnvironmentName": components[env.name].railway_environment_name,
            "urls": components[env.name].urls,
            # What `python -m fleet status` polls and probes, per service.
            "services": components[env.name].services,
            "sleepsWhenIdle": env.sleeps_when_idle,
            "databaseUrl": components[env.name].database_url,
            "databaseRef": components[env.name].database_ref,
            "databaseStrategy": components[env.name].database.strategy,
        }
        for env in specs
    }

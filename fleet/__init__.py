"""The stack-config model of stagefleet: pure Python, imports no pulumi and nothing else of ours."""

from fleet.config import (
    ConfigProblem,
    DatabaseSpec,
    DefaultsSpec,
    EncryptedSecret,
    EnvironmentSpec,
    FleetConfigError,
    FleetSpec,
    LimitsSpec,
    MigrationsSpec,
    PolicySpec,
    PricesSpec,
    RailwaySpec,
    SeedSpec,
    ServiceSpec,
    SupabaseSpec,
)
from fleet.review import PullRequestSpec, ReviewSettingsSpec, ReviewSpec, load_review_spec

__all__ = [
    "ConfigProblem",
    "DatabaseSpec",
    "DefaultsSpec",
    "EncryptedSecret",
    "EnvironmentSpec",
    "FleetConfigError",
    "FleetSpec",
    "LimitsSpec",
    "MigrationsSpec",
    "PolicySpec",
    "PricesSpec",
    "PullRequestSpec",
    "RailwaySpec",
    "ReviewSettingsSpec",
    "ReviewSpec",
    "SeedSpec",
    "ServiceSpec",
    "SupabaseSpec",
    "load_review_spec",
]

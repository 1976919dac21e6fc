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
    RailwaySpec,
    SeedSpec,
    ServiceSpec,
    SupabaseSpec,
)

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
    "RailwaySpec",
    "SeedSpec",
    "ServiceSpec",
    "SupabaseSpec",
]

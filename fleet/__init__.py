"""The model of stagefleet: pure Python, imports no pulumi.

`from fleet import FleetSpec` still works, but nothing is imported until a name is used
(PEP 562): `import fleet.naming`, which the providers and the sandbox do, stays cheap and pulls in
neither pydantic nor the config model.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ imports each on first use
    from fleet.config import (
        ConfigProblem,
        DatabaseSpec,
        DefaultsSpec,
        EncryptedSecret,
        EnvironmentSpec,
        FeatureFlagSpec,
        FleetConfigError,
        FleetSpec,
        LimitsSpec,
        MigrationsSpec,
        PolicySpec,
        PricesSpec,
        RailwaySpec,
        SeedSpec,
        ServiceSpec,
        StatsigSpec,
        SupabaseSpec,
    )
    from fleet.review import PullRequestSpec, ReviewSettingsSpec, ReviewSpec, load_review_spec

__all__ = [
    "ConfigProblem",
    "DatabaseSpec",
    "DefaultsSpec",
    "EncryptedSecret",
    "EnvironmentSpec",
    "FeatureFlagSpec",
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
    "StatsigSpec",
    "SupabaseSpec",
    "load_review_spec",
]

# The module that holds each name this package offers.
_REVIEW_NAMES = frozenset({"PullRequestSpec", "ReviewSettingsSpec", "ReviewSpec", "load_review_spec"})
_HOMES = {name: "fleet.review" if name in _REVIEW_NAMES else "fleet.config" for name in __all__}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        # Not ours to offer: `from fleet import naming` then imports the submodule itself.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""Statsig dynamic resources: Gate (a feature gate enabled for named developers on staging) and
the Console API client it uses."""

from providers.statsig.client import (
    GateInfo,
    StatsigApiError,
    StatsigAuthError,
    StatsigClient,
    StatsigConflict,
    StatsigError,
    StatsigNotFound,
    gate_id_for,
)
from providers.statsig.gate import Gate, GateArgs, GateProvider

__all__ = [
    "Gate",
    "GateArgs",
    "GateInfo",
    "GateProvider",
    "StatsigApiError",
    "StatsigAuthError",
    "StatsigClient",
    "StatsigConflict",
    "StatsigError",
    "StatsigNotFound",
    "gate_id_for",
]

"""Statsig dynamic resources: Gate (a feature gate enabled for named developers on staging) and
the Console API client it uses (its errors are providers.api's family)."""

from providers.statsig.client import GateInfo, StatsigClient, gate_id_for
from providers.statsig.gate import Gate, GateArgs, GateProvider

__all__ = [
    "Gate",
    "GateArgs",
    "GateInfo",
    "GateProvider",
    "StatsigClient",
    "gate_id_for",
]

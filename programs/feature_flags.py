"""The fleet's feature flags: one Statsig gate per entry of stagefleet:featureFlags.

Each gate is on, in the Statsig environments the flag lists (staging by default), only for its
email addresses and user ids. The gates are plain resources of the stack, named `flag-<gate id>`
(the id Statsig derives from the flag's name), so renaming a flag replaces its gate and a flag
removed from the config has its gate deleted or archived, as stagefleet:statsig.onDelete says.

The Console API key never passes through here: the provider reads stagefleet:statsigConsoleKey
(or STATSIG_CONSOLE_API_KEY) itself, so it is in no resource's inputs and in no export.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from fleet import naming
from fleet.config import FeatureFlagSpec, FleetSpec
from providers.statsig.gate import Gate, GateArgs


def gate_args(flag: FeatureFlagSpec, on_delete: str) -> GateArgs:
    return GateArgs(
        name=flag.name,
        description=flag.description,
        owner=flag.owner,
        emails=flag.emails,
        user_ids=flag.user_ids,
        environments=list(flag.environments),
        on_delete=on_delete,
    )


def declare_feature_flags(spec: FleetSpec, opts: pulumi.ResourceOptions | None = None) -> dict[str, Gate]:
    """One Gate per feature flag, by flag name, in config order."""
    return {
        flag.name: Gate(naming.feature_flag_resource_name(flag.name), gate_args(flag, spec.statsig.on_delete), opts)
        for flag in spec.feature_flags
    }


def export_feature_flags(spec: FleetSpec, gates: Mapping[str, Gate]) -> dict[str, Any]:
    """The `featureFlags` stack export: per flag name its gate id, owner, who it is enabled for and
    until when. Nothing secret."""
    return {
        flag.name: {
            "gateId": gates[flag.name].gate_id,
            "owner": flag.owner,
            "enabledFor": list(flag.enabled_for),
            "expires": flag.expires.isoformat() if flag.expires else None,
        }
        for flag in spec.feature_flags
    }

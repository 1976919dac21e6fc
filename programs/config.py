"""The stack config as the program reads it, and the error for a config the program refuses."""
from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

NAMESPACE = "stagefleet:"


class InvalidStackConfig(pulumi.RunError):
    """Raised before any resource is registered, so a bad edit fails `pulumi preview` cleanly."""


def stack_config() -> dict[str, Any]:
    """Every `stagefleet:*` key of the stack, as the engine handed it to the program.

    Read as a whole rather than key by key so unknown keys are reported too.
    """
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {key: value for key, value in merged.items() if key.startswith(NAMESPACE)}

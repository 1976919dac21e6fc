"""The stack config as the program reads it, and the error for a config the program refuses."""

from __future__ import annotations

from typing import Any

import pulumi

from fleet.config import FLEET_KEY_ORDER
from fleet.review import ReviewConfig

NAMESPACE = "stagefleet:"
# Every top-level `stagefleet:` key the fleet stack's model or a review stack's knows.
KNOWN_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys([*FLEET_KEY_ORDER, *(str(field.alias) for field in ReviewConfig.model_fields.values())])
)


class InvalidStackConfig(pulumi.RunError):
    """Raised before any resource is registered, so a bad edit fails `pulumi preview` cleanly."""


def stack_config() -> dict[str, Any]:
    """Every `stagefleet:*` key of the stack that has a value, read with the SDK's public API.

    The keys: those of the config bag `pulumi up` hands the program (PULUMI_CONFIG), which has
    them all, so a key the models do not know is still reported; and every key the models know.
    Each is read with `pulumi.runtime.get_config`, which also sees config set otherwise (the
    automation API, `pulumi.runtime.set_all_config`, PULUMI_CONFIG_<KEY>).
    """
    handed_over = [key for key in pulumi.runtime.get_config_env() if key.startswith(NAMESPACE)]
    keys = dict.fromkeys([*handed_over, *(NAMESPACE + name for name in KNOWN_KEYS)])
    values = {key: pulumi.runtime.get_config(key) for key in keys}
    return {key: value for key, value in values.items() if value is not None}

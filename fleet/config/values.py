"""The stack config as Pulumi hands it over, made into plain values for the models to validate.

A mapping of `stagefleet:<key>` (and other projects' keys, ignored) to values; the Pulumi runtime
gives a structured value (an object or a list) to the program as a JSON string, the stack file
as YAML data. Both parsers, the fleet stack's and the review stacks', start here.
"""

import json
from collections.abc import Mapping
from typing import Any

from fleet.config.problems import NAMESPACE, Finding

# Keys whose value is an object or a list: the Pulumi runtime hands those to the program as JSON.
_STRUCTURED_KEYS = frozenset(
    {
        "railway",
        "supabase",
        "defaults",
        "limits",
        "prices",
        "environments",
        "policy",
        "pullRequest",
        "review",
        "featureFlags",
        "statsig",
    }
)


def namespace_values(mapping: Mapping[str, Any]) -> tuple[dict[str, Any], list[Finding]]:
    """Our keys without the namespace, structured values decoded from JSON; a value that is not
    valid JSON is left out and reported instead."""
    values: dict[str, Any] = {}
    found: list[Finding] = []
    for key, value in mapping.items():
        namespace, colon, name = str(key).partition(":")
        if namespace != NAMESPACE or not colon:
            continue
        if name in _STRUCTURED_KEYS and isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                # The decoder's message quotes no content, only the position.
                found.append(((name,), f"is not valid JSON: {error}", None))
                continue
        values[name] = value
    return values, found

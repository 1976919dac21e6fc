"""Helpers of the program tests: edits of a stack mapping (the program itself runs in harness.mocks)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any


def edit(mapping: dict[str, Any], key: str, change: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of `mapping` with the JSON value at `key` passed through `change` (which may edit the
    value in place and return None, or return the new value)."""
    edited = copy.deepcopy(mapping)
    value = json.loads(edited[key])
    changed = change(value)
    edited[key] = json.dumps(value if changed is None else changed)
    return edited

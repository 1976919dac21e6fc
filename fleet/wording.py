"""How stagefleet's messages show what it was given: a value quoted so that it cannot garble a CI
log, and the type of a value in the words of the file it came from.

Pure and standard-library only: the config model and the janitor (which must not import pydantic)
both use it.
"""

import datetime
import json
from collections.abc import Mapping
from typing import Literal


def quote(value: object) -> str:
    # JSON quoting escapes control characters, so a hostile name cannot garble a CI log.
    return json.dumps(value, ensure_ascii=False)


def kind_of(value: object, *, words: Literal["config", "json"] = "config") -> str:
    """The type of `value`, never the value itself (it may be a credential).

    words="config": the stack config's terms ("a mapping", "nothing (null)"), for YAML and the
    JSON Pulumi hands over. words="json": JSON's own ("an object", "null"), for documents a
    command printed (`pulumi stack ls --json`); anything beyond JSON's types is "an object"."""
    json_words = words == "json"
    if value is None:
        return "null" if json_words else "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if json_words:
        return "an object"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, datetime.date):
        return "a date"
    return f"a {type(value).__name__}"

"""Reading a Pulumi.<stack>.yaml the way Pulumi does, for tools that run without the engine."""

import difflib
import json
import re
from pathlib import Path
from typing import Any

import yaml


class StackFileError(Exception):
    """The stack file exists but cannot be used: unreadable, not YAML, or the wrong shape."""


class StackFileNotFoundError(StackFileError):
    pass


# What Pulumi reads from a stack file (its stack settings file reference): anything else is a typo
# that would silently leave the config unread.
STACK_FILE_KEYS = ("config", "encryptionsalt", "secretsprovider", "encryptedkey", "environment")


class _PulumiYamlLoader(yaml.SafeLoader):
    """YAML as Pulumi reads it, so the CLI accepts exactly the files `pulumi up` accepts:
    only true/false are booleans (YAML 1.2: `FEATURE: on` stays a string), a key given twice
    is an error rather than silently overwritten, and a date that does not exist stays text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"found duplicate key {json.dumps(str(key))}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        # The config model can then say what is wrong with it, instead of the loader crashing.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_PulumiYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _PulumiYamlLoader.construct_yaml_timestamp)
_BOOL_TAG = "tag:yaml.org,2002:bool"
_PulumiYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PulumiYamlLoader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_stack_config(path: str | Path) -> dict[str, Any]:
    """The `config:` mapping of a stack file, keys as written ("stagefleet:railway").

    Encrypted values stay as `{"secure": "<ciphertext>"}`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackFileNotFoundError(f"{path}: no such stack file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StackFileError(f"{path}: cannot read the stack file: {error}") from None
    try:
        document = yaml.load(text, Loader=_PulumiYamlLoader)
    except yaml.MarkedYAMLError as error:
        # Position only: the default message quotes the offending line, which may hold a secret.
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        reason = error.problem or error.context
        raise StackFileError(f"{path}: not valid YAML: {reason}{where}") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML: {error}") from None
    if document is None:
        raise StackFileError(
            f"{path}: the stack file is empty: it needs a `config:` mapping of the stagefleet: keys "
            "(start from the committed Pulumi.staging.yaml)"
        )
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: expected a mapping with a `config:` key at the top")
    for key in document:
        if key not in STACK_FILE_KEYS:
            close = difflib.get_close_matches(str(key), STACK_FILE_KEYS, n=1)
            advice = f"did you mean `{close[0]}:`?" if close else f"a stack file has {', '.join(STACK_FILE_KEYS)}"
            raise StackFileError(f"{path}: unknown top-level key {json.dumps(str(key))}: {advice}")
    config = document.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: `config:` must be a mapping of keys to values")
    return dict(config)

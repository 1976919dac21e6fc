"""Reading a Pulumi.<stack>.yaml the way Pulumi does, for tools that run without the engine."""

import difflib
import json
import re
from collections.abc import Mapping
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
    return config_of(load_stack_document(path), path)


def load_stack_document(path: str | Path) -> dict[str, Any]:
    """The whole stack file: `config`, and the keys Pulumi writes (`encryptionsalt`, ...)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackFileNotFoundError(f"{path}: no such stack file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StackFileError(f"{path}: cannot read the stack file: {error}") from None
    return parse_stack_document(text, path)


def parse_stack_document(text: str, path: Path) -> dict[str, Any]:
    """A stack file's text as Pulumi reads it; `path` only names it in errors."""
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
    return document


def config_of(document: dict[str, Any], path: Path) -> dict[str, Any]:
    config = document.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: `config:` must be a mapping of keys to values")
    return dict(config)


# --- review stacks: the template merged into the stack's own file ---------------------------------


def merged_stack_file(template: Path, target: Path, state: Mapping[str, Any] | None = None) -> tuple[str, list[str]]:
    """The text of `target` (a review stack's file) with the template's config merged in, and
    what was kept. Pulumi writes keys of its own into a stack file: the passphrase's
    `encryptionsalt`, or a cloud `secretsprovider` and its `encryptedkey`; without them the
    stack's secrets cannot be read back ("incorrect passphrase"). So the template never replaces
    the file: its config keys win, the file's other keys (stagefleet:pullRequest set by CI,
    secrets set on the stack) and every Pulumi key stay. With no file yet, it is the template,
    comments and all, plus the secrets provider of `state` (a `pulumi stack export`, for a
    stack that exists already but whose file this checkout has not)."""
    template_text = template.read_text(encoding="utf-8")
    template_document = parse_stack_document(template_text, template)
    provider = _provider_keys(state)
    if not target.exists() or not target.read_text(encoding="utf-8").strip():
        if not provider:
            return template_text, []
        existing: dict[str, Any] = {}
    else:
        existing = load_stack_document(target)
    kept = [key for key in existing if key != "config"]
    merged: dict[str, Any] = {key: value for key, value in existing.items() if key != "config"}
    for key, value in provider.items():
        if key not in merged:
            merged[key] = value
            kept.append(f"{key} (from the stack's state)")
    config = config_of(template_document, template)
    own = config_of(existing, target) if existing else {}
    kept += [key for key in own if key not in config]
    merged["config"] = {**config, **{key: value for key, value in own.items() if key not in config}}
    text = yaml.safe_dump(merged, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)
    return text, kept


def _provider_keys(state: Mapping[str, Any] | None) -> dict[str, str]:
    """The stack-file keys of the secrets provider recorded in a `pulumi stack export`."""
    if state is None:
        return {}
    deployment = state.get("deployment")
    providers = deployment.get("secrets_providers") if isinstance(deployment, Mapping) else None
    if not isinstance(providers, Mapping) or not isinstance(providers.get("state"), Mapping):
        return {}
    details = providers["state"]
    if providers.get("type") == "passphrase" and isinstance(details.get("salt"), str):
        return {"encryptionsalt": details["salt"]}
    if providers.get("type") == "cloud" and isinstance(details.get("url"), str):
        keys = {"secretsprovider": details["url"]}
        if isinstance(details.get("encryptedkey"), str):
            keys["encryptedkey"] = details["encryptedkey"]
        return keys
    return {}  # Pulumi Cloud's own provider ("service") keeps nothing in the file

"""What the dynamic resources share: declared input properties that drive `check()` and `diff()`
(both run during preview, so neither may call an API or need credentials), and a provider base
whose `configure()` records the stack config in providers.settings instead of on the instance,
because the provider object is pickled into the state.
"""

from __future__ import annotations

import abc
import copy
import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, DiffResult, ResourceProvider
from pulumi.output import Unknown, contains_unknowns

from providers import settings

__all__ = [
    "DeclarativeProvider",
    "Flag",
    "InvalidProperty",
    "Port",
    "Prop",
    "Schema",
    "Text",
    "TextMap",
    "WholeNumber",
    "args_to_props",
]

PROVIDER_KEY = "__provider"


class InvalidProperty(ValueError):
    """A property value is of the wrong type or out of range. The reason never quotes the value:
    it may be a secret."""


@dataclasses.dataclass(frozen=True)
class Prop(abc.ABC):
    """One input property. `replaces`: a change replaces the resource instead of updating it."""

    name: str
    required: bool = True
    default: Any = None
    replaces: bool = False

    def fallback(self) -> Any:
        """The value when the property is absent (a copy: defaults such as {} must not be shared)."""
        return copy.copy(self.default)

    @abc.abstractmethod
    def normalise(self, value: Any) -> Any:
        """The canonical form of a known, non-None value; raises InvalidProperty."""


class Text(Prop):
    def normalise(self, value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidProperty(f"must be a string, got {_type_name(value)}")
        if not value.strip():
            raise InvalidProperty("must not be empty")
        return value


class Flag(Prop):
    def normalise(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise InvalidProperty(f"must be true or false, got {_type_name(value)}")
        return value


@dataclasses.dataclass(frozen=True)
class WholeNumber(Prop):
    """An integer within [minimum, maximum]. Numbers cross the wire as floats: 8080.0 is 8080."""

    minimum: int = 0
    maximum: int | None = None
    what: str = "a whole number"

    def normalise(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidProperty(f"must be {self.what}, got {_type_name(value)}")
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise InvalidProperty("must be a whole number")
        number = int(value)
        if number < self.minimum or (self.maximum is not None and number > self.maximum):
            bounds = (
                f"between {self.minimum} and {self.maximum}" if self.maximum is not None else f"at least {self.minimum}"
            )
            raise InvalidProperty(f"must be {bounds}, got {number}")
        return number


@dataclasses.dataclass(frozen=True)
class Port(WholeNumber):
    minimum: int = 1
    maximum: int | None = 65535
    what: str = "a port number"


class TextMap(Prop):
    """A dict of non-empty string names to string values; values may be unknown in preview."""

    def normalise(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise InvalidProperty(f"must be a map of names to strings, got {_type_name(value)}")
        for key, item in value.items():
            if not isinstance(key, str) or not key.strip():
                raise InvalidProperty("has an empty or non-string name")
            if not isinstance(item, (str, Unknown)):
                raise InvalidProperty(f'["{key}"] must be a string, got {_type_name(item)}')
        return dict(value)


@dataclasses.dataclass(frozen=True)
class Choice(Prop):
    """A string from a fixed set; the reason lists the set (the value itself is not quoted)."""

    choices: tuple[str, ...] = ()

    def normalise(self, value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidProperty(f"must be a string, got {type(value).__name__}")
        if value not in self.choices:
            raise InvalidProperty(f"must be one of {', '.join(self.choices)}")
        return value


class Seconds(Prop):
    """A positive, finite number of seconds (numbers cross the wire as floats)."""

    def normalise(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidProperty(f"must be a number of seconds, got {type(value).__name__}")
        if not math.isfinite(value) or value <= 0:
            raise InvalidProperty("must be a positive number of seconds")
        return float(value)


class Schema:
    """The input properties of one resource type. `delete_before_replace(olds, news)` says
    whether a replacement must delete the old object first (default: create first)."""

    def __init__(
        self,
        *props: Prop,
        delete_before_replace: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] | None = None,
    ):
        self.props = props
        self._by_name = {prop.name: prop for prop in props}
        self._delete_before_replace = delete_before_replace or _create_before_delete

    def check(self, news: Mapping[str, Any]) -> CheckResult:
        """Validate and normalise inputs; unknown values (preview) pass through untouched."""
        inputs: dict[str, Any] = {}
        failures: list[CheckFailure] = []
        for name in sorted(set(news) - set(self._by_name)):
            if not name.startswith("__"):
                failures.append(CheckFailure(name, f"{name} is not a property of this resource"))
        for prop in self.props:
            value = news.get(prop.name)
            if value is None:
                if prop.required:
                    failures.append(CheckFailure(prop.name, f"{prop.name} is required"))
                else:
                    inputs[prop.name] = prop.fallback()
                continue
            if isinstance(value, Unknown):
                inputs[prop.name] = value
                continue
            try:
                inputs[prop.name] = prop.normalise(value)
            except InvalidProperty as problem:
                failures.append(CheckFailure(prop.name, f"{prop.name} {problem}"))
        return CheckResult(inputs, failures)

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffResult:
        """Which declared inputs differ (an unknown new value counts as different), and which
        of those force a replacement."""
        changed = [
            prop.name
            for prop in self.props
            if _differs(olds.get(prop.name, prop.default), news.get(prop.name, prop.default))
        ]
        replaces = [name for name in changed if self._by_name[name].replaces]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            delete_before_replace=bool(replaces) and self._delete_before_replace(olds, news),
        )

    def inputs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """The declared inputs among `props` (no provider blob, no computed outputs), defaults
        filled in: what create/update return alongside their computed outputs."""
        return {prop.name: _or(props.get(prop.name), prop.fallback) for prop in self.props}


def _create_before_delete(_olds: Mapping[str, Any], _news: Mapping[str, Any]) -> bool:
    return False


def _or(value: Any, fallback: Callable[[], Any]) -> Any:
    return fallback() if value is None else value


def _differs(old: Any, new: Any) -> bool:
    return contains_unknowns(new) or old != new


def _type_name(value: Any) -> str:
    return "a map" if isinstance(value, Mapping) else type(value).__name__


class DeclarativeProvider(ResourceProvider):
    """Base of every provider here: `check()`/`diff()` come from the class's `schema` and make no
    API call; `configure()` hands the stack config to providers.settings. No instance state."""

    schema: ClassVar[Schema]

    # Nothing secret is captured by these providers, so the pickled provider need not be a
    # secret blob in the state (Pulumi still makes it one if a secret Output were captured).
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        settings.configure(req.config)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return self.schema.check(news)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return self.schema.diff(olds, news)


def args_to_props(args: Any, **outputs: None) -> dict[str, Any]:
    """The props dict for pulumi.dynamic.Resource from an Args dataclass, plus computed output
    names (declared as None so they become Output attributes). Not dataclasses.asdict: that
    deep-copies values, and Outputs must be passed as they are."""
    props = {field.name: getattr(args, field.name) for field in dataclasses.fields(args)}
    props.update(outputs)
    return props

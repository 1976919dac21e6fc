"""Config problems: what a bad edit is reported as, and how pydantic's errors become those reports.

A problem has the config path a DevOps engineer can paste into `pulumi config set --path`
(`stagefleet:environments[2].database.source`), a message in their words and maybe a hint.
Validators raise `config_error(...)` with our own wording; `from_pydantic` turns every pydantic
error, ours or pydantic's, into a `Finding` (the problem before rendering, located by its loc in
the model); `config_error_from` sorts the findings in config order and renders them.
"""

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails, PydanticCustomError

from fleet.wording import kind_of, quote

NAMESPACE = "stagefleet"

# Where a problem is, as pydantic locates it: keys and list positions from the top-level key down.
Loc = tuple[int | str, ...]
# A problem before rendering: (loc, message, hint).
Finding = tuple[Loc, str, str | None]

# Our own errors carry their message, hint and an optional sub-key in ctx; this marks them.
_OWN_ERROR = "stagefleet."


@dataclass(frozen=True)
class ConfigProblem:
    path: str
    message: str
    severity: Literal["error", "warning"] = "error"
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class FleetConfigError(ValueError):
    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def config_error(kind: str, message: str, hint: str | None = None, at: str | None = None) -> PydanticCustomError:
    """A validation error with our own wording, for a validator to raise; `at` names the sub-key
    the problem belongs to when a validator of the enclosing object detects it. `{path}` in the
    hint becomes the problem's config path."""
    # The message goes through ctx: a template would treat braces in user values as fields.
    return PydanticCustomError(_OWN_ERROR + kind, "{message}", {"message": message, "hint": hint, "at": at})


def from_pydantic(detail: ErrorDetails, root: type[BaseModel]) -> Finding:
    """A pydantic error as a finding; `root` is the model validated (FleetSpec, or a review
    stack's)."""
    loc = tuple(detail["loc"])
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    # An unknown key is reported as written, even when it happens to be a Python field name.
    loc = (*_walk(loc[:-1], root)[0], loc[-1]) if kind == "extra_forbidden" else _walk(loc, root)[0]
    if kind.startswith(_OWN_ERROR):
        at = ctx.get("at")
        return ((*loc, at) if at else loc), ctx["message"], ctx.get("hint")
    message, hint = _describe(kind, ctx, detail["input"], loc, root)
    return loc, message, hint


def _describe(
    kind: str, ctx: Mapping[str, Any], given: object, loc: Loc, root: type[BaseModel]
) -> tuple[str, str | None]:
    """Pydantic's error types in a DevOps engineer's words. Only the input's type is named,
    never its value (it may be a credential), except for enum choices and numbers."""
    got = kind_of(given)
    if kind == "missing":
        return "required key is missing", None
    if kind == "extra_forbidden":
        return "unknown key", _unknown_key_hint(loc, root)
    if kind == "string_type":
        quoting = isinstance(given, (bool, int, float))
        return f"expected a string, got {got}", 'put it in quotes, e.g. "true"' if quoting else None
    if kind == "string_too_short":
        return "must not be empty", None
    if kind == "int_type":
        shown = given if isinstance(given, float) else got
        return f"expected a whole number, got {shown}", None
    if kind in ("float_type", "finite_number"):
        return f"expected a number, got {got}", None
    if kind == "bool_type":
        return f"expected true or false, got {got}", None
    if kind in ("model_type", "dict_type"):
        return f"expected a mapping of keys to values, got {got}", None
    if kind == "list_type":
        return f"expected a list, got {got}", None
    if kind == "literal_error":
        shown = quote(given) if isinstance(given, str) else got
        return f"must be one of {str(ctx['expected']).replace(chr(39), '')}, got {shown}", None
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']}", None
    if kind == "greater_than_equal":
        return ("must not be negative" if ctx["ge"] == 0 else f"must be at least {ctx['ge']}"), None
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}", None
    return f"invalid value ({kind})", None


def _unknown_key_hint(loc: Loc, root: type[BaseModel]) -> str | None:
    _, parent = _walk(loc[:-1], root)
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return None
    allowed = [str(field.alias) for field in parent.model_fields.values()]
    key = str(loc[-1])
    if len(loc) == 1:  # top level: shown as written in the stack file
        allowed = [f"{NAMESPACE}:{name}" for name in allowed]
        key = f"{NAMESPACE}:{key}"
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"did you mean {quote(close[0])}?"
    return "allowed keys: " + ", ".join(allowed)


def _walk(loc: Loc, root: type[BaseModel]) -> tuple[Loc, Any]:
    """Follow `loc` through the model: the loc spelt with YAML keys, and the type found there.

    Pydantic reports a field validated from its default under the Python name, not the alias."""
    node: Any = root
    spelt: list[int | str] = []
    for segment in loc:
        node = _unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel) and isinstance(segment, str):
            by_alias = {field.alias: field for field in node.model_fields.values()}
            field = by_alias.get(segment) or node.model_fields.get(segment)
            if field is not None:
                segment = str(field.alias)
            node = field.annotation if field is not None else None
        elif get_origin(node) is list and isinstance(segment, int):
            node = get_args(node)[0]
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        else:
            node = None
        spelt.append(segment)
    return tuple(spelt), _unwrap(node)


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and `| None` down to the type underneath."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DICT_KEY_MARKER = "[key]"  # pydantic appends it to the loc of a bad dict key


def config_path(loc: Loc) -> str:
    """('environments', 2, 'database', 'source') -> 'stagefleet:environments[2].database.source',
    in the syntax `pulumi config set --path` accepts."""
    parts = [f"{NAMESPACE}:{loc[0]}"]
    rest = loc[1:]
    for index, segment in enumerate(rest):
        if segment == _DICT_KEY_MARKER:
            continue
        is_dict_key = rest[index + 1 : index + 2] == (_DICT_KEY_MARKER,)
        if isinstance(segment, int) and not is_dict_key:
            parts.append(f"[{segment}]")
        elif _PLAIN_KEY.fullmatch(str(segment)):
            parts.append(f".{segment}")
        else:
            parts.append(f"[{quote(str(segment))}]")
    return "".join(parts)


def problem_sort_key(loc: Loc, key_order: Sequence[str]) -> tuple[Any, ...]:
    """Config order: top-level keys in `key_order` (the model's field order), then by position."""
    top = str(loc[0])
    rank = key_order.index(top) if top in key_order else len(key_order)
    # List positions compare as numbers (environments[2] before environments[11]), keys as text.
    return (rank, top, *((0, seg) if isinstance(seg, int) else (1, seg) for seg in loc[1:]))


def render_problem(loc: Loc, message: str, hint: str | None) -> ConfigProblem:
    path = config_path(loc)
    return ConfigProblem(path, message, hint=hint.replace("{path}", path) if hint else None)


def config_error_from(findings: Iterable[Finding], key_order: Sequence[str]) -> FleetConfigError:
    """The error reporting every finding, in config order."""
    ordered = sorted(findings, key=lambda finding: problem_sort_key(finding[0], key_order))
    return FleetConfigError([render_problem(*finding) for finding in ordered])

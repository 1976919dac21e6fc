"""The stack-config model: everything under the `stagefleet:` namespace of a Pulumi stack.

`FleetSpec.from_config` is the one parser, shared by the Pulumi program and
`python -m fleet validate`, so CI rejects a bad edit with the same message `pulumi up` would
give, before anything talks to an API. It reports every problem at once, each with the config
path a DevOps engineer can paste into `pulumi config set --path`.
"""

import datetime
import difflib
import json
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails, PydanticCustomError

from fleet import naming

NAMESPACE = "stagefleet"

# Keys whose value is an object or a list: the Pulumi runtime hands those to the program as JSON.
_STRUCTURED_KEYS = frozenset(
    {
        "railway", "supabase", "defaults", "limits", "prices", "environments", "policy",
        "pullRequest", "review", "featureFlags", "statsig",
    }
)  # fmt: skip
# Keys of a review stack's config (Pulumi.pr.yaml, pr-<n>): the fleet stack reports them as misplaced.
REVIEW_ONLY_KEYS = ("fleetStack", "pullRequest", "review")
_SOURCED_STRATEGIES = ("shared", "branch")
# Validation context key: every environment name in the config, valid or not, so a reference to
# an environment that has some other fault is not also reported as dangling.
_ENVIRONMENT_NAMES = "environment_names"
# Our own errors carry their message, hint and an optional sub-key in ctx; this marks them.
_OWN_ERROR = "stagefleet."

Loc = tuple[int | str, ...]


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


def _quote(value: object) -> str:
    # JSON quoting escapes control characters, so a hostile name cannot garble a CI log.
    return json.dumps(value, ensure_ascii=False)


def _error(
    kind: str, message: str, hint: str | None = None, at: str | None = None
) -> PydanticCustomError:
    """A validation error with our own wording; `at` names the sub-key the problem belongs to
    when a validator of the enclosing object detects it. `{path}` in the hint becomes the
    problem's config path."""
    # The message goes through ctx: a template would treat braces in user values as fields.
    return PydanticCustomError(
        _OWN_ERROR + kind, "{message}", {"message": message, "hint": hint, "at": at}
    )


# --- field types ----------------------------------------------------------------------------

Text = Annotated[str, Field(strict=True, min_length=1)]


def _whole_float_to_int(value: object) -> object:
    # Pulumi passes numbers as floats: 90.0 means 90.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_float_to_int), Field(strict=True)]
Amount = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class EncryptedSecret(SecretStr):
    """A secret still encrypted by Pulumi: `{secure: <ciphertext>}` as read from the stack file.

    The program always gets decrypted values; only tools that read the YAML (the CLI) see
    these, and must not use them as credentials."""


def _secret(value: object) -> object:
    if isinstance(value, SecretStr) or (isinstance(value, str) and value):
        return value
    if isinstance(value, Mapping) and set(value) == {"secure"} and isinstance(value["secure"], str):
        return EncryptedSecret(value["secure"])
    # Never echo the value: it is a credential.
    raise _error(
        "secret",
        "expected a non-empty string or {secure: <ciphertext>}",
        hint="set it with: pulumi config set --secret --path '{path}' <value>",
    )


Secret = Annotated[SecretStr, BeforeValidator(_secret)]


_ENVIRONMENT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,30}")


def _environment_name(name: str) -> str:
    if not _ENVIRONMENT_NAME.fullmatch(name):
        raise _error(
            "environment_name",
            f"{_quote(name)} is not a valid environment name",
            hint='use 1 to 31 lowercase letters, digits and "-", starting with a letter or digit',
        )
    return name


def branch_name_problem(name: str) -> str | None:
    """Why git would refuse `name` as a branch (the rules of `git check-ref-format --branch`),
    or None when it is a valid branch name."""
    if not name:
        return "it is empty"
    if name == "@":
        return 'it is "@"'
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        return "it contains a control character"
    if " " in name:
        return "it contains a space"
    for forbidden in ("..", "//", "@{", "~", "^", ":", "?", "*", "[", "\\"):
        if forbidden in name:
            return f"it contains {_quote(forbidden)}"
    for edge in ("-", "/"):
        if name.startswith(edge):
            return f"it starts with {_quote(edge)}"
    for edge in ("/", ".lock", "."):
        if name.endswith(edge):
            return f"it ends with {_quote(edge)}"
    components = name.split("/")
    if any(component.startswith(".") for component in components):
        return 'a part between slashes starts with "."'
    if any(component.endswith(".lock") for component in components):
        return 'a part between slashes ends with ".lock"'
    return None


def _branch_name(name: str) -> str:
    reason = branch_name_problem(name)
    if reason is not None:
        raise _error("branch", f"{_quote(name)} is not a valid git branch name: {reason}")
    return name


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _variable_name(name: str) -> str:
    if not _VARIABLE_NAME.fullmatch(name):
        raise _error(
            "variable_name",
            f"{_quote(name)} is not a valid variable name",
            hint='use letters, digits and "_", not starting with a digit',
        )
    return name


def _variable_value(value: object) -> object:
    if isinstance(value, Mapping) and set(value) == {"secure"}:
        raise _error(
            "secret_variable",
            "secret values are not supported in variables",
            hint="set it in the base Railway environment: every environment forks its variables",
        )
    return value


Variables = dict[
    Annotated[str, Field(strict=True), AfterValidator(_variable_name)],
    Annotated[str, BeforeValidator(_variable_value), Field(strict=True)],
]


def _url_check(*schemes: str):
    wanted = " or ".join(f"{scheme}://" for scheme in schemes)

    def check(value: str) -> str:
        try:
            parts = urlsplit(value)
            valid = parts.scheme in schemes and bool(parts.hostname)
        except ValueError:  # e.g. a malformed IPv6 host
            valid = False
        if not valid:
            raise _error("url", f"must be an {wanted} URL")
        return value

    return check


HttpsUrl = Annotated[Text, AfterValidator(_url_check("https"))]
ApiUrl = Annotated[Text, AfterValidator(_url_check("http", "https"))]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: object) -> datetime.date:
    # YAML gives a date; Pulumi's JSON and quoted YAML give the same date as a string.
    if isinstance(value, datetime.datetime):
        raise _error("date", "expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise _error("date", f"{_quote(value)} is not a calendar date") from None
    raise _error("date", "expected a date (YYYY-MM-DD)")


Date = Annotated[datetime.date, PlainValidator(_date)]

Strategy = Literal["dedicated", "shared", "branch", "external"]
Kind = Literal["shared", "team", "developer", "pr"]
# The kinds a fleet stack may list: "pr" environments come from review stacks only.
FLEET_KINDS = ("shared", "team", "developer")


def _kind(value: object) -> str:
    if isinstance(value, str) and value in get_args(Kind):
        return value
    shown = _quote(value) if isinstance(value, str) else _kind_of(value)
    # "pr" is left out of the choices: the fleet stack rejects it (review stacks build it).
    raise _error("kind", f"must be one of shared, team or developer, got {shown}")


EnvironmentKind = Annotated[Kind, PlainValidator(_kind)]

_HOST_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")


def _hostname(value: str) -> str:
    """A hostname of stagefleet:policy.productionHosts, lowercased (DNS names ignore case)."""
    if "://" in value:
        try:
            host = urlsplit(value).hostname
        except ValueError:
            host = None
        hint = f"give the hostname only, e.g. {_quote(host)}" if host else "give the hostname only"
        raise _error("hostname", f"{_quote(value)} is a URL, not a hostname", hint=hint)
    if value.startswith("*."):
        raise _error(
            "hostname",
            f"{_quote(value)} is a wildcard",
            hint=f"list {_quote(value[2:])}: its subdomains count too",
        )
    host = value.lower()
    host = host[:-1] if host.endswith(".") else host
    if len(host) > 253 or not _HOSTNAME.fullmatch(host):
        raise _error(
            "hostname",
            f"{_quote(value)} is not a hostname",
            hint="e.g. api.gatewayz.ai (no scheme, port or path); subdomains of a listed host count too",
        )
    return host


Hostname = Annotated[Text, AfterValidator(_hostname)]


def _healthcheck_path(path: str) -> str:
    if not path.startswith("/") or any(character.isspace() for character in path):
        raise _error(
            "healthcheck_path",
            f"{_quote(path)} is not a URL path",
            hint="the path Railway and `fleet status` request on the service's own domain, e.g. /health",
        )
    return path


HealthcheckPath = Annotated[Text, AfterValidator(_healthcheck_path)]
# Railway waits at most an hour for a healthcheck before it fails the deployment.
MAX_HEALTHCHECK_TIMEOUT_SECONDS = 3600
# Environments of these kinds sleep when idle unless they say otherwise: one person uses them.
SLEEPING_KINDS = frozenset({"developer", "pr"})

# Supabase Management API `desired_instance_size` (V1CreateProjectBody).
InstanceSize = Literal[
    "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge",
    "12xlarge", "16xlarge", "24xlarge", "24xlarge_optimized_memory", "24xlarge_optimized_cpu",
    "24xlarge_high_memory", "48xlarge", "48xlarge_optimized_memory", "48xlarge_optimized_cpu",
    "48xlarge_high_memory",
]  # fmt: skip
INSTANCE_SIZES: tuple[str, ...] = get_args(InstanceSize)
DEFAULT_INSTANCE_SIZE = "micro"
DEFAULT_MAX_DEVELOPER_DAYS = 90
DEFAULT_MAX_FLAG_DAYS = 90

# Supabase Management API `region_selection` of type "specific" (V1CreateProjectBody).
SUPABASE_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-east-1", "ap-southeast-1",
    "ap-northeast-1", "ap-northeast-2", "ap-southeast-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-north-1", "eu-central-1", "eu-central-2", "ca-central-1", "ap-south-1", "sa-east-1",
)  # fmt: skip
# Its "smartGroup" codes: a region Supabase picks within a group. Named only to explain the error.
_SUPABASE_REGION_GROUPS = ("americas", "emea", "apac")


def _supabase_region(code: str) -> str:
    if code in SUPABASE_REGIONS:
        return code
    if code in _SUPABASE_REGION_GROUPS:
        raise _error(
            "region",
            f"{_quote(code)} is a Supabase region group, not a region",
            hint="name a specific region, e.g. us-east-1 or eu-central-1",
        )
    close = difflib.get_close_matches(code, SUPABASE_REGIONS, n=1)
    raise _error(
        "region",
        f"{_quote(code)} is not a Supabase region",
        hint=f"did you mean {_quote(close[0])}?" if close else "one of " + ", ".join(SUPABASE_REGIONS),
    )


Region = Annotated[Text, AfterValidator(_supabase_region)]

# The API's `organization_slug` pattern, ^[\w-]+$, with JavaScript's (ASCII) \w.
_ORGANIZATION_SLUG = re.compile(r"[A-Za-z0-9_-]+")


def _organization_slug(slug: str) -> str:
    if not _ORGANIZATION_SLUG.fullmatch(slug):
        raise _error(
            "organization_slug",
            f"{_quote(slug)} is not a Supabase organization slug",
            hint='use letters, digits, "_" and "-": the slug in the dashboard URL '
            "supabase.com/dashboard/org/<slug>",
        )
    return slug


OrganizationSlug = Annotated[Text, AfterValidator(_organization_slug)]

# Supabase project names are `<prefix>-staging-<environment>`, at most 256 characters (the API's
# limit on `name`); environment names have at most 31.
_PROJECT_NAME_LIMIT = 256
PROJECT_PREFIX_LIMIT = _PROJECT_NAME_LIMIT - len("-staging-") - 31


def _project_prefix(prefix: str) -> str:
    if len(prefix) > PROJECT_PREFIX_LIMIT:
        raise _error(
            "project_prefix",
            f"is {len(prefix)} characters long; at most {PROJECT_PREFIX_LIMIT} fit in a Supabase "
            f"project name (<prefix>-staging-<environment>, at most {_PROJECT_NAME_LIMIT} characters)",
        )
    return prefix


ProjectPrefix = Annotated[Text, AfterValidator(_project_prefix)]

# Which of its database's keys a service gets as SUPABASE_KEY.
SupabaseKeyName = Literal["anon", "service_role"]
SUPABASE_KEY_NAMES: tuple[str, ...] = get_args(SupabaseKeyName)


def _supabase_key_name(value: object) -> str:
    if isinstance(value, str) and value in SUPABASE_KEY_NAMES:
        return value
    # Never echo the value: someone may have pasted the key itself here.
    got = "another string (not shown: it may be a key)" if isinstance(value, str) else _kind_of(value)
    raise _error(
        "supabase_key_name",
        f"must be anon or service_role, got {got}",
        hint="it names the key the service gets as SUPABASE_KEY; the key itself comes from the database",
    )


KeyName = Annotated[SupabaseKeyName, PlainValidator(_supabase_key_name)]


# Statsig gate names (Console API, POST /console/v1/gates, body `name`): 3 to 100 characters,
# pattern ^[a-zA-Z0-9_\-. ]*$. stagefleet also refuses a space at either end, which the
# pattern allows but nobody means (and which would start or end the gate id with "_").
GATE_NAME_MIN = 3
GATE_NAME_MAX = 100
_GATE_NAME_CHARACTER = re.compile(r"[A-Za-z0-9_. -]")


def gate_name_problem(name: str) -> str | None:
    """Why Statsig (or stagefleet) would refuse `name` as a gate name, or None when it is fine."""
    if len(name) < GATE_NAME_MIN:
        return f"it has {len(name)} characters, fewer than {GATE_NAME_MIN}"
    if len(name) > GATE_NAME_MAX:
        return f"it has {len(name)} characters, more than {GATE_NAME_MAX}"
    for char in name:
        if not _GATE_NAME_CHARACTER.fullmatch(char):
            return f"it contains {_quote(char)}"
    if name.startswith(" "):
        return "it starts with a space"
    if name.endswith(" "):
        return "it ends with a space"
    return None


def _gate_name(name: str) -> str:
    reason = gate_name_problem(name)
    if reason is not None:
        raise _error(
            "gate_name",
            f"{_quote(name)} is not a valid Statsig gate name: {reason}",
            hint=f'use {GATE_NAME_MIN} to {GATE_NAME_MAX} letters, digits, spaces, "_", "-" and ".", '
            "e.g. payments-v2",
        )
    return name


GateName = Annotated[Text, AfterValidator(_gate_name)]


def _flag_owner(owner: str) -> str:
    # The provider writes the owner into the gate's description, as "(owner: <owner>)".
    for char in "()[]\n":
        if char in owner:
            raise _error(
                "flag_owner",
                f"{_quote(owner)} cannot own a feature flag: it contains {_quote(char)}",
                hint="the owner is written into the gate's description as (owner: <owner>): "
                "use an owner without brackets or line breaks",
            )
    return owner


FlagOwner = Annotated[Text, AfterValidator(_flag_owner)]
# Its length is checked with the owner (FeatureFlagSpec): the gate's description holds both.
FlagDescription = Annotated[str, Field(strict=True)]

_STATSIG_ENVIRONMENT = re.compile(r"[A-Za-z0-9_.-](?:[A-Za-z0-9_. -]{0,98}[A-Za-z0-9_.-])?")


def _statsig_environment(name: str) -> str:
    if not _STATSIG_ENVIRONMENT.fullmatch(name):
        raise _error(
            "statsig_environment",
            f"{_quote(name)} is not a Statsig environment name",
            hint='an environment of the Statsig project, e.g. staging or development: 1 to 100 '
            'letters, digits, spaces, "_", "-" and "."',
        )
    return name


# Whom a flag is enabled for: an entry with "@" is an email address (the gate's `email` condition),
# any other a user id (its `user_id` condition).
_EMAIL_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+")
_USER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_EMAIL_MAX = 254


def is_email(entry: str) -> bool:
    """Whether an enabledFor entry is meant as an email address (rather than a user id)."""
    return "@" in entry


def _flag_target(entry: str) -> str:
    if is_email(entry):
        if len(entry) > _EMAIL_MAX or not _EMAIL.fullmatch(entry):
            raise _error(
                "email",
                f"{_quote(entry)} is not a valid email address",
                hint='e.g. alice@gatewayz.ai; an entry without "@" is a user id',
            )
        return entry
    if not _USER_ID.fullmatch(entry):
        raise _error(
            "user_id",
            f"{_quote(entry)} is neither an email address nor a user id",
            hint='a user id has 1 to 128 letters, digits, "_", ".", ":" and "-"; an email address has an "@"',
        )
    return entry


def _target_key(entry: str) -> str:
    # Email addresses compare without case; user ids are the application's own and keep theirs.
    return entry.lower() if is_email(entry) else entry


def _flag_targets(entries: list[str]) -> list[str]:
    # An entry listed twice is reported across keys (_flag_list_duplicates), with its first place.
    if not entries:
        raise _error(
            "enabled_for",
            "must list at least one email address or user id",
            hint="the people who see the flag on staging, e.g. its owner's email address",
        )
    return entries


FlagTargets = Annotated[list[Annotated[Text, AfterValidator(_flag_target)]], AfterValidator(_flag_targets)]


def _flag_environments(environments: list[str]) -> list[str]:
    if not environments:
        raise _error(
            "flag_environments",
            "must list at least one Statsig environment",
            hint='leave it out for the default, ["staging"]',
        )
    return environments


FlagEnvironments = Annotated[
    list[Annotated[Text, AfterValidator(_statsig_environment)]], AfterValidator(_flag_environments)
]

OnDelete = Literal["delete", "archive"]


# --- models -----------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,  # Python code builds specs by attribute name; config uses aliases
        frozen=True,
        hide_input_in_errors=True,  # a ValidationError escaping elsewhere must not print secrets
    )


class ServiceSpec(_Model):
    name: Text
    id: Text
    repository: Text
    root_directory: Text | None = None
    port: Annotated[WholeNumber, Field(ge=1, le=65535)] | None = None
    healthcheck_path: HealthcheckPath | None = None
    # Seconds Railway gives a new deployment to answer on healthcheckPath (Railway's default: 300).
    healthcheck_timeout: Annotated[WholeNumber, Field(ge=1, le=MAX_HEALTHCHECK_TIMEOUT_SECONDS)] | None = None
    variables: Variables = {}
    domain: Annotated[bool, Field(strict=True)] = True
    supabase_key: KeyName = "anon"


class RailwaySpec(_Model):
    project_id: Text
    project_name: Text | None = None
    base_environment: Text | None = None
    base_environment_id: Text
    services: list[ServiceSpec]


class MigrationsSpec(_Model):
    """A command run against every database an environment owns (dedicated or branch), again
    whenever a file under `directory` changes."""

    command: Text
    directory: Text = "supabase/migrations"


class SeedSpec(_Model):
    """A command run once against each new database an environment owns."""

    command: Text


class SupabaseSpec(_Model):
    # Required (by FleetSpec.from_config) as soon as an environment's database is dedicated or a
    # branch; a fleet of shared and external databases needs no Supabase account.
    organization_slug: OrganizationSlug | None = None
    # None: the Management API picks the region.
    region: Region | None = None
    instance_size: InstanceSize = DEFAULT_INSTANCE_SIZE
    # None: railway.projectName, else "stagefleet" (see FleetSpec.supabase_project_prefix).
    project_prefix: ProjectPrefix | None = None
    readiness_deadline_seconds: Annotated[WholeNumber, Field(gt=0)] = 600
    migrations: MigrationsSpec | None = None
    seed: SeedSpec | None = None


class DatabaseSpec(_Model):
    # Declared first: the validators below read it from info.data.
    strategy: Strategy
    source: Text | None = Field(None, validate_default=True)
    supabase_url: HttpsUrl | None = Field(None, validate_default=True)
    supabase_key: Secret | None = Field(None, validate_default=True)
    instance_size: InstanceSize | None = None  # dedicated only; else stagefleet:supabase.instanceSize
    with_data: Annotated[bool, Field(strict=True)] = False  # branch only: copy the parent's data

    @field_validator("source")
    @classmethod
    def _source_fits_strategy(cls, source: str | None, info: ValidationInfo) -> str | None:
        strategy = info.data.get("strategy")
        if strategy is None:  # the strategy itself is wrong and reported as such
            return source
        if strategy not in _SOURCED_STRATEGIES:
            if source is not None:
                raise _error("unused", f"only used with strategy shared or branch, not {strategy}")
            return source
        if source is None:
            raise _error(
                "required",
                f"required for strategy {strategy}",
                hint="name the environment whose database to use",
            )
        names = (info.context or {}).get(_ENVIRONMENT_NAMES)
        if names is not None and source not in names:
            close = difflib.get_close_matches(source, sorted(names), n=1)
            raise _error(
                "unknown_environment",
                f"no environment named {_quote(source)}",
                hint=f"did you mean {_quote(close[0])}?" if close else None,
            )
        return source

    @field_validator("supabase_url", "supabase_key")
    @classmethod
    def _external_needs_connection(cls, value: object, info: ValidationInfo) -> object:
        strategy = info.data.get("strategy")
        if strategy is None:
            return value
        if strategy != "external" and value is not None:
            raise _error("unused", f"only used with strategy external, not {strategy}")
        if strategy == "external" and value is None:
            hint = (
                "the project URL, e.g. https://<project-ref>.supabase.co"
                if info.field_name == "supabase_url"
                else "set it with: pulumi config set --secret --path '{path}' <service role key>"
            )
            raise _error("required", "required for strategy external", hint=hint)
        return value

    @field_validator("instance_size", "with_data")
    @classmethod
    def _only_for_its_strategy(cls, value: object, info: ValidationInfo) -> object:
        # Validated only when given: then it must fit the strategy, whatever its value.
        strategy = info.data.get("strategy")
        wanted = "dedicated" if info.field_name == "instance_size" else "branch"
        if value is not None and strategy is not None and strategy != wanted:
            raise _error("unused", f"only used with strategy {wanted}, not {strategy}")
        return value


def _no_database() -> DatabaseSpec:
    # Neither the environment nor the defaults name a database: interfaces.md says that means
    # "external" with nothing given. Built without validation, which would demand a URL.
    return DatabaseSpec.model_construct(strategy="external")


class DefaultsSpec(_Model):
    variables: Variables = {}
    database: DatabaseSpec = Field(default_factory=_no_database)
    token_rotation_days: Annotated[WholeNumber, Field(gt=0)] = 90


class LimitsSpec(_Model):
    max_long_lived: Annotated[WholeNumber, Field(ge=0)] | None = None
    max_pull_requests: Annotated[WholeNumber, Field(ge=0)] | None = None
    monthly_budget_usd: Annotated[Amount, Field(ge=0)] | None = None
    # The janitor destroys a review stack that has seen no `pulumi up` for this many days.
    review_stack_ttl_days: Annotated[WholeNumber, Field(gt=0)] = 7
    # A developer environment's `expires` may be at most this many days after today (fleet/policy.py).
    max_developer_days: Annotated[WholeNumber, Field(gt=0)] = DEFAULT_MAX_DEVELOPER_DAYS
    # A feature flag's `expires` may be at most this many days after today (fleet/policy.py).
    max_flag_days: Annotated[WholeNumber, Field(gt=0)] = DEFAULT_MAX_FLAG_DAYS


# Monthly prices in USD from Supabase's published compute sizes (docs: "Manage Compute usage",
# https://supabase.com/docs/guides/platform/manage-your-usage/compute): nano $0, micro ~$10,
# small ~$15, medium ~$60, large ~$110, and beyond what the fleet's issue lists, xlarge ~$210,
# 2xlarge ~$410, 4xlarge ~$960, 8xlarge ~$1,870, 12xlarge ~$2,800, 16xlarge ~$3,730.
# Supabase publishes no price for the 24xlarge and 48xlarge families: a fleet that uses one must
# give its price in stagefleet:prices.supabaseComputeUsd (the policy says so) rather than have
# the estimate invent one.
DEFAULT_SUPABASE_COMPUTE_USD: Mapping[str, float] = {
    "nano": 0, "micro": 10, "small": 15, "medium": 60, "large": 110, "xlarge": 210,
    "2xlarge": 410, "4xlarge": 960, "8xlarge": 1870, "12xlarge": 2800, "16xlarge": 3730,
}  # fmt: skip
# The team's own figure for one long-lived Railway environment a month.
DEFAULT_RAILWAY_PER_ENVIRONMENT_USD = 20
# A Supabase branch runs on micro compute: $0.01344 an hour, about $0.32 a day.
DEFAULT_SUPABASE_BRANCH_PER_DAY_USD = 0.32


def _instance_size_key(value: object) -> str:
    if isinstance(value, str) and value in INSTANCE_SIZES:
        return value
    shown = _quote(value) if isinstance(value, str) else _kind_of(value)
    close = difflib.get_close_matches(value, INSTANCE_SIZES, n=1) if isinstance(value, str) else []
    raise _error(
        "instance_size",
        f"{shown} is not a Supabase instance size",
        hint=f"did you mean {_quote(close[0])}?" if close else "one of " + ", ".join(INSTANCE_SIZES),
    )


Price = Annotated[Amount, Field(ge=0)]


class PricesSpec(_Model):
    """stagefleet:prices: what the cost estimate charges, in USD. Every key is optional; a
    supabaseComputeUsd entry replaces the default of its size only."""

    # A month of one environment of the fleet stack (kinds shared, team, developer); review
    # stacks are charged the same rate by the hour.
    railway_per_long_lived_environment_usd: Price = DEFAULT_RAILWAY_PER_ENVIRONMENT_USD
    # A month of a dedicated database (a Supabase project), per instance size.
    supabase_compute_usd: dict[Annotated[str, PlainValidator(_instance_size_key)], Price] = {}
    # A day of a Supabase branch (strategy branch).
    supabase_branch_per_day_usd: Price = DEFAULT_SUPABASE_BRANCH_PER_DAY_USD

    def compute_usd(self, instance_size: str) -> float | None:
        """The monthly price of a dedicated database of this size; None when nobody knows it."""
        if instance_size in self.supabase_compute_usd:
            return self.supabase_compute_usd[instance_size]
        return DEFAULT_SUPABASE_COMPUTE_USD.get(instance_size)


class PolicySpec(_Model):
    # No pull request environment may have a variable pointing at one of these hosts (or their
    # subdomains): a preview must never write to production.
    production_hosts: list[Hostname] = []

    def production_host_in(self, value: str) -> str | None:
        return production_host_in(value, self.production_hosts)


# A hostname inside a value: maximal runs of dotted DNS labels.
_HOST_TOKEN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def hosts_in(value: str) -> list[str]:
    """Every hostname a variable's value may point at: URL hosts (`https://api.x.io/v1`,
    `postgres://user:pw@db.x.io:5432/app`) and bare hostnames (`api.x.io`, `api.x.io:443`, lists).

    Lowercased. The domain of an e-mail address (`help@x.io`, outside a URL) is not a host."""
    text = value.lower()
    hosts: list[str] = []
    for match in _HOST_TOKEN.finditer(text):
        start = match.start()
        if text.startswith("://", match.end()):
            continue  # a URL scheme
        if start > 0 and text[start - 1] == "@":
            word_start = max(text.rfind(c, 0, start) for c in " \t\n,;\"'") + 1
            if "://" not in text[word_start:start]:
                continue  # an e-mail address
        hosts.append(match.group())
    return hosts


def production_host_in(value: str, production_hosts: Collection[str]) -> str | None:
    """The listed production host `value` points at (the host itself or a subdomain), or None."""
    listed = [host.lower().rstrip(".") for host in production_hosts]
    for host in hosts_in(value):
        for production in listed:
            if host == production or host.endswith("." + production):
                return production
    return None


class EnvironmentSpec(_Model):
    # name and kind come first: the validators below read them from info.data.
    name: Annotated[Text, AfterValidator(_environment_name)]
    kind: EnvironmentKind
    owner: Text | None = Field(None, validate_default=True)
    purpose: Text | None = None
    branch: Annotated[Text, AfterValidator(_branch_name)]
    database: DatabaseSpec | None = None
    variables: Variables = {}
    expires: Date | None = None
    # None: the kind decides (developer environments and review stacks sleep, the others not).
    sleep_when_idle: Annotated[bool, Field(strict=True)] | None = None

    @property
    def sleeps_when_idle(self) -> bool:
        """Whether Railway puts its services to sleep when they get no traffic (they wake on the
        next request, after a cold start)."""
        if self.sleep_when_idle is not None:
            return self.sleep_when_idle
        return self.kind in SLEEPING_KINDS

    @field_validator("owner")
    @classmethod
    def _developer_has_owner(cls, owner: str | None, info: ValidationInfo) -> str | None:
        if owner is None and info.data.get("kind") == "developer":
            raise _error(
                "required",
                "required for developer environments",
                hint="who to ask before it is changed or deleted, e.g. alice@gatewayz.ai",
            )
        return owner

    @field_validator("database")
    @classmethod
    def _not_its_own_source(
        cls, database: DatabaseSpec | None, info: ValidationInfo
    ) -> DatabaseSpec | None:
        name = info.data.get("name")
        if database is not None and name is not None and database.source == name:
            raise _error(
                "own_source",
                f"environment {_quote(name)} cannot use its own database as the source",
                hint="name another environment, or use strategy dedicated",
                at="source",
            )
        return database


DEFAULT_FLAG_ENVIRONMENTS = ("staging",)


class FeatureFlagSpec(_Model):
    """One entry of stagefleet:featureFlags: a Statsig gate, on only for the people listed, in
    the Statsig environments listed (staging by default)."""

    # name and owner come first: the description's validator reads them from info.data.
    name: GateName
    # Who answers for the flag: the owner of some environment of the fleet (checked across keys).
    owner: FlagOwner
    description: FlagDescription = ""
    enabled_for: FlagTargets
    environments: FlagEnvironments = list(DEFAULT_FLAG_ENVIRONMENTS)
    # Required and bounded by the policy (fleet/policy.py), as for developer environments.
    expires: Date | None = None

    @field_validator("description")
    @classmethod
    def _description_fits(cls, description: str, info: ValidationInfo) -> str:
        owner = info.data.get("owner")
        if owner is None:  # the owner itself is wrong, and reported as such
            return description
        written = naming.statsig_gate_description(description, owner)
        if len(written) <= naming.STATSIG_DESCRIPTION_LIMIT:
            return description
        added = naming.statsig_gate_description("", owner)
        room = naming.STATSIG_DESCRIPTION_LIMIT - len(added) - 1
        raise _error(
            "flag_description",
            f"has {len(description.strip())} characters; at most {room} fit: Statsig allows "
            f"{naming.STATSIG_DESCRIPTION_LIMIT} and stagefleet appends {_quote(' ' + added)}",
        )

    @property
    def gate_id(self) -> str:
        return naming.statsig_gate_id(self.name)

    @property
    def emails(self) -> list[str]:
        """The enabledFor entries that are email addresses, in config order."""
        return [entry for entry in self.enabled_for if is_email(entry)]

    @property
    def user_ids(self) -> list[str]:
        """The other enabledFor entries: user ids, in config order."""
        return [entry for entry in self.enabled_for if not is_email(entry)]


class StatsigSpec(_Model):
    # What happens to the gate of a flag removed from the config (or of a stack destroyed):
    # "delete" removes it; "archive" keeps it, and its history, archived in the Statsig console.
    on_delete: OnDelete = "delete"


class FleetSpec(_Model):
    railway: RailwaySpec
    supabase: SupabaseSpec | None = None
    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    prices: PricesSpec = Field(default_factory=PricesSpec)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    environments: list[EnvironmentSpec] = []
    railway_token: Secret | None = None
    railway_api_url: ApiUrl | None = None
    supabase_access_token: Secret | None = None
    supabase_api_url: ApiUrl | None = None
    feature_flags: list[FeatureFlagSpec] = []
    statsig: StatsigSpec = Field(default_factory=StatsigSpec)
    statsig_console_key: Secret | None = None
    statsig_api_url: ApiUrl | None = None

    @classmethod
    def from_config(cls, mapping: Mapping[str, Any]) -> "FleetSpec":
        """Parse a Pulumi stack config mapping (`{"stagefleet:railway": {...} or JSON, ...}`).

        Raises FleetConfigError listing every problem found, not just the first."""
        values, found = _namespace_values(mapping)
        for key in REVIEW_ONLY_KEYS:
            if key in values:
                del values[key]
                found.append(
                    (
                        (key,),
                        "only used in review stacks (Pulumi.pr.yaml), not in the fleet stack",
                        "remove it here; review stacks pr-<number> are created by CI from Pulumi.pr.yaml",
                    )
                )
        # A key that failed to decode is reported once, not again as missing.
        undecodable = {loc[:1] for loc, _, _ in found}
        names = None if ("environments",) in undecodable else _raw_environment_names(values)
        spec = None
        try:
            spec = cls.model_validate(
                values,
                context={_ENVIRONMENT_NAMES: names},
                by_alias=True,
                by_name=False,  # the stack file spells keys in camelCase only
            )
        except ValidationError as error:
            details = error.errors(include_url=False)
            found += [_from_pydantic(d) for d in details if d["loc"][:1] not in undecodable]
        found += _cross_reference_problems(values, undecodable)
        if found:
            found.sort(key=lambda problem: _sort_key(problem[0]))
            raise FleetConfigError([_render(*problem) for problem in found])
        assert spec is not None
        return spec

    def environment(self, name: str) -> EnvironmentSpec:
        for environment in self.environments:
            if environment.name == name:
                return environment
        raise KeyError(f"no environment named {_quote(name)}")

    def feature_flag(self, name: str) -> FeatureFlagSpec:
        for flag in self.feature_flags:
            if flag.name == name:
                return flag
        raise KeyError(f"no feature flag named {_quote(name)}")

    def database_for(self, env: EnvironmentSpec) -> DatabaseSpec:
        return env.database or self.defaults.database

    def database_owner(self, env: EnvironmentSpec) -> EnvironmentSpec:
        """The environment that owns the database `env` uses, following `shared` sources."""
        visited = {env.name}
        while (database := self.database_for(env)).strategy == "shared":
            env = self.environment(str(database.source))
            if env.name in visited:
                raise ValueError(f"database sources form a cycle through {_quote(env.name)}")
            visited.add(env.name)
        return env

    def variables_for(self, env: EnvironmentSpec, service: ServiceSpec) -> dict[str, str]:
        """defaults < service < environment: the more specific setting wins."""
        return {**self.defaults.variables, **service.variables, **env.variables}

    def supabase_project_prefix(self) -> str:
        """supabase.projectPrefix, else railway.projectName, else "stagefleet"."""
        configured = self.supabase.project_prefix if self.supabase is not None else None
        return naming.supabase_project_prefix(configured, self.railway.project_name)

    def supabase_project_name(self, env: EnvironmentSpec | str) -> str:
        """The Supabase project (or branch) name of an environment: `<prefix>-staging-<name>`."""
        name = env if isinstance(env, str) else env.name
        return naming.supabase_project_name(self.supabase_project_prefix(), name)

    def instance_size_for(self, env: EnvironmentSpec) -> str:
        """The compute size of the environment's database: its own instanceSize (dedicated only),
        else stagefleet:supabase.instanceSize ("micro" by default)."""
        own = self.database_for(env).instance_size
        if own is not None:
            return own
        return self.supabase.instance_size if self.supabase is not None else DEFAULT_INSTANCE_SIZE


# --- turning config and errors into problems ------------------------------------------------

# A problem before rendering: (loc, message, hint).
_Found = tuple[Loc, str, str | None]


def _namespace_values(mapping: Mapping[str, Any]) -> tuple[dict[str, Any], list[_Found]]:
    """Our keys without the namespace, structured values decoded from JSON."""
    values: dict[str, Any] = {}
    found: list[_Found] = []
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


def _raw_environment_names(values: Mapping[str, Any]) -> frozenset[str] | None:
    """Every environment name in the config, valid or not; None when the list itself is
    unusable, so references into it are not checked (and not all reported as dangling)."""
    environments = values.get("environments", [])
    if not isinstance(environments, list):
        return None
    return frozenset(
        item["name"]
        for item in environments
        if isinstance(item, Mapping) and isinstance(item.get("name"), str)
    )


def _as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _cross_reference_problems(
    values: Mapping[str, Any], undecodable: Collection[Loc] = ()
) -> list[_Found]:
    """Checks across list items. They read the raw values, so one faulty item does not hide a
    duplicate or a cycle that involves it."""
    environments = _as_list(values.get("environments"))
    services = _as_list(_as_mapping(values.get("railway")).get("services"))
    default_database = _as_mapping(values.get("defaults")).get("database")
    databases = _environment_databases(environments, default_database)
    links = _source_links(databases)
    cycles = _cycles(links)
    flags = _as_list(values.get("featureFlags"))
    found = [
        *_pull_request_environments(environments),
        *_duplicates(environments, "name", ("environments",), "environment name"),
        *_duplicates(services, "name", ("railway", "services"), "service name"),
        *_duplicates(services, "id", ("railway", "services"), "service id"),
        *_source_cycles(cycles, links),
        *_sources_without_database(databases, default_database, cycles),
        *_environments_without_database(environments, default_database),
        *_flag_duplicates(flags),
        *_flag_list_duplicates(flags),
    ]
    # Owners are checked against a usable environment list only, not all reported as unknown.
    if isinstance(values.get("environments", []), list) and ("environments",) not in undecodable:
        found += _unknown_flag_owners(flags, environments)
    if ("supabase",) not in undecodable:  # its organizationSlug is unknown, not missing
        found += _supabase_organization_needed(values.get("supabase"), environments, default_database)
    return found


def _pull_request_environments(environments: list[Any]) -> Iterator[_Found]:
    for index, item in enumerate(environments):
        if isinstance(item, Mapping) and item.get("kind") == "pr":
            yield (
                ("environments", index, "kind"),
                'kind "pr" is not allowed in the fleet stack: PR environments come from review stacks',
                "each pull request gets its own stack pr-<number>, created by CI from Pulumi.pr.yaml; "
                "use kind developer or team for a long-lived environment",
            )


def _environments_without_database(environments: list[Any], default_database: object) -> Iterator[_Found]:
    if default_database is not None:
        return
    for index, item in enumerate(environments):
        if isinstance(item, Mapping) and item.get("database") is None:
            yield (
                ("environments", index, "database"),
                "no database: this environment names none and defaults.database is not set",
                "add a database block here, or set stagefleet:defaults.database",
            )


def _duplicates(items: list[Any], key: str, loc: Loc, what: str) -> Iterator[_Found]:
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        value = item.get(key) if isinstance(item, Mapping) else None
        if not isinstance(value, str):
            continue
        if value in first_index:
            first = _config_path((*loc, first_index[value]))
            yield (*loc, index, key), f"{what} {_quote(value)} is already used by {first}", None
        else:
            first_index[value] = index


def _flag_duplicates(flags: list[Any]) -> Iterator[_Found]:
    """Two flags with one name, or with names Statsig turns into one gate id ("Payments V2" and
    "payments_v2"), would be one gate."""
    first_index: dict[str, int] = {}
    for index, item in enumerate(flags):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str):
            continue
        gate_id = naming.statsig_gate_id(name)
        if gate_id not in first_index:
            first_index[gate_id] = index
            continue
        first = flags[first_index[gate_id]]["name"]
        first_path = _config_path(("featureFlags", first_index[gate_id]))
        if first == name:
            message = f"feature flag name {_quote(name)} is already used by {first_path}"
        else:
            message = (
                f"feature flag {_quote(name)} has the Statsig gate id {_quote(gate_id)}, as "
                f"{_quote(first)} ({first_path}) has"
            )
        yield (
            ("featureFlags", index, "name"),
            message,
            "Statsig derives a gate's id from its name (lowercase, spaces as \"_\"): give each flag a "
            "name of its own",
        )


def _flag_list_duplicates(flags: list[Any]) -> Iterator[_Found]:
    """An enabledFor entry (email addresses without regard to case) or an environment listed twice
    in one flag."""
    for index, item in enumerate(flags):
        if not isinstance(item, Mapping):
            continue
        for key, same in (("enabledFor", _target_key), ("environments", str)):
            first_index: dict[str, int] = {}
            for position, entry in enumerate(_as_list(item.get(key))):
                if not isinstance(entry, str):
                    continue
                if same(entry) not in first_index:
                    first_index[same(entry)] = position
                    continue
                first = _config_path(("featureFlags", index, key, first_index[same(entry)]))
                yield (
                    ("featureFlags", index, key, position),
                    f"{_quote(entry)} is already listed as {first}",
                    "list it once",
                )


def _unknown_flag_owners(flags: list[Any], environments: list[Any]) -> Iterator[_Found]:
    """A flag's owner answers for it: the owner of some environment of the fleet (a developer, or
    a team such as platform)."""
    owners = sorted(
        {item["owner"] for item in environments if isinstance(item, Mapping) and isinstance(item.get("owner"), str)}
    )
    for index, item in enumerate(flags):
        owner = item.get("owner") if isinstance(item, Mapping) else None
        if not isinstance(owner, str) or not owner or owner in owners:
            continue
        close = difflib.get_close_matches(owner, owners, n=1)
        if close:
            hint = f"did you mean {_quote(close[0])}?"
        elif owners:
            hint = "the owner of an environment of the fleet: " + ", ".join(owners)
        else:
            hint = "no environment of the fleet has an owner yet"
        yield (
            ("featureFlags", index, "owner"),
            f"{_quote(owner)} owns no environment of the fleet",
            hint,
        )


@dataclass(frozen=True)
class _EnvironmentDatabase:
    """An environment's database as written in the raw config: its own or the default one."""

    index: int
    strategy: object  # as written: may be anything, the model reports a wrong one
    source: object
    inherited: bool  # from stagefleet:defaults.database

    def describe_strategy(self) -> str:
        origin = " (from stagefleet:defaults.database)" if self.inherited else ""
        return f"{self.strategy}{origin}"


def _environment_databases(
    environments: list[Any], default_database: object
) -> dict[str, _EnvironmentDatabase]:
    """Name -> database of every environment whose database is a mapping (the first of a name)."""
    databases: dict[str, _EnvironmentDatabase] = {}
    for index, item in enumerate(environments):
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or name in databases:
            continue
        own = item.get("database")
        database = own if own is not None else default_database
        if isinstance(database, Mapping):
            databases[name] = _EnvironmentDatabase(
                index, database.get("strategy"), database.get("source"), own is None
            )
    return databases


def _source_links(databases: Mapping[str, _EnvironmentDatabase]) -> dict[str, _EnvironmentDatabase]:
    """The databases that name a source (shared or branch), by environment name."""
    return {
        name: database
        for name, database in databases.items()
        if database.strategy in _SOURCED_STRATEGIES
        and isinstance(database.source, str)
        # An environment naming itself is reported where it is written, by the model.
        and not (not database.inherited and database.source == name)
    }


def _cycles(links: Mapping[str, _EnvironmentDatabase]) -> list[list[str]]:
    """Every cycle of source links, each once, starting at the environment listed first."""
    cycles: list[list[str]] = []
    reported: set[str] = set()
    for start in links:
        path = [start]
        while (following := str(links[path[-1]].source)) in links and following not in path:
            path.append(following)
        if following not in path or following in reported:
            continue
        cycle = path[path.index(following) :]
        reported.update(cycle)
        at = cycle.index(min(cycle, key=lambda name: links[name].index))
        cycles.append([*cycle[at:], *cycle[:at]])
    return cycles


def _source_cycles(cycles: list[list[str]], links: Mapping[str, _EnvironmentDatabase]) -> Iterator[_Found]:
    for cycle in cycles:
        first = links[cycle[0]]
        chain = " -> ".join([*cycle, cycle[0]])
        if first.inherited:
            yield (
                ("environments", first.index, "database"),
                f"the default database source {_quote(first.source)} leads back to this environment: "
                + chain,
                "give this environment a database of its own",
            )
        else:
            yield (
                ("environments", first.index, "database", "source"),
                f"database sources form a cycle: {chain}",
                "one environment in the cycle needs strategy dedicated or external",
            )


def _database_owner(name: str, databases: Mapping[str, _EnvironmentDatabase]) -> str | None:
    """The raw-config counterpart of FleetSpec.database_owner: follows `shared` sources; None when
    they end nowhere or go round."""
    seen = {name}
    while (database := databases.get(name)) is not None and database.strategy == "shared":
        name = database.source if isinstance(database.source, str) else ""
        if name in seen:
            return None
        seen.add(name)
    return name if database is not None else None


def _sources_without_database(
    databases: Mapping[str, _EnvironmentDatabase], default_database: object, cycles: list[list[str]]
) -> Iterator[_Found]:
    """A `shared` source must own its database (not share one itself); a `branch` source must
    have a Supabase project to branch (strategy dedicated)."""
    in_cycle = {name for cycle in cycles for name in cycle}
    # (where the source is written, strategy, source)
    written: list[tuple[Loc, object, object]] = []
    if isinstance(default_database, Mapping):
        strategy, source = default_database.get("strategy"), default_database.get("source")
        written.append((("defaults", "database", "source"), strategy, source))
    for name, database in databases.items():
        if not database.inherited and name not in in_cycle and database.source != name:
            written.append(
                (("environments", database.index, "database", "source"), database.strategy, database.source)
            )
    for loc, strategy, source in written:
        if strategy not in _SOURCED_STRATEGIES or not isinstance(source, str):
            continue
        target = databases.get(source)
        # Reported elsewhere, or depending on how that is fixed: a missing source, one without a
        # database, with a wrong strategy, naming itself, or in a cycle of sources.
        if (
            target is None
            or target.strategy not in get_args(Strategy)
            or (not target.inherited and target.source == source)
            or source in in_cycle
        ):
            continue
        owner = _database_owner(source, databases)
        if strategy == "shared" and target.strategy == "shared":
            advice = f"; point at {_quote(owner)}, which owns it" if owner is not None else ""
            yield (
                loc,
                f"environment {_quote(source)} does not own a database "
                f"(it shares {_quote(target.source)}'s){advice}",
                "name the environment that owns the database: shared sources do not chain",
            )
        elif strategy == "branch" and target.strategy != "dedicated":
            owner_database = databases.get(owner) if owner is not None else None
            suggest = owner_database is not None and owner_database.strategy == "dedicated"
            yield (
                loc,
                f"environment {_quote(source)} has no Supabase project to branch: its database "
                f"strategy is {target.describe_strategy()}, not dedicated",
                f"did you mean {_quote(owner)}? it owns the database {_quote(source)} uses"
                if suggest and owner != source
                else "branch from an environment with strategy dedicated",
            )


_NEEDS_ORGANIZATION = ("dedicated", "branch")


def _supabase_organization_needed(
    supabase: object, environments: list[Any], default_database: object
) -> Iterator[_Found]:
    """stagefleet:supabase.organizationSlug is required once a database lives on Supabase. Reported
    once, where the first environment that needs it has its strategy written."""
    if supabase is not None and not isinstance(supabase, Mapping):
        return  # the block itself is wrong, and reported as such
    if isinstance(supabase, Mapping) and supabase.get("organizationSlug") is not None:
        return  # given (a wrong one is reported by the model)
    for index, item in enumerate(environments):
        if not isinstance(item, Mapping):
            continue
        own = item.get("database")
        database = own if own is not None else default_database
        strategy = database.get("strategy") if isinstance(database, Mapping) else None
        if strategy not in _NEEDS_ORGANIZATION:
            continue
        if own is not None:
            loc: Loc = ("environments", index, "database", "strategy")
            used_by = ""
        else:
            loc = ("defaults", "database", "strategy")
            used_by = f" (used by environment {_quote(item.get('name'))})"
        yield (
            loc,
            f"strategy {_quote(strategy)}{used_by} needs a Supabase organization: "
            "set stagefleet:supabase.organizationSlug",
            "set it with: pulumi config set --path 'stagefleet:supabase.organizationSlug' "
            "<organization slug>",
        )
        return


def _from_pydantic(detail: ErrorDetails, root: type[BaseModel] | None = None) -> _Found:
    """A pydantic error as a problem; `root` is the model validated (FleetSpec by default)."""
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
    kind: str, ctx: Mapping[str, Any], given: object, loc: Loc, root: type[BaseModel] | None = None
) -> tuple[str, str | None]:
    """Pydantic's error types in a DevOps engineer's words. Only the input's type is named,
    never its value (it may be a credential), except for enum choices and numbers."""
    got = _kind_of(given)
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
        shown = _quote(given) if isinstance(given, str) else got
        return f"must be one of {str(ctx['expected']).replace(chr(39), '')}, got {shown}", None
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']}", None
    if kind == "greater_than_equal":
        return ("must not be negative" if ctx["ge"] == 0 else f"must be at least {ctx['ge']}"), None
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}", None
    return f"invalid value ({kind})", None


def _kind_of(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime.date):
        return "a date"
    return f"a {type(value).__name__}"


def _unknown_key_hint(loc: Loc, root: type[BaseModel] | None = None) -> str | None:
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
        return f"did you mean {_quote(close[0])}?"
    return "allowed keys: " + ", ".join(allowed)


def _walk(loc: Loc, root: type[BaseModel] | None = None) -> tuple[Loc, Any]:
    """Follow `loc` through the model: the loc spelt with YAML keys, and the type found there.

    Pydantic reports a field validated from its default under the Python name, not the alias."""
    node: Any = root or FleetSpec
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


def _config_path(loc: Loc) -> str:
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
            parts.append(f"[{_quote(str(segment))}]")
    return "".join(parts)


_TOP_LEVEL_ORDER = [str(field.alias) for field in FleetSpec.model_fields.values()]


def _sort_key(loc: Loc, order: Sequence[str] = _TOP_LEVEL_ORDER) -> tuple[Any, ...]:
    top = str(loc[0])
    rank = order.index(top) if top in order else len(order)
    # List positions compare as numbers (environments[2] before environments[11]), keys as text.
    return (rank, top, *((0, seg) if isinstance(seg, int) else (1, seg) for seg in loc[1:]))


def _render(loc: Loc, message: str, hint: str | None) -> ConfigProblem:
    path = _config_path(loc)
    return ConfigProblem(path, message, hint=hint.replace("{path}", path) if hint else None)

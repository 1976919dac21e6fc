"""The stack config's field types: each a type with the validator that gives its error, in our words.

Names, branches, URLs, dates, kinds, regions, Supabase and Statsig names, a flag's targets: every
value a key may hold that is more than a plain string or number. The models (fleet/config/models.py)
are built from these; the rules that also bind other layers (environment names, emails, user ids)
live in fleet.naming and are only applied here.
"""

import datetime
import difflib
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Literal, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, SecretStr

from fleet import naming
from fleet.config.credentials import credential_kind
from fleet.config.problems import config_error
from fleet.dates import ISO_DATE, parse_date
from fleet.wording import kind_of, quote

Text = Annotated[str, Field(strict=True, min_length=1)]


def whole_float_to_int(value: object) -> object:
    """A BeforeValidator for whole numbers. Pulumi passes numbers as floats: 90.0 means 90."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(whole_float_to_int), Field(strict=True)]
Amount = Annotated[float, Field(strict=True, allow_inf_nan=False)]


# stagefleet:lateAnswerGrace is at most the providers' deadline of one API call
# (providers.http.RetryPolicy.deadline): a longer window could never end.
MAX_LATE_ANSWER_GRACE_SECONDS = 180


def _seconds_from_text(value: object) -> object:
    """A BeforeValidator for seconds: Pulumi passes a top-level scalar as text ("45")."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise config_error("seconds", f"expected a number of seconds, got {quote(value)}") from None
    return value


LateAnswerGrace = Annotated[
    float,
    BeforeValidator(_seconds_from_text),
    Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_LATE_ANSWER_GRACE_SECONDS),
]


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
    raise config_error(
        "secret",
        "expected a non-empty string or {secure: <ciphertext>}",
        hint="set it with: pulumi config set --secret --path '{path}' <value>",
    )


Secret = Annotated[SecretStr, BeforeValidator(_secret)]


def _environment_name(name: str) -> str:
    if not naming.is_environment_name(name):
        raise config_error(
            "environment_name",
            f"{quote(name)} is not a valid environment name",
            hint=f'use 1 to {naming.ENVIRONMENT_NAME_MAX} lowercase letters, digits and "-", '
            "starting with a letter or digit",
        )
    return name


EnvironmentName = Annotated[Text, AfterValidator(_environment_name)]


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
            return f"it contains {quote(forbidden)}"
    for edge in ("-", "/"):
        if name.startswith(edge):
            return f"it starts with {quote(edge)}"
    for edge in ("/", ".lock", "."):
        if name.endswith(edge):
            return f"it ends with {quote(edge)}"
    components = name.split("/")
    if any(component.startswith(".") for component in components):
        return 'a part between slashes starts with "."'
    if any(component.endswith(".lock") for component in components):
        return 'a part between slashes ends with ".lock"'
    return None


def _branch_name(name: str) -> str:
    reason = branch_name_problem(name)
    if reason is not None:
        raise config_error("branch", f"{quote(name)} is not a valid git branch name: {reason}")
    return name


BranchName = Annotated[Text, AfterValidator(_branch_name)]


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _variable_name(name: str) -> str:
    if not _VARIABLE_NAME.fullmatch(name):
        raise config_error(
            "variable_name",
            f"{quote(name)} is not a valid variable name",
            hint='use letters, digits and "_", not starting with a digit',
        )
    return name


def _variable_value(value: object) -> object:
    if isinstance(value, Mapping) and set(value) == {"secure"}:
        raise config_error(
            "secret_variable",
            "secret values are not supported in variables",
            hint="set it in the base Railway environment: every environment forks its variables",
        )
    return value


def _no_credential(value: str) -> str:
    kind = credential_kind(value)
    if kind is not None:
        # Never echo the value: it is the credential.
        raise config_error(
            "credential_variable",
            f"looks like {kind}: variables are written to the stack file in plain text",
            hint="remove it and rotate it (it stays in the file's history); set it on the base Railway "
            "environment instead, which every environment forks (stagefleet's own tokens: pulumi config set --secret)",
        )
    return value


Variables = dict[
    Annotated[str, Field(strict=True), AfterValidator(_variable_name)],
    Annotated[str, BeforeValidator(_variable_value), Field(strict=True), AfterValidator(_no_credential)],
]


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
EXAMPLE_RAILWAY_ID = "0f6c8a52-3b1e-4d7a-9c1f-6e2b5a4d8c01"


def railway_id_problem(value: str) -> str | None:
    """Why `value` is not a Railway id (every Railway id is a UUID), or None."""
    if _UUID.fullmatch(value):
        return None
    shown = "a credential" if credential_kind(value) else (quote(value) if len(value) <= 64 else "a long string")
    return f"expected a Railway id, a UUID such as {EXAMPLE_RAILWAY_ID}, got {shown}"


def _railway_id(where: str) -> Callable[[str], str]:
    """The check of a Railway id field; `where` tells where the dashboard shows the id."""

    def check(value: str) -> str:
        problem = railway_id_problem(value)
        if problem is not None:
            raise config_error("railway_id", problem, hint=where)
        return value

    return check


# Railway's dashboard URLs carry every id: railway.com/project/<project id>/service/<service id>
# ?environmentId=<environment id>.
RailwayProjectId = Annotated[
    Text,
    AfterValidator(
        _railway_id(
            "the project's Settings page shows its Project ID; it is also in the dashboard URL, "
            "railway.com/project/<id>"
        )
    ),
]
RailwayEnvironmentId = Annotated[
    Text,
    AfterValidator(_railway_id("open the base environment in the dashboard: its id is the URL's environmentId=<id>")),
]
RailwayServiceId = Annotated[
    Text,
    AfterValidator(
        _railway_id(
            "open the service in the dashboard: its id is in the URL, railway.com/project/<project>/service/<id>"
        )
    ),
]


def _url_check(*schemes: str) -> Callable[[str], str]:
    wanted = " or ".join(f"{scheme}://" for scheme in schemes)

    def check(value: str) -> str:
        try:
            parts = urlsplit(value)
            valid = parts.scheme in schemes and bool(parts.hostname)
        except ValueError:  # e.g. a malformed IPv6 host
            valid = False
        if not valid:
            raise config_error("url", f"must be an {wanted} URL")
        return value

    return check


HttpsUrl = Annotated[Text, AfterValidator(_url_check("https"))]
ApiUrl = Annotated[Text, AfterValidator(_url_check("http", "https"))]


def _date(value: object) -> datetime.date:
    # YAML gives a date; Pulumi's JSON and quoted YAML give the same date as a string.
    if isinstance(value, datetime.datetime):
        raise config_error("date", "expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return parse_date(value)
        except ValueError:
            raise config_error("date", f"{quote(value)} is not a calendar date") from None
    raise config_error("date", "expected a date (YYYY-MM-DD)")


Date = Annotated[datetime.date, PlainValidator(_date)]

Strategy = Literal["dedicated", "shared", "branch", "external"]
# The strategies that use another environment's database, named by `source`.
SOURCED_STRATEGIES = ("shared", "branch")
Kind = Literal["shared", "team", "developer", "pr"]
# The kinds a fleet stack may list: "pr" environments come from review stacks only.
FLEET_KINDS = ("shared", "team", "developer")


def _kind(value: object) -> str:
    if isinstance(value, str) and value in get_args(Kind):
        return value
    shown = quote(value) if isinstance(value, str) else kind_of(value)
    # "pr" is left out of the choices: the fleet stack rejects it (review stacks build it).
    raise config_error("kind", f"must be one of shared, team or developer, got {shown}")


EnvironmentKind = Annotated[Kind, PlainValidator(_kind)]


def _healthcheck_path(path: str) -> str:
    if not path.startswith("/") or any(character.isspace() for character in path):
        raise config_error(
            "healthcheck_path",
            f"{quote(path)} is not a URL path",
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
    "nano",
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
    "24xlarge",
    "24xlarge_optimized_memory",
    "24xlarge_optimized_cpu",
    "24xlarge_high_memory",
    "48xlarge",
    "48xlarge_optimized_memory",
    "48xlarge_optimized_cpu",
    "48xlarge_high_memory",
]
INSTANCE_SIZES: tuple[str, ...] = get_args(InstanceSize)
DEFAULT_INSTANCE_SIZE: InstanceSize = "micro"

# Supabase Management API `region_selection` of type "specific" (V1CreateProjectBody).
SUPABASE_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-east-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-central-1",
    "eu-central-2",
    "ca-central-1",
    "ap-south-1",
    "sa-east-1",
)
# Its "smartGroup" codes: a region Supabase picks within a group. Named only to explain the error.
_SUPABASE_REGION_GROUPS = ("americas", "emea", "apac")


def _supabase_region(code: str) -> str:
    if code in SUPABASE_REGIONS:
        return code
    if code in _SUPABASE_REGION_GROUPS:
        raise config_error(
            "region",
            f"{quote(code)} is a Supabase region group, not a region",
            hint="name a specific region, e.g. us-east-1 or eu-central-1",
        )
    close = difflib.get_close_matches(code, SUPABASE_REGIONS, n=1)
    raise config_error(
        "region",
        f"{quote(code)} is not a Supabase region",
        hint=f"did you mean {quote(close[0])}?" if close else "one of " + ", ".join(SUPABASE_REGIONS),
    )


Region = Annotated[Text, AfterValidator(_supabase_region)]

# The API's `organization_slug` pattern, ^[\w-]+$, with JavaScript's (ASCII) \w.
_ORGANIZATION_SLUG = re.compile(r"[A-Za-z0-9_-]+")


def _organization_slug(slug: str) -> str:
    if not _ORGANIZATION_SLUG.fullmatch(slug):
        raise config_error(
            "organization_slug",
            f"{quote(slug)} is not a Supabase organization slug",
            hint='use letters, digits, "_" and "-": the slug in the dashboard URL supabase.com/dashboard/org/<slug>',
        )
    return slug


OrganizationSlug = Annotated[Text, AfterValidator(_organization_slug)]

# Supabase project names are `<prefix>-staging-<environment>`: the prefix leaves room for the
# longest environment name (fleet.naming).
PROJECT_PREFIX_LIMIT = naming.SUPABASE_PROJECT_PREFIX_LIMIT


def _project_prefix(prefix: str) -> str:
    if len(prefix) > PROJECT_PREFIX_LIMIT:
        raise config_error(
            "project_prefix",
            f"is {len(prefix)} characters long; at most {PROJECT_PREFIX_LIMIT} fit in a Supabase "
            "project name (<prefix>-staging-<environment>, at most "
            f"{naming.SUPABASE_PROJECT_NAME_LIMIT} characters)",
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
    got = "another string (not shown: it may be a key)" if isinstance(value, str) else kind_of(value)
    raise config_error(
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
            return f"it contains {quote(char)}"
    if name.startswith(" "):
        return "it starts with a space"
    if name.endswith(" "):
        return "it ends with a space"
    return None


def _gate_name(name: str) -> str:
    reason = gate_name_problem(name)
    if reason is not None:
        raise config_error(
            "gate_name",
            f"{quote(name)} is not a valid Statsig gate name: {reason}",
            hint=f'use {GATE_NAME_MIN} to {GATE_NAME_MAX} letters, digits, spaces, "_", "-" and ".", e.g. payments-v2',
        )
    return name


GateName = Annotated[Text, AfterValidator(_gate_name)]


def _flag_owner(owner: str) -> str:
    # The provider writes the owner into the gate's description, as "(owner: <owner>)".
    for char in "()[]\n":
        if char in owner:
            raise config_error(
                "flag_owner",
                f"{quote(owner)} cannot own a feature flag: it contains {quote(char)}",
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
        raise config_error(
            "statsig_environment",
            f"{quote(name)} is not a Statsig environment name",
            hint="an environment of the Statsig project, e.g. staging or development: 1 to 100 "
            'letters, digits, spaces, "_", "-" and "."',
        )
    return name


# Whom a flag is enabled for: an email address or a user id, as fleet.naming tells them apart.
def _flag_target(entry: str) -> str:
    if naming.is_email(entry):
        if not naming.is_email_address(entry):
            raise config_error(
                "email",
                f"{quote(entry)} is not a valid email address",
                hint='e.g. alice@gatewayz.ai; an entry without "@" is a user id',
            )
        return entry
    if not naming.is_user_id(entry):
        raise config_error(
            "user_id",
            f"{quote(entry)} is neither an email address nor a user id",
            hint='a user id has 1 to 128 letters, digits, "_", ".", ":" and "-"; an email address has an "@"',
        )
    return entry


def _flag_targets(entries: list[str]) -> list[str]:
    # An entry listed twice is reported across keys (fleet/config/references.py), with its first place.
    if not entries:
        raise config_error(
            "enabled_for",
            "must list at least one email address or user id",
            hint="the people who see the flag on staging, e.g. its owner's email address",
        )
    return entries


FlagTargets = Annotated[list[Annotated[Text, AfterValidator(_flag_target)]], AfterValidator(_flag_targets)]


def _flag_environments(environments: list[str]) -> list[str]:
    if not environments:
        raise config_error(
            "flag_environments",
            "must list at least one Statsig environment",
            hint='leave it out for the default, ["staging"]',
        )
    return environments


FlagEnvironments = Annotated[
    list[Annotated[Text, AfterValidator(_statsig_environment)]], AfterValidator(_flag_environments)
]

OnDelete = Literal["delete", "archive"]


def _instance_size_key(value: object) -> str:
    if isinstance(value, str) and value in INSTANCE_SIZES:
        return value
    shown = quote(value) if isinstance(value, str) else kind_of(value)
    close = difflib.get_close_matches(value, INSTANCE_SIZES, n=1) if isinstance(value, str) else []
    raise config_error(
        "instance_size",
        f"{shown} is not a Supabase instance size",
        hint=f"did you mean {quote(close[0])}?" if close else "one of " + ", ".join(INSTANCE_SIZES),
    )


# A key of stagefleet:prices.supabaseComputeUsd.
InstanceSizeKey = Annotated[str, PlainValidator(_instance_size_key)]
Price = Annotated[Amount, Field(ge=0)]

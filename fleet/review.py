"""Review stacks: one Pulumi stack `pr-<number>` per pull request, made from the template
Pulumi.pr.yaml. Its config names the fleet stack (`stagefleet:fleetStack`), the pull request
(`stagefleet:pullRequest`, set by CI) and how the pull request's environment differs from the
fleet's (`stagefleet:review`). Everything else (Railway project, services, defaults) is the fleet's:
the program reads the fleet stack's Pulumi.<fleet>.yaml for it and its outputs through a
StackReference.

`ReviewSpec.from_config` is the one parser, used by the program and `python -m fleet validate
--stack pr`. Besides shape, it enforces the safety rules of a preview environment: it never writes
to a long-lived environment's database unless the template says so, and none of its variables
points at a production host.
"""

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError

from fleet import naming
from fleet.config import (
    ApiUrl,
    BranchName,
    ConfigModel,
    ConfigProblem,
    DatabaseSpec,
    EnvironmentSpec,
    Finding,
    FleetConfigError,
    FleetSpec,
    LateAnswerGrace,
    PolicySpec,
    Secret,
    ServiceSpec,
    Text,
    Variables,
    config_error,
    config_error_from,
    from_pydantic,
    namespace_values,
    production_host_in,
    render_problem,
    validation_context,
    whole_float_to_int,
)
from fleet.stackfile import StackFileError, load_stack_config
from fleet.wording import quote

# The largest pull request number GitHub hands out fits a 32-bit integer.
MAX_PULL_REQUEST_NUMBER = 2**31 - 1
DEFAULT_DATABASE_STRATEGY = "branch"

_STACK_PART = re.compile(r"[A-Za-z0-9_.-]+")


def _stack_reference(value: str) -> str:
    parts = value.split("/")
    if len(parts) > 3 or not all(_STACK_PART.fullmatch(part) for part in parts):
        raise config_error(
            "stack_reference",
            f"{quote(value)} is not a stack name",
            hint="e.g. staging, or organization/stagefleet/staging on a shared backend",
        )
    if parts[-1] == "pr" or naming.review_stack_number(value) is not None:
        raise config_error(
            "stack_reference",
            f"{quote(value)} is a review stack, not the fleet stack",
            hint="name the stack review stacks read from, e.g. staging",
        )
    return value


StackReferenceName = Annotated[Text, AfterValidator(_stack_reference)]


def _pull_request_number(value: object) -> object:
    # `pulumi config set --path` stores digits as a number; a quoted "12" means 12 as well.
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value):
        return int(value)
    return whole_float_to_int(value)


PullRequestNumber = Annotated[
    int, BeforeValidator(_pull_request_number), Field(strict=True, ge=1, le=MAX_PULL_REQUEST_NUMBER)
]


class PullRequestSpec(ConfigModel):
    """stagefleet:pullRequest, set by CI for each pull request (never committed)."""

    number: PullRequestNumber
    branch: BranchName
    title: Text
    author: Text


class ReviewSettingsSpec(ConfigModel):
    """stagefleet:review: how a pull request's environment differs from the fleet's defaults."""

    # None: a Supabase branch of the fleet's first environment of kind shared.
    database: DatabaseSpec | None = None
    # Over the fleet's defaults.variables and each service's variables (later wins).
    variables: Variables = {}
    # A pull request environment may use a long-lived environment's database (strategy shared)
    # only when this is true: it would write to that environment's data.
    allow_shared_database: Annotated[bool, Field(strict=True)] = False
    # Review environments sleep when idle by default: a reviewer's first request wakes them.
    sleep_when_idle: Annotated[bool, Field(strict=True)] = True


class ReviewConfig(ConfigModel):
    """Every `stagefleet:` key a review stack's config may hold."""

    fleet_stack: StackReferenceName
    pull_request: PullRequestSpec | None = None
    review: ReviewSettingsSpec = Field(default_factory=ReviewSettingsSpec)
    # Added to the fleet stack's policy: both lists of production hosts apply.
    policy: PolicySpec = Field(default_factory=PolicySpec)
    railway_token: Secret | None = None
    railway_api_url: ApiUrl | None = None
    supabase_access_token: Secret | None = None
    supabase_api_url: ApiUrl | None = None
    # Read by the providers (providers.settings); None: their default.
    late_answer_grace: LateAnswerGrace | None = None


class _FleetStackOnly(ConfigModel):
    fleet_stack: StackReferenceName


_REVIEW_ORDER = [str(f.alias) for f in ReviewConfig.model_fields.values()]
# Fleet keys a review stack must not set: it reads them from the fleet stack.
FLEET_ONLY_KEYS = tuple(
    str(f.alias) for name, f in FleetSpec.model_fields.items() if name not in ReviewConfig.model_fields
)


@dataclass(frozen=True)
class ReviewSpec:
    """A review stack's config, resolved against the fleet it belongs to."""

    fleet: FleetSpec
    fleet_stack: str  # as written: `staging` or `organization/stagefleet/staging`
    fleet_stack_name: str  # its last segment: the program reads Pulumi.<fleet_stack_name>.yaml
    pull_request: PullRequestSpec | None  # None only when parsed with require_pull_request=False
    environment: EnvironmentSpec | None  # name pr-<n>, kind "pr"; None without a pull request
    database: DatabaseSpec  # resolved: its `source` names an environment of the fleet
    database_is_default: bool  # stagefleet:review.database was not given
    allow_shared_database: bool
    variables: dict[str, str] = field(default_factory=dict)  # stagefleet:review.variables
    production_hosts: tuple[str, ...] = ()  # the fleet's and the review stack's policy

    @classmethod
    def from_config(
        cls,
        review_mapping: Mapping[str, Any],
        fleet: FleetSpec,
        *,
        require_pull_request: bool = True,
        stack_name: str | None = None,
    ) -> "ReviewSpec":
        """Parse a review stack's config (`{"stagefleet:fleetStack": "staging", ...}`, structured
        values as mappings or JSON) against the fleet stack's spec.

        `require_pull_request=False` accepts the template (Pulumi.pr.yaml), which has no
        stagefleet:pullRequest until CI sets it. `stack_name` (e.g. pulumi.get_stack()) makes a
        pull request number that is not the stack's own an error.
        Raises FleetConfigError listing every problem found, with config paths."""
        values, found = namespace_values(review_mapping)
        for key in FLEET_ONLY_KEYS:
            if key in values:
                del values[key]
                found.append(
                    (
                        (key,),
                        "set in the fleet stack, not in a review stack",
                        "a review stack reads it from the fleet stack's Pulumi.<fleetStack>.yaml; "
                        "put pull-request-only settings under stagefleet:review",
                    )
                )
        undecodable = {loc[:1] for loc, _, _ in found}
        if require_pull_request and "pullRequest" not in values and ("pullRequest",) not in undecodable:
            found.append(
                (
                    ("pullRequest",),
                    "required in a review stack: CI sets it for each pull request",
                    "pulumi config set --path 'stagefleet:pullRequest.number' <n> (and .branch, .title, .author)",
                )
            )
        config: ReviewConfig | None = None
        try:
            config = ReviewConfig.model_validate(
                values,
                # Database sources name fleet environments: checked below, with the fleet's name.
                context=validation_context(None),
                by_alias=True,
                by_name=False,
            )
        except ValidationError as error:
            details = error.errors(include_url=False)
            found += [from_pydantic(d, ReviewConfig) for d in details if d["loc"][:1] not in undecodable]
        database = None
        if config is not None:
            database, problems = _resolve_database(config, fleet)
            found += problems
            found += _production_host_problems(config, fleet, database)
            found += _stack_name_problems(config, stack_name)
        if found:
            raise config_error_from(found, _REVIEW_ORDER)
        assert config is not None and database is not None
        return cls._build(config, fleet, database)

    @classmethod
    def _build(cls, config: ReviewConfig, fleet: FleetSpec, database: DatabaseSpec) -> "ReviewSpec":
        pull_request = config.pull_request
        environment = None
        if pull_request is not None:
            environment = EnvironmentSpec(
                name=naming.pr_environment_name(pull_request.number),
                kind="pr",
                owner=pull_request.author,
                purpose=pull_request.title,
                branch=pull_request.branch,
                database=database,
                variables=dict(config.review.variables),
                sleep_when_idle=config.review.sleep_when_idle,
            )
        return cls(
            fleet=fleet,
            fleet_stack=config.fleet_stack,
            fleet_stack_name=naming.stack_short_name(config.fleet_stack),
            pull_request=pull_request,
            environment=environment,
            database=database,
            database_is_default=config.review.database is None,
            allow_shared_database=config.review.allow_shared_database,
            variables=dict(config.review.variables),
            production_hosts=_production_hosts(config, fleet),
        )

    # --- what the program needs, in the fleet's terms ------------------------------------------

    @property
    def stack_name(self) -> str | None:
        """`pr-<n>`: the review stack this config is for."""
        return naming.review_stack_name(self.pull_request.number) if self.pull_request else None

    def database_source(self) -> EnvironmentSpec | None:
        """The fleet environment whose database is shared or branched; None for dedicated/external."""
        return self.fleet.environment(self.database.source) if self.database.source else None

    def variables_for(self, service: ServiceSpec) -> dict[str, str]:
        """defaults < service < stagefleet:review.variables, as FleetSpec.variables_for."""
        return self.fleet.variables_for(self._require_environment(), service)

    def supabase_branch_name(self) -> str:
        """`<prefix>-pr-<n>`: the Supabase branch of a `branch` database."""
        number = self._require_pull_request().number
        return naming.supabase_review_branch_name(self.fleet.supabase_project_prefix(), number)

    def _require_pull_request(self) -> PullRequestSpec:
        if self.pull_request is None:
            raise ValueError("no stagefleet:pullRequest: parsed as a template")
        return self.pull_request

    def _require_environment(self) -> EnvironmentSpec:
        self._require_pull_request()
        assert self.environment is not None
        return self.environment


# --- loading -----------------------------------------------------------------------------------


def is_review_stack(stack: str, mapping: Mapping[str, Any]) -> bool:
    """Whether a stack is a review stack: the template `pr`, a `pr-<n>`, or any stack whose config
    names a fleet stack."""
    short = naming.stack_short_name(stack)
    return (
        short == "pr"
        or naming.review_stack_number(stack) is not None
        or any(str(key) == "stagefleet:fleetStack" for key in mapping)
    )


def fleet_stack_of(review_mapping: Mapping[str, Any]) -> str:
    """stagefleet:fleetStack of a review stack's config; FleetConfigError when missing or wrong."""
    values, _ = namespace_values(review_mapping)
    given = {"fleetStack": values["fleetStack"]} if "fleetStack" in values else {}
    try:
        return _FleetStackOnly.model_validate(given, by_alias=True, by_name=False).fleet_stack
    except ValidationError as error:
        problems = [from_pydantic(d, _FleetStackOnly) for d in error.errors(include_url=False)]
        raise FleetConfigError([render_problem(*problem) for problem in problems]) from None


def fleet_stack_file(review_mapping: Mapping[str, Any], project_dir: str | Path) -> Path:
    """The fleet stack's file, next to the review stack's: Pulumi.<fleet stack name>.yaml."""
    name = naming.stack_short_name(fleet_stack_of(review_mapping))
    return Path(project_dir) / f"Pulumi.{name}.yaml"


def load_review_spec(
    review_mapping: Mapping[str, Any],
    project_dir: str | Path,
    *,
    require_pull_request: bool = True,
    stack_name: str | None = None,
) -> ReviewSpec:
    """The program's entry point: read the fleet stack file named by stagefleet:fleetStack from
    `project_dir`, then parse the review config against it. Every failure is a FleetConfigError
    (a fleet file that is missing or invalid is reported at stagefleet:fleetStack).

    The fleet file's secrets stay encrypted (EncryptedSecret): take what needs them from the fleet
    stack's outputs (StackReference), never from this spec."""
    path = fleet_stack_file(review_mapping, project_dir)
    fleet_stack = fleet_stack_of(review_mapping)
    try:
        fleet_config = load_stack_config(path)
    except StackFileError as error:
        raise FleetConfigError(
            [ConfigProblem("stagefleet:fleetStack", f"cannot read the fleet stack {fleet_stack}: {error}")]
        ) from None
    try:
        fleet = FleetSpec.from_config(fleet_config)
    except FleetConfigError as error:
        raise FleetConfigError(
            [
                ConfigProblem(
                    "stagefleet:fleetStack",
                    f"the fleet stack {fleet_stack} is invalid ({path.name}): {problem}",
                )
                for problem in error.problems
            ]
        ) from None
    return ReviewSpec.from_config(
        review_mapping, fleet, require_pull_request=require_pull_request, stack_name=stack_name
    )


# --- the checks --------------------------------------------------------------------------------


def default_database(fleet: FleetSpec) -> DatabaseSpec | None:
    """A Supabase branch of the fleet's first environment of kind shared (the shared staging)."""
    shared = next((env for env in fleet.environments if env.kind == "shared"), None)
    if shared is None:
        return None
    return DatabaseSpec(strategy=DEFAULT_DATABASE_STRATEGY, source=shared.name)


def _resolve_database(config: ReviewConfig, fleet: FleetSpec) -> tuple[DatabaseSpec | None, list[Finding]]:
    label = config.fleet_stack
    database = config.review.database
    inherited = database is None
    if database is None:
        database = default_database(fleet)
        if database is None:
            return None, [
                (
                    ("review", "database"),
                    f"required: the fleet stack {label} has no environment of kind shared, whose "
                    "database a pull request would branch by default",
                    "set it, e.g. {strategy: branch, source: <an environment with a dedicated database>}",
                )
            ]
    return database, list(_database_problems(config, fleet, database, inherited))


def _database_problems(
    config: ReviewConfig, fleet: FleetSpec, database: DatabaseSpec, inherited: bool
) -> list[Finding]:
    label = config.fleet_stack
    # Where to report a problem with the source: the default is not written anywhere.
    at_source = ("review", "database") if inherited else ("review", "database", "source")
    by_default = " (the default database: a branch of the fleet's first shared environment)" if inherited else ""
    strategy, source = database.strategy, database.source
    found: list[Finding] = []
    if strategy in ("shared", "branch"):
        assert source is not None  # DatabaseSpec requires it
        names = [env.name for env in fleet.environments]
        if source not in names:
            close = difflib.get_close_matches(source, names, n=1)
            found.append(
                (
                    at_source,
                    f"no environment named {quote(source)} in the fleet stack {label}",
                    f"did you mean {quote(close[0])}?" if close else None,
                )
            )
            return found
        source_database = fleet.database_for(fleet.environment(source))
        if strategy == "branch" and source_database.strategy != "dedicated":
            owner = _owner_name(fleet, source)
            owner_dedicated = owner is not None and fleet.database_for(fleet.environment(owner)).strategy == "dedicated"
            found.append(
                (
                    at_source,
                    f"environment {quote(source)} has no Supabase project to branch: its database "
                    f"strategy is {source_database.strategy}, not dedicated{by_default}",
                    f"did you mean {quote(owner)}? it owns the database {quote(source)} uses"
                    if owner_dedicated and owner != source
                    else "branch from a fleet environment with strategy dedicated, or set stagefleet:review.database",
                )
            )
        if strategy == "shared":
            if source_database.strategy == "shared":
                owner = _owner_name(fleet, source)
                advice = f"; point at {quote(owner)}, which owns it" if owner else ""
                found.append(
                    (
                        at_source,
                        f"environment {quote(source)} does not own a database "
                        f"(it shares {quote(source_database.source)}'s){advice}",
                        "name the environment that owns the database: shared sources do not chain",
                    )
                )
            elif not config.review.allow_shared_database:
                found.append(
                    (
                        ("review", "database", "strategy"),
                        "a pull request environment may not share the database of the long-lived "
                        f"environment {quote(source)}: it would write to its data",
                        f"use strategy branch (a Supabase branch of {quote(source)}'s project), or set "
                        "stagefleet:review.allowSharedDatabase: true to let every pull request use it",
                    )
                )
    if strategy == "dedicated" and (fleet.supabase is None or fleet.supabase.organization_slug is None):
        found.append(
            (
                ("review", "database", "strategy"),
                f'strategy "dedicated" needs a Supabase organization: set '
                f"stagefleet:supabase.organizationSlug in the fleet stack {label}",
                None,
            )
        )
    return found


def _owner_name(fleet: FleetSpec, name: str) -> str | None:
    try:
        return fleet.database_owner(fleet.environment(name)).name
    except (KeyError, ValueError):
        return None


def _production_hosts(config: ReviewConfig, fleet: FleetSpec) -> tuple[str, ...]:
    hosts = [*fleet.policy.production_hosts, *config.policy.production_hosts]
    return tuple(dict.fromkeys(hosts))


def _production_host_problems(config: ReviewConfig, fleet: FleetSpec, database: DatabaseSpec | None) -> list[Finding]:
    """No variable of the pull request environment, nor an external database URL, may point at a
    production host. Messages name the variable and the host, never the value."""
    hosts = _production_hosts(config, fleet)
    if not hosts:
        return []
    label = config.fleet_stack
    found: dict[tuple[Any, ...], Finding] = {}
    review_variables = config.review.variables
    for index, service in enumerate(fleet.railway.services):
        merged = {**fleet.defaults.variables, **service.variables, **review_variables}
        for name, value in merged.items():
            host = production_host_in(value, hosts)
            if host is None:
                continue
            listed = f"production host {quote(host)} (stagefleet:policy.productionHosts)"
            if name in review_variables:
                loc: tuple[Any, ...] = ("review", "variables", name)
                found[loc] = (loc, f"variable {name} points at {listed}", "use a staging host")
                continue
            if name in service.variables:
                loc = ("railway", "services", index, "variables", name)
                origin = f"service {quote(service.name)} of the fleet stack {label}"
            else:
                loc = ("defaults", "variables", name)
                origin = f"the defaults of the fleet stack {label}"
            found[loc] = (
                loc,
                f"variable {name} points at {listed}: the pull request environment inherits it from {origin}",
                f"override it for pull requests: pulumi config set --path "
                f"'stagefleet:review.variables.{name}' <a staging value>",
            )
    if database is not None and database.strategy == "external" and database.supabase_url:
        host = production_host_in(database.supabase_url, hosts)
        if host is not None:
            loc = ("review", "database", "supabaseUrl")
            found[loc] = (
                loc,
                f"points at production host {quote(host)} (stagefleet:policy.productionHosts)",
                "a pull request environment needs a staging database: use strategy branch",
            )
    return list(found.values())


def _stack_name_problems(config: ReviewConfig, stack_name: str | None) -> list[Finding]:
    pull_request = config.pull_request
    expected = naming.review_stack_number(stack_name) if stack_name else None
    if pull_request is None or expected is None or expected == pull_request.number:
        return []
    return [
        (
            ("pullRequest", "number"),
            f"is {pull_request.number}, but this is the stack of pull request #{expected} ({stack_name})",
            f"set it with: pulumi config set --path 'stagefleet:pullRequest.number' {expected}",
        )
    ]


# --- the pull request comment ------------------------------------------------------------------

COMMENT_MARKER = "<!-- stagefleet:review-stack -->"
_HIDDEN = "[secret]"  # how `pulumi stack output --json` shows a secret without --show-secrets


def render_review_comment(outputs: Mapping[str, Any], stack: str, *, ttl_days: int | None = None) -> str:
    """The pull request comment for a review stack, from `pulumi stack output --json`.

    Reads `environments.<pr-n>` (the fleet's export shape: urls, databaseUrl, databaseRef,
    branch) or the same keys at the top level. Starts with COMMENT_MARKER so the workflow
    edits its own comment in place."""
    if not isinstance(outputs, Mapping):
        raise ValueError("expected the JSON object `pulumi stack output --json` prints")
    short = naming.stack_short_name(stack)
    entry: Mapping[str, Any] = outputs
    environments = outputs.get("environments")
    if isinstance(environments, Mapping):
        chosen = environments.get(short)
        if chosen is None and len(environments) == 1:
            chosen = next(iter(environments.values()))
        if isinstance(chosen, Mapping):
            entry = chosen
    listed_urls = entry.get("urls")
    urls: Mapping[Any, Any] = listed_urls if isinstance(listed_urls, Mapping) else {}
    lines = [COMMENT_MARKER, f"### Review environment `{_code(short)}`", ""]
    shown_urls = {name: url for name, url in urls.items() if _shown(url)}
    if shown_urls:
        lines += ["| service | URL |", "| --- | --- |"]
        lines += [f"| {_cell(str(name))} | {_cell(str(url))} |" for name, url in shown_urls.items()]
    else:
        lines.append("No service URL yet: the services may still be deploying.")
    lines.append("")
    database_url, database_ref = entry.get("databaseUrl"), entry.get("databaseRef")
    database_parts = []
    if _shown(database_ref):
        database_parts.append(f"`{_code(str(database_ref))}`")
    if _shown(database_url):
        database_parts.append(_cell(str(database_url)))
    if database_parts:
        lines.append("**Database:** " + " — ".join(database_parts))
    branch = entry.get("branch")
    if _shown(branch):
        lines.append(f"**Branch:** `{_code(str(branch))}`")
    lines.append("")
    lifetime = "destroyed when the pull request is closed"
    if ttl_days is not None:
        lifetime += f", or after {ttl_days} days without a push"
    lines.append(f"Pulumi stack `{_code(stack)}`: updated on every push, {lifetime}.")
    return "\n".join(lines) + "\n"


def _shown(value: object) -> bool:
    return isinstance(value, str) and bool(value) and value != _HIDDEN


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _code(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")


__all__: Sequence[str] = [
    "COMMENT_MARKER",
    "FLEET_ONLY_KEYS",
    "PullRequestSpec",
    "ReviewConfig",
    "ReviewSettingsSpec",
    "ReviewSpec",
    "default_database",
    "fleet_stack_file",
    "fleet_stack_of",
    "is_review_stack",
    "load_review_spec",
    "render_review_comment",
]

"""The stack config's models: ServiceSpec ... FleetSpec, everything under the `stagefleet:` namespace.

`FleetSpec.from_config` is the one parser, shared by the Pulumi program and
`python -m fleet validate`, so CI rejects a bad edit with the same message `pulumi up` would
give, before anything talks to an API. It reports every problem at once, each with the config
path a DevOps engineer can paste into `pulumi config set --path`.

The models are frozen pydantic models built from the field types of fleet/config/fields.py; what
spans several keys is checked by fleet/config/references.py, and fleet/config/problems.py words
every error.
"""

import difflib
from collections.abc import Collection, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from fleet import naming
from fleet.config.fields import (
    DEFAULT_INSTANCE_SIZE,
    MAX_HEALTHCHECK_TIMEOUT_SECONDS,
    SLEEPING_KINDS,
    SOURCED_STRATEGIES,
    Amount,
    ApiUrl,
    BranchName,
    Date,
    EnvironmentKind,
    EnvironmentName,
    FlagDescription,
    FlagEnvironments,
    FlagOwner,
    FlagTargets,
    GateName,
    HealthcheckPath,
    HttpsUrl,
    InstanceSize,
    InstanceSizeKey,
    KeyName,
    LateAnswerGrace,
    OnDelete,
    OrganizationSlug,
    Price,
    ProjectPrefix,
    RailwayEnvironmentId,
    RailwayProjectId,
    RailwayServiceId,
    Region,
    Secret,
    Strategy,
    Text,
    Variables,
    WholeNumber,
)
from fleet.config.hosts import Hostname, production_host_in
from fleet.config.problems import config_error, config_error_from, from_pydantic
from fleet.config.references import cross_reference_problems, environment_names
from fleet.config.values import namespace_values
from fleet.wording import kind_of, quote

# Keys of a review stack's config (Pulumi.pr.yaml, pr-<n>): the fleet stack reports them as misplaced.
REVIEW_ONLY_KEYS = ("fleetStack", "pullRequest", "review")
DEFAULT_MAX_DEVELOPER_DAYS = 90
DEFAULT_MAX_FLAG_DAYS = 90

# Validation context key: every environment name in the config, valid or not, so a reference to
# an environment that has some other fault is not also reported as dangling.
_ENVIRONMENT_NAMES = "environment_names"


def validation_context(source_names: Collection[str] | None) -> dict[str, Any]:
    """The pydantic validation context of the models: the environment names a database's
    `source` may name, or None to leave sources unchecked (a review stack checks them against
    its fleet itself)."""
    return {_ENVIRONMENT_NAMES: source_names}


class ConfigModel(BaseModel):
    """The base of every model of a stack's config, the review stacks' included: keys in
    camelCase, no unknown key, frozen."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=True,  # Python code builds specs by attribute name; config uses aliases
        frozen=True,
        hide_input_in_errors=True,  # a ValidationError escaping elsewhere must not print secrets
    )


class ServiceSpec(ConfigModel):
    name: Text
    id: RailwayServiceId
    repository: Text
    root_directory: Text | None = None
    port: Annotated[WholeNumber, Field(ge=1, le=65535)] | None = None
    healthcheck_path: HealthcheckPath | None = None
    # Seconds Railway gives a new deployment to answer on healthcheckPath (Railway's default: 300).
    healthcheck_timeout: Annotated[WholeNumber, Field(ge=1, le=MAX_HEALTHCHECK_TIMEOUT_SECONDS)] | None = None
    variables: Variables = {}
    domain: Annotated[bool, Field(strict=True)] = True
    supabase_key: KeyName = "anon"


class RailwayPlanLimits(ConfigModel):
    """A Railway account's API limits spelled out (an Enterprise plan, or a negotiated one)."""

    per_second: Annotated[WholeNumber, Field(ge=1)]
    per_hour: Annotated[WholeNumber, Field(ge=1)]


RAILWAY_PLAN_NAMES = ("hobby", "pro")


def railway_plan(value: Any) -> Any:
    """`railway.plan` checked by its shape (a name, or the numbers), so that an error speaks of
    the one the value is meant to be rather than of both."""
    if value is None or isinstance(value, RailwayPlanLimits):
        return value
    shape = 'use "hobby", "pro" or {perSecond: N, perHour: N}'
    if isinstance(value, str):
        if value in RAILWAY_PLAN_NAMES:
            return value
        raise config_error("railway_plan", f"{quote(value)} is not a Railway plan", shape)
    if not isinstance(value, Mapping):
        raise config_error("railway_plan", f"expected a plan name or a mapping, got {kind_of(value)}", shape)
    try:
        return RailwayPlanLimits.model_validate(value, by_alias=True, by_name=False)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        at = str(first["loc"][0]) if first["loc"] else None
        message = {
            "missing": "required key is missing",
            "extra_forbidden": "unknown key: only perSecond and perHour",
            "greater_than_equal": "must be at least 1",
        }.get(first["type"], "expected a whole number")
        raise config_error("railway_plan", message, shape, at=at) from None


RailwayPlan = Annotated[Literal["hobby", "pro"] | RailwayPlanLimits, BeforeValidator(railway_plan)]


class RailwaySpec(ConfigModel):
    project_id: RailwayProjectId
    project_name: Text | None = None
    base_environment: Text | None = None
    base_environment_id: RailwayEnvironmentId
    services: list[ServiceSpec]
    # The account's plan, whose API limits the providers pace their requests by
    # (providers/limits.py holds the numbers); None: Pro's.
    plan: RailwayPlan | None = None


class MigrationsSpec(ConfigModel):
    """A command run against every database an environment owns (dedicated or branch), again
    whenever a file under `directory` changes."""

    command: Text
    directory: Text = "supabase/migrations"


class SeedSpec(ConfigModel):
    """A command run once against each new database an environment owns."""

    command: Text


class SupabaseSpec(ConfigModel):
    # Required (by FleetSpec.from_config) as soon as an environment's database is dedicated or a
    # branch; a fleet of shared and external databases needs no Supabase account.
    organization_slug: OrganizationSlug | None = None
    # None: the Management API picks the region.
    region: Region | None = None
    instance_size: InstanceSize = DEFAULT_INSTANCE_SIZE
    # The compute of a branch database (strategy branch, and review stacks' branches). None:
    # Supabase's default for a branch (micro).
    branch_instance_size: InstanceSize | None = None
    # None: railway.projectName, else "stagefleet" (see FleetSpec.supabase_project_prefix).
    project_prefix: ProjectPrefix | None = None
    readiness_deadline_seconds: Annotated[WholeNumber, Field(gt=0)] = 600
    migrations: MigrationsSpec | None = None
    seed: SeedSpec | None = None


class DatabaseSpec(ConfigModel):
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
        if strategy not in SOURCED_STRATEGIES:
            if source is not None:
                raise config_error("unused", f"only used with strategy shared or branch, not {strategy}")
            return source
        if source is None:
            raise config_error(
                "required",
                f"required for strategy {strategy}",
                hint="name the environment whose database to use",
            )
        names = (info.context or {}).get(_ENVIRONMENT_NAMES)
        if names is not None and source not in names:
            close = difflib.get_close_matches(source, sorted(names), n=1)
            raise config_error(
                "unknown_environment",
                f"no environment named {quote(source)}",
                hint=f"did you mean {quote(close[0])}?" if close else None,
            )
        return source

    @field_validator("supabase_url", "supabase_key")
    @classmethod
    def _external_needs_connection(cls, value: object, info: ValidationInfo) -> object:
        strategy = info.data.get("strategy")
        if strategy is None:
            return value
        if strategy != "external" and value is not None:
            raise config_error("unused", f"only used with strategy external, not {strategy}")
        if strategy == "external" and value is None:
            hint = (
                "the project URL, e.g. https://<project-ref>.supabase.co"
                if info.field_name == "supabase_url"
                else "set it with: pulumi config set --secret --path '{path}' <service role key>"
            )
            raise config_error("required", "required for strategy external", hint=hint)
        return value

    @field_validator("instance_size", "with_data")
    @classmethod
    def _only_for_its_strategy(cls, value: object, info: ValidationInfo) -> object:
        # Validated only when given: then it must fit the strategy, whatever its value.
        strategy = info.data.get("strategy")
        wanted = "dedicated" if info.field_name == "instance_size" else "branch"
        if value is not None and strategy is not None and strategy != wanted:
            raise config_error("unused", f"only used with strategy {wanted}, not {strategy}")
        return value


def _no_database() -> DatabaseSpec:
    # Neither the environment nor the defaults name a database: interfaces.md says that means
    # "external" with nothing given. Built without validation, which would demand a URL.
    return DatabaseSpec.model_construct(strategy="external")


class DefaultsSpec(ConfigModel):
    variables: Variables = {}
    database: DatabaseSpec = Field(default_factory=_no_database)
    token_rotation_days: Annotated[WholeNumber, Field(gt=0)] = 90


class LimitsSpec(ConfigModel):
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
    "nano": 0,
    "micro": 10,
    "small": 15,
    "medium": 60,
    "large": 110,
    "xlarge": 210,
    "2xlarge": 410,
    "4xlarge": 960,
    "8xlarge": 1870,
    "12xlarge": 2800,
    "16xlarge": 3730,
}
# The team's own figure for one long-lived Railway environment a month.
DEFAULT_RAILWAY_PER_ENVIRONMENT_USD = 20
# A Supabase branch runs on micro compute: $0.01344 an hour, about $0.32 a day.
DEFAULT_SUPABASE_BRANCH_PER_DAY_USD = 0.32


class PricesSpec(ConfigModel):
    """stagefleet:prices: what the cost estimate charges, in USD. Every key is optional; a
    supabaseComputeUsd entry replaces the default of its size only."""

    # A month of one environment of the fleet stack (kinds shared, team, developer); review
    # stacks are charged the same rate by the hour.
    railway_per_long_lived_environment_usd: Price = DEFAULT_RAILWAY_PER_ENVIRONMENT_USD
    # A month of a dedicated database (a Supabase project), per instance size.
    supabase_compute_usd: dict[InstanceSizeKey, Price] = {}
    # A day of a Supabase branch (strategy branch).
    supabase_branch_per_day_usd: Price = DEFAULT_SUPABASE_BRANCH_PER_DAY_USD

    def compute_usd(self, instance_size: str) -> float | None:
        """The monthly price of a dedicated database of this size; None when nobody knows it."""
        if instance_size in self.supabase_compute_usd:
            return self.supabase_compute_usd[instance_size]
        return DEFAULT_SUPABASE_COMPUTE_USD.get(instance_size)


class PolicySpec(ConfigModel):
    # No pull request environment may have a variable pointing at one of these hosts (or their
    # subdomains): a preview must never write to production.
    production_hosts: list[Hostname] = []

    def production_host_in(self, value: str) -> str | None:
        return production_host_in(value, self.production_hosts)


class EnvironmentSpec(ConfigModel):
    # name and kind come first: the validators below read them from info.data.
    name: EnvironmentName
    kind: EnvironmentKind
    owner: Text | None = Field(None, validate_default=True)
    purpose: Text | None = None
    branch: BranchName
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
            raise config_error(
                "required",
                "required for developer environments",
                hint="who to ask before it is changed or deleted, e.g. alice@gatewayz.ai",
            )
        return owner

    @field_validator("database")
    @classmethod
    def _not_its_own_source(cls, database: DatabaseSpec | None, info: ValidationInfo) -> DatabaseSpec | None:
        name = info.data.get("name")
        if database is not None and name is not None and database.source == name:
            raise config_error(
                "own_source",
                f"environment {quote(name)} cannot use its own database as the source",
                hint="name another environment, or use strategy dedicated",
                at="source",
            )
        return database


DEFAULT_FLAG_ENVIRONMENTS = ("staging",)


class FeatureFlagSpec(ConfigModel):
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
        raise config_error(
            "flag_description",
            f"has {len(description.strip())} characters; at most {room} fit: Statsig allows "
            f"{naming.STATSIG_DESCRIPTION_LIMIT} and stagefleet appends {quote(' ' + added)}",
        )

    @property
    def gate_id(self) -> str:
        return naming.statsig_gate_id(self.name)

    @property
    def emails(self) -> list[str]:
        """The enabledFor entries that are email addresses, in config order."""
        return [entry for entry in self.enabled_for if naming.is_email(entry)]

    @property
    def user_ids(self) -> list[str]:
        """The other enabledFor entries: user ids, in config order."""
        return [entry for entry in self.enabled_for if not naming.is_email(entry)]


class StatsigSpec(ConfigModel):
    # What happens to the gate of a flag removed from the config (or of a stack destroyed):
    # "delete" removes it; "archive" keeps it, and its history, archived in the Statsig console.
    on_delete: OnDelete = "delete"


class FleetSpec(ConfigModel):
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
    # Read by the providers (providers.settings); None: their default.
    late_answer_grace: LateAnswerGrace | None = None

    @classmethod
    def from_config(cls, mapping: Mapping[str, Any]) -> "FleetSpec":
        """Parse a Pulumi stack config mapping (`{"stagefleet:railway": {...} or JSON, ...}`).

        Raises FleetConfigError listing every problem found, not just the first."""
        values, found = namespace_values(mapping)
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
        names = None if ("environments",) in undecodable else environment_names(values)
        spec = None
        try:
            spec = cls.model_validate(
                values,
                context=validation_context(names),
                by_alias=True,
                by_name=False,  # the stack file spells keys in camelCase only
            )
        except ValidationError as error:
            details = error.errors(include_url=False)
            found += [from_pydantic(d, FleetSpec) for d in details if d["loc"][:1] not in undecodable]
        found += cross_reference_problems(values, undecodable)
        if found:
            raise config_error_from(found, FLEET_KEY_ORDER)
        assert spec is not None
        return spec

    def environment(self, name: str) -> EnvironmentSpec:
        for environment in self.environments:
            if environment.name == name:
                return environment
        raise KeyError(f"no environment named {quote(name)}")

    def feature_flag(self, name: str) -> FeatureFlagSpec:
        for flag in self.feature_flags:
            if flag.name == name:
                return flag
        raise KeyError(f"no feature flag named {quote(name)}")

    def database_for(self, env: EnvironmentSpec) -> DatabaseSpec:
        return env.database or self.defaults.database

    def database_owner(self, env: EnvironmentSpec) -> EnvironmentSpec:
        """The environment that owns the database `env` uses, following `shared` sources."""
        visited = {env.name}
        while (database := self.database_for(env)).strategy == "shared":
            env = self.environment(str(database.source))
            if env.name in visited:
                raise ValueError(f"database sources form a cycle through {quote(env.name)}")
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

    def branch_instance_size_for(self, env: EnvironmentSpec) -> str | None:
        """The compute size of the environment's Supabase branch: its own instanceSize when its
        config has one, else stagefleet:supabase.branchInstanceSize; None: Supabase's default."""
        own = self.database_for(env).instance_size
        if own is not None:
            return own
        return self.supabase.branch_instance_size if self.supabase is not None else None


# The fleet stack's top-level keys in the order problems are reported: the order of FleetSpec's fields.
FLEET_KEY_ORDER: tuple[str, ...] = tuple(str(field.alias) for field in FleetSpec.model_fields.values())

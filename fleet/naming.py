"""Every naming rule of stagefleet, in one place: the names it gives what it creates (Railway
environments, Supabase projects and branches, tokens, Statsig gates, review stacks) and the names
it accepts that more than one layer checks (environment names, a gate's id and description, the
email addresses and user ids a feature flag targets).

The config model, the providers, the sandbox emulators and the janitor all import this module, so
it imports only the standard library: `import fleet.naming` must stay cheap and pull in neither
pydantic nor the config model (tests/unit/test_naming.py checks it in a fresh interpreter).
"""

import re

# --- environments ----------------------------------------------------------------------------

# A fleet environment's name: it becomes part of a Railway environment name, a Supabase project
# name and a token prefix, so it is short, lowercase and DNS-friendly.
ENVIRONMENT_NAME_MAX = 31
ENVIRONMENT_NAME = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{ENVIRONMENT_NAME_MAX - 1}}}")


def is_environment_name(name: str) -> bool:
    return ENVIRONMENT_NAME.fullmatch(name) is not None


def railway_environment_name(env_name: str) -> str:
    return f"staging-{env_name}"


def pr_environment_name(pr_number: int) -> str:
    """Review stacks get one environment per pull request."""
    return f"pr-{pr_number}"


def fleet_environment_of(railway_name: str) -> str | None:
    """`staging-dev1-alice` -> `dev1-alice`: the fleet environment a Railway environment name
    stands for; None for a name railway_environment_name cannot produce."""
    rest = railway_name.removeprefix("staging-")
    return rest if rest != railway_name and is_environment_name(rest) else None


def pr_environment_number(railway_name: str) -> int | None:
    """`pr-12` -> 12: the pull request of a review stack's environment name; None for any other
    name (`pr-012`, `pr-12-old`)."""
    match = _REVIEW_STACK.fullmatch(railway_name)
    return int(match.group(1)) if match else None


def is_stagefleet_railway_environment(railway_name: str) -> bool:
    """Whether stagefleet could have made a Railway environment of this name: `staging-<name>`
    or `pr-<n>`. `production`, `staging` or `my-app` are never ours."""
    return fleet_environment_of(railway_name) is not None or pr_environment_number(railway_name) is not None


# --- stacks ----------------------------------------------------------------------------------


def review_stack_name(pr_number: int) -> str:
    """The Pulumi stack of a pull request's review environment (its Pulumi.<name>.yaml is made
    from the template Pulumi.pr.yaml)."""
    return f"pr-{pr_number}"


# Exactly what review_stack_name produces: no leading zero, nothing around it.
_REVIEW_STACK = re.compile(r"pr-([1-9][0-9]*)")


def review_stack_number(stack: str) -> int | None:
    """The pull request number of a review stack name, short (`pr-12`) or fully qualified
    (`organization/stagefleet/pr-12`); None for any other stack. The janitor touches only stacks
    for which this is not None."""
    match = _REVIEW_STACK.fullmatch(stack.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else None


def stack_short_name(stack: str) -> str:
    """`organization/stagefleet/staging` -> `staging`: the part naming Pulumi.<stack>.yaml."""
    return stack.rsplit("/", 1)[-1]


# --- tokens ----------------------------------------------------------------------------------


def access_token_prefix(env_name: str) -> str:
    # Underscore-separated so the token's origin is readable and the prefix cannot be confused
    # with a Railway environment name.
    return f"staging_{env_name}"


# --- Supabase --------------------------------------------------------------------------------

DEFAULT_SUPABASE_PROJECT_PREFIX = "stagefleet"


def supabase_project_prefix(configured: str | None, railway_project_name: str | None) -> str:
    """The first part of every Supabase project name: stagefleet:supabase.projectPrefix, else the
    Railway project's name, else "stagefleet"."""
    return configured or railway_project_name or DEFAULT_SUPABASE_PROJECT_PREFIX


def supabase_project_name(project_prefix: str, env_name: str) -> str:
    """Supabase project of a dedicated database, or name of a branch: `<prefix>-staging-<name>`."""
    return f"{project_prefix}-staging-{env_name}"


# The Management API's limit on a project's `name`. A prefix may be as long as leaves room for
# the longest environment name.
SUPABASE_PROJECT_NAME_LIMIT = 256
SUPABASE_PROJECT_PREFIX_LIMIT = SUPABASE_PROJECT_NAME_LIMIT - len(supabase_project_name("", "")) - ENVIRONMENT_NAME_MAX


def supabase_review_branch_name(project_prefix: str, pr_number: int) -> str:
    """Supabase branch of a review stack's database: `<prefix>-pr-<n>` (no `staging`: it belongs
    to the pull request, not to the fleet)."""
    return f"{project_prefix}-{pr_environment_name(pr_number)}"


def is_stagefleet_supabase_name(project_prefix: str, name: str) -> bool:
    """Whether stagefleet could have given a Supabase project or branch this name:
    `<prefix>-staging-<environment>` (a review stack's dedicated project is
    `<prefix>-staging-pr-<n>`) or `<prefix>-pr-<n>` (a review stack's branch)."""
    rest = _after_prefix(project_prefix, name)
    if rest is None:
        return False
    return fleet_environment_of(rest) is not None or pr_environment_number(rest) is not None


def supabase_name_pr_number(project_prefix: str, name: str) -> int | None:
    """The pull request a Supabase project or branch name belongs to: `<prefix>-pr-<n>` and
    `<prefix>-staging-pr-<n>` -> n; None for the fleet's own names and for names not ours."""
    rest = _after_prefix(project_prefix, name)
    if rest is None:
        return None
    environment = fleet_environment_of(rest)
    return pr_environment_number(environment if environment is not None else rest)


def _after_prefix(project_prefix: str, name: str) -> str | None:
    head = f"{project_prefix}-"
    return name[len(head) :] if project_prefix and name.startswith(head) else None


# --- Statsig gates ---------------------------------------------------------------------------


def statsig_gate_id(gate_name: str) -> str:
    """The id Statsig derives from a gate's name: lowercased, spaces as "_" ("Payments V2" ->
    "payments_v2").

    Nothing is stripped: that is Statsig's rule, and the sandbox emulates Statsig. stagefleet
    itself never sends a name with a space at either end (the config model and the Gate provider
    refuse one), so its ids never start or end with "_". Two flags whose ids collide would be one
    gate, so the config model rejects them."""
    return gate_name.lower().replace(" ", "_")


def feature_flag_resource_name(gate_name: str) -> str:
    """The Pulumi logical name of a flag's gate: `flag-<gate id>`."""
    return f"flag-{statsig_gate_id(gate_name)}"


# Every gate's description ends with this marker: it marks the gates stagefleet may adopt and
# manage. Statsig allows descriptions of at most 1000 characters, all of it included.
STATSIG_MANAGED_MARKER = "[managed by stagefleet]"
STATSIG_DESCRIPTION_LIMIT = 1000


def statsig_gate_description(description: str, owner: str | None) -> str:
    """The description a flag's gate gets: the flag's, "(owner: <owner>)", then the marker.

    The Gate provider writes exactly this, and the config model measures it to tell when a
    description cannot fit."""
    owner = owner.strip() if owner else None
    parts = [part for part in (description.strip(), f"(owner: {owner})" if owner else "") if part]
    return " ".join([*parts, STATSIG_MANAGED_MARKER])


def is_managed_gate_description(description: str) -> bool:
    """Whether a gate's description marks it as stagefleet's: it ends with the marker (trailing
    white space aside), as statsig_gate_description writes it. A gate whose description only
    mentions the marker somewhere else is not ours."""
    return description.rstrip().endswith(STATSIG_MANAGED_MARKER)


# --- whom a feature flag is enabled for --------------------------------------------------------

# An entry with "@" is an email address (the gate's `email` condition), any other a user id (its
# `user_id` condition).
EMAIL_ADDRESS_MAX = 254
_EMAIL_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# At most EMAIL_ADDRESS_MAX characters (the lookahead), a local part of RFC 5322's atom
# characters and dots, and a domain of at least two DNS labels.
EMAIL_ADDRESS = re.compile(
    rf"(?=.{{1,{EMAIL_ADDRESS_MAX}}}\Z)"
    rf"[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+"
)
USER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


def is_email(entry: str) -> bool:
    """Whether an enabledFor entry is meant as an email address (rather than a user id)."""
    return "@" in entry


def is_email_address(text: str) -> bool:
    return EMAIL_ADDRESS.fullmatch(text) is not None


def is_user_id(text: str) -> bool:
    return USER_ID.fullmatch(text) is not None


def flag_target_key(entry: str) -> str:
    """What makes two enabledFor entries the same: email addresses compare without case; user ids
    are the application's own and keep theirs."""
    return entry.lower() if is_email(entry) else entry

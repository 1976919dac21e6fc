"""How stagefleet names what it creates, in one place so the program, the catalog and the janitor
agree on which Railway environments, Supabase projects and tokens belong to which entry."""

import re


def railway_environment_name(env_name: str) -> str:
    return f"staging-{env_name}"


def pr_environment_name(pr_number: int) -> str:
    """Review stacks get one environment per pull request."""
    return f"pr-{pr_number}"


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


def access_token_prefix(env_name: str) -> str:
    # Underscore-separated so the token's origin is readable and the prefix cannot be confused
    # with a Railway environment name.
    return f"staging_{env_name}"


DEFAULT_SUPABASE_PROJECT_PREFIX = "stagefleet"


def supabase_project_prefix(configured: str | None, railway_project_name: str | None) -> str:
    """The first part of every Supabase project name: stagefleet:supabase.projectPrefix, else the
    Railway project's name, else "stagefleet"."""
    return configured or railway_project_name or DEFAULT_SUPABASE_PROJECT_PREFIX


def supabase_project_name(project_prefix: str, env_name: str) -> str:
    """Supabase project of a dedicated database, or name of a branch: `<prefix>-staging-<name>`."""
    return f"{project_prefix}-staging-{env_name}"


def supabase_review_branch_name(project_prefix: str, pr_number: int) -> str:
    """Supabase branch of a review stack's database: `<prefix>-pr-<n>` (no `staging`: it belongs
    to the pull request, not to the fleet)."""
    return f"{project_prefix}-{pr_environment_name(pr_number)}"


# Statsig derives a gate's id from its name: lowercased, spaces as "_" ("Payments V2" ->
# "payments_v2"). Two flags whose ids collide would be one gate, so the config model rejects them.
def statsig_gate_id(gate_name: str) -> str:
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

    What providers/statsig/gate.py writes (gate_description); tests/unit/test_feature_flags_config.py
    checks that the two agree, so the config model can tell when a description cannot fit."""
    owner = owner.strip() if owner else None
    parts = [part for part in (description.strip(), f"(owner: {owner})" if owner else "") if part]
    return " ".join([*parts, STATSIG_MANAGED_MARKER])

"""How stagefleet names what it creates, in one place so the program, the catalog and the janitor
agree on which Railway environments, Supabase projects and tokens belong to which entry."""


def railway_environment_name(env_name: str) -> str:
    return f"staging-{env_name}"


def pr_environment_name(pr_number: int) -> str:
    """Review stacks get one environment per pull request."""
    return f"pr-{pr_number}"


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

from fleet.naming import (
    access_token_prefix,
    pr_environment_name,
    railway_environment_name,
    supabase_project_name,
    supabase_project_prefix,
)


def test_railway_environment_is_named_after_the_fleet_entry():
    assert railway_environment_name("dev1-alice") == "staging-dev1-alice"


def test_review_stack_environment_is_named_after_the_pull_request():
    assert pr_environment_name(42) == "pr-42"


def test_access_token_prefix_names_the_environment():
    assert access_token_prefix("dev1-alice") == "staging_dev1-alice"


def test_supabase_project_is_named_after_project_and_environment():
    assert supabase_project_name("gatewayz", "dev1-alice") == "gatewayz-staging-dev1-alice"


def test_supabase_project_prefix_prefers_the_configured_prefix():
    assert supabase_project_prefix("gw", "gatewayz") == "gw"


def test_supabase_project_prefix_falls_back_to_the_railway_project_then_stagefleet():
    assert supabase_project_prefix(None, "gatewayz") == "gatewayz"
    assert supabase_project_prefix(None, None) == "stagefleet"

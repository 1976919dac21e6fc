import subprocess
import sys
from pathlib import Path

import pytest

from fleet import naming
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


# --- fleet.naming is importable on its own ------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
OUR_PACKAGES = {"fleet", "providers", "components", "sandbox", "bench", "programs", "harness", "tests"}


def _modules_loaded_by(statement: str) -> list[str]:
    """The modules a fresh interpreter loads to run `statement`, beyond those it starts with."""
    code = f"import sys; before = set(sys.modules); {statement}; print(*sorted(set(sys.modules) - before))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout.split()


def _ours(modules: list[str]) -> list[str]:
    return [name for name in modules if name.split(".")[0] in OUR_PACKAGES]


def _third_party(modules: list[str]) -> list[str]:
    return [name for name in modules if name.split(".")[0] not in {*OUR_PACKAGES, *sys.stdlib_module_names}]


def test_importing_fleet_naming_loads_the_standard_library_only():
    loaded = _modules_loaded_by("import fleet.naming")

    assert _ours(loaded) == ["fleet", "fleet.naming"]
    assert _third_party(loaded) == []


def test_the_fleet_package_imports_its_model_on_first_use_only():
    loaded = _modules_loaded_by("import fleet")
    assert (_ours(loaded), _third_party(loaded)) == (["fleet"], [])

    loaded = _modules_loaded_by("from fleet import FleetSpec, ReviewSpec")
    assert {"fleet.config", "fleet.review", "pydantic"} <= set(loaded)


def test_every_name_the_fleet_package_offers_is_there():
    import fleet

    for name in fleet.__all__:
        assert getattr(fleet, name).__name__ == name
    with pytest.raises(AttributeError):
        fleet.NoSuchSpec  # noqa: B018


# --- whom a feature flag is enabled for ---------------------------------------------------------


def _address(length: int) -> str:
    """A valid-looking email address of exactly `length` characters (at least 140)."""
    local, labels = "a" * 64, ["b" * 63, "c" * 63]
    last = length - len(local) - 1 - sum(len(label) + 1 for label in labels) - len(".io")
    return f"{local}@{'.'.join([*labels, 'd' * last])}.io"


def test_an_email_address_has_at_most_254_characters():
    assert len(_address(254)) == 254 and naming.is_email_address(_address(254))
    assert not naming.is_email_address(_address(255))


@pytest.mark.parametrize(
    "text", ["alice@gatewayz", "alice@@gatewayz.ai", "al ice@gatewayz.ai", "alice@-x.ai", "alice@x.ai\n"]
)
def test_what_is_no_email_address(text):
    assert naming.is_email(text) and not naming.is_email_address(text)


def test_entries_without_an_at_sign_are_user_ids():
    assert not naming.is_email("user_4821") and naming.is_user_id("user_4821") and naming.is_user_id("qa:bot-1")
    assert not naming.is_user_id("user 4821") and not naming.is_user_id("u" * 129)


def test_email_addresses_are_the_same_target_whatever_their_case_user_ids_are_not():
    assert naming.flag_target_key("Charlie@GatewayZ.ai") == naming.flag_target_key("charlie@gatewayz.ai")
    assert naming.flag_target_key("User_1") != naming.flag_target_key("user_1")


def test_environment_names_are_short_lowercase_and_dns_friendly():
    assert naming.is_environment_name("dev1-alice") and naming.is_environment_name("a" * 31)
    for name in ("a" * 32, "-main", "Main", "dev_1", ""):
        assert not naming.is_environment_name(name)


def test_a_supabase_project_prefix_leaves_room_for_the_longest_environment_name():
    longest = naming.supabase_project_name(
        "p" * naming.SUPABASE_PROJECT_PREFIX_LIMIT, "e" * naming.ENVIRONMENT_NAME_MAX
    )
    assert len(longest) == naming.SUPABASE_PROJECT_NAME_LIMIT


# --- which live objects look like stagefleet's (fleet orphans) -----------------------------------


@pytest.mark.parametrize(
    ("name", "environment", "number"),
    [
        ("staging-dev1-alice", "dev1-alice", None),
        ("staging-main", "main", None),
        ("pr-12", None, 12),
        ("pr-1", None, 1),
    ],
)
def test_railway_names_stagefleet_gives_are_recognised(name, environment, number):
    assert naming.fleet_environment_of(name) == environment
    assert naming.pr_environment_number(name) == number
    assert naming.is_stagefleet_railway_environment(name)


@pytest.mark.parametrize(
    "name",
    [
        "production",
        "staging",
        "staging-",
        "my-app",
        "pr-",
        "pr-012",
        "pr-12-old",
        "Staging-main",
        "staging-Main",
        "staging-a_b",
        "preview-pr-12",
        f"staging-{'a' * 32}",
    ],
)
def test_railway_names_stagefleet_never_gives_are_not_ours(name):
    assert not naming.is_stagefleet_railway_environment(name)
    assert naming.pr_environment_number(name) is None


def test_the_recognised_names_are_exactly_those_the_naming_rules_produce():
    assert naming.fleet_environment_of(naming.railway_environment_name("dev2-bob")) == "dev2-bob"
    assert naming.pr_environment_number(naming.pr_environment_name(41)) == 41
    assert naming.is_stagefleet_supabase_name("gw", naming.supabase_project_name("gw", "main"))
    assert naming.supabase_name_pr_number("gw", naming.supabase_review_branch_name("gw", 7)) == 7


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("gatewayz-staging-main", None),
        ("gatewayz-staging-dev1-alice", None),
        ("gatewayz-pr-14", 14),  # a review stack's branch
        ("gatewayz-staging-pr-14", 14),  # a review stack's dedicated project
    ],
)
def test_supabase_names_stagefleet_gives_are_recognised(name, number):
    assert naming.is_stagefleet_supabase_name("gatewayz", name)
    assert naming.supabase_name_pr_number("gatewayz", name) == number


@pytest.mark.parametrize(
    "name",
    [
        "gatewayz",
        "gatewayz-production",
        "my-app",
        "other-staging-main",
        "gatewayz-staging-",
        "gatewayz-pr-014",
        "gatewayzstaging-main",
        "gatewayz-staging-Main",
        "main",
    ],
)
def test_supabase_names_stagefleet_never_gives_are_not_ours(name):
    assert not naming.is_stagefleet_supabase_name("gatewayz", name)
    assert naming.supabase_name_pr_number("gatewayz", name) is None


def test_a_supabase_name_is_ours_only_under_the_fleets_prefix():
    assert not naming.is_stagefleet_supabase_name("", "-staging-main")
    assert not naming.is_stagefleet_supabase_name("gw", "gatewayz-staging-main")


@pytest.mark.parametrize(
    ("description", "managed"),
    [
        (naming.statsig_gate_description("Checkout v3", "alice@gatewayz.ai"), True),
        ("[managed by stagefleet]", True),
        ("Checkout [managed by stagefleet]  \n", True),
        ("Checkout v3", False),
        ("[managed by stagefleet] then edited by hand", False),
        ("", False),
    ],
)
def test_a_gate_is_stagefleets_when_its_description_ends_with_the_marker(description, managed):
    assert naming.is_managed_gate_description(description) is managed

import subprocess
import sys
from pathlib import Path

import pytest

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

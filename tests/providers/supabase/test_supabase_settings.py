"""providers/settings.py, Supabase side: where the access token and API URL come from."""

from __future__ import annotations

import pickle

import pytest
from pulumi.dynamic import Config

from providers import settings
from providers.settings import SettingsError, SupabaseSettings, railway_settings, supabase_settings

TOKEN = "sbp_cfg_token_77aa"


def configure(values: dict[str, str]) -> None:
    settings.configure(Config(values, project_name="stagefleet"))


def test_stack_config_supplies_token_and_url() -> None:
    configure({"stagefleet:supabaseAccessToken": TOKEN, "stagefleet:supabaseApiUrl": "http://127.0.0.1:9"})
    assert supabase_settings() == SupabaseSettings(TOKEN, "http://127.0.0.1:9")


def test_environment_variables_are_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "sbp_env")
    monkeypatch.setenv("SUPABASE_API_URL", "http://127.0.0.1:8")
    assert supabase_settings() == SupabaseSettings("sbp_env", "http://127.0.0.1:8")


def test_stack_config_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "sbp_env")
    configure({"stagefleet:supabaseAccessToken": TOKEN})
    assert supabase_settings().token == TOKEN


def test_a_blank_stack_config_token_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "sbp_env")
    configure({"stagefleet:supabaseAccessToken": " "})
    assert supabase_settings().token == "sbp_env"


def test_the_default_url_is_the_management_api() -> None:
    configure({"stagefleet:supabaseAccessToken": TOKEN})
    assert supabase_settings().api_url == "https://api.supabase.com"


@pytest.mark.parametrize(
    "given", ["https://api.supabase.com/", "https://api.supabase.com/v1", "https://api.supabase.com/v1/"]
)
def test_the_url_is_normalised_to_the_api_root(given: str) -> None:
    configure({"stagefleet:supabaseAccessToken": TOKEN, "stagefleet:supabaseApiUrl": given})
    assert supabase_settings().api_url == "https://api.supabase.com"


def test_a_missing_token_names_the_stack_config_key_and_the_environment_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        supabase_settings()
    assert "stagefleet:supabaseAccessToken" in str(caught.value)
    assert "SUPABASE_ACCESS_TOKEN" in str(caught.value)


def test_a_blank_token_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "")
    with pytest.raises(SettingsError):
        supabase_settings()


def test_supabase_and_railway_settings_do_not_mix() -> None:
    configure({"stagefleet:supabaseAccessToken": TOKEN, "stagefleet:railwayToken": "rw-token"})
    assert supabase_settings().token == TOKEN
    assert railway_settings().token == "rw-token"


def test_railway_settings_need_no_supabase_token() -> None:
    configure({"stagefleet:railwayToken": "rw-token"})
    assert railway_settings().token == "rw-token"
    with pytest.raises(SettingsError, match="Supabase"):
        supabase_settings()


def test_settings_repr_hides_the_token() -> None:
    assert TOKEN not in repr(SupabaseSettings(TOKEN))


def test_settings_refuse_to_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(SupabaseSettings(TOKEN))

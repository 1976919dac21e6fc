"""providers/settings.py, Statsig side: where the Console API key and API URL come from."""

from __future__ import annotations

import pickle

import pytest
from pulumi.dynamic import Config

from providers import settings
from providers.settings import SettingsError, StatsigSettings, railway_settings, statsig_settings, supabase_settings

KEY = "console-cfg-key-3a7f"


def configure(values: dict[str, str]) -> None:
    settings.configure(Config(values, project_name="stagefleet"))


def test_stack_config_supplies_key_and_url() -> None:
    configure({"stagefleet:statsigConsoleKey": KEY, "stagefleet:statsigApiUrl": "http://127.0.0.1:9"})
    assert statsig_settings() == StatsigSettings(KEY, "http://127.0.0.1:9")


def test_environment_variables_are_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATSIG_CONSOLE_API_KEY", "console-env")
    monkeypatch.setenv("STATSIG_API_URL", "http://127.0.0.1:8")
    assert statsig_settings() == StatsigSettings("console-env", "http://127.0.0.1:8")


def test_stack_config_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATSIG_CONSOLE_API_KEY", "console-env")
    configure({"stagefleet:statsigConsoleKey": KEY})
    assert statsig_settings().api_key == KEY


def test_a_blank_stack_config_key_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATSIG_CONSOLE_API_KEY", "console-env")
    configure({"stagefleet:statsigConsoleKey": "  "})
    assert statsig_settings().api_key == "console-env"


def test_the_default_url_is_the_console_api() -> None:
    configure({"stagefleet:statsigConsoleKey": KEY})
    assert statsig_settings().api_url == "https://statsigapi.net"


@pytest.mark.parametrize(
    "given", ["https://statsigapi.net/", "https://statsigapi.net/console/v1", "https://statsigapi.net/console/v1/"]
)
def test_the_url_is_normalised_to_the_api_root(given: str) -> None:
    configure({"stagefleet:statsigConsoleKey": KEY, "stagefleet:statsigApiUrl": given})
    assert statsig_settings().api_url == "https://statsigapi.net"


def test_a_missing_key_names_the_stack_config_key_and_the_environment_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        statsig_settings()
    assert "stagefleet:statsigConsoleKey" in str(caught.value)
    assert "STATSIG_CONSOLE_API_KEY" in str(caught.value)


def test_a_blank_key_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATSIG_CONSOLE_API_KEY", "")
    with pytest.raises(SettingsError):
        statsig_settings()


def test_statsig_settings_do_not_mix_with_the_others() -> None:
    configure(
        {
            "stagefleet:statsigConsoleKey": KEY,
            "stagefleet:railwayToken": "rw-token",
            "stagefleet:supabaseAccessToken": "sbp-token",
        }
    )
    assert statsig_settings().api_key == KEY
    assert railway_settings().token == "rw-token"
    assert supabase_settings().token == "sbp-token"


def test_the_others_need_no_statsig_key() -> None:
    configure({"stagefleet:railwayToken": "rw-token"})
    assert railway_settings().token == "rw-token"
    with pytest.raises(SettingsError, match="Statsig"):
        statsig_settings()


def test_settings_repr_hides_the_key() -> None:
    assert KEY not in repr(StatsigSettings(KEY))


def test_settings_refuse_to_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(StatsigSettings(KEY))

"""providers/settings.py: where the Railway token and URL come from, and when a missing one fails."""

from __future__ import annotations

import pickle

import pytest
from pulumi.dynamic import Config

from providers import settings
from providers.settings import RailwaySettings, SettingsError, railway_settings, with_source_param

TOKEN = "cfg-token-91ab"


def configure(values: dict[str, str]) -> None:
    settings.configure(Config(values, project_name="stagefleet"))


def test_stack_config_supplies_token_and_url() -> None:
    configure({"stagefleet:railwayToken": TOKEN, "stagefleet:railwayApiUrl": "http://127.0.0.1:9/graphql/v2"})
    assert railway_settings() == RailwaySettings(TOKEN, "http://127.0.0.1:9/graphql/v2?source=stagefleet")


def test_environment_variables_are_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAILWAY_API_TOKEN", "env-token")
    monkeypatch.setenv("RAILWAY_API_URL", "http://127.0.0.1:8/graphql/v2")
    assert railway_settings() == RailwaySettings("env-token", "http://127.0.0.1:8/graphql/v2?source=stagefleet")


def test_stack_config_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAILWAY_API_TOKEN", "env-token")
    configure({"stagefleet:railwayToken": TOKEN})
    assert railway_settings().token == TOKEN


def test_a_blank_stack_config_token_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAILWAY_API_TOKEN", "env-token")
    configure({"stagefleet:railwayToken": "  "})
    assert railway_settings().token == "env-token"


def test_the_default_url_is_railways_public_api_with_the_source_parameter() -> None:
    configure({"stagefleet:railwayToken": TOKEN})
    assert railway_settings().api_url == "https://backboard.railway.com/graphql/v2?source=stagefleet"


def test_the_source_parameter_is_merged_into_an_existing_query_string() -> None:
    assert with_source_param("https://example.test/graphql/v2?region=eu") == (
        "https://example.test/graphql/v2?region=eu&source=stagefleet"
    )


def test_the_source_parameter_is_not_duplicated() -> None:
    url = "https://example.test/graphql/v2?source=stagefleet"
    assert with_source_param(url) == url


def test_a_missing_token_names_the_stack_config_key_and_the_environment_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        railway_settings()
    assert "stagefleet:railwayToken" in str(caught.value)
    assert "RAILWAY_API_TOKEN" in str(caught.value)


def test_a_blank_token_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAILWAY_API_TOKEN", "")
    with pytest.raises(SettingsError):
        railway_settings()


def test_configure_accepts_a_plain_mapping() -> None:
    settings.configure({"stagefleet:railwayToken": TOKEN})
    assert railway_settings().token == TOKEN


def test_settings_repr_hides_the_token() -> None:
    assert TOKEN not in repr(RailwaySettings(TOKEN))


def test_settings_refuse_to_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(RailwaySettings(TOKEN))

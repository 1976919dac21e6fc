"""providers/settings.py: where the Railway token and URL come from, and when a missing one fails;
the late-answer grace window every API client uses."""

from __future__ import annotations

import pickle

import pytest
from pulumi.dynamic import Config

from fleet.config import MAX_LATE_ANSWER_GRACE_SECONDS
from providers import settings
from providers.http import RetryPolicy
from providers.limits import RAILWAY_PLANS, Plan
from providers.railway.client import RailwayClient
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


# ------------------------------------------------------------ the late-answer grace window


@pytest.fixture
def no_grace_in_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(settings.LATE_ANSWER_GRACE_ENV, raising=False)


@pytest.mark.usefixtures("no_grace_in_the_shell")
def test_the_grace_window_is_unset_by_default() -> None:
    assert settings.late_answer_grace(at_most=180.0) is None


@pytest.mark.usefixtures("no_grace_in_the_shell")
def test_stack_config_sets_the_grace_window() -> None:
    configure({"stagefleet:lateAnswerGrace": "12.5"})
    assert settings.late_answer_grace(at_most=180.0) == 12.5


def test_the_environment_sets_the_grace_window_when_the_stack_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGEFLEET_LATE_ANSWER_GRACE", "60")
    assert settings.late_answer_grace(at_most=180.0) == 60.0


@pytest.mark.parametrize("value", ["soon", "-1", "181", "nan"])
@pytest.mark.usefixtures("no_grace_in_the_shell")
def test_a_bad_grace_window_names_the_key_and_the_range(value: str) -> None:
    configure({"stagefleet:lateAnswerGrace": value})
    with pytest.raises(SettingsError) as caught:
        settings.late_answer_grace(at_most=180.0)
    assert "stagefleet:lateAnswerGrace" in str(caught.value) and "from 0 to 180" in str(caught.value)


@pytest.mark.usefixtures("no_grace_in_the_shell")
def test_every_api_client_looks_for_lost_answers_over_the_configured_window() -> None:
    configure({"stagefleet:lateAnswerGrace": "7"})
    with RailwayClient(RailwaySettings(TOKEN)) as railway:
        assert railway.policy.late_answer_grace == 7.0


@pytest.mark.usefixtures("no_grace_in_the_shell")
def test_an_api_client_keeps_its_policys_window_when_none_is_configured() -> None:
    with RailwayClient(RailwaySettings(TOKEN), policy=RetryPolicy(late_answer_grace=3.0)) as railway:
        assert railway.policy.late_answer_grace == 3.0


def test_the_fleet_configs_bound_on_the_window_is_the_providers_call_deadline() -> None:
    assert RetryPolicy().deadline == MAX_LATE_ANSWER_GRACE_SECONDS


def test_the_railway_plan_comes_from_the_railway_block_of_the_stack_config() -> None:
    configure({"stagefleet:railwayToken": TOKEN, "stagefleet:railway": '{"projectId": "p", "plan": "hobby"}'})
    assert railway_settings().plan == RAILWAY_PLANS["hobby"]


def test_explicit_plan_numbers_are_read_from_the_railway_block() -> None:
    configure({"stagefleet:railway": '{"plan": {"perSecond": 20, "perHour": 4000}}'})
    assert settings.railway_plan() == Plan("custom", 20, 4000)


def test_without_a_plan_in_config_the_environment_variable_says_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGEFLEET_RAILWAY_PLAN", "hobby")
    configure({"stagefleet:railway": '{"projectId": "p"}'})
    assert settings.railway_plan() == RAILWAY_PLANS["hobby"]


def test_without_any_plan_the_limits_are_pros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STAGEFLEET_RAILWAY_PLAN", raising=False)
    assert settings.railway_plan() == RAILWAY_PLANS["pro"]


def test_a_plan_that_is_no_plan_names_the_config_key() -> None:
    configure({"stagefleet:railway": '{"plan": "team"}'})
    with pytest.raises(SettingsError, match=r"`stagefleet:railway.plan` is not valid: \"team\" is not a plan"):
        settings.railway_plan()


def test_a_plan_from_the_environment_that_is_no_plan_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGEFLEET_RAILWAY_PLAN", '{"perSecond": 0, "perHour": 5}')
    with pytest.raises(SettingsError, match="`STAGEFLEET_RAILWAY_PLAN` is not valid: perSecond must be"):
        settings.railway_plan()


@pytest.mark.parametrize(("value", "expected"), [(None, None), ("30", 30.0), (" 1 ", 1.0)])
def test_emulated_limits_are_a_time_scale(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: float | None):
    if value is None:
        monkeypatch.delenv("STAGEFLEET_EMULATED_LIMITS", raising=False)
    else:
        monkeypatch.setenv("STAGEFLEET_EMULATED_LIMITS", value)
    assert settings.emulated_limits_scale() == expected


@pytest.mark.parametrize("value", ["fast", "0.5", "nan"])
def test_emulated_limits_that_are_no_time_scale_name_the_variable(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("STAGEFLEET_EMULATED_LIMITS", value)
    with pytest.raises(SettingsError, match="`STAGEFLEET_EMULATED_LIMITS` must be a time scale of at least 1"):
        settings.emulated_limits_scale()

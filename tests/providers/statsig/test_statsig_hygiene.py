"""What holds for the Gate provider as for every other: preview makes no API call and needs no
key, the pickled provider carries nothing, and the Console API key stays out of errors and logs."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from providers import settings
from providers.api import AuthError, Conflict
from providers.settings import SettingsError
from providers.statsig.gate import Gate, GateArgs, GateProvider
from tests.providers.statsig.conftest import EMAIL, KEY, OTHER_EMAIL, Statsig

OLDS = {
    "name": "checkout v2",
    "description": "d",
    "owner": "alice",
    "emails": [EMAIL],
    "user_ids": [],
    "environments": ["staging"],
    "on_delete": "delete",
    "gate_id": "checkout_v2",
}
NEWS = {"name": "checkout v2", "description": Unknown(), "owner": "alice", "emails": [EMAIL, Unknown()]}


def test_check_and_diff_make_no_request(statsig: Statsig) -> None:
    provider = statsig.provider()
    news = provider.check(OLDS, NEWS)
    assert news.failures == []
    assert provider.check({}, provider.schema.inputs(OLDS)).failures == []
    assert provider.diff("checkout_v2", OLDS, news.inputs).changes is True
    assert provider.diff("checkout_v2", OLDS, provider.schema.inputs(OLDS)).changes is False
    assert statsig.sandbox.journal_count() == 0


def test_check_and_diff_need_no_credentials() -> None:
    provider = GateProvider()
    news = provider.check(OLDS, NEWS).inputs
    assert provider.diff("checkout_v2", OLDS, news).changes is True


def test_the_pickled_provider_carries_no_key_and_no_state(statsig: Statsig) -> None:
    provider = statsig.provider()
    statsig.create()
    pickled = base64.b64decode(serialize_provider(provider))
    assert KEY.encode() not in pickled and statsig.sandbox.url.encode() not in pickled
    assert vars(provider) == {}
    assert type(dill.loads(pickled)) is GateProvider


def test_an_api_call_without_a_key_names_the_stack_config_key_and_the_environment_variable(statsig: Statsig) -> None:
    with pytest.raises(SettingsError) as caught:
        GateProvider().create(statsig.inputs())
    assert "stagefleet:statsigConsoleKey" in str(caught.value) and "STATSIG_CONSOLE_API_KEY" in str(caught.value)
    assert statsig.sandbox.journal_count() == 0


def test_an_unknown_key_is_an_auth_error_that_does_not_repeat_it(statsig: Statsig) -> None:
    wrong = "console-wrong-key-e3e3e3"
    settings.configure({"stagefleet:statsigConsoleKey": wrong, "stagefleet:statsigApiUrl": statsig.sandbox.url})
    with pytest.raises(AuthError) as caught:
        GateProvider().create(statsig.inputs())
    message = str(caught.value)
    assert wrong not in message and "HTTP 401" in message and "stagefleet:statsigConsoleKey" in message
    assert message.startswith(f'Statsig gate "{statsig.name}" could not be created: ')
    assert caught.value.__cause__ is None


def lifecycle(statsig: Statsig) -> None:
    """Create (through a 429 and a lost answer), update, read, drift, conflict, archive, delete."""
    provider = statsig.provider()
    statsig.sandbox.faults.add("POST /console/v1/gates", "429", retry_after=0.05, times=1)
    statsig.sandbox.faults.add("POST /console/v1/gates", "drop_after_apply", times=1)
    created = statsig.create()
    updated = provider.update(created.id, created.outs, statsig.inputs(emails=[OTHER_EMAIL], user_ids=["u-1"]))
    statsig.sandbox.set_enabled(created.id, False)
    provider.read(created.id, updated.outs)
    statsig.sandbox.seed_gate(f"{statsig.name} foreign")
    with pytest.raises(Conflict):
        statsig.create(name=f"{statsig.name} foreign")
    provider.delete(created.id, {**updated.outs, "on_delete": "archive"})
    provider.delete(created.id, updated.outs)


def test_no_key_is_logged_during_a_whole_lifecycle(statsig: Statsig, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        lifecycle(statsig)
    assert caplog.records, "the lifecycle should have logged something (httpx logs every request)"
    assert KEY not in caplog.text


@dataclass
class Registration:
    type_token: str
    props: dict[str, Any]
    opts: pulumi.ResourceOptions | None


@pytest.fixture
def registrations(monkeypatch: pytest.MonkeyPatch) -> list[Registration]:
    """Capture what a dynamic Resource hands to CustomResource, without an engine."""
    captured: list[Registration] = []

    def register(self: Any, t: str, name: str, props: dict[str, Any], opts: Any, *_: Any) -> None:
        captured.append(Registration(t, props, opts))

    monkeypatch.setattr(pulumi.CustomResource, "__init__", register)
    return captured


def test_the_gate_registers_its_type_token_inputs_and_outputs(registrations: list[Registration]) -> None:
    Gate("flag-checkout_v2", GateArgs(name="checkout v2", emails=[EMAIL]))
    [reg] = registrations
    assert reg.type_token == "pulumi-python:dynamic/statsig:Gate"
    props = {key: value for key, value in reg.props.items() if key != "__provider"}
    assert props == {
        "name": "checkout v2",
        "description": "",
        "owner": None,
        "emails": [EMAIL],
        "user_ids": [],
        "environments": ["staging"],
        "on_delete": "delete",
        "gate_id": None,
        "created_time": None,
    }
    # Nothing the gate holds is secret.
    assert not (reg.opts and reg.opts.additional_secret_outputs)


def test_gate_args_defaults_are_not_shared_between_instances() -> None:
    first, second = GateArgs(name="a gate"), GateArgs(name="b gate")
    first.environments.append("production")  # type: ignore[union-attr]
    assert second.environments == ["staging"]

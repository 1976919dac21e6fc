"""The program reads its stack config with the SDK's public API only: the keys of the config bag
`pulumi up` hands it (PULUMI_CONFIG), so unknown keys are reported, and every key the models know
through `pulumi.runtime.get_config`, so config set by the automation API or by mocks counts too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from fleet.stackfile import load_stack_config
from harness import REPO
from harness.mocks import TODAY, FleetMocks, evaluate, run_program, stack_mapping
from programs.config import InvalidStackConfig, stack_config
from programs.fleet import deploy_fleet, load_fleet_spec
from programs.main import main

ENVIRONMENTS = 5


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Neither PULUMI_CONFIG nor config set in the SDK, before and after each test."""
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    pulumi.runtime.set_all_config({})
    yield
    pulumi.runtime.set_all_config({})


def ours(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if key.startswith("stagefleet:")}


def review_mapping() -> dict[str, str]:
    config = load_stack_config(REPO / "Pulumi.pr.yaml")
    config["stagefleet:pullRequest"] = {
        "number": 42,
        "branch": "feature/search-v3",
        "title": "Search v3",
        "author": "dana",
    }
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def environments_declared_by_main(stack: str, fleet_outputs: dict[str, Any] | None = None) -> list[str]:
    evaluation = run_program(lambda: (main(), {})[1], lambda graph: FleetMocks(graph, fleet_outputs), False, stack)
    return [c.name for c in evaluation.graph.of_type("stagefleet:index:StagingEnvironment")]


def test_a_config_handed_over_in_pulumi_config_only(monkeypatch: pytest.MonkeyPatch) -> None:
    mapping = {**stack_mapping(), "aws:region": "us-east-1"}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(mapping))

    assert stack_config() == ours(mapping)
    assert len(environments_declared_by_main("staging")) == ENVIRONMENTS


def test_a_config_set_in_the_sdk_only() -> None:
    mapping = {**stack_mapping(), "aws:region": "us-east-1"}
    pulumi.runtime.set_all_config(mapping)

    assert stack_config() == ours(mapping)
    assert len(environments_declared_by_main("staging")) == ENVIRONMENTS


def test_a_review_stacks_config_set_in_the_sdk_only(monkeypatch: pytest.MonkeyPatch) -> None:
    fleet_outputs = evaluate(stack_mapping()).exports
    mapping = review_mapping()
    pulumi.runtime.set_all_config(mapping)
    monkeypatch.chdir(REPO)

    assert stack_config() == ours(mapping)
    assert {"stagefleet:fleetStack", "stagefleet:pullRequest", "stagefleet:review"} <= set(mapping)
    assert environments_declared_by_main("pr-42", fleet_outputs) == ["pr-42"]


def test_a_value_set_in_the_sdk_wins_over_the_one_handed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"stagefleet:limits": '{"maxLongLived": 5}'}))
    pulumi.runtime.set_all_config({"stagefleet:limits": '{"maxLongLived": 6}'})

    assert stack_config() == {"stagefleet:limits": '{"maxLongLived": 6}'}


def test_an_unknown_key_handed_over_is_read_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    mapping = {**stack_mapping(), "stagefleet:enviroments": "[]"}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(mapping))

    assert stack_config()["stagefleet:enviroments"] == "[]"
    with pytest.raises(InvalidStackConfig) as raised:
        deploy_fleet(load_fleet_spec(stack_config()), today=TODAY)
    assert "stagefleet:enviroments: unknown key" in str(raised.value)

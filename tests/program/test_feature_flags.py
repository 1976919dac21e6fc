"""Feature flags in the program, under mocks: one Statsig gate per stagefleet:featureFlags entry,
with the right targets, environments and on_delete; the `featureFlags` export; the Console API
key nowhere in the graph or the exports; the catalog export still the CLI's markdown."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pulumi
import pytest
import yaml
from pulumi.runtime.mocks import MockMonitor

from fleet import FeatureFlagSpec, naming
from harness import REPO
from harness.mocks import TODAY, FleetMocks, Graph, evaluate, install_mocks, reveal, stack_mapping
from programs.config import InvalidStackConfig
from programs.fleet import deploy_fleet, load_fleet_spec
from providers.statsig import gate as statsig_gate
from providers.statsig.client import gate_id_for as provider_gate_id
from sandbox.statsig import StatsigState
from sandbox.statsig import gate_id_for as sandbox_gate_id
from tests.program.support import edit

GATE_TYPE = "pulumi-python:dynamic/statsig:Gate"
CONSOLE_KEY = "console-SENTINEL-4f9c2b7e1d"

MORE_FLAGS = [
    {
        "name": "Chat Rewrite",
        "description": "Bob's chat",
        "owner": "bob@gatewayz.ai",
        "enabledFor": ["bob@gatewayz.ai", "user_4821", "Charlie@GatewayZ.ai", "qa:bot-1"],
        "environments": ["staging", "development"],
        "expires": "2027-01-15",
    },
    {"name": "admin.console", "owner": "platform", "enabledFor": ["user_1"], "expires": "2026-12-20"},
]


def with_flags(*flags: dict, statsig: dict | None = None) -> dict:
    mapping = edit(stack_mapping(), "stagefleet:featureFlags", lambda existing: existing + list(flags))
    if statsig is not None:
        mapping["stagefleet:statsig"] = json.dumps(statsig)
    return mapping


def gates(evaluation) -> dict[str, dict]:
    """Each gate's inputs (plain), by logical name."""
    return {gate.name: reveal(gate.inputs) for gate in evaluation.graph.of_type("statsig:Gate")}


@pytest.fixture(scope="module")
def staging():
    return evaluate(stack_mapping())


@pytest.fixture(scope="module")
def three_flags():
    return evaluate(with_flags(*MORE_FLAGS))


# --- the gates --------------------------------------------------------------------------------


def test_the_staging_flag_is_one_gate_named_after_its_gate_id(staging):
    [gate] = staging.graph.of_type("statsig:Gate")

    assert (gate.typ, gate.name) == (GATE_TYPE, "flag-payments-v2")
    assert {key: value for key, value in reveal(gate.inputs).items() if key != "__provider"} == {
        "name": "payments-v2",
        "description": "Payment v2 checkout, in progress on feature/alice-payment",
        "owner": "alice@gatewayz.ai",
        "emails": ["alice@gatewayz.ai"],
        "user_ids": [],
        "environments": ["staging"],
        "on_delete": "archive",  # stagefleet:statsig.onDelete in Pulumi.staging.yaml
    }


def test_one_gate_per_flag_with_emails_and_user_ids_split(three_flags):
    found = gates(three_flags)

    assert sorted(found) == ["flag-admin.console", "flag-chat_rewrite", "flag-payments-v2"]
    chat = found["flag-chat_rewrite"]
    assert (chat["name"], chat["owner"], chat["description"]) == ("Chat Rewrite", "bob@gatewayz.ai", "Bob's chat")
    assert chat["emails"] == ["bob@gatewayz.ai", "Charlie@GatewayZ.ai"]
    assert chat["user_ids"] == ["user_4821", "qa:bot-1"]
    assert chat["environments"] == ["staging", "development"]
    admin = found["flag-admin.console"]
    assert (admin["emails"], admin["user_ids"], admin["environments"]) == ([], ["user_1"], ["staging"])
    assert admin["description"] == ""
    assert {gate["on_delete"] for gate in found.values()} == {"archive"}


def test_on_delete_defaults_to_delete_without_the_statsig_block():
    mapping = stack_mapping()
    del mapping["stagefleet:statsig"]

    assert [gate["on_delete"] for gate in gates(evaluate(mapping)).values()] == ["delete"]


def test_on_delete_follows_the_config():
    found = gates(evaluate(with_flags(*MORE_FLAGS, statsig={"onDelete": "delete"})))

    assert {gate["on_delete"] for gate in found.values()} == {"delete"}


def test_the_gate_id_is_the_resource_id_and_the_gate_id_output(three_flags):
    for gate in three_flags.graph.of_type("statsig:Gate"):
        gate_id = naming.statsig_gate_id(reveal(gate.inputs["name"]))
        assert gate.name == f"flag-{gate_id}"
        assert gate.outputs["gate_id"] == gate_id


def test_gates_are_top_level_resources_not_part_of_an_environment(staging):
    gate_names = {gate.name for gate in staging.graph.of_type("statsig:Gate")}
    environment_children = {r.name for r in staging.graph.resources if r.name.startswith(("main-", "dev", "payments-"))}

    assert gate_names.isdisjoint(environment_children)


def test_a_fleet_without_flags_declares_no_gate_and_exports_an_empty_map():
    mapping = stack_mapping()
    del mapping["stagefleet:featureFlags"]

    evaluation = evaluate(mapping)

    assert evaluation.graph.of_type("statsig:Gate") == []
    assert evaluation.exports["featureFlags"] == {}


def test_preview_declares_the_same_gates():
    mapping = with_flags(*MORE_FLAGS)

    assert gates(evaluate(mapping, preview=True)) == gates(evaluate(mapping))


def test_what_the_program_sends_passes_the_providers_check(three_flags):
    provider = statsig_gate.GateProvider()

    for gate in three_flags.graph.of_type("statsig:Gate"):
        result = provider.check({}, reveal(gate.inputs))
        assert result.failures == [], gate.name


@pytest.mark.parametrize(
    "name, gate_id",
    [("Payments V2", "payments_v2"), (" Payments V2 ", "_payments_v2_"), ("  chat  rewrite  ", "__chat__rewrite__")],
)
def test_the_provider_the_sandbox_and_the_config_model_agree_on_a_gate_id(name, gate_id):
    # Statsig's rule strips nothing. stagefleet refuses a name with a space at either end, but the
    # sandbox accepts one as Statsig does and the config's duplicate check reads raw names: every
    # layer derives the same id from it.
    sandbox = StatsigState()
    with sandbox.lock:
        created = sandbox.create(name).id

    assert naming.statsig_gate_id(name) == gate_id
    assert FeatureFlagSpec.model_construct(name=name).gate_id == gate_id
    assert provider_gate_id(name) == gate_id
    assert sandbox_gate_id(name) == gate_id
    assert created == gate_id


def test_the_config_model_knows_the_description_the_provider_writes():
    assert naming.STATSIG_MANAGED_MARKER == statsig_gate.MANAGED_MARKER
    for description, owner in [
        ("", "alice@gatewayz.ai"),
        ("Payment v2", "platform"),
        ("  padded  ", "qa"),
        ("x", None),
    ]:
        assert naming.statsig_gate_description(description, owner) == statsig_gate.gate_description(
            description.strip(), owner
        )


# --- the exports ------------------------------------------------------------------------------


def test_the_feature_flags_export_lists_each_flag_readably(staging, three_flags):
    assert staging.secret_exports["featureFlags"] is False
    assert staging.exports["featureFlags"] == {
        "payments-v2": {
            "gateId": "payments-v2",
            "owner": "alice@gatewayz.ai",
            "enabledFor": ["alice@gatewayz.ai"],
            "expires": "2027-01-31",
        },
    }
    assert three_flags.exports["featureFlags"]["Chat Rewrite"] == {
        "gateId": "chat_rewrite",
        "owner": "bob@gatewayz.ai",
        "enabledFor": ["bob@gatewayz.ai", "user_4821", "Charlie@GatewayZ.ai", "qa:bot-1"],
        "expires": "2027-01-15",
    }
    assert list(three_flags.exports["featureFlags"]) == ["payments-v2", "Chat Rewrite", "admin.console"]


def test_the_console_key_appears_in_no_input_no_output_and_no_export():
    mapping = with_flags(*MORE_FLAGS)
    mapping["stagefleet:statsigConsoleKey"] = CONSOLE_KEY  # the engine hands the program the decrypted value
    mapping["stagefleet:statsigApiUrl"] = "http://127.0.0.1:9"

    evaluation = evaluate(mapping)

    assert len(evaluation.graph.of_type("statsig:Gate")) == 3
    for resource in evaluation.graph.resources:
        assert CONSOLE_KEY not in json.dumps(reveal(resource.inputs), default=str), resource.name
        assert CONSOLE_KEY not in json.dumps(reveal(resource.outputs), default=str), resource.name
    assert CONSOLE_KEY not in json.dumps(reveal(evaluation.exports), default=str)


# --- the policy and the config, before anything is declared -----------------------------------


def declared_before_failing(mapping: dict, today: dt.date = TODAY) -> tuple[Graph, InvalidStackConfig]:
    graph = Graph()
    install_mocks(MockMonitor(FleetMocks(graph)), stack="staging", preview=False)
    with pytest.raises(InvalidStackConfig) as raised:
        deploy_fleet(load_fleet_spec(mapping), today=today)
    return graph, raised.value


def test_an_expired_flag_is_a_warning_and_its_gate_stays(monkeypatch):
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warned.append(message))

    evaluation = evaluate(with_flags(*MORE_FLAGS), today=dt.date(2027, 1, 16))

    assert warned[0].splitlines()[0] == (
        'stagefleet:featureFlags[1].expires: feature flag "Chat Rewrite" (owner bob@gatewayz.ai) expired on '
        "2027-01-15, 1 day ago; it keeps running until it is removed"
    )
    assert len(evaluation.graph.of_type(GATE_TYPE)) == 3


def test_an_invalid_flag_fails_the_program_with_its_config_path():
    mapping = with_flags(
        {"name": "chat/rewrite", "owner": "mallory", "enabledFor": ["bob smith"], "expires": "2027-01-15"}
    )

    graph, error = declared_before_failing(mapping)

    assert graph.resources == []
    assert str(error).splitlines()[1:] == [
        'stagefleet:featureFlags[1].enabledFor[0]: "bob smith" is neither an email address nor a user id',
        'stagefleet:featureFlags[1].name: "chat/rewrite" is not a valid Statsig gate name: it contains "/"',
        'stagefleet:featureFlags[1].owner: "mallory" owns no environment of the fleet',
    ]


# --- the catalog export -------------------------------------------------------------------------


def fleet_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from tests import fleet_command

    return fleet_command.run(cwd, *args)


def test_the_catalog_export_with_flags_is_byte_for_byte_the_clis_markdown(three_flags, tmp_path):
    mapping = with_flags(*MORE_FLAGS)
    config = {
        key: json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value
        for key, value in mapping.items()
    }
    stack_file = tmp_path / "Pulumi.staging.yaml"
    stack_file.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    outputs = {
        key: "[secret]" if three_flags.secret_exports[key] else value for key, value in three_flags.exports.items()
    }
    (tmp_path / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")

    result = fleet_cli(
        tmp_path,
        "catalog",
        "--stack",
        "staging",
        "--file",
        str(stack_file),
        "--outputs",
        "outputs.json",
        "--format",
        "markdown",
    )

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == three_flags.exports["catalog"]
    assert result.stdout.endswith(
        "| flag | enabled for | owner | expires |\n"
        "| --- | --- | --- | --- |\n"
        "| payments-v2 | alice@gatewayz.ai | alice@gatewayz.ai | 2027-01-31 |\n"
        "| Chat Rewrite | bob@gatewayz.ai, user_4821, Charlie@GatewayZ.ai, qa:bot-1 | bob@gatewayz.ai | 2027-01-15 |\n"
        "| admin.console | user_1 | platform | 2026-12-20 |\n"
    )


def test_the_committed_catalog_export_is_the_clis_markdown(staging, tmp_path):
    outputs = {key: "[secret]" if staging.secret_exports[key] else value for key, value in staging.exports.items()}
    (tmp_path / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")

    result = fleet_cli(
        tmp_path,
        "catalog",
        "--stack",
        "staging",
        "--file",
        str(REPO / "Pulumi.staging.yaml"),
        "--outputs",
        "outputs.json",
        "--format",
        "markdown",
    )

    assert result.stdout == staging.exports["catalog"]
    assert result.stdout.endswith(
        "Feature flags (Statsig gates):\n\n| flag | enabled for | owner | expires |\n| --- | --- | --- | --- |\n"
        "| payments-v2 | alice@gatewayz.ai | alice@gatewayz.ai | 2027-01-31 |\n"
    )

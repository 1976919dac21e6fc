"""The fleet's rules and its catalog in the program, under mocks: the program says what
`python -m fleet validate` says, before it declares anything, and exports the catalog the CLI prints."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pulumi
import pytest
import yaml
from pulumi.runtime.mocks import MockMonitor

from harness import REPO
from harness.mocks import TODAY, FleetMocks, Graph, evaluate, install_mocks, stack_mapping
from programs.config import InvalidStackConfig
from programs.fleet import deploy_fleet, load_fleet_spec
from tests.program.support import edit


def fleet_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from tests import fleet_command

    return fleet_command.run(cwd, *args)


def stack_file_of(mapping: dict, path: Path) -> Path:
    """The stack file a mapping (as the engine hands it to the program) was read from."""
    config = {
        key: json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value
        for key, value in mapping.items()
    }
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return path


def declared_before_failing(
    mapping: dict, today: dt.date = TODAY, preview: bool = False
) -> tuple[Graph, InvalidStackConfig]:
    """Run the program body until it fails; the resources it registered by then."""
    graph = Graph()
    install_mocks(MockMonitor(FleetMocks(graph)), stack="staging", preview=preview)
    with pytest.raises(InvalidStackConfig) as raised:
        deploy_fleet(load_fleet_spec(mapping), today=today)
    return graph, raised.value


def over_budget() -> dict:
    return edit(stack_mapping(), "stagefleet:limits", lambda limits: limits.update(monthlyBudgetUsd=100))


# --- the catalog export --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def staging():
    return evaluate(stack_mapping())


def test_catalog_export_is_byte_identical_to_the_clis_markdown_for_the_same_outputs(staging, tmp_path):
    # What `pulumi stack output --json` prints for the stack: secrets masked.
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

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == staging.exports["catalog"]
    assert "https://dev3-charlie-api-domain.up.railway.app" in result.stdout
    assert "pending" not in result.stdout


def test_catalog_export_carries_kind_branch_expiry_sleeping_and_cost(staging):
    lines = staging.exports["catalog"].splitlines()

    assert lines[0] == (
        "| environment | kind | URL | database | purpose | owner | branch | expires | when idle | monthly cost |"
    )
    assert lines[3] == (
        "| dev1-alice | developer | https://dev1-alice-api-domain.up.railway.app | dedicated | Payment v2 "
        "| alice@gatewayz.ai | feature/alice-payment | 2027-01-31 | sleeps | $30.00 |"
    )
    assert lines[8] == "5 environments, estimated $144.73 a month in total."
    # then the feature flags' table (tests/program/test_feature_flags.py)
    assert lines[-1] == "| payments-v2 | alice@gatewayz.ai | alice@gatewayz.ai | 2027-01-31 |"


def test_a_service_without_a_domain_leaves_the_next_services_url(tmp_path):
    mapping = edit(stack_mapping(), "stagefleet:railway", lambda railway: railway["services"][0].update(domain=False))
    evaluation = evaluate(mapping)
    outputs = {"environments": evaluation.exports["environments"]}
    (tmp_path / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")
    stack_file = stack_file_of(mapping, tmp_path / "Pulumi.staging.yaml")

    result = fleet_cli(
        tmp_path, "catalog", "--stack", "staging", "--file", str(stack_file), "--outputs", "outputs.json"
    )

    assert result.stdout == evaluation.exports["catalog"]
    assert "| main | shared | https://main-web-domain.up.railway.app |" in result.stdout


# --- the policy ----------------------------------------------------------------------------------


def test_an_over_budget_config_fails_the_program_with_the_policy_message_before_any_resource():
    graph, error = declared_before_failing(over_budget())

    assert graph.resources == []
    assert str(error).splitlines() == [
        "stack config breaks the fleet's rules:",
        "stagefleet:limits.monthlyBudgetUsd: the estimated monthly cost $144.73 is $44.73 over the budget of "
        "$100.00 (largest: main $35.00, dev1-alice $30.00, dev2-bob $30.00)",
        "  hint: a shared database costs nothing and a Supabase branch $9.73 a month; or use a smaller "
        "instanceSize, remove an environment, or raise the budget: pulumi config set --path "
        "'stagefleet:limits.monthlyBudgetUsd' <amount>",
    ]


def test_a_preview_fails_the_same_way():
    graph, error = declared_before_failing(over_budget(), preview=True)

    assert graph.resources == []
    assert "stagefleet:limits.monthlyBudgetUsd: the estimated monthly cost $144.73" in str(error)


def test_the_program_fails_with_the_lines_validate_prints(tmp_path):
    def without_expiry(envs: list) -> None:
        del envs[1]["expires"]

    mapping = edit(over_budget(), "stagefleet:environments", without_expiry)
    stack_file = stack_file_of(mapping, tmp_path / "Pulumi.staging.yaml")

    result = fleet_cli(tmp_path, "validate", "--stack", "staging", "--today", TODAY.isoformat())
    _, error = declared_before_failing(mapping)

    assert stack_file.exists() and result.returncode == 1
    validate_lines = result.stderr.splitlines()[:-1]  # without the summary line
    assert str(error).splitlines()[1:] == validate_lines
    assert validate_lines[2] == "stagefleet:environments[1].expires: required for developer environments"


# The day after dev1-alice, dev2-bob and the flag payments-v2 expire: nobody has edited anything.
PAST_EXPIRY = dt.date(2027, 2, 1)


def warnings_of(monkeypatch) -> list[str]:
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warned.append(message))
    return warned


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_past_an_expiry_the_unchanged_fleet_still_deploys_every_environment(monkeypatch, preview):
    warnings_of(monkeypatch)

    evaluation = evaluate(stack_mapping(), preview=preview, today=PAST_EXPIRY)

    assert [r.name for r in evaluation.graph.of_type("stagefleet:index:StagingEnvironment")] == [
        "main",
        "dev1-alice",
        "dev2-bob",
        "dev3-charlie",
        "payments",
    ]


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_past_an_expiry_the_program_warns_naming_the_owner_and_the_days_past(monkeypatch, preview):
    warned = warnings_of(monkeypatch)

    evaluate(stack_mapping(), preview=preview, today=PAST_EXPIRY)

    assert [message.splitlines()[0] for message in warned] == [
        'stagefleet:environments[1].expires: environment "dev1-alice" (owner alice@gatewayz.ai) expired on '
        "2027-01-31, 1 day ago; it keeps running until it is removed",
        'stagefleet:environments[2].expires: environment "dev2-bob" (owner bob@gatewayz.ai) expired on '
        "2027-01-31, 1 day ago; it keeps running until it is removed",
        'stagefleet:featureFlags[0].expires: feature flag "payments-v2" (owner alice@gatewayz.ai) expired on '
        "2027-01-31, 1 day ago; it keeps running until it is removed",
    ]


def test_too_many_long_lived_environments_fail_the_program():
    mapping = edit(stack_mapping(), "stagefleet:limits", lambda limits: limits.update(maxLongLived=4))

    _, error = declared_before_failing(mapping)

    assert (
        "stagefleet:environments[4]: 5 long-lived environments, 1 more than stagefleet:limits.maxLongLived allows (4)"
        in str(error)
    )


SOON = (
    "after that date it keeps running, reported as expired, and the janitor workflow proposes removing it; "
    "to keep it: pulumi config set --path"
)


def test_warnings_are_logged_and_the_program_goes_on(monkeypatch):
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warned.append(message))

    evaluation = evaluate(stack_mapping(), today=dt.date(2027, 1, 25))

    assert len(evaluation.graph.of_type("stagefleet:index:StagingEnvironment")) == 5
    assert warned == [
        'stagefleet:environments[1].expires: environment "dev1-alice" (owner alice@gatewayz.ai) expires in 6 days, '
        f"on 2027-01-31\n  hint: {SOON} 'stagefleet:environments[1].expires' 2027-03-02",
        'stagefleet:environments[2].expires: environment "dev2-bob" (owner bob@gatewayz.ai) expires in 6 days, '
        f"on 2027-01-31\n  hint: {SOON} 'stagefleet:environments[2].expires' 2027-03-02",
        'stagefleet:featureFlags[0].expires: feature flag "payments-v2" (owner alice@gatewayz.ai) expires in 6 days, '
        f"on 2027-01-31\n  hint: {SOON} 'stagefleet:featureFlags[0].expires' 2027-03-02",
    ]


def test_the_committed_staging_stack_passes_on_the_reference_date(monkeypatch):
    warned: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warned.append(message))

    evaluate(stack_mapping(), today=TODAY)

    assert warned == []

"""The Statsig Gate provider, pickled by the SDK and run in `python -m pulumi.dynamic`, through the
calls `pulumi preview`, `pulumi up`, `pulumi refresh` and `pulumi destroy` make, against the
Statsig sandbox. The host retries with the production policy."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from harness.host import PROVIDER_KEY, DynamicProviderHost, DynamicResourceClient, EngineError
from providers.statsig.gate import EMAIL_RULE, MANAGED_MARKER, USER_ID_RULE, GateProvider
from sandbox.statsig import StatsigSandbox

KEY = "console-engine-test-key-6a1f0c"
GATE = "pulumi-python:dynamic/statsig:Gate"
EMAIL = "alice@gatewayz.dev"
OTHER_EMAIL = "bob@gatewayz.dev"
CREATE = "POST /console/v1/gates"


@dataclass(frozen=True)
class Seeded:
    sandbox: StatsigSandbox

    @property
    def config(self) -> dict[str, str]:
        return {"stagefleet:statsigConsoleKey": KEY, "stagefleet:statsigApiUrl": self.sandbox.url}

    def gate(self, gate_id: str) -> dict | None:
        return self.sandbox.gate(gate_id)


@pytest.fixture(autouse=True)
def no_statsig_credentials_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    # The provider host inherits the environment: a developer's key must not leak into it.
    monkeypatch.delenv("STATSIG_CONSOLE_API_KEY", raising=False)
    monkeypatch.delenv("STATSIG_API_URL", raising=False)


@pytest.fixture
def statsig() -> Iterator[Seeded]:
    with StatsigSandbox(keys={KEY}, lifetime=300) as sandbox:
        yield Seeded(sandbox)


@pytest.fixture
def host(statsig: Seeded) -> Iterator[DynamicProviderHost]:
    with DynamicProviderHost() as provider_host:
        provider_host.configure(statsig.config)
        yield provider_host


@pytest.fixture
def unconfigured_host() -> Iterator[DynamicProviderHost]:
    """A provider host with no credentials at all, as a preview on a fork's pull request has."""
    with DynamicProviderHost() as provider_host:
        provider_host.configure({})
        yield provider_host


def gates(host: DynamicProviderHost, name: str = "checkout_v2") -> DynamicResourceClient:
    return DynamicResourceClient(host, GateProvider(), GATE, f"flag-{name}")


def gate_inputs(**overrides) -> dict:
    return {"name": "Checkout V2", "description": "New checkout flow", "owner": "alice", "emails": [EMAIL], **overrides}


def up_create(resource: DynamicResourceClient, inputs: dict) -> tuple[str, dict]:
    """What `pulumi up` does for a new resource: Check, then Create with the checked inputs."""
    checked, failures = resource.check({}, inputs)
    assert failures == []
    return resource.create(checked)


def up_update(resource: DynamicResourceClient, resource_id: str, state: dict, old_inputs: dict, new_inputs: dict):
    """What `pulumi up` does for a changed resource: Check, Diff, and Update when Diff says so."""
    checked, failures = resource.check(old_inputs, new_inputs)
    assert failures == []
    diff = resource.diff(resource_id, state, checked)
    return diff, (
        resource.update(resource_id, state, checked) if diff.changes == provider_pb2.DiffResponse.DIFF_SOME else None
    )


def without_provider(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != PROVIDER_KEY}


def rule_names(gate: dict | None) -> list[str]:
    assert gate is not None
    return [rule["name"] for rule in gate["rules"]]


def test_up_creates_the_gate_and_its_state_is_the_inputs_and_the_gate_id(host, statsig):
    gate_id, state = up_create(gates(host), gate_inputs(user_ids=["user-42"]))
    assert gate_id == "checkout_v2"
    assert without_provider(state) == {
        "name": "Checkout V2",
        "description": "New checkout flow",
        "owner": "alice",
        "emails": [EMAIL],
        "user_ids": ["user-42"],
        "environments": ["staging"],
        "on_delete": "delete",
        "gate_id": "checkout_v2",
        # The gate's fingerprint; numbers cross the wire as floats.
        "created_time": float(statsig.gate(gate_id)["createdTime"]),
    }
    gate = statsig.gate(gate_id)
    assert gate is not None and gate["isEnabled"] is True
    assert gate["description"] == f"New checkout flow (owner: alice) {MANAGED_MARKER}"
    assert rule_names(gate) == [EMAIL_RULE, USER_ID_RULE]


def test_new_targets_are_an_update_in_place_and_destroy_deletes_the_gate(host, statsig):
    resource = gates(host)
    inputs = gate_inputs()
    gate_id, state = up_create(resource, inputs)
    statsig.sandbox.journal_clear()
    changed = gate_inputs(emails=[EMAIL, OTHER_EMAIL], environments=["staging", "development"])
    diff, new_state = up_update(resource, gate_id, state, inputs, changed)
    assert list(diff.replaces) == [] and new_state is not None
    assert (new_state["emails"], new_state["environments"]) == ([EMAIL, OTHER_EMAIL], ["staging", "development"])
    gate = statsig.gate(gate_id)
    assert gate is not None and gate["rules"][0]["conditions"][0]["targetValue"] == [EMAIL, OTHER_EMAIL]
    assert [e.key for e in statsig.sandbox.journal if e.method != "GET"] == ["PATCH /console/v1/gates/{id}"]

    resource.delete(gate_id, new_state)
    resource.delete(gate_id, new_state)
    assert statsig.gate(gate_id) is None


def test_destroy_with_on_delete_archive_archives_the_gate(host, statsig):
    resource = gates(host)
    gate_id, state = up_create(resource, gate_inputs(on_delete="archive"))
    resource.delete(gate_id, state)
    assert [g["id"] for g in statsig.sandbox.archived_gates()] == [gate_id]
    assert resource.read(gate_id, state)[0] == ""


def test_a_new_name_is_a_replacement(host, statsig):
    resource = gates(host)
    inputs = gate_inputs()
    gate_id, state = up_create(resource, inputs)
    checked, _ = resource.check(inputs, {**inputs, "name": "Checkout V3"})
    diff = resource.diff(gate_id, state, checked)
    assert list(diff.replaces) == ["name"] and diff.deleteBeforeReplace is False


def test_refresh_of_an_unchanged_gate_reports_exactly_its_state(host, statsig):
    """So `pulumi refresh --expect-no-changes` passes right after `pulumi up`."""
    resource = gates(host)
    inputs = gate_inputs(user_ids=["user-42"], environments=["staging", "development"])
    gate_id, state = up_create(resource, inputs)
    read_id, refreshed = resource.read(gate_id, state)
    assert (read_id, refreshed) == (gate_id, state)
    # The engine's refresh diff (Diff of the read state against the program's inputs).
    checked, _ = resource.check(state, inputs)
    assert resource.diff(gate_id, refreshed, checked).changes == provider_pb2.DiffResponse.DIFF_NONE


def test_refresh_shows_rules_changed_by_hand_and_the_next_up_rewrites_them(host, statsig):
    resource = gates(host)
    inputs = gate_inputs()
    gate_id, state = up_create(resource, inputs)
    statsig.sandbox.set_rules(
        gate_id,
        [
            {
                "name": EMAIL_RULE,
                "passPercentage": 100,
                "environments": ["production"],
                "conditions": [{"type": "email", "operator": "any", "targetValue": [EMAIL, "mallory@elsewhere.dev"]}],
            }
        ],
    )
    _, refreshed = resource.read(gate_id, state)
    assert (refreshed["emails"], refreshed["environments"]) == ([EMAIL, "mallory@elsewhere.dev"], ["production"])
    diff, new_state = up_update(resource, gate_id, refreshed, inputs, inputs)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME and list(diff.replaces) == []
    assert resource.read(gate_id, new_state) == (gate_id, state)


def test_refresh_of_a_gate_deleted_by_hand_reports_it_gone_and_the_next_up_creates_it(host, statsig):
    resource = gates(host)
    gate_id, state = up_create(resource, gate_inputs())
    statsig.sandbox.delete_gate(gate_id)
    assert resource.read(gate_id, state)[0] == ""
    again_id, again = up_create(resource, gate_inputs())
    assert again_id == gate_id and again["created_time"] > state["created_time"]
    assert {**again, "created_time": None} == {**state, "created_time": None}
    assert len(statsig.sandbox.gates()) == 1


def test_a_gate_deleted_by_hand_and_made_again_by_someone_else_is_never_touched(host, statsig):
    resource = gates(host)
    gate_id, state = up_create(resource, gate_inputs())
    statsig.sandbox.delete_gate(gate_id)
    theirs = statsig.sandbox.seed_gate("Checkout V2", description="the growth team's experiment")
    assert theirs["id"] == gate_id
    statsig.sandbox.journal_clear()

    assert resource.read(gate_id, state)[0] == ""  # refresh: ours is gone
    resource.delete(gate_id, state)  # destroy
    assert statsig.gate(gate_id) == theirs
    assert [e.key for e in statsig.sandbox.journal if e.method != "GET"] == []


def test_a_rate_limited_create_is_waited_out(host, statsig):
    statsig.sandbox.faults.add(CREATE, "429", retry_after=0.5, times=1)
    gate_id, _ = up_create(gates(host), gate_inputs())
    attempts = [e for e in statsig.sandbox.journal if e.key == CREATE]
    assert [e.status for e in attempts] == [429, 201]
    assert attempts[1].at - attempts[0].at >= 0.5
    assert [g["id"] for g in statsig.sandbox.gates()] == [gate_id]


def test_a_create_whose_answer_is_lost_adopts_exactly_one_gate(host, statsig):
    statsig.sandbox.faults.add(CREATE, "drop_after_apply", times=1)
    gate_id, state = up_create(gates(host), gate_inputs())
    assert [g["id"] for g in statsig.sandbox.gates()] == [gate_id] == [state["gate_id"]]
    assert statsig.sandbox.journal_count(CREATE) == 1


def test_pickled_provider_carries_no_key_and_no_state(host):
    pickled = base64.b64decode(gates(host).pickled_provider)
    assert KEY.encode() not in pickled
    assert b"httpx" not in pickled
    # Pickled by reference: the module and class name, not the code or any instance state.
    assert len(pickled) < 400, len(pickled)


def test_check_and_diff_make_no_requests_and_need_no_credentials(unconfigured_host, statsig):
    resource = gates(unconfigured_host)
    checked, failures = resource.check({}, gate_inputs())
    assert failures == []
    state = {**checked, "gate_id": "checkout_v2"}
    assert resource.diff("checkout_v2", state, checked).changes == provider_pb2.DiffResponse.DIFF_NONE
    changed = resource.diff("checkout_v2", state, {**checked, "emails": [OTHER_EMAIL]})
    assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME and list(changed.replaces) == []
    # A preview also sees values that are not known yet.
    unknown = {**checked, "name": rpc.UNKNOWN, "emails": rpc.UNKNOWN}
    assert resource.check(checked, unknown)[1] == []
    assert list(resource.diff("checkout_v2", state, unknown).replaces) == ["name"]
    # And its mistakes are caught before anything is sent.
    assert [p for p, _ in resource.check({}, gate_inputs(name="checkout/v2", emails=["nope"]))[1]] == ["name", "emails"]
    assert statsig.sandbox.journal_count() == 0


def test_create_without_credentials_fails_naming_where_to_set_them(unconfigured_host, statsig):
    with pytest.raises(EngineError) as raised:
        up_create(gates(unconfigured_host), gate_inputs())
    assert "stagefleet:statsigConsoleKey" in raised.value.details
    assert "STATSIG_CONSOLE_API_KEY" in raised.value.details
    assert statsig.sandbox.journal_count() == 0


def test_a_foreign_gate_of_that_name_is_a_conflict_the_engine_shows_without_the_key(host, statsig):
    foreign = statsig.sandbox.seed_gate("checkout v2", description="Payments team's gate")
    with pytest.raises(EngineError) as raised:
        up_create(gates(host), gate_inputs())
    details = raised.value.details
    assert 'Statsig gate "Checkout V2" could not be created' in details
    assert "already exists in Statsig and is not managed by stagefleet" in details
    assert KEY not in details
    assert statsig.sandbox.gates() == [foreign]


def test_a_rejected_key_reaches_the_engine_without_the_key(statsig):
    wrong = "console-engine-wrong-key-77"
    with DynamicProviderHost() as provider_host:
        provider_host.configure({**statsig.config, "stagefleet:statsigConsoleKey": wrong})
        with pytest.raises(EngineError) as raised:
            up_create(gates(provider_host), gate_inputs())
    assert "HTTP 401" in raised.value.details and "stagefleet:statsigConsoleKey" in raised.value.details
    assert wrong not in raised.value.details and wrong not in provider_host.stderr_text


def test_the_host_logs_no_key(statsig):
    with DynamicProviderHost() as provider_host:
        provider_host.configure(statsig.config)
        resource = gates(provider_host)
        statsig.sandbox.faults.add(CREATE, "429", retry_after=0.2, times=1)
        gate_id, state = up_create(resource, gate_inputs())
        resource.read(gate_id, state)
        resource.delete(gate_id, state)
    assert KEY not in provider_host.stderr_text

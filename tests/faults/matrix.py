"""The fault matrix: every provider operation, what it needs set up, the requests it sends (the
fault keys), how `pulumi` would run it again, and what the sandbox must hold afterwards.

An operation's `keys` are the requests a fault is injected on: the sandbox's fault key (Railway:
the GraphQL root field; Supabase: "<METHOD> <path template>"). `run_again` is what the next
`pulumi up` (or `refresh`, `destroy`) does after the first run: repeat what failed, then read the
result back as `pulumi refresh` would. `expect` compares the sandbox with what the provider
reported: exactly the objects the provider knows of exist, with the values it says they have, and
nothing else in the test's own project or organization (no duplicate, no orphan).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from providers.railway.deployment import DeploymentProvider, variables_digest
from providers.railway.deployment_trigger import DeploymentTriggerProvider
from providers.railway.environment import EnvironmentProvider
from providers.railway.service_domain import ServiceDomainProvider
from providers.railway.service_instance import ServiceInstanceProvider
from providers.railway.variables import VariablesProvider
from providers.supabase.branch import BranchProvider
from providers.supabase.project import ProjectProvider
from providers.supabase.project_keys import ProjectKeysProvider
from providers.statsig.gate import GateProvider

if TYPE_CHECKING:
    from tests.faults.conftest import World

REPO = Path(__file__).resolve().parents[2]
RESULT_FILE = REPO / "bench" / "results" / "fault_matrix.json"

FAULTS = ("429", "500", "502", "503", "slow", "drop_after_apply")
# "once": the first matching request fails that way, the rest are answered normally.
# "every attempt": every matching request fails that way, for longer than the retry budget.
MODES = ("once", "every attempt")
OK = "ok"
OK_AFTER_RETRY = "ok after retry"
ADOPTED = "adopted"
FAILED_THEN_CONVERGED = "failed cleanly then converged"
LEGEND = {
    OK: "the fault did not touch the operation",
    OK_AFTER_RETRY: "the failed request was sent again (or, for a create, looked up, found not made, and sent again) and the operation succeeded",
    ADOPTED: "a create whose answer was lost (applied, then the connection dropped or the answer came after the read timeout) was looked up by its natural key and the object it made was adopted: no second create",
    FAILED_THEN_CONVERGED: "the operation failed within its retry budget with an error naming what failed and the API call; running it again (as the next pulumi up would) succeeded, leaving no duplicate and no orphan",
}

ENVIRONMENT_NAME = "staging-dev1-alice"
PROJECT_NAME = "gatewayz-staging-dev1-alice"
BRANCH_NAME = "gatewayz-staging-pr-42"
DB_PASS = "fault-db-pass-0c41d9e7"
NEW_DB_PASS = "fault-db-pass-rotated-77ab"


@dataclass
class Operation:
    """One provider operation under test."""

    name: str
    api: str  # "railway" | "supabase"
    keys: tuple[str, ...]
    # Sets up what the operation works on (not faulted); returns the case's state.
    prepare: Callable[[World], dict[str, Any]]
    # The provider call; its result is recorded in the state as "result".
    act: Callable[[World, dict[str, Any]], Any]
    # After the first run (which may have failed): what the next pulumi run does.
    run_again: Callable[[World, dict[str, Any], bool], None]
    # Assertions on the sandbox against what the provider reported.
    expect: Callable[[World, dict[str, Any]], None]
    # What a failure's message names the object by (any one of them), from the state.
    names: Callable[[dict[str, Any]], list[str]]
    # The non-idempotent create request, if the operation makes one (for "adopted").
    create_key: str | None = None


@dataclass
class Results:
    cells: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def record(self, operation: str, fault: str, mode: str, outcome: str) -> None:
        self.cells[(operation, fault, mode)] = outcome

    def complete(self) -> bool:
        return len(self.cells) == len(OPERATIONS) * len(FAULTS) * len(MODES)

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": "fault_matrix",
            "command": "venv/bin/python -m pytest tests/faults -q",
            "faults": list(FAULTS),
            "modes": {
                "once": "the first request of that kind fails that way; later ones are answered",
                "every attempt": "every request of that kind fails that way, beyond the retry budget",
            },
            "legend": LEGEND,
            "operations": [
                {
                    "operation": op.name,
                    "requests_faulted": list(op.keys),
                    "outcomes": {
                        fault: {mode: self.cells[(op.name, fault, mode)] for mode in MODES} for fault in FAULTS
                    },
                }
                for op in OPERATIONS
            ],
            "counts": {
                mode: {
                    outcome: sum(1 for (_, _, m), o in self.cells.items() if m == mode and o == outcome)
                    for outcome in LEGEND
                }
                for mode in MODES
            },
        }

    def table(self) -> str:
        """Markdown: one table per mode, operations down, faults across."""
        lines: list[str] = []
        for mode in MODES:
            lines.append(f"\nFault on {'the first request' if mode == 'once' else 'every attempt'} ({mode}):\n")
            lines.append("| operation | " + " | ".join(FAULTS) + " |")
            lines.append("| --- |" + " --- |" * len(FAULTS))
            for op in OPERATIONS:
                cells = [self.cells[(op.name, fault, mode)] for fault in FAULTS]
                lines.append(f"| {op.name} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def summary_if_complete(self) -> str | None:
        return self.table() if self.complete() else None

    def write(self) -> Path:
        RESULT_FILE.parent.mkdir(parents=True, exist_ok=True)
        RESULT_FILE.write_text(json.dumps(self.as_json(), indent=2) + "\n")
        return RESULT_FILE


RESULTS = Results()


# ---------------------------------------------------------------- Railway helpers


def _environment_inputs(w: World, name: str = ENVIRONMENT_NAME) -> dict[str, Any]:
    props = {"project_id": w.project_id, "name": name, "source_environment_id": w.base_environment_id}
    return EnvironmentProvider().check({}, props).inputs


def _new_environment(w: World) -> tuple[str, dict[str, Any]]:
    created = w.configure(EnvironmentProvider()).create(_environment_inputs(w))
    return created.id, created.outs


def _scope(w: World, environment_id: str) -> dict[str, Any]:
    return {"project_id": w.project_id, "environment_id": environment_id, "service_id": w.api_id}


def _variables_inputs(w: World, environment_id: str, variables: dict[str, str]) -> dict[str, Any]:
    return VariablesProvider().check({}, {**_scope(w, environment_id), "variables": variables}).inputs


def _trigger_inputs(w: World, environment_id: str, branch: str = "feature/alice-payment") -> dict[str, Any]:
    props = {**_scope(w, environment_id), "repository": "gatewayz/gatewayz-backend", "branch": branch}
    return DeploymentTriggerProvider().check({}, props).inputs


def _domain_inputs(w: World, environment_id: str, port: int | None = 8000) -> dict[str, Any]:
    return ServiceDomainProvider().check({}, {**_scope(w, environment_id), "target_port": port}).inputs


def _create_step(provider_type: type, inputs_key: str = "inputs") -> Callable[[World, dict[str, Any]], Any]:
    def act(w: World, s: dict[str, Any]) -> Any:
        return w.configure(provider_type()).create(s[inputs_key])

    return act


def _after_create(provider_type: type) -> Callable[[World, dict[str, Any], bool], None]:
    """The next `pulumi up` creates again what failed; then a refresh must read back the same."""

    def run_again(w: World, s: dict[str, Any], failed: bool) -> None:
        provider = w.configure(provider_type())
        if failed:
            s["result"] = provider.create(s["inputs"])
        created = s["result"]
        s["id"], s["outs"] = created.id, created.outs
        read = provider.read(created.id, created.outs)
        assert (read.id, read.outs) == (created.id, created.outs), "refresh right after the create shows drift"

    return run_again


def _after_read(provider_type: type) -> Callable[[World, dict[str, Any], bool], None]:
    def run_again(w: World, s: dict[str, Any], failed: bool) -> None:
        if failed:
            s["result"] = w.configure(provider_type()).read(s["id"], s["outs"])
        assert (s["result"].id, s["result"].outs) == (s["id"], s["outs"]), "refresh shows drift where there is none"

    return run_again


def _after_update(provider_type: type) -> Callable[[World, dict[str, Any], bool], None]:
    def run_again(w: World, s: dict[str, Any], failed: bool) -> None:
        provider = w.configure(provider_type())
        if failed:
            s["result"] = provider.update(s["id"], s["outs"], s["news"])
        s["outs"] = s["result"].outs
        read = provider.read(s["id"], s["outs"])
        assert (read.id, read.outs) == (s["id"], s["outs"]), "refresh right after the update shows drift"

    return run_again


def _after_delete(provider_type: type) -> Callable[[World, dict[str, Any], bool], None]:
    """The next `pulumi destroy` deletes again what failed (deleting what is gone succeeds)."""

    def run_again(w: World, s: dict[str, Any], failed: bool) -> None:
        provider = w.configure(provider_type())
        if failed:
            provider.delete(s["id"], s["outs"])
        read = provider.read(s["id"], s["outs"])
        if provider_type is VariablesProvider:
            # The environment lives on; what the resource managed is gone from it.
            assert read.outs["variables"] == {}, "refresh after the delete still finds the variables"
        else:
            assert read.id is None, "refresh after the delete still finds it"

    return run_again


# ---------------------------------------------------------------- Railway operations


def _prepare_environment_create(w: World) -> dict[str, Any]:
    return {"inputs": _environment_inputs(w)}


def _prepare_environment(w: World) -> dict[str, Any]:
    environment_id, outs = _new_environment(w)
    return {"id": environment_id, "outs": outs, "inputs": _environment_inputs(w)}


def _expect_one_environment(name: str) -> Callable[[World, dict[str, Any]], None]:
    def expect(w: World, s: dict[str, Any]) -> None:
        assert [(e["id"], e["name"]) for e in w.environments()] == [(s["id"], name)]
        assert w.base_environment_id in [e["id"] for e in w.railway.environments(w.project_id)], "the base is intact"

    return expect


def _expect_no_environment(w: World, s: dict[str, Any]) -> None:
    assert w.environments() == []


def _prepare_rename(w: World) -> dict[str, Any]:
    s = _prepare_environment(w)
    s["news"] = _environment_inputs(w, name=f"{ENVIRONMENT_NAME}-2")
    return s


def _prepare_variables_create(w: World) -> dict[str, Any]:
    environment_id, _ = _new_environment(w)
    return {"environment_id": environment_id, "inputs": _variables_inputs(w, environment_id, {"A": "1", "B": "2"})}


def _prepare_variables(w: World) -> dict[str, Any]:
    s = _prepare_variables_create(w)
    created = w.configure(VariablesProvider()).create(s["inputs"])
    s.update(id=created.id, outs=created.outs)
    return s


def _prepare_variables_update(w: World) -> dict[str, Any]:
    s = _prepare_variables(w)
    s["news"] = _variables_inputs(w, s["environment_id"], {"A": "3", "C": "4"})
    return s


def _expect_variables(expected: dict[str, str] | None) -> Callable[[World, dict[str, Any]], None]:
    def expect(w: World, s: dict[str, Any]) -> None:
        live = w.railway.variables(s["environment_id"], w.api_id)
        assert live == (expected if expected is not None else s["outs"]["variables"])
        assert [e["id"] for e in w.environments()] == [s["environment_id"]]

    return expect


def _prepare_trigger_create(w: World) -> dict[str, Any]:
    # The environment is made in this process, so the trigger adopts the fork's copy straight away.
    environment_id, _ = _new_environment(w)
    [copied] = w.railway.triggers(environment_id, w.api_id)
    return {"environment_id": environment_id, "copied": copied["id"], "inputs": _trigger_inputs(w, environment_id)}


def _prepare_new_trigger_create(w: World) -> dict[str, Any]:
    s = _prepare_trigger_create(w)
    w.railway.delete_trigger(s.pop("copied"))
    return s


def _prepare_trigger(w: World) -> dict[str, Any]:
    s = _prepare_trigger_create(w)
    created = w.configure(DeploymentTriggerProvider()).create(s["inputs"])
    s.update(id=created.id, outs=created.outs)
    return s


def _prepare_trigger_update(w: World) -> dict[str, Any]:
    s = _prepare_trigger(w)
    s["news"] = _trigger_inputs(w, s["environment_id"], branch="feature/alice-payment-v2")
    return s


def _expect_one_trigger(branch: str, *, the_copy: bool) -> Callable[[World, dict[str, Any]], None]:
    def expect(w: World, s: dict[str, Any]) -> None:
        live = w.railway.triggers(s["environment_id"], w.api_id)
        assert [(t["id"], t["branch"]) for t in live] == [(s["id"], branch)]
        if the_copy:
            assert s["id"] == s["copied"], "the fork's trigger was adopted, not a second one made"
        # The other service's copied trigger is not this resource's: left alone.
        assert len(w.railway.triggers(s["environment_id"], w.worker_id)) == 1

    return expect


def _expect_no_trigger(w: World, s: dict[str, Any]) -> None:
    assert w.railway.triggers(s["environment_id"], w.api_id) == []
    assert len(w.railway.triggers(s["environment_id"], w.worker_id)) == 1


def _prepare_domain_create(w: World) -> dict[str, Any]:
    environment_id, _ = _new_environment(w)
    return {"environment_id": environment_id, "inputs": _domain_inputs(w, environment_id)}


def _prepare_domain(w: World) -> dict[str, Any]:
    s = _prepare_domain_create(w)
    created = w.configure(ServiceDomainProvider()).create(s["inputs"])
    s.update(id=created.id, outs=created.outs)
    return s


def _prepare_domain_update(w: World) -> dict[str, Any]:
    s = _prepare_domain(w)
    s["news"] = _domain_inputs(w, s["environment_id"], port=9000)
    return s


def _expect_one_domain(port: int) -> Callable[[World, dict[str, Any]], None]:
    def expect(w: World, s: dict[str, Any]) -> None:
        live = w.railway.service_domains(s["environment_id"], w.api_id)
        assert [(d["id"], d["domain"], d["targetPort"]) for d in live] == [(s["id"], s["outs"]["domain"], port)]
        assert w.railway.service_domains(s["environment_id"], w.worker_id) == []

    return expect


def _expect_no_domain(w: World, s: dict[str, Any]) -> None:
    assert w.railway.service_domains(s["environment_id"]) == []


def _settings_inputs(w: World, environment_id: str, path: str = "/health") -> dict[str, Any]:
    props = {"environment_id": environment_id, "service_id": w.api_id, "healthcheck_path": path, "sleep_application": True}
    return ServiceInstanceProvider().check({}, props).inputs


def _prepare_settings_create(w: World) -> dict[str, Any]:
    environment_id, _ = _new_environment(w)
    return {"environment_id": environment_id, "inputs": _settings_inputs(w, environment_id)}


def _prepare_settings(w: World) -> dict[str, Any]:
    s = _prepare_settings_create(w)
    created = w.configure(ServiceInstanceProvider()).create(s["inputs"])
    s.update(id=created.id, outs=created.outs)
    return s


def _prepare_settings_update(w: World) -> dict[str, Any]:
    s = _prepare_settings(w)
    s["news"] = _settings_inputs(w, s["environment_id"], path="/healthz")
    return s


def _expect_settings(path: str) -> Callable[[World, dict[str, Any]], None]:
    def expect(w: World, s: dict[str, Any]) -> None:
        [live] = [i for i in w.railway.service_instances(s["environment_id"]) if i["serviceId"] == w.api_id]
        assert (live["healthcheckPath"], live["sleepApplication"]) == (path, True)
        assert w.railway.deployments(environment_id=s["environment_id"]) == [], "settings alone deploy nothing"

    return expect


def _deployment_inputs(w: World, environment_id: str) -> dict[str, Any]:
    props = {
        "environment_id": environment_id,
        "service_id": w.api_id,
        "branch": "feature/alice-payment",
        "variables_digest": variables_digest({"A": "1"}),
        "settings": {"healthcheckPath": "/health"},
    }
    return DeploymentProvider().check({}, props).inputs


def _prepare_deployment_create(w: World) -> dict[str, Any]:
    environment_id, _ = _new_environment(w)
    return {"environment_id": environment_id, "inputs": _deployment_inputs(w, environment_id)}


def _prepare_deployment(w: World) -> dict[str, Any]:
    s = _prepare_deployment_create(w)
    created = w.configure(DeploymentProvider()).create(s["inputs"])
    s.update(id=created.id, outs=created.outs)
    return s


def _expect_one_deployment(w: World, s: dict[str, Any]) -> None:
    live = w.railway.deployments(environment_id=s["environment_id"])
    assert [(d["id"], d["serviceId"]) for d in live] == [(s["id"], w.api_id)], "exactly the deployment reported"


# ---------------------------------------------------------------- Supabase helpers and operations


def _project_inputs(w: World, **overrides: Any) -> dict[str, Any]:
    props = {"name": PROJECT_NAME, "organization_slug": w.organization, "region": "us-east-1", "db_pass": DB_PASS}
    props.update(overrides)
    return ProjectProvider().check({}, props).inputs


def _prepare_project_create(w: World) -> dict[str, Any]:
    return {"inputs": _project_inputs(w)}


def _prepare_project(w: World) -> dict[str, Any]:
    s = _prepare_project_create(w)
    created = w.configure(ProjectProvider()).create(s["inputs"])
    s.update(id=created.id, outs=created.outs)
    return s


def _prepare_project_update(w: World) -> dict[str, Any]:
    s = _prepare_project(w)
    s["news"] = _project_inputs(w, name=f"{PROJECT_NAME}-2", db_pass=NEW_DB_PASS)
    return s


def _expect_one_project(name: str, db_pass: str) -> Callable[[World, dict[str, Any]], None]:
    def expect(w: World, s: dict[str, Any]) -> None:
        assert [(p["ref"], p["name"], p["db_pass"]) for p in w.projects()] == [(s["id"], name, db_pass)]

    return expect


def _expect_no_project(w: World, s: dict[str, Any]) -> None:
    assert w.projects() == []


def _keys_inputs(project_outs: dict[str, Any]) -> dict[str, Any]:
    props = {
        "project_ref": project_outs["ref"],
        "label": project_outs["name"],
        "db_pass": project_outs["db_pass"],
        "db_host": project_outs["db_host"],
        "deadline_seconds": 10.0,
    }
    return ProjectKeysProvider().check({}, props).inputs


def _prepare_keys_create(w: World) -> dict[str, Any]:
    project = _prepare_project(w)  # COMING_UP: the keys' create waits for it
    return {"project": project["id"], "inputs": _keys_inputs(project["outs"])}


def _prepare_keys(w: World) -> dict[str, Any]:
    s = _prepare_keys_create(w)
    created = w.configure(ProjectKeysProvider()).create(s["inputs"])
    s.update(id=created.id, outs=created.outs)
    return s


def _expect_keys(w: World, s: dict[str, Any]) -> None:
    keys = w.supabase.api_keys(s["id"])
    assert (s["outs"]["anon_key"], s["outs"]["service_role_key"]) == (keys["anon"], keys["service_role"])
    assert [p["ref"] for p in w.projects()] == [s["project"]], "the project is kept, and is the only one"


def _parent(w: World) -> str:
    return w.supabase.seed_project(f"{PROJECT_NAME}-parent", w.organization)


def _branch_inputs(parent_ref: str, git_branch: str = "feature/pr-42") -> dict[str, Any]:
    return BranchProvider().check({}, {"parent_ref": parent_ref, "name": BRANCH_NAME, "git_branch": git_branch}).inputs


def _prepare_branch_create(w: World) -> dict[str, Any]:
    parent = _parent(w)
    return {"parent": parent, "inputs": _branch_inputs(parent)}


def _prepare_branch(w: World) -> dict[str, Any]:
    s = _prepare_branch_create(w)
    created = w.configure(BranchProvider()).create(s["inputs"])
    s.update(id=created.id, outs=created.outs)
    return s


def _prepare_branch_update(w: World) -> dict[str, Any]:
    s = _prepare_branch(w)
    s["news"] = _branch_inputs(s["parent"], git_branch="feature/pr-42-v2")
    return s


def _expect_one_branch(git_branch: str) -> Callable[[World, dict[str, Any]], None]:
    def expect(w: World, s: dict[str, Any]) -> None:
        live = [b for b in w.supabase.branches(s["parent"]) if not b["is_default"]]
        assert [(b["id"], b["name"], b["git_branch"], b["project_ref"]) for b in live] == [
            (s["id"], BRANCH_NAME, git_branch, s["outs"]["ref"])
        ]
        assert [p["ref"] for p in w.projects()] == [s["parent"]], "the parent is kept, and is the only project"
        branch_projects = [p["ref"] for p in w.supabase.projects() if p["parent_ref"] == s["parent"]]
        assert branch_projects == [s["outs"]["ref"]], "no branch project without its branch"

    return expect


def _expect_no_branch(w: World, s: dict[str, Any]) -> None:
    assert [b for b in w.supabase.branches(s["parent"]) if not b["is_default"]] == []
    assert [p["ref"] for p in w.supabase.projects() if p["parent_ref"] == s["parent"]] == []


def _branch_keys_inputs(branch_outs: dict[str, Any]) -> dict[str, Any]:
    props = {
        "project_ref": branch_outs["ref"],
        "label": f"branch {branch_outs['name']}",
        "kind": "branch",
        "branch_id": branch_outs["branch_id"],
        "deadline_seconds": 10.0,
    }
    return ProjectKeysProvider().check({}, props).inputs


def _prepare_branch_keys_create(w: World) -> dict[str, Any]:
    branch = _prepare_branch(w)  # coming up: the keys' create waits for it
    return {"parent": branch["parent"], "branch": branch["id"], "inputs": _branch_keys_inputs(branch["outs"])}


def _prepare_branch_keys(w: World) -> dict[str, Any]:
    s = _prepare_branch_keys_create(w)
    created = w.configure(ProjectKeysProvider()).create(s["inputs"])
    s.update(id=created.id, outs=created.outs)
    return s


def _expect_branch_keys(w: World, s: dict[str, Any]) -> None:
    keys = w.supabase.api_keys(s["id"])
    assert (s["outs"]["anon_key"], s["outs"]["service_role_key"]) == (keys["anon"], keys["service_role"])
    [branch_project] = [p for p in w.supabase.projects() if p["ref"] == s["id"]]
    assert f":{branch_project['db_pass']}@" in s["outs"]["connection_string"]
    live = [b["id"] for b in w.supabase.branches(s["parent"]) if not b["is_default"]]
    assert live == [s["branch"]], "the branch is kept, and is the only one"


# ---------------------------------------------------------------- Statsig operations


def _gate_inputs(w: World, emails: tuple[str, ...] = ("alice@gatewayz.ai",)) -> dict[str, Any]:
    props = {"name": w.gate_name, "description": "Payments v2 on staging", "owner": "alice@gatewayz.ai",
             "emails": list(emails), "user_ids": [], "environments": ["staging"], "on_delete": "delete"}
    return GateProvider().check({}, props).inputs


def _prepare_gate_create(w: World) -> dict[str, Any]:
    return {"inputs": _gate_inputs(w)}


def _prepare_gate(w: World) -> dict[str, Any]:
    s = _prepare_gate_create(w)
    created = w.configure(GateProvider()).create(s["inputs"])
    s.update(id=created.id, outs=created.outs)
    return s


def _prepare_gate_update(w: World) -> dict[str, Any]:
    s = _prepare_gate(w)
    s["news"] = _gate_inputs(w, emails=("alice@gatewayz.ai", "bob@gatewayz.ai"))
    return s


def _expect_one_gate(emails: tuple[str, ...]) -> Callable[[World, dict[str, Any]], None]:
    def expect(w: World, s: dict[str, Any]) -> None:
        mine = [g for g in w.statsig.gates() if g["name"] == w.gate_name]
        assert [g["id"] for g in mine] == [s["id"]], "exactly the gate the provider reported"
        targets = sorted(v for rule in mine[0]["rules"] for c in rule["conditions"] for v in c.get("targetValue") or [])
        assert targets == sorted(emails)

    return expect


def _expect_no_gate(w: World, s: dict[str, Any]) -> None:
    assert [g for g in w.statsig.gates() + w.statsig.archived_gates() if g["name"] == w.gate_name] == []


def _update_step(provider_type: type) -> Callable[[World, dict[str, Any]], Any]:
    return lambda w, s: w.configure(provider_type()).update(s["id"], s["outs"], s["news"])


def _read_step(provider_type: type) -> Callable[[World, dict[str, Any]], Any]:
    return lambda w, s: w.configure(provider_type()).read(s["id"], s["outs"])


def _delete_step(provider_type: type) -> Callable[[World, dict[str, Any]], Any]:
    return lambda w, s: w.configure(provider_type()).delete(s["id"], s["outs"])


def _ids(*keys: str) -> Callable[[dict[str, Any]], list[str]]:
    return lambda s: [str(s[key]) for key in keys]


GH = "GET /v1/projects/{ref}/health"
GB = "GET /v1/branches/{branch_id_or_ref}"
KEYS = "GET /v1/projects/{ref}/api-keys"

OPERATIONS: list[Operation] = [
    Operation("Environment.create", "railway", ("environmentCreate",), _prepare_environment_create,
              _create_step(EnvironmentProvider), _after_create(EnvironmentProvider),
              _expect_one_environment(ENVIRONMENT_NAME), lambda s: [ENVIRONMENT_NAME], create_key="environmentCreate"),
    Operation("Environment.read", "railway", ("environment",), _prepare_environment,
              _read_step(EnvironmentProvider), _after_read(EnvironmentProvider),
              _expect_one_environment(ENVIRONMENT_NAME), _ids("id")),
    Operation("Environment.update (rename)", "railway", ("environmentRename",), _prepare_rename,
              _update_step(EnvironmentProvider), _after_update(EnvironmentProvider),
              _expect_one_environment(f"{ENVIRONMENT_NAME}-2"), _ids("id")),
    Operation("Environment.delete", "railway", ("environmentDelete",), _prepare_environment,
              _delete_step(EnvironmentProvider), _after_delete(EnvironmentProvider), _expect_no_environment, _ids("id")),
    Operation("Variables.create", "railway", ("variableCollectionUpsert",), _prepare_variables_create,
              _create_step(VariablesProvider), _after_create(VariablesProvider), _expect_variables({"A": "1", "B": "2"}),
              _ids("environment_id")),
    Operation("Variables.read", "railway", ("variables",), _prepare_variables,
              _read_step(VariablesProvider), _after_read(VariablesProvider), _expect_variables({"A": "1", "B": "2"}),
              _ids("environment_id")),
    Operation("Variables.update", "railway", ("variableCollectionUpsert", "variableDelete"), _prepare_variables_update,
              _update_step(VariablesProvider), _after_update(VariablesProvider), _expect_variables({"A": "3", "C": "4"}),
              _ids("environment_id")),
    Operation("Variables.delete", "railway", ("variableDelete",), _prepare_variables,
              _delete_step(VariablesProvider), _after_delete(VariablesProvider), _expect_variables({}),
              _ids("environment_id")),
    Operation("DeploymentTrigger.create (the fork's copy)", "railway", ("deploymentTriggerUpdate",),
              _prepare_trigger_create, _create_step(DeploymentTriggerProvider), _after_create(DeploymentTriggerProvider),
              _expect_one_trigger("feature/alice-payment", the_copy=True), _ids("copied", "environment_id")),
    Operation("DeploymentTrigger.create (a new one)", "railway", ("deploymentTriggerCreate",),
              _prepare_new_trigger_create, _create_step(DeploymentTriggerProvider), _after_create(DeploymentTriggerProvider),
              _expect_one_trigger("feature/alice-payment", the_copy=False), _ids("environment_id"),
              create_key="deploymentTriggerCreate"),
    Operation("DeploymentTrigger.read", "railway", ("deploymentTriggers",), _prepare_trigger,
              _read_step(DeploymentTriggerProvider), _after_read(DeploymentTriggerProvider),
              _expect_one_trigger("feature/alice-payment", the_copy=True), _ids("environment_id")),
    Operation("DeploymentTrigger.update", "railway", ("deploymentTriggerUpdate",), _prepare_trigger_update,
              _update_step(DeploymentTriggerProvider), _after_update(DeploymentTriggerProvider),
              _expect_one_trigger("feature/alice-payment-v2", the_copy=True), _ids("id")),
    Operation("DeploymentTrigger.delete", "railway", ("deploymentTriggerDelete",), _prepare_trigger,
              _delete_step(DeploymentTriggerProvider), _after_delete(DeploymentTriggerProvider), _expect_no_trigger,
              _ids("id")),
    Operation("ServiceDomain.create", "railway", ("serviceDomainCreate",), _prepare_domain_create,
              _create_step(ServiceDomainProvider), _after_create(ServiceDomainProvider), _expect_one_domain(8000),
              _ids("environment_id"), create_key="serviceDomainCreate"),
    Operation("ServiceDomain.read", "railway", ("domains",), _prepare_domain,
              _read_step(ServiceDomainProvider), _after_read(ServiceDomainProvider), _expect_one_domain(8000),
              _ids("environment_id")),
    Operation("ServiceDomain.update (port)", "railway", ("serviceDomainUpdate",), _prepare_domain_update,
              _update_step(ServiceDomainProvider), _after_update(ServiceDomainProvider), _expect_one_domain(9000),
              lambda s: [s["outs"]["domain"]]),
    Operation("ServiceDomain.delete", "railway", ("serviceDomainDelete",), _prepare_domain,
              _delete_step(ServiceDomainProvider), _after_delete(ServiceDomainProvider), _expect_no_domain, _ids("id")),
    Operation("ServiceInstance.create", "railway", ("serviceInstanceUpdate",), _prepare_settings_create,
              _create_step(ServiceInstanceProvider), _after_create(ServiceInstanceProvider), _expect_settings("/health"),
              _ids("environment_id")),
    Operation("ServiceInstance.read", "railway", ("serviceInstance",), _prepare_settings,
              _read_step(ServiceInstanceProvider), _after_read(ServiceInstanceProvider), _expect_settings("/health"),
              _ids("environment_id")),
    Operation("ServiceInstance.update (healthcheck)", "railway", ("serviceInstanceUpdate",), _prepare_settings_update,
              _update_step(ServiceInstanceProvider), _after_update(ServiceInstanceProvider),
              _expect_settings("/healthz"), _ids("environment_id")),
    Operation("Deployment.create", "railway", ("serviceInstanceDeployV2",), _prepare_deployment_create,
              _create_step(DeploymentProvider), _after_create(DeploymentProvider), _expect_one_deployment,
              _ids("environment_id"), create_key="serviceInstanceDeployV2"),
    Operation("Deployment.read", "railway", ("deployment",), _prepare_deployment,
              _read_step(DeploymentProvider), _after_read(DeploymentProvider), _expect_one_deployment, _ids("id")),
    Operation("Project.create", "supabase", ("POST /v1/projects",), _prepare_project_create,
              _create_step(ProjectProvider), _after_create(ProjectProvider), _expect_one_project(PROJECT_NAME, DB_PASS),
              lambda s: [PROJECT_NAME], create_key="POST /v1/projects"),
    Operation("Project.read", "supabase", ("GET /v1/projects/{ref}",), _prepare_project,
              _read_step(ProjectProvider), _after_read(ProjectProvider), _expect_one_project(PROJECT_NAME, DB_PASS),
              _ids("id")),
    Operation("Project.update (rename, new password)", "supabase",
              ("PATCH /v1/projects/{ref}", "PATCH /v1/projects/{ref}/database/password"), _prepare_project_update,
              _update_step(ProjectProvider), _after_update(ProjectProvider),
              _expect_one_project(f"{PROJECT_NAME}-2", NEW_DB_PASS), _ids("id")),
    Operation("Project.delete", "supabase", ("DELETE /v1/projects/{ref}",), _prepare_project,
              _delete_step(ProjectProvider), _after_delete(ProjectProvider), _expect_no_project, _ids("id")),
    Operation("ProjectKeys.create (project)", "supabase", ("GET /v1/projects/{ref}", KEYS), _prepare_keys_create,
              _create_step(ProjectKeysProvider), _after_create(ProjectKeysProvider), _expect_keys, _ids("project")),
    Operation("ProjectKeys.read (project)", "supabase", (KEYS,), _prepare_keys,
              _read_step(ProjectKeysProvider), _after_read(ProjectKeysProvider), _expect_keys, _ids("id")),
    Operation("ProjectKeys.create (branch)", "supabase", (GH, GB, KEYS), _prepare_branch_keys_create,
              _create_step(ProjectKeysProvider), _after_create(ProjectKeysProvider), _expect_branch_keys,
              lambda s: [s["inputs"]["project_ref"], s["branch"]]),
    Operation("ProjectKeys.read (branch)", "supabase", (GB, KEYS), _prepare_branch_keys,
              _read_step(ProjectKeysProvider), _after_read(ProjectKeysProvider), _expect_branch_keys,
              lambda s: [s["id"], s["branch"]]),
    Operation("Branch.create", "supabase", ("POST /v1/projects/{ref}/branches",), _prepare_branch_create,
              _create_step(BranchProvider), _after_create(BranchProvider), _expect_one_branch("feature/pr-42"),
              lambda s: [BRANCH_NAME], create_key="POST /v1/projects/{ref}/branches"),
    Operation("Branch.read", "supabase", ("GET /v1/projects/{ref}/branches",), _prepare_branch,
              _read_step(BranchProvider), _after_read(BranchProvider), _expect_one_branch("feature/pr-42"),
              _ids("parent")),
    Operation("Branch.update (git branch)", "supabase", ("PATCH /v1/branches/{branch_id_or_ref}",),
              _prepare_branch_update, _update_step(BranchProvider), _after_update(BranchProvider),
              _expect_one_branch("feature/pr-42-v2"), lambda s: [BRANCH_NAME]),
    Operation("Branch.delete", "supabase", ("DELETE /v1/branches/{branch_id_or_ref}",), _prepare_branch,
              _delete_step(BranchProvider), _after_delete(BranchProvider), _expect_no_branch, _ids("id")),
    Operation("Gate.create", "statsig", ("POST /console/v1/gates",), _prepare_gate_create,
              _create_step(GateProvider), _after_create(GateProvider), _expect_one_gate(("alice@gatewayz.ai",)),
              lambda s: [s["inputs"]["name"]], create_key="POST /console/v1/gates"),
    Operation("Gate.read", "statsig", ("GET /console/v1/gates/{id}",), _prepare_gate,
              _read_step(GateProvider), _after_read(GateProvider), _expect_one_gate(("alice@gatewayz.ai",)),
              lambda s: [s["inputs"]["name"], s["id"]]),
    Operation("Gate.update (who it is enabled for)", "statsig", ("PATCH /console/v1/gates/{id}",), _prepare_gate_update,
              _update_step(GateProvider), _after_update(GateProvider),
              _expect_one_gate(("alice@gatewayz.ai", "bob@gatewayz.ai")), lambda s: [s["inputs"]["name"], s["id"]]),
    Operation("Gate.delete", "statsig", ("DELETE /console/v1/gates/{id}",), _prepare_gate,
              _delete_step(GateProvider), _after_delete(GateProvider), _expect_no_gate,
              lambda s: [s["inputs"]["name"], s["id"]]),
]  # fmt: skip

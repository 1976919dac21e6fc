"""Fault matrix: every provider operation x every fault the sandboxes inject (429 with Retry-After,
500, 502, 503, an answer slower than the client's read timeout, the connection dropped after the
request was applied, a request never answered and applied only after the client gave up), once and
on every attempt.

    venv/bin/python -m bench.fault_matrix                       # all cells; writes bench/results
    venv/bin/python -m bench.fault_matrix --operations Project.create --no-write

For each cell: the operation either succeeds within its retry budget or fails with an error that
names what failed and the API call (and no credential); running it again, as the next `pulumi up`
would, succeeds; and the sandbox then holds exactly what the provider reported, no duplicate and
no orphan, once every request the server held ("apply_late") has been applied. A fault on one
request only must never fail an operation. `run_cell` checks all of
that and says how the cell came out; tests/faults runs every cell as a test (writing nothing), this
command runs them all, prints the matrix as markdown tables and writes
bench/results/fault_matrix.json.

The definition of the matrix lives here, once: every provider operation, what it needs set up, the
requests it sends (the fault keys), how `pulumi` would run it again, and what the sandbox must hold
afterwards. An operation's `keys` are the requests a fault is injected on: the sandbox's fault key
(Railway: the GraphQL root field; Supabase and Statsig: "<METHOD> <path template>"). `run_again` is
what the next `pulumi up` (or `refresh`, `destroy`) does after the first run: repeat what failed,
then read the result back as `pulumi refresh` would. `expect` compares the sandbox with what the
provider reported: exactly the objects the provider knows of exist, with the values it says they
have, and nothing else in the cell's own project or organization.

Everything runs in-process against the sandboxes on loopback with tiny backoff, a shrunken read
timeout, a shrunken late-answer window and fast readiness polling (`fast_settings`), so the whole
matrix takes minutes, not hours.

Long on purpose: the matrix is one table of definitions (every operation, its set-up, its fault
keys, its re-run and its expectation) that the benchmark and tests/faults share.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.dynamic import Config, ConfigureRequest

from bench.results import envelope
from providers import http, settings
from providers.api import ApiError
from providers.railway.deployment import DeploymentProvider, variables_digest
from providers.railway.deployment_trigger import DeploymentTriggerProvider
from providers.railway.environment import EnvironmentProvider
from providers.railway.service_domain import ServiceDomainProvider
from providers.railway.service_instance import ServiceInstanceProvider
from providers.railway.variables import VariablesProvider
from providers.statsig.gate import GateProvider
from providers.supabase import client as supabase_client
from providers.supabase.branch import BranchProvider
from providers.supabase.project import ProjectProvider
from providers.supabase.project_keys import ProjectKeysProvider
from sandbox.railway import RailwaySandbox
from sandbox.server import JournalEntry
from sandbox.statsig import StatsigSandbox
from sandbox.supabase import SupabaseSandbox

REPO = Path(__file__).resolve().parents[1]
RESULT_FILE = REPO / "bench" / "results" / "fault_matrix.json"

RAILWAY_TOKEN = "rw-fault-token-51c0e2"
SUPABASE_TOKEN = "sbp_fault_token_8e3b71"
STATSIG_KEY = "console-fault-key-3d7a90"
REPOSITORY = "gatewayz/gatewayz-backend"
# The client's read timeout here, how late a "slow" answer comes and how long after its arrival an
# "apply_late" request is applied: late enough that the client has given up on it, soon enough
# that the server is done quickly. Short enough to keep the matrix fast, long enough that a loaded
# CI machine answering an ordinary request is not mistaken for a slow answer.
READ_TIMEOUT = 0.3
SLOW_ANSWER = 0.5
RETRY_AFTER = 0.02
# How long a lost answer is looked for: the production shape (the window outlasts the slowest
# create the server makes, SLOW_ANSWER - READ_TIMEOUT = 0.2 s after the client gave up, with 0.4 s
# to spare for a loaded machine) at test speed. Every 5xx to a create waits it out whole.
LATE_ANSWER_GRACE = 0.6
# Five attempts, milliseconds of backoff: the production shape, at test speed.
FAST_RETRIES = http.RetryPolicy(
    attempts=5,
    base_delay=0.01,
    max_delay=0.04,
    max_retry_after=1.0,
    deadline=20.0,
    late_answer_grace=LATE_ANSWER_GRACE,
)
# How long a cell waits for the requests the server holds to be applied: far more than any needs.
SETTLE = 30.0
FAST_WAIT = supabase_client.WaitPolicy(first_delay=0.02, max_delay=0.05)
HEALTHY_AFTER = 0.05
# More than any retry budget: 5 attempts, or 5 creates each looked up.
EVERY_ATTEMPT = 50
CREDENTIAL_ENV = (
    settings.RAILWAY_TOKEN_ENV,
    settings.RAILWAY_API_URL_ENV,
    settings.SUPABASE_TOKEN_ENV,
    settings.SUPABASE_API_URL_ENV,
    settings.STATSIG_KEY_ENV,
    settings.STATSIG_API_URL_ENV,
)


# ---------------------------------------------------------------- the world a cell runs in


@dataclass
class World:
    """The sandboxes, and this cell's own Railway project and Supabase organization."""

    railway: RailwaySandbox
    supabase: SupabaseSandbox
    project_id: str
    base_environment_id: str
    api_id: str
    worker_id: str
    organization: str
    statsig: StatsigSandbox | None
    # Gate names are unique in a Statsig project: each cell names its gate after its own scope.
    gate_name: str
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> dict[str, str]:
        return {
            "stagefleet:railwayToken": RAILWAY_TOKEN,
            "stagefleet:railwayApiUrl": self.railway.url,
            "stagefleet:supabaseAccessToken": SUPABASE_TOKEN,
            "stagefleet:supabaseApiUrl": self.supabase.url,
            **(
                {"stagefleet:statsigConsoleKey": STATSIG_KEY, "stagefleet:statsigApiUrl": self.statsig.url}
                if self.statsig is not None
                else {}
            ),
        }

    def configure(self, provider: Any) -> Any:
        """Configure `provider` as the dynamic-provider host does: stack config, secrets decrypted."""
        provider.configure(ConfigureRequest(Config(self.config, project_name="stagefleet")))
        return provider

    def environments(self) -> list[dict[str, Any]]:
        """This project's environments other than the base one."""
        return [e for e in self.railway.environments(self.project_id) if e["id"] != self.base_environment_id]

    def projects(self) -> list[dict[str, Any]]:
        """This organization's projects (branch projects excluded)."""
        return [
            p for p in self.supabase.projects() if p["organization_slug"] == self.organization and not p["is_branch"]
        ]

    def sandbox_for(self, api: str) -> Any:
        return {"railway": self.railway, "supabase": self.supabase, "statsig": self.statsig}[api]

    def clear(self) -> None:
        for sandbox in (self.railway, self.supabase, self.statsig):
            sandbox.faults.clear()
            sandbox.journal_clear()


@contextlib.contextmanager
def fast_settings() -> Iterator[None]:
    """No credentials from the shell, fast retries, a short read timeout, fast polling, and no
    stack config left behind; everything as it was afterwards."""
    saved_env = {name: os.environ.pop(name) for name in CREDENTIAL_ENV if name in os.environ}
    saved = (http.DEFAULT_RETRY_POLICY, http.READ_TIMEOUT, supabase_client.DEFAULT_WAIT_POLICY)
    http.DEFAULT_RETRY_POLICY, http.READ_TIMEOUT, supabase_client.DEFAULT_WAIT_POLICY = (
        FAST_RETRIES,
        READ_TIMEOUT,
        FAST_WAIT,
    )
    settings.configure(None)
    try:
        yield
    finally:
        settings.configure(None)
        http.DEFAULT_RETRY_POLICY, http.READ_TIMEOUT, supabase_client.DEFAULT_WAIT_POLICY = saved
        os.environ.update(saved_env)


@contextlib.contextmanager
def statsig_sandbox() -> Iterator[StatsigSandbox]:
    with StatsigSandbox(keys={STATSIG_KEY}, lifetime=900) as statsig:
        yield statsig


@contextlib.contextmanager
def railway_and_supabase_sandboxes() -> Iterator[tuple[RailwaySandbox, SupabaseSandbox]]:
    # One pair of servers for every cell; each cell works in a project and organization of its own.
    with (
        RailwaySandbox(tokens={RAILWAY_TOKEN}, lifetime=900) as railway,
        SupabaseSandbox(tokens={SUPABASE_TOKEN}, healthy_after=HEALTHY_AFTER, lifetime=900) as supabase,
    ):
        yield railway, supabase


def calm(railway: RailwaySandbox, supabase: SupabaseSandbox, statsig: StatsigSandbox) -> None:
    """No fault, latency, rate limit or journal left by the cell before."""
    for sandbox in (railway, supabase, statsig):
        sandbox.faults.clear()
        sandbox.latency = 0.0
        sandbox.journal_clear()
    railway.rate_limit_per_second = None
    supabase.rate_limit_per_minute = None
    supabase.healthy_after = HEALTHY_AFTER
    statsig.mutation_limit_per_window = None


_scopes = itertools.count(1)


def new_world(railway: RailwaySandbox, supabase: SupabaseSandbox, statsig: StatsigSandbox) -> World:
    """Calm sandboxes, and a Railway project (services api and worker) and a Supabase organization
    no other cell uses."""
    calm(railway, supabase, statsig)
    number = next(_scopes)
    seed = railway.seed_project(
        name=f"gatewayz-{number}",
        services=[{"name": "api", "repository": REPOSITORY}, {"name": "worker", "repository": REPOSITORY}],
        variables={"APP_ENV": "staging"},
    )
    organization = f"gatewayz-{number}"
    supabase.seed_organization(slug=organization, name="Gatewayz")
    railway.journal_clear()
    supabase.journal_clear()
    return World(
        railway=railway,
        supabase=supabase,
        project_id=seed.project_id,
        base_environment_id=seed.base_environment_id,
        api_id=seed.service_ids["api"],
        worker_id=seed.service_ids["worker"],
        organization=organization,
        statsig=statsig,
        gate_name=f"payments-v2-{number}",
    )


# ---------------------------------------------------------------- the matrix

FAULTS = ("429", "500", "502", "503", "slow", "drop_after_apply", "apply_late")
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
    ADOPTED: "a create whose answer was lost (applied, then the connection dropped or the answer came after the read timeout; or never answered and applied only after the client gave up) was looked up by its natural key over the late-answer window and the object it made was adopted: no second create",
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
    props = {
        "environment_id": environment_id,
        "service_id": w.api_id,
        "healthcheck_path": path,
        "sleep_application": True,
    }
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
    props = {
        "name": w.gate_name,
        "description": "Payments v2 on staging",
        "owner": "alice@gatewayz.ai",
        "emails": list(emails),
        "user_ids": [],
        "environments": ["staging"],
        "on_delete": "delete",
    }
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
    Operation(
        "Environment.create",
        "railway",
        ("environmentCreate",),
        _prepare_environment_create,
        _create_step(EnvironmentProvider),
        _after_create(EnvironmentProvider),
        _expect_one_environment(ENVIRONMENT_NAME),
        lambda s: [ENVIRONMENT_NAME],
        create_key="environmentCreate",
    ),
    Operation(
        "Environment.read",
        "railway",
        ("environment",),
        _prepare_environment,
        _read_step(EnvironmentProvider),
        _after_read(EnvironmentProvider),
        _expect_one_environment(ENVIRONMENT_NAME),
        _ids("id"),
    ),
    Operation(
        "Environment.update (rename)",
        "railway",
        ("environmentRename",),
        _prepare_rename,
        _update_step(EnvironmentProvider),
        _after_update(EnvironmentProvider),
        _expect_one_environment(f"{ENVIRONMENT_NAME}-2"),
        _ids("id"),
    ),
    Operation(
        "Environment.delete",
        "railway",
        ("environmentDelete",),
        _prepare_environment,
        _delete_step(EnvironmentProvider),
        _after_delete(EnvironmentProvider),
        _expect_no_environment,
        _ids("id"),
    ),
    Operation(
        "Variables.create",
        "railway",
        ("variableCollectionUpsert",),
        _prepare_variables_create,
        _create_step(VariablesProvider),
        _after_create(VariablesProvider),
        _expect_variables({"A": "1", "B": "2"}),
        _ids("environment_id"),
    ),
    Operation(
        "Variables.read",
        "railway",
        ("variables",),
        _prepare_variables,
        _read_step(VariablesProvider),
        _after_read(VariablesProvider),
        _expect_variables({"A": "1", "B": "2"}),
        _ids("environment_id"),
    ),
    Operation(
        "Variables.update",
        "railway",
        ("variableCollectionUpsert", "variableDelete"),
        _prepare_variables_update,
        _update_step(VariablesProvider),
        _after_update(VariablesProvider),
        _expect_variables({"A": "3", "C": "4"}),
        _ids("environment_id"),
    ),
    Operation(
        "Variables.delete",
        "railway",
        ("variableDelete",),
        _prepare_variables,
        _delete_step(VariablesProvider),
        _after_delete(VariablesProvider),
        _expect_variables({}),
        _ids("environment_id"),
    ),
    Operation(
        "DeploymentTrigger.create (the fork's copy)",
        "railway",
        ("deploymentTriggerUpdate",),
        _prepare_trigger_create,
        _create_step(DeploymentTriggerProvider),
        _after_create(DeploymentTriggerProvider),
        _expect_one_trigger("feature/alice-payment", the_copy=True),
        _ids("copied", "environment_id"),
    ),
    Operation(
        "DeploymentTrigger.create (a new one)",
        "railway",
        ("deploymentTriggerCreate",),
        _prepare_new_trigger_create,
        _create_step(DeploymentTriggerProvider),
        _after_create(DeploymentTriggerProvider),
        _expect_one_trigger("feature/alice-payment", the_copy=False),
        _ids("environment_id"),
        create_key="deploymentTriggerCreate",
    ),
    Operation(
        "DeploymentTrigger.read",
        "railway",
        ("deploymentTriggers",),
        _prepare_trigger,
        _read_step(DeploymentTriggerProvider),
        _after_read(DeploymentTriggerProvider),
        _expect_one_trigger("feature/alice-payment", the_copy=True),
        _ids("environment_id"),
    ),
    Operation(
        "DeploymentTrigger.update",
        "railway",
        ("deploymentTriggerUpdate",),
        _prepare_trigger_update,
        _update_step(DeploymentTriggerProvider),
        _after_update(DeploymentTriggerProvider),
        _expect_one_trigger("feature/alice-payment-v2", the_copy=True),
        _ids("id"),
    ),
    Operation(
        "DeploymentTrigger.delete",
        "railway",
        ("deploymentTriggerDelete",),
        _prepare_trigger,
        _delete_step(DeploymentTriggerProvider),
        _after_delete(DeploymentTriggerProvider),
        _expect_no_trigger,
        _ids("id"),
    ),
    Operation(
        "ServiceDomain.create",
        "railway",
        ("serviceDomainCreate",),
        _prepare_domain_create,
        _create_step(ServiceDomainProvider),
        _after_create(ServiceDomainProvider),
        _expect_one_domain(8000),
        _ids("environment_id"),
        create_key="serviceDomainCreate",
    ),
    Operation(
        "ServiceDomain.read",
        "railway",
        ("domains",),
        _prepare_domain,
        _read_step(ServiceDomainProvider),
        _after_read(ServiceDomainProvider),
        _expect_one_domain(8000),
        _ids("environment_id"),
    ),
    Operation(
        "ServiceDomain.update (port)",
        "railway",
        ("serviceDomainUpdate",),
        _prepare_domain_update,
        _update_step(ServiceDomainProvider),
        _after_update(ServiceDomainProvider),
        _expect_one_domain(9000),
        lambda s: [s["outs"]["domain"]],
    ),
    Operation(
        "ServiceDomain.delete",
        "railway",
        ("serviceDomainDelete",),
        _prepare_domain,
        _delete_step(ServiceDomainProvider),
        _after_delete(ServiceDomainProvider),
        _expect_no_domain,
        _ids("id"),
    ),
    Operation(
        "ServiceInstance.create",
        "railway",
        ("serviceInstanceUpdate",),
        _prepare_settings_create,
        _create_step(ServiceInstanceProvider),
        _after_create(ServiceInstanceProvider),
        _expect_settings("/health"),
        _ids("environment_id"),
    ),
    Operation(
        "ServiceInstance.read",
        "railway",
        ("serviceInstance",),
        _prepare_settings,
        _read_step(ServiceInstanceProvider),
        _after_read(ServiceInstanceProvider),
        _expect_settings("/health"),
        _ids("environment_id"),
    ),
    Operation(
        "ServiceInstance.update (healthcheck)",
        "railway",
        ("serviceInstanceUpdate",),
        _prepare_settings_update,
        _update_step(ServiceInstanceProvider),
        _after_update(ServiceInstanceProvider),
        _expect_settings("/healthz"),
        _ids("environment_id"),
    ),
    Operation(
        "Deployment.create",
        "railway",
        ("serviceInstanceDeployV2",),
        _prepare_deployment_create,
        _create_step(DeploymentProvider),
        _after_create(DeploymentProvider),
        _expect_one_deployment,
        _ids("environment_id"),
        create_key="serviceInstanceDeployV2",
    ),
    Operation(
        "Deployment.read",
        "railway",
        ("deployment",),
        _prepare_deployment,
        _read_step(DeploymentProvider),
        _after_read(DeploymentProvider),
        _expect_one_deployment,
        _ids("id"),
    ),
    Operation(
        "Project.create",
        "supabase",
        ("POST /v1/projects",),
        _prepare_project_create,
        _create_step(ProjectProvider),
        _after_create(ProjectProvider),
        _expect_one_project(PROJECT_NAME, DB_PASS),
        lambda s: [PROJECT_NAME],
        create_key="POST /v1/projects",
    ),
    Operation(
        "Project.read",
        "supabase",
        ("GET /v1/projects/{ref}",),
        _prepare_project,
        _read_step(ProjectProvider),
        _after_read(ProjectProvider),
        _expect_one_project(PROJECT_NAME, DB_PASS),
        _ids("id"),
    ),
    Operation(
        "Project.update (rename, new password)",
        "supabase",
        ("PATCH /v1/projects/{ref}", "PATCH /v1/projects/{ref}/database/password"),
        _prepare_project_update,
        _update_step(ProjectProvider),
        _after_update(ProjectProvider),
        _expect_one_project(f"{PROJECT_NAME}-2", NEW_DB_PASS),
        _ids("id"),
    ),
    Operation(
        "Project.delete",
        "supabase",
        ("DELETE /v1/projects/{ref}",),
        _prepare_project,
        _delete_step(ProjectProvider),
        _after_delete(ProjectProvider),
        _expect_no_project,
        _ids("id"),
    ),
    Operation(
        "ProjectKeys.create (project)",
        "supabase",
        ("GET /v1/projects/{ref}", KEYS),
        _prepare_keys_create,
        _create_step(ProjectKeysProvider),
        _after_create(ProjectKeysProvider),
        _expect_keys,
        _ids("project"),
    ),
    Operation(
        "ProjectKeys.read (project)",
        "supabase",
        (KEYS,),
        _prepare_keys,
        _read_step(ProjectKeysProvider),
        _after_read(ProjectKeysProvider),
        _expect_keys,
        _ids("id"),
    ),
    Operation(
        "ProjectKeys.create (branch)",
        "supabase",
        (GH, GB, KEYS),
        _prepare_branch_keys_create,
        _create_step(ProjectKeysProvider),
        _after_create(ProjectKeysProvider),
        _expect_branch_keys,
        lambda s: [s["inputs"]["project_ref"], s["branch"]],
    ),
    Operation(
        "ProjectKeys.read (branch)",
        "supabase",
        (GB, KEYS),
        _prepare_branch_keys,
        _read_step(ProjectKeysProvider),
        _after_read(ProjectKeysProvider),
        _expect_branch_keys,
        lambda s: [s["id"], s["branch"]],
    ),
    Operation(
        "Branch.create",
        "supabase",
        ("POST /v1/projects/{ref}/branches",),
        _prepare_branch_create,
        _create_step(BranchProvider),
        _after_create(BranchProvider),
        _expect_one_branch("feature/pr-42"),
        lambda s: [BRANCH_NAME],
        create_key="POST /v1/projects/{ref}/branches",
    ),
    Operation(
        "Branch.read",
        "supabase",
        ("GET /v1/projects/{ref}/branches",),
        _prepare_branch,
        _read_step(BranchProvider),
        _after_read(BranchProvider),
        _expect_one_branch("feature/pr-42"),
        _ids("parent"),
    ),
    Operation(
        "Branch.update (git branch)",
        "supabase",
        ("PATCH /v1/branches/{branch_id_or_ref}",),
        _prepare_branch_update,
        _update_step(BranchProvider),
        _after_update(BranchProvider),
        _expect_one_branch("feature/pr-42-v2"),
        lambda s: [BRANCH_NAME],
    ),
    Operation(
        "Branch.delete",
        "supabase",
        ("DELETE /v1/branches/{branch_id_or_ref}",),
        _prepare_branch,
        _delete_step(BranchProvider),
        _after_delete(BranchProvider),
        _expect_no_branch,
        _ids("id"),
    ),
    Operation(
        "Gate.create",
        "statsig",
        ("POST /console/v1/gates",),
        _prepare_gate_create,
        _create_step(GateProvider),
        _after_create(GateProvider),
        _expect_one_gate(("alice@gatewayz.ai",)),
        lambda s: [s["inputs"]["name"]],
        create_key="POST /console/v1/gates",
    ),
    Operation(
        "Gate.read",
        "statsig",
        ("GET /console/v1/gates/{id}",),
        _prepare_gate,
        _read_step(GateProvider),
        _after_read(GateProvider),
        _expect_one_gate(("alice@gatewayz.ai",)),
        lambda s: [s["inputs"]["name"], s["id"]],
    ),
    Operation(
        "Gate.update (who it is enabled for)",
        "statsig",
        ("PATCH /console/v1/gates/{id}",),
        _prepare_gate_update,
        _update_step(GateProvider),
        _after_update(GateProvider),
        _expect_one_gate(("alice@gatewayz.ai", "bob@gatewayz.ai")),
        lambda s: [s["inputs"]["name"], s["id"]],
    ),
    Operation(
        "Gate.delete",
        "statsig",
        ("DELETE /console/v1/gates/{id}",),
        _prepare_gate,
        _delete_step(GateProvider),
        _after_delete(GateProvider),
        _expect_no_gate,
        lambda s: [s["inputs"]["name"], s["id"]],
    ),
]


# ---------------------------------------------------------------- one cell


# What a failure says about the problem, per fault.
PROBLEM_WORDS = {
    "429": ("HTTP 429",),
    "500": ("HTTP 500",),
    "502": ("HTTP 502",),
    "503": ("HTTP 503",),
    "slow": ("ReadTimeout", "timed out"),
    "drop_after_apply": ("RemoteProtocolError", "disconnected", "ReadError"),
    "apply_late": ("ReadTimeout", "timed out"),
}
SECRETS = (RAILWAY_TOKEN, SUPABASE_TOKEN, STATSIG_KEY, DB_PASS, NEW_DB_PASS)


def _check(holds: bool, message: str) -> None:
    """An assertion that `python -O` keeps."""
    if not holds:
        raise AssertionError(message)


def _consumed(sandbox: Any, keys: tuple[str, ...], times: int) -> int:
    left = sum(fault.times for fault in sandbox.faults.pending() if fault.key in keys)
    return times * len(keys) - left


def _journal_after_slow_answers(sandbox: Any, expected_slow: int) -> list[JournalEntry]:
    """The journal, once every slow request has been answered (its entry is written then)."""
    give_up_at = time.monotonic() + SLOW_ANSWER * 4 + 2.0
    while True:
        entries = sandbox.journal
        if sum(1 for e in entries if e.fault == "slow") >= expected_slow or time.monotonic() > give_up_at:
            return entries
        time.sleep(0.02)


# Faults after which the server has applied (or will apply) the request the client has no answer to.
LOST_ANSWERS = ("slow", "drop_after_apply", "apply_late")


def classify(operation: Operation, fault: str, error: BaseException | None, entries: list[JournalEntry]) -> str:
    if error is not None:
        return FAILED_THEN_CONVERGED
    faulted = [e for e in entries if e.fault == fault and e.key in operation.keys]
    if not faulted:
        return OK
    if operation.create_key is not None and fault in LOST_ANSWERS:
        creates = [e for e in entries if e.key == operation.create_key]
        if creates and all(e.fault in LOST_ANSWERS for e in creates):
            return ADOPTED
    return OK_AFTER_RETRY


def check_clear(error: BaseException, operation: Operation, state: dict[str, Any], fault: str) -> None:
    """The error names the object, the API call and the problem, and carries no credential."""
    message = str(error)
    _check(isinstance(error, ApiError), f"{type(error).__name__}: {message}")
    _check(
        any(name in message for name in operation.names(state)), f"names none of {operation.names(state)}: {message}"
    )
    _check(any(f"({api} " in message for api in ("Railway", "Supabase", "Statsig")), f"no API call named: {message}")
    _check(any(word in message for word in PROBLEM_WORDS[fault]), f"the problem is not named: {message}")
    _check([secret for secret in SECRETS if secret in message] == [], f"a credential in the message: {message}")
    _check(error.__cause__ is None, f"the error chains {error.__cause__!r}")


def run_cell(world: World, operation: Operation, fault: str, mode: str) -> str:
    """Run `operation` with `fault` injected on its requests (`mode`: once, or on every attempt),
    then as the next pulumi run would, and check the cell (AssertionError when a check fails).
    Returns the outcome, a key of LEGEND."""
    state = operation.prepare(world)
    world.clear()
    sandbox = world.sandbox_for(operation.api)
    times = 1 if mode == "once" else EVERY_ATTEMPT
    for key in operation.keys:
        sandbox.faults.add(key, fault, times=times, retry_after=RETRY_AFTER, delay=SLOW_ANSWER)

    error: BaseException | None = None
    try:
        state["result"] = operation.act(world, state)
    except Exception as caught:
        error = caught
    consumed = _consumed(sandbox, operation.keys, times)
    sandbox.faults.clear()
    # The next pulumi run comes after the server is done: every request it held is applied by then.
    _check(sandbox.settle(SETTLE), f"{operation.name}: requests held by the server were not applied in {SETTLE:g}s")
    # A slow request is applied at once but journaled when its late answer goes out: wait for
    # those entries only where the outcome depends on them (a success: retried, or adopted?).
    late = consumed if fault == "slow" and error is None else 0
    entries = _journal_after_slow_answers(sandbox, late)

    _check(consumed >= 1, f"{operation.name} sent none of {operation.keys}")
    if mode == "once":
        _check(error is None, f"one {fault} failed {operation.name}: {error}")
    if error is not None:
        check_clear(error, operation, state, fault)

    operation.run_again(world, state, error is not None)
    operation.expect(world, state)
    return classify(operation, fault, error, entries)


# ---------------------------------------------------------------- the whole matrix


@dataclass
class Results:
    operations: list[Operation]
    cells: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def record(self, operation: str, fault: str, mode: str, outcome: str) -> None:
        self.cells[(operation, fault, mode)] = outcome

    def as_json(self) -> dict[str, Any]:
        return {
            "faults": list(FAULTS),
            "timings": {
                "read_timeout_seconds": READ_TIMEOUT,
                "slow_answer_and_apply_late_seconds": SLOW_ANSWER,
                "late_answer_grace_seconds": LATE_ANSWER_GRACE,
            },
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
                for op in self.operations
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
            for op in self.operations:
                cells = [self.cells[(op.name, fault, mode)] for fault in FAULTS]
                lines.append(f"| {op.name} | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def run_matrix(operations: Sequence[Operation]) -> tuple[Results, list[str]]:
    """Every cell of `operations`, each in a world of its own on one set of sandboxes: the
    outcomes, and a line for each cell whose checks failed."""
    results = Results(list(operations))
    failures: list[str] = []
    with fast_settings(), statsig_sandbox() as statsig, railway_and_supabase_sandboxes() as (railway, supabase):
        for operation in operations:
            for fault in FAULTS:
                for mode in MODES:
                    world = new_world(railway, supabase, statsig)
                    try:
                        results.record(operation.name, fault, mode, run_cell(world, operation, fault, mode))
                    except Exception as problem:
                        failures.append(f"{operation.name} / {fault} / {mode}: {type(problem).__name__}: {problem}")
                    finally:
                        calm(railway, supabase, statsig)
    return results, failures


def write_results(figures: dict[str, Any], path: Path = RESULT_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(envelope("fault_matrix", figures), indent=2) + "\n")
    return path


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--operations",
        nargs="+",
        metavar="NAME",
        choices=[op.name for op in OPERATIONS],
        help="only these operations (default: every one)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results alone")
    args = parser.parse_args(argv)
    operations = [op for op in OPERATIONS if args.operations is None or op.name in args.operations]

    # The retries' notices ("sending it again") are what the matrix measures, not what it prints.
    logging.getLogger("providers").addHandler(logging.NullHandler())
    started = time.monotonic()
    results, failures = run_matrix(operations)
    seconds = round(time.monotonic() - started, 1)
    if failures:
        print(f"{len(failures)} of {len(operations) * len(FAULTS) * len(MODES)} cells failed their checks:")
        for line in failures:
            print(f"  {line}")
        raise SystemExit(1)
    figures = {"cells": len(results.cells), "seconds": seconds, **results.as_json()}
    print(results.table())
    print(
        f"\n{figures['cells']} cells in {seconds} s: "
        + "; ".join(
            f"{mode}: " + ", ".join(f"{count} {outcome}" for outcome, count in figures["counts"][mode].items() if count)
            for mode in MODES
        )
    )
    if not args.no_write:
        print(f"wrote {write_results(figures)}")
    return figures


if __name__ == "__main__":
    main()

"""Secrets audit: run the whole program and every provider path, good days and bad, and look for
every secret value used in everything that is not meant to hold one.

Searched (the haystacks):
- every pickled provider: the `__provider` value of every request to and answer from the provider
  host, and each provider pickled in-process after configure();
- every log line: the provider host's stderr with every logger at DEBUG, and python logging at
  DEBUG in this process while every provider path runs;
- every exception message: what the engine shows (the host's error details, traceback included)
  and each in-process error with its formatted traceback, induced by a bad token, 500s on every
  attempt, lost answers, a project that ends INIT_FAILED and a readiness deadline;
- every non-secret output: each resource's outputs except the ones it declares secret (or whose
  input was secret), after up and after refresh, and the stack exports that are not secret;
- every line `python -m fleet status --wait` prints about the deployed stack, in each format.

Searched for (the needles): the Railway and Supabase tokens (good and bad), every generated
access token and database password, every project's and branch's database password and API keys,
every connection string, as written and percent-encoded.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from fleet.stackfile import load_stack_config
from harness import REPO, existing_stack, new_stack
from harness.host import PROVIDER_KEY, DynamicProviderHost, DynamicResourceClient, EngineError
from harness.mocks import TODAY, stack_mapping
from programs.fleet import deploy_fleet, load_fleet_spec
from providers import http, settings
from providers.railway.deployment import DeploymentProvider
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
from providers.tokens import AccessTokenProvider
from sandbox.railway import RailwaySandbox
from sandbox.statsig import StatsigSandbox
from sandbox.supabase import SupabaseSandbox
from tests.faults import matrix
from tests.faults.conftest import World

RAILWAY_TOKEN = "rw-audit-token-3f9a61c2d8"
SUPABASE_TOKEN = "sbp_audit_token_7d20e4b9a1"
WRONG_RAILWAY_TOKEN = "rw-audit-wrong-token-0b5e77"
WRONG_SUPABASE_TOKEN = "sbp_audit_wrong_token_c3a9"
HOST_LOGGING = Path(__file__).with_name("host_logging")
FAST_RETRIES = http.RetryPolicy(
    attempts=3, base_delay=0.01, max_delay=0.03, max_retry_after=1.0, deadline=20.0, late_answer_grace=0.2
)
FAST_WAIT = supabase_client.WaitPolicy(first_delay=0.02, max_delay=0.05)
# Outputs each resource type declares secret (additional_secret_outputs), checked against what the
# program actually registers in test_the_audit_saw_what_it_should.
SECRET_OUTPUTS = {
    "Variables": {"variables"},
    "AccessToken": {"value"},
    "Project": {"db_pass", "database_password"},
    "ProjectKeys": {"anon_key", "service_role_key", "connection_string", "db_pass"},
}


@dataclass
class Evidence:
    needles: set[str] = field(default_factory=set)
    pickles: dict[str, bytes] = field(default_factory=dict)  # where -> pickled provider bytes
    logs: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (where, message and traceback)
    outputs: list[tuple[str, Any]] = field(default_factory=list)  # (where, non-secret value)
    registered_secret_outputs: dict[str, set[str]] = field(default_factory=dict)

    def add_secret(self, value: Any) -> None:
        if isinstance(value, str) and len(value) >= 8:
            self.needles.add(value)
            self.needles.add(urllib.parse.quote(value, safe=""))

    def hits(self, haystack: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(where, _short(needle)) for where, text in haystack for needle in self.needles if needle in text]


def _short(secret: str) -> str:
    return f"{secret[:6]}...({len(secret)} chars)"


# ---------------------------------------------------------------- the provider host, captured


class CapturingHost:
    """The provider host as the engines use it, keeping every `__provider` that crosses the wire."""

    def __init__(self, host: DynamicProviderHost, evidence: Evidence):
        self._host = host
        self.stub = host.stub
        self._evidence = evidence

    def call(self, method: Any, request: Any) -> Any:
        self._keep(request)
        response = self._host.call(method, request)
        self._keep(response)
        return response

    def _keep(self, message: Any) -> None:
        for _, value in message.ListFields():
            if isinstance(value, struct_pb2.Struct) and PROVIDER_KEY in value.fields:
                pickled = value.fields[PROVIDER_KEY].string_value
                self._evidence.pickles[f"host {pickled[:12]}"] = base64.b64decode(pickled)


def _secret_keys(struct: struct_pb2.Struct) -> set[str]:
    values = rpc.deserialize_properties(struct, keep_unknowns=True)
    return {key for key, value in values.items() if rpc.is_rpc_secret(value)}


@pytest.fixture(scope="module")
def evidence() -> Iterator[Evidence]:
    found = Evidence()
    for token in (RAILWAY_TOKEN, SUPABASE_TOKEN, WRONG_RAILWAY_TOKEN, WRONG_SUPABASE_TOKEN):
        found.add_secret(token)
    with pytest.MonkeyPatch.context() as patch:
        _whole_program(found, patch)
    with pytest.MonkeyPatch.context() as patch:
        _every_provider_path_in_process(found, patch)
    yield found


# ---------------------------------------------------------------- the whole program through the host


def _sandboxes() -> tuple[RailwaySandbox, SupabaseSandbox]:
    railway_config = load_stack_config(REPO / "Pulumi.sandbox.yaml")["stagefleet:railway"]
    railway = RailwaySandbox(tokens={RAILWAY_TOKEN}, lifetime=300).start()
    supabase = SupabaseSandbox(tokens={SUPABASE_TOKEN}, healthy_after=0.2, lifetime=300).start()
    railway.seed_project(
        name=railway_config["projectName"],
        project_id=railway_config["projectId"],
        base_environment=railway_config["baseEnvironment"],
        base_environment_id=railway_config["baseEnvironmentId"],
        services=[
            {"name": s["name"], "id": s["id"], "repository": s["repository"]} for s in railway_config["services"]
        ],
    )
    supabase.seed_organization(slug="gatewayz-sandbox", name="Gatewayz sandbox")
    return railway, supabase


def _config(railway: RailwaySandbox, supabase: SupabaseSandbox, *, wrong: bool = False) -> dict[str, str]:
    return {
        "stagefleet:railwayToken": WRONG_RAILWAY_TOKEN if wrong else RAILWAY_TOKEN,
        "stagefleet:railwayApiUrl": railway.url,
        "stagefleet:supabaseAccessToken": WRONG_SUPABASE_TOKEN if wrong else SUPABASE_TOKEN,
        "stagefleet:supabaseApiUrl": supabase.url,
        # Every 500 to a create opens a late-answer window before it is sent again: a short one.
        "stagefleet:lateAnswerGrace": "0.5",
    }


def _program(secrecy: dict[str, bool]) -> Any:
    def program() -> dict[str, Any]:
        exports = deploy_fleet(load_fleet_spec(stack_mapping("Pulumi.sandbox.yaml")), today=TODAY)

        async def record() -> None:
            for key, value in exports.items():
                secrecy[key] = await pulumi.Output.from_input(value).is_secret()

        return {**exports, "__secrecy": pulumi.Output.from_input(asyncio.ensure_future(record()))}

    return program


def _engine_error(where: str, error: BaseException | None, found: Evidence) -> None:
    assert error is not None, f"{where}: expected a failure"
    text = error.details if isinstance(error, EngineError) else "".join(traceback.format_exception(error))
    found.errors.append((where, text))


def _whole_program(found: Evidence, patch: pytest.MonkeyPatch) -> None:
    registered = found.registered_secret_outputs
    original = new_stack.ProviderHostMonitor.RegisterResource

    def recording(self: Any, request: Any) -> Any:
        if request.custom and request.type.startswith(new_stack.DYNAMIC):
            kind = request.type.rsplit(":", 1)[-1]
            secret = set(request.additionalSecretOutputs) | _secret_keys(request.object)
            registered[kind] = registered.get(kind, secret) & secret if kind in registered else secret
        return original(self, request)

    patch.setattr(new_stack.ProviderHostMonitor, "RegisterResource", recording)
    railway, supabase = _sandboxes()
    log_dir = Path(tempfile.mkdtemp(prefix="stagefleet-audit-"))
    host_log, bad_host_log = log_dir / "host.log", log_dir / "bad-host.log"
    env = {"PYTHONPATH": str(HOST_LOGGING), "STAGEFLEET_AUDIT_LOG": str(host_log)}
    try:
        host = DynamicProviderHost(extra_env=env)
        try:
            host.configure(_config(railway, supabase))
            captured = CapturingHost(host, found)
            secrecy: dict[str, bool] = {}
            deployment = new_stack.up(_program(secrecy), captured)
            assert deployment.error is None, deployment.error
            _keep_outputs("up", deployment.created, found)
            for key, value in deployment.exports.items():
                if key != "__secrecy" and not secrecy.get(key, False):
                    found.outputs.append((f"export {key}", value))
            assert secrecy.get("accessTokens") is True, secrecy

            _status_lines(railway, deployment.exports, log_dir, found)
            state = existing_stack.state_of(deployment)
            assert existing_stack.refresh(state, captured) == []
            _keep_outputs("refresh", list(state.values()), found)
            assert existing_stack.up(_program({}), captured, state).error is None
            assert existing_stack.up(_program({}), captured, state, preview=True).error is None
            _collect_sandbox_secrets(railway, supabase, found)
            state_before_destroy = dict(state)

            # Bad days, through the host: 500s on every attempt (retried with the production
            # backoff, so one call is enough), and a project that never starts.
            supabase.faults.add("POST /v1/projects", "500", times=1000)
            found.add_secret("audit-db-pass-500-5f1c")
            try:
                _host_resource(host, ProjectProvider(), "supabase:Project", "p500").create(
                    {
                        "name": "audit-500",
                        "organization_slug": "gatewayz-sandbox",
                        "region": None,
                        "db_pass": "audit-db-pass-500-5f1c",
                        "instance_size": None,
                    }
                )
            except EngineError as error:
                _engine_error("Project.create with 500s on every attempt", error, found)
            supabase.faults.clear()
            supabase.fail_next_projects(1, status="INIT_FAILED")
            found.add_secret("audit-db-pass-doomed-90ab")
            _, project = _host_resource(host, ProjectProvider(), "supabase:Project", "doomed").create(
                {
                    "name": "audit-doomed",
                    "organization_slug": "gatewayz-sandbox",
                    "region": None,
                    "db_pass": "audit-db-pass-doomed-90ab",
                    "instance_size": None,
                }
            )
            try:
                _host_resource(host, ProjectKeysProvider(), "supabase:ProjectKeys", "doomed-keys").create(
                    {
                        "project_ref": project["ref"],
                        "label": "audit-doomed",
                        "db_pass": project["db_pass"],
                        "db_host": project["db_host"],
                        "kind": "project",
                        "branch_id": None,
                        "deadline_seconds": 30.0,
                    }
                )
            except EngineError as error:
                _engine_error("ProjectKeys.create of an INIT_FAILED project", error, found)
            existing_stack.destroy(state, captured)
        finally:
            found.logs.append(("provider host stderr", host.close()))
            found.logs.append(("provider host log at DEBUG", _read(host_log)))

        # A bad token: every call that reaches an API fails at once, and says why.
        bad = DynamicProviderHost(extra_env={**env, "STAGEFLEET_AUDIT_LOG": str(bad_host_log)})
        try:
            bad.configure(_config(railway, supabase, wrong=True))
            for resource, props in _bad_token_calls(bad, state_before_destroy):
                try:
                    resource.create(props)
                except EngineError as error:
                    _engine_error(f"{resource.urn.rsplit('::', 2)[1]} create with a bad token", error, found)
        finally:
            found.logs.append(("bad-token provider host stderr", bad.close()))
            found.logs.append(("bad-token provider host log at DEBUG", _read(bad_host_log)))
    finally:
        railway.stop()
        supabase.stop()
        shutil.rmtree(log_dir, ignore_errors=True)


def _status_lines(railway: RailwaySandbox, exports: dict[str, Any], work: Path, found: Evidence) -> None:
    """`python -m fleet status --wait` of the deployed stack, in every format, as CI runs it."""
    outputs = work / "outputs.json"
    outputs.write_text(json.dumps({key: value for key, value in exports.items() if key != "__secrecy"}))
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RAILWAY_", "STAGEFLEET_"))},
        "PYTHONPATH": str(REPO),
        "PYTHONIOENCODING": "utf-8",
        "RAILWAY_API_TOKEN": RAILWAY_TOKEN,
        "RAILWAY_API_URL": railway.url,
    }
    for output_format in ("table", "markdown", "json"):
        command = [
            sys.executable,
            "-m",
            "fleet",
            "status",
            "--stack",
            "sandbox",
            "--outputs",
            str(outputs),
            "--wait",
            "--deadline",
            "60",
            "--format",
            output_format,
            "--connect-to",
            f"up.railway.app={railway.edge_url}",
        ]
        done = subprocess.run(command, cwd=work, env=environ, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        found.logs.append((f"fleet status --format {output_format}", done.stdout + done.stderr))


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _host_resource(host: DynamicProviderHost, provider: Any, type_: str, name: str) -> DynamicResourceClient:
    return DynamicResourceClient(host, provider, f"pulumi-python:dynamic/{type_}", name)


def _bad_token_calls(
    host: DynamicProviderHost, state: existing_stack.State
) -> list[tuple[DynamicResourceClient, dict]]:
    """Each resource type of the deployed stack created again with its recorded inputs (the API
    types only: an AccessToken calls no API)."""
    providers = {
        "Environment": EnvironmentProvider,
        "Variables": VariablesProvider,
        "DeploymentTrigger": DeploymentTriggerProvider,
        "ServiceDomain": ServiceDomainProvider,
        "Project": ProjectProvider,
        "ProjectKeys": ProjectKeysProvider,
        "Branch": BranchProvider,
        "ServiceInstance": ServiceInstanceProvider,
        "Deployment": DeploymentProvider,
    }
    calls: dict[str, tuple[DynamicResourceClient, dict]] = {}
    for resource in state.values():
        kind = resource.type.rsplit(":", 1)[-1]
        if kind in providers and kind not in calls:
            props = {k: v for k, v in resource.outputs.items() if k != PROVIDER_KEY}
            client = DynamicResourceClient(host, providers[kind](), resource.type, f"{resource.name}-again")
            calls[kind] = (client, props)
    return list(calls.values())


def _keep_outputs(where: str, resources: list[Any], found: Evidence) -> None:
    for resource in resources:
        kind = resource.type.rsplit(":", 1)[-1]
        secret = found.registered_secret_outputs.get(kind, set()) | SECRET_OUTPUTS.get(kind, set())
        for key, value in resource.outputs.items():
            if key in secret:
                found.add_secret(value)
            elif key != PROVIDER_KEY:
                found.outputs.append((f"{where} {resource.name}.{key}", value))


def _collect_sandbox_secrets(railway: RailwaySandbox, supabase: SupabaseSandbox, found: Evidence) -> None:
    for project in supabase.projects():
        found.add_secret(project["db_pass"])
        for key in supabase.api_keys(project["ref"]).values():
            found.add_secret(key)


# ---------------------------------------------------------------- every provider path, in-process


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name} {record.levelname} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.lines.append(text)


def _every_provider_path_in_process(found: Evidence, patch: pytest.MonkeyPatch) -> None:
    from tests.faults.conftest import RAILWAY_TOKEN as FAULT_RAILWAY_TOKEN
    from tests.faults.conftest import STATSIG_KEY as FAULT_STATSIG_KEY
    from tests.faults.conftest import SUPABASE_TOKEN as FAULT_SUPABASE_TOKEN

    for secret in (FAULT_RAILWAY_TOKEN, FAULT_SUPABASE_TOKEN, FAULT_STATSIG_KEY, matrix.DB_PASS, matrix.NEW_DB_PASS):
        found.add_secret(secret)
    for name in (
        settings.RAILWAY_TOKEN_ENV,
        settings.RAILWAY_API_URL_ENV,
        settings.SUPABASE_TOKEN_ENV,
        settings.SUPABASE_API_URL_ENV,
        settings.STATSIG_KEY_ENV,
        settings.STATSIG_API_URL_ENV,
    ):
        patch.delenv(name, raising=False)
    patch.setattr(http, "DEFAULT_RETRY_POLICY", FAST_RETRIES)
    patch.setattr(http, "READ_TIMEOUT", 0.1)
    patch.setattr(supabase_client, "DEFAULT_WAIT_POLICY", FAST_WAIT)
    records = _Records()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    railway = RailwaySandbox(tokens={FAULT_RAILWAY_TOKEN}, lifetime=300).start()
    supabase = SupabaseSandbox(tokens={FAULT_SUPABASE_TOKEN}, healthy_after=0.05, lifetime=300).start()
    statsig = StatsigSandbox(keys={FAULT_STATSIG_KEY}, lifetime=300).start()
    try:
        for number, operation in enumerate(matrix.OPERATIONS):
            for fault, times in ((None, 0), ("500", 50), ("drop_after_apply", 1)):
                world = _world(railway, supabase, f"audit-{number}-{fault}", statsig)
                state = operation.prepare(world)
                sandbox = world.sandbox_for(operation.api)
                for key in operation.keys if fault else ():
                    sandbox.faults.add(key, fault, times=times, retry_after=0.01, delay=0.2)  # type: ignore[arg-type]
                try:
                    state["result"] = operation.act(world, state)
                    failed = False
                except Exception as error:
                    found.errors.append((f"{operation.name} under {fault}", "".join(traceback.format_exception(error))))
                    failed = True
                sandbox.faults.clear()
                operation.run_again(world, state, failed)
                for key, value in (getattr(state.get("result"), "outs", None) or {}).items():
                    if key in {"anon_key", "service_role_key", "connection_string", "variables", "value", "db_pass"}:
                        for secret in value.values() if isinstance(value, dict) else [value]:
                            found.add_secret(secret)
        _failures_in_process(railway, supabase, found)
        _collect_sandbox_secrets(railway, supabase, found)
        for provider in (
            EnvironmentProvider(),
            VariablesProvider(),
            DeploymentTriggerProvider(),
            ServiceDomainProvider(),
            ProjectProvider(),
            ProjectKeysProvider(),
            BranchProvider(),
            AccessTokenProvider(),
            GateProvider(),
            ServiceInstanceProvider(),
            DeploymentProvider(),
        ):
            _world(railway, supabase, "pickle", statsig).configure(provider)
            found.pickles[f"in-process {type(provider).__name__}"] = base64.b64decode(serialize_provider(provider))
    finally:
        root.removeHandler(records)
        root.setLevel(previous_level)
        settings.configure(None)
        railway.stop()
        supabase.stop()
        statsig.stop()
    found.logs.extend(("in-process logging", line) for line in records.lines)


def _world(
    railway: RailwaySandbox, supabase: SupabaseSandbox, tag: str, statsig: StatsigSandbox | None = None
) -> World:
    seed = railway.seed_project(
        name=tag,
        services=[
            {"name": "api", "repository": "gatewayz/gatewayz-backend"},
            {"name": "worker", "repository": "gatewayz/gatewayz-backend"},
        ],
    )
    organization = f"org-{tag}-{len(supabase.organizations())}"
    supabase.seed_organization(slug=organization)
    # Statsig gate names are unique per project: each world names its gate after its own tag.
    return World(
        railway,
        supabase,
        seed.project_id,
        seed.base_environment_id,
        seed.service_ids["api"],
        seed.service_ids["worker"],
        organization,
        statsig,
        f"gate-{tag}"[:100],
    )


def _failures_in_process(railway: RailwaySandbox, supabase: SupabaseSandbox, found: Evidence) -> None:
    """A bad token, a project that ends INIT_FAILED, one that misses its readiness deadline."""

    def attempt(where: str, call: Any) -> None:
        try:
            call()
        except Exception as error:
            found.errors.append((where, "".join(traceback.format_exception(error))))
        else:
            raise AssertionError(f"{where}: expected a failure")

    world = _world(railway, supabase, "failures")
    bad = dict(
        world.config,
        **{"stagefleet:railwayToken": WRONG_RAILWAY_TOKEN, "stagefleet:supabaseAccessToken": WRONG_SUPABASE_TOKEN},
    )
    settings.configure(bad)
    attempt(
        "Environment.create with a bad token", lambda: EnvironmentProvider().create(matrix._environment_inputs(world))
    )
    attempt("Project.create with a bad token", lambda: ProjectProvider().create(matrix._project_inputs(world)))
    attempt("Project.read with a bad token", lambda: ProjectProvider().read("abcdefghijklmnopqrst", {}))

    world.configure(ProjectProvider())
    supabase.fail_next_projects(1, status="INIT_FAILED")
    doomed = ProjectProvider().create(matrix._project_inputs(world, name="audit-init-failed"))
    attempt(
        "ProjectKeys.create of an INIT_FAILED project",
        lambda: ProjectKeysProvider().create(matrix._keys_inputs(doomed.outs)),
    )
    supabase.healthy_after = 30.0
    slow = ProjectProvider().create(matrix._project_inputs(world, name="audit-too-slow"))
    attempt(
        "ProjectKeys.create past its deadline",
        lambda: ProjectKeysProvider().create({**matrix._keys_inputs(slow.outs), "deadline_seconds": 0.2}),
    )
    supabase.healthy_after = 0.05


# ---------------------------------------------------------------- the findings


def test_the_audit_saw_what_it_should(evidence: Evidence) -> None:
    """Not a vacuous pass: secrets were gathered, and every haystack has the things it should."""
    assert len(evidence.needles) >= 60
    kinds = {where.split(" ")[1] for where in evidence.pickles if where.startswith("in-process")}
    assert len(kinds) == 11 and sum(where.startswith("host") for where in evidence.pickles) >= 7
    host_log = dict(evidence.logs)["provider host log at DEBUG"]
    assert "DEBUG" in host_log and "HTTP Request" in host_log, "the host really logged at DEBUG"
    assert any("retrying in" in text for _, text in evidence.logs), "retries were logged"
    status = dict(evidence.logs)["fleet status --format table"]
    assert "healthy" in status and "https://" in status, "fleet status reported the deployed services"
    messages = "\n".join(text for _, text in evidence.errors)
    for expected in (
        "Railway rejected the API token",
        "Supabase rejected the access token",
        "HTTP 500",
        "INIT_FAILED",
        "was not ACTIVE_HEALTHY within",
        "gave up after",
    ):
        assert expected in messages, expected
    assert len(evidence.outputs) >= 100
    for kind, declared in SECRET_OUTPUTS.items():
        assert declared <= evidence.registered_secret_outputs[kind], (kind, evidence.registered_secret_outputs[kind])


def test_no_secret_in_any_pickled_provider(evidence: Evidence) -> None:
    hits = [
        (where, _short(needle))
        for where, pickled in evidence.pickles.items()
        for needle in evidence.needles
        if needle.encode() in pickled
    ]
    assert hits == []


def test_no_secret_in_any_log_line(evidence: Evidence) -> None:
    assert evidence.hits(evidence.logs) == []


def test_no_secret_in_any_error_message(evidence: Evidence) -> None:
    assert evidence.hits(evidence.errors) == []


def test_no_secret_in_any_non_secret_output(evidence: Evidence) -> None:
    assert evidence.hits([(where, repr(value)) for where, value in evidence.outputs]) == []


def test_the_search_finds_a_planted_secret(evidence: Evidence) -> None:
    """The control: each kind of secret, planted in a haystack, is found."""
    for needle in sorted(evidence.needles)[:: max(1, len(evidence.needles) // 10)]:
        assert evidence.hits([("planted", f"...{needle}...")]) != []

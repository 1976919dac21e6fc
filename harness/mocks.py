"""Run the stagefleet program under `pulumi.runtime.set_mocks` and record the resource graph.

FleetMocks answers every registration the way the dynamic providers would, with computed outputs,
so the whole program (config, components, exports) runs with no provider host and no API.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc

from fleet.naming import statsig_gate_id
from fleet.stackfile import load_stack_config
from harness import REPO
from programs.fleet import deploy_fleet, load_fleet_spec
from programs.review import deploy_review, load_review

# The day every program run here takes for today (expiries, token rotation windows).
TODAY = dt.date(2026, 11, 26)
DECRYPTED_PLACEHOLDER = "decrypted-secret-for-tests"
# A program: declares resources and returns the stack exports.
Program = Callable[[], Mapping[str, Any]]


def is_secret(value: Any) -> bool:
    """Whether a value the mocks were given is a secret (still wrapped as it crosses the wire)."""
    return rpc.is_rpc_secret(value)


def reveal(value: Any) -> Any:
    """The plain value, with secret wrappers removed at every depth."""
    if is_secret(value):
        return reveal(value["value"])
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


@dataclass
class Registered:
    typ: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    # Logical names of the resources it depends on (depends_on and the Outputs among its inputs).
    dependencies: tuple[str, ...] = ()
    # Logical name of the resource it is deleted with (ResourceOptions.deleted_with), or None.
    deleted_with: str | None = None


@dataclass
class Graph:
    resources: list[Registered] = field(default_factory=list)
    # Logical name -> the logical names it depends on, as the program registered it.
    dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Logical name -> the logical name of the resource it is deleted with.
    deleted_with: dict[str, str] = field(default_factory=dict)

    def of_type(self, suffix: str) -> list[Registered]:
        return [r for r in self.resources if r.typ.endswith(suffix)]

    def named(self, name: str) -> Registered:
        matches = [r for r in self.resources if r.name == name]
        assert len(matches) == 1, f"expected one resource named {name}, found {len(matches)}"
        return matches[0]


class FleetMocks(pulumi.runtime.Mocks):
    """Answers every registration the way the dynamic providers would, with computed outputs."""

    def __init__(self, graph: Graph, fleet_outputs: dict[str, Any] | None = None) -> None:
        self.graph = graph
        self.fleet_outputs = fleet_outputs or {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        outputs = {k: v for k, v in inputs.items() if k != "__provider"}
        resource_id = f"{args.name}-id"
        if args.typ == "pulumi:pulumi:StackReference":
            outputs.update(outputs=self.fleet_outputs, secretOutputNames=["databaseKeys", "accessTokens"])
        if args.typ.endswith("railway:Environment"):
            resource_id = f"env-{args.name}"
            outputs["environment_id"] = resource_id
        elif args.typ.endswith("railway:ServiceDomain"):
            domain = f"{args.name}.up.railway.app"
            outputs.update(domain=domain, url=f"https://{domain}")
        elif args.typ.endswith(":AccessToken"):
            outputs["value"] = f"{reveal(inputs['prefix'])}_mock-random"
        elif args.typ.endswith("supabase:Project"):
            ref = f"ref-{args.name}"
            resource_id = ref
            outputs.update(
                ref=ref,
                api_url=f"https://{ref}.supabase.co",
                db_host=f"db.{ref}.supabase.co",
                status="COMING_UP",
                database_password=f"generated-password-of-{ref}",
            )
        elif args.typ.endswith("supabase:Branch"):
            ref = f"ref-{args.name}"
            outputs.update(branch_id=f"id-{args.name}", ref=ref, api_url=f"https://{ref}.supabase.co")
        elif args.typ.endswith("supabase:ProjectKeys"):
            ref = reveal(inputs["project_ref"])
            outputs.update(
                anon_key=f"anon-key-of-{ref}",
                service_role_key=f"service-role-key-of-{ref}",
                connection_string=f"postgresql://postgres:pw@db.{ref}.supabase.co:5432/postgres",
            )
        elif args.typ == "command:local:Command":
            outputs.update(stdout="", stderr="")
        elif args.typ.endswith("statsig:Gate"):
            resource_id = statsig_gate_id(reveal(inputs["name"]))
            outputs["gate_id"] = resource_id
        elif args.typ.endswith("railway:Deployment"):
            resource_id = f"deployment-{args.name}"
            outputs["deployment_id"] = resource_id
        elif args.typ.endswith("railway:Variables"):
            resource_id = f"{reveal(inputs.get('environment_id'))}:{reveal(inputs.get('service_id')) or 'shared'}"
        dependencies = self.graph.dependencies.get(args.name, ())
        deleted_with = self.graph.deleted_with.get(args.name)
        self.graph.resources.append(Registered(args.typ, args.name, inputs, outputs, dependencies, deleted_with))
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def stack_mapping(stack_file: str = "Pulumi.staging.yaml") -> dict[str, Any]:
    """The stack file's config as the engine would hand it over: secrets decrypted, objects as JSON."""
    config = load_stack_config(REPO / stack_file)
    return {key: json.dumps(_decrypt(value)) if not isinstance(value, str) else value for key, value in config.items()}


def _decrypt(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return DECRYPTED_PLACEHOLDER
    if isinstance(value, dict):
        return {k: _decrypt(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decrypt(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


@dataclass
class Evaluation:
    graph: Graph
    exports: dict[str, Any]
    secret_exports: dict[str, bool]


def evaluate(mapping: Mapping[str, Any], preview: bool = False, today: dt.date = TODAY) -> Evaluation:
    """Run the whole program for `mapping` under mocks; return the graph and the resolved exports."""
    return run_program(lambda: deploy_fleet(load_fleet_spec(mapping), today=today), FleetMocks, preview, "staging")


def evaluate_review(
    mapping: Mapping[str, Any],
    fleet_outputs: dict[str, Any],
    stack: str = "pr-42",
    preview: bool = False,
    today: dt.date = TODAY,
) -> Evaluation:
    """Run a review stack's program under mocks, the fleet stack's outputs given."""

    def program() -> Mapping[str, Any]:
        review = load_review(mapping, REPO, stack)
        return deploy_review(review, pulumi.StackReference(review.fleet_stack), today=today)

    return run_program(program, lambda graph: FleetMocks(graph, fleet_outputs), preview, stack)


class DependencyRecordingMonitor(runtime_mocks.MockMonitor):
    """The SDK's mock monitor, recording what each registration depends on and is deleted with
    (Mocks never see either)."""

    def __init__(self, mocks: pulumi.runtime.Mocks, graph: Graph) -> None:
        super().__init__(mocks)
        self.graph = graph

    def RegisterResource(self, request: Any) -> Any:
        self.graph.dependencies[request.name] = tuple(urn.rsplit("::", 1)[-1] for urn in request.dependencies)
        if request.deletedWith:
            self.graph.deleted_with[request.name] = request.deletedWith.rsplit("::", 1)[-1]
        return super().RegisterResource(request)


def current_event_loop() -> asyncio.AbstractEventLoop:
    """The thread's current event loop; a new one, made current, when there is none or it is
    closed (`asyncio.run` leaves none behind: a test that used it must not break the next run)."""
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_event_loop()
    except RuntimeError:  # none is current
        loop = None
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
    return loop


def install_mocks(monitor: runtime_mocks.MockMonitor, *, stack: str, preview: bool) -> asyncio.AbstractEventLoop:
    """Point the SDK at `monitor` (and its mocks) for a run of project stagefleet's `stack`, on the
    thread's current event loop (set up if need be: the SDK registers the root stack on it at
    once); returns that loop."""
    loop = current_event_loop()
    pulumi.runtime.set_mocks(monitor.mocks, project="stagefleet", stack=stack, preview=preview, monitor=monitor)
    return loop


def run_program(
    declare: Program, make_mocks: Callable[[Graph], pulumi.runtime.Mocks], preview: bool, stack: str
) -> Evaluation:
    """Run `declare` under the mocks `make_mocks` builds for the graph; resolve every export."""
    graph = Graph()
    monitor = DependencyRecordingMonitor(make_mocks(graph), graph)
    install_mocks(monitor, stack=stack, preview=preview)
    resolved: dict[str, Any] = {}
    secrecy: dict[str, bool] = {}

    @pulumi.runtime.test
    def program() -> Any:
        exports = declare()

        async def settle(key: str, value: Any) -> None:
            output = pulumi.Output.from_input(value)
            resolved[key] = await output.future()
            secrecy[key] = await output.is_secret()

        async def settle_all() -> None:
            await asyncio.gather(*(settle(k, v) for k, v in exports.items()))

        return pulumi.Output.from_input(asyncio.ensure_future(settle_all()))

    program()
    return Evaluation(graph, resolved, secrecy)

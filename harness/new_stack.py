"""Run the whole stagefleet program the way `pulumi up` and `pulumi destroy` run it, without the CLI.

The program runs under the SDK with a resource monitor that, for every dynamic resource it
registers, does what the engine does: Check, then Create, through a real `python -m pulumi.dynamic`
host over gRPC. Registrations arrive as the program makes them and a resource waits for the outputs
it depends on, so independent resources are created concurrently and dependents after their
dependencies, and the host's 4 worker threads bound the concurrency, as with the real engine.
Other resources (components, pulumi-command) are answered by the program mocks.

`destroy` honours `deleted_with` as the engine does: a resource whose `deleted_with` target is
deleted in the same operation is dropped from the state without a provider Delete (the target's
delete takes it along).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, resource_pb2

from harness.host import EngineError, ProviderHost, from_struct, to_struct
from harness.mocks import FleetMocks, Graph, Program, current_event_loop, install_mocks

DYNAMIC = "pulumi-python:dynamic"


@dataclass
class Created:
    urn: str
    type: str
    name: str
    id: str
    outputs: dict[str, Any]
    # The URN of the resource it is deleted with (ResourceOptions.deleted_with), "" for none.
    deleted_with: str = ""


def goes_with_another(resource: Created, deleting: Collection[str]) -> bool:
    """The engine's rule for `deleted_with`: no provider Delete when the target is among the
    resources this operation deletes (the target's own delete, or its drop, takes it along)."""
    return bool(resource.deleted_with) and resource.deleted_with in deleting


@dataclass
class Teardown:
    """What a destroy did: provider Deletes, and resources dropped because their deleted_with
    target went in the same operation, each in the order they happened."""

    deleted: list[Created] = field(default_factory=list)
    dropped: list[Created] = field(default_factory=list)


@dataclass
class Deployment:
    created: list[Created] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None

    def of_type(self, suffix: str) -> list[Created]:
        return [c for c in self.created if c.type.endswith(suffix)]


class ProviderHostMonitor(runtime_mocks.MockMonitor):
    def __init__(
        self, host: ProviderHost, graph: Graph, deployment: Deployment, fleet_outputs: dict[str, Any] | None = None
    ) -> None:
        super().__init__(FleetMocks(graph, fleet_outputs))
        self.host = host
        self.deployment = deployment
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        if not (request.custom and request.type.startswith(DYNAMIC)):
            return super().RegisterResource(request)
        urn = self.make_urn(request.parent, request.type, request.name)
        current_event_loop()  # registrations arrive on the SDK's worker threads
        inputs, _ = rpc.deserialize_properties_unwrap_secrets(request.object)
        checked = self.host.call(
            self.host.stub.Check, provider_pb2.CheckRequest(urn=urn, olds=to_struct({}), news=to_struct(inputs))
        )
        if checked.failures:
            raise EngineError("; ".join(f"{f.property}: {f.reason}" for f in checked.failures))
        created = self.host.call(self.host.stub.Create, provider_pb2.CreateRequest(urn=urn, properties=checked.inputs))
        outputs = from_struct(created.properties)
        with self._lock:
            self.deployment.created.append(
                Created(urn, request.type, request.name, created.id, outputs, request.deletedWith)
            )
        return resource_pb2.RegisterResourceResponse(urn=urn, id=created.id, object=created.properties)


def up(
    program: Program,
    host: ProviderHost,
    parallel: int = 64,
    stack: str = "staging",
    fleet_outputs: dict[str, Any] | None = None,
) -> Deployment:
    """`pulumi up` of a new stack: `program()` declares resources and returns the stack exports.
    A review stack's StackReference to the fleet stack answers with `fleet_outputs`."""
    deployment = Deployment()
    graph = Graph()
    monitor = ProviderHostMonitor(host, graph, deployment, fleet_outputs)
    loop = install_mocks(monitor, stack=stack, preview=False)

    @pulumi.runtime.test
    def run() -> Any:
        # The engine registers without a small thread cap; the provider host's 4 workers are the limit.
        loop.set_default_executor(ThreadPoolExecutor(max_workers=parallel))
        exports = program()

        async def settle() -> None:
            for key, value in exports.items():
                deployment.exports[key] = await pulumi.Output.from_input(value).future()

        return pulumi.Output.from_input(asyncio.ensure_future(settle()))

    try:
        run()
    except Exception as error:
        deployment.error = error
    return deployment


def destroy(deployment: Deployment, host: ProviderHost) -> Teardown:
    """`pulumi destroy`: delete in reverse creation order (dependents were created after their
    dependencies); a resource deleted with another that goes too is only dropped."""
    teardown = Teardown()
    deleting = {resource.urn for resource in deployment.created}
    for resource in reversed(deployment.created):
        if goes_with_another(resource, deleting):
            teardown.dropped.append(resource)
            continue
        host.call(
            host.stub.Delete,
            provider_pb2.DeleteRequest(id=resource.id, urn=resource.urn, properties=to_struct(resource.outputs)),
        )
        teardown.deleted.append(resource)
    return teardown


def refresh(deployment: Deployment, host: ProviderHost) -> list[tuple[Created, str, dict[str, Any]]]:
    """`pulumi refresh`: read every resource; returns (resource, id read back, outputs read back)."""
    results = []
    for resource in deployment.created:
        response = host.call(
            host.stub.Read,
            provider_pb2.ReadRequest(id=resource.id, urn=resource.urn, properties=to_struct(resource.outputs)),
        )
        results.append((resource, response.id, from_struct(response.properties)))
    return results

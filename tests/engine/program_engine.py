"""Run the whole stagefleet program the way `pulumi up` and `pulumi destroy` run it, without the CLI.

The program runs under the SDK with a resource monitor that, for every dynamic resource it
registers, does what the engine does: Check, then Create, through a real `python -m pulumi.dynamic`
host over gRPC. Registrations arrive as the program makes them and a resource waits for the outputs
it depends on, so independent resources are created concurrently and dependents after their
dependencies, and the host's 4 worker threads bound the concurrency, as with the real engine.
Other resources (components, pulumi-command) are answered by the program mocks.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, resource_pb2

from tests.engine.host import DynamicProviderHost, EngineError, from_struct, to_struct
from tests.program.harness import TODAY, FleetMocks, Graph

DYNAMIC = "pulumi-python:dynamic"


@dataclass
class Created:
    urn: str
    type: str
    name: str
    id: str
    outputs: dict


@dataclass
class Deployment:
    created: list[Created] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    error: Optional[BaseException] = None

    def of_type(self, suffix: str) -> list[Created]:
        return [c for c in self.created if c.type.endswith(suffix)]


class ProviderHostMonitor(runtime_mocks.MockMonitor):
    def __init__(self, host: DynamicProviderHost, graph: Graph, deployment: Deployment, fleet_outputs: Optional[dict] = None):
        super().__init__(FleetMocks(graph, fleet_outputs))
        self.host = host
        self.deployment = deployment
        self._lock = threading.Lock()

    def RegisterResource(self, request):
        if not (request.custom and request.type.startswith(DYNAMIC)):
            return super().RegisterResource(request)
        urn = self.make_urn(request.parent, request.type, request.name)
        runtime_mocks._ensure_event_loop()
        inputs, _ = rpc.deserialize_properties_unwrap_secrets(request.object)
        checked = self.host._call(
            self.host.stub.Check, provider_pb2.CheckRequest(urn=urn, olds=to_struct({}), news=to_struct(inputs))
        )
        if checked.failures:
            raise EngineError("; ".join(f"{f.property}: {f.reason}" for f in checked.failures))
        created = self.host._call(self.host.stub.Create, provider_pb2.CreateRequest(urn=urn, properties=checked.inputs))
        outputs = from_struct(created.properties)
        with self._lock:
            self.deployment.created.append(Created(urn, request.type, request.name, created.id, outputs))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=created.id, object=created.properties)


def up(
    program,
    host: DynamicProviderHost,
    today: dt.date = TODAY,
    parallel: int = 64,
    stack: str = "staging",
    fleet_outputs: Optional[dict] = None,
) -> Deployment:
    """`pulumi up` of a new stack: `program()` declares resources and returns the stack exports.
    A review stack's StackReference to the fleet stack answers with `fleet_outputs`."""
    deployment = Deployment()
    graph = Graph()
    monitor = ProviderHostMonitor(host, graph, deployment, fleet_outputs)
    pulumi.runtime.set_mocks(monitor.mocks, project="stagefleet", stack=stack, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def run():
        # The engine registers without a small thread cap; the provider host's 4 workers are the limit.
        asyncio.get_event_loop().set_default_executor(ThreadPoolExecutor(max_workers=parallel))
        exports = program()

        async def settle():
            for key, value in exports.items():
                deployment.exports[key] = await pulumi.Output.from_input(value).future()

        return pulumi.Output.from_input(asyncio.ensure_future(settle()))

    try:
        run()
    except Exception as error:  # the partial deployment is still returned for cleanup and inspection
        deployment.error = error
    return deployment


def destroy(deployment: Deployment, host: DynamicProviderHost) -> None:
    """`pulumi destroy`: delete in reverse creation order (dependents were created after their dependencies)."""
    for resource in reversed(deployment.created):
        host._call(
            host.stub.Delete,
            provider_pb2.DeleteRequest(id=resource.id, urn=resource.urn, properties=to_struct(resource.outputs)),
        )


def refresh(deployment: Deployment, host: DynamicProviderHost) -> list[tuple[Created, str, dict]]:
    """`pulumi refresh`: read every resource; returns (resource, id read back, outputs read back)."""
    results = []
    for resource in deployment.created:
        response = host._call(
            host.stub.Read,
            provider_pb2.ReadRequest(id=resource.id, urn=resource.urn, properties=to_struct(resource.outputs)),
        )
        results.append((resource, response.id, from_struct(response.properties)))
    return results

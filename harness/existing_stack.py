"""`pulumi up`, `pulumi preview` and `pulumi refresh` of a stack that already exists, through the
real provider host: what harness/new_stack.py does for a new stack, continued.

The program runs under the SDK; for every dynamic resource it registers, the monitor does what the
engine does with a state in hand: Check against the recorded outputs, then, for a resource the state
has, Diff, and Update or replace only when the diff says so; for one it does not have, Create. A
preview stops after Check and Diff. Resources the state has and the program no longer declares,
and the old halves of replacements, are deleted at the end (dependents first). `refresh` reads
every resource and writes what it finds back into the state, dropping what is gone.

`deleted_with` is recorded in the state from each registration (a resource the program leaves
unchanged gets its new options too, as with the engine) and honoured by every delete: a resource
whose `deleted_with` target is deleted in the same operation is dropped from the state without a
provider Delete. A delete-before-replace deletes through the provider regardless.

Every step is recorded, so tests and benchmarks can count provider calls and attribute API
requests to them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, resource_pb2

from harness.host import PROVIDER_KEY, ProviderHost, from_struct, to_struct
from harness.mocks import FleetMocks, Graph, Program, current_event_loop, install_mocks
from harness.new_stack import DYNAMIC, Created, Deployment, goes_with_another

State = dict[str, Created]
# on_call(op, urn) -> a context manager around each provider call (request attribution).
OnCall = Callable[[str, str], AbstractContextManager[Any]]


def state_of(deployment: Deployment) -> State:
    """The stack state a `pulumi up` of a new stack left: every resource it created, by URN."""
    return {resource.urn: resource for resource in deployment.created}


@dataclass(frozen=True)
class Step:
    # "check" | "diff" | "create" | "update" | "delete" | "read" | "same", or "drop": removed
    # from the state without a provider call (its deleted_with target went in the same operation)
    op: str
    urn: str
    type: str
    name: str
    detail: Any = None


@dataclass
class Run:
    steps: list[Step] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ops(self, op: str) -> list[Step]:
        return [step for step in self.steps if step.op == op]

    def add(self, step: Step) -> None:
        with self.lock:
            self.steps.append(step)


def _short_type(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


class ExistingStackMonitor(runtime_mocks.MockMonitor):
    """The engine for a stack with a state: Check, Diff, then Create/Update/replace as needed."""

    def __init__(
        self,
        host: ProviderHost,
        state: State,
        run: Run,
        *,
        preview: bool,
        on_call: OnCall | None = None,
    ) -> None:
        super().__init__(FleetMocks(Graph()))
        self.host = host
        self.state = state
        self.run = run
        self.preview = preview
        self.registered: set[str] = set()
        self.replaced: list[Created] = []
        self._lock = threading.Lock()
        self._on_call = on_call

    def _call(self, op: str, urn: str, method: Any, request: Any) -> Any:
        if self._on_call is None:
            return self.host.call(method, request)
        with self._on_call(op, urn):
            return self.host.call(method, request)

    def RegisterResource(self, request: Any) -> Any:
        if not (request.custom and request.type.startswith(DYNAMIC)):
            return super().RegisterResource(request)
        urn = self.make_urn(request.parent, request.type, request.name)
        current_event_loop()  # registrations arrive on the SDK's worker threads
        inputs, _ = rpc.deserialize_properties_unwrap_secrets(request.object, keep_unknowns=True)
        deleted_with = request.deletedWith
        with self._lock:
            self.registered.add(urn)
            old = self.state.get(urn)
        kind, name = _short_type(request.type), request.name
        checked = self._call(
            "check",
            urn,
            self.host.stub.Check,
            provider_pb2.CheckRequest(urn=urn, olds=to_struct(old.outputs if old else {}), news=to_struct(inputs)),
        )
        self.run.add(Step("check", urn, kind, name))
        if checked.failures:
            raise RuntimeError("; ".join(f"{f.property}: {f.reason}" for f in checked.failures))
        if old is None:
            if self.preview:
                return resource_pb2.RegisterResourceResponse(urn=urn, id="", object=checked.inputs)
            return self._create(urn, request.type, name, checked.inputs, deleted_with)
        diff = self._call(
            "diff",
            urn,
            self.host.stub.Diff,
            provider_pb2.DiffRequest(id=old.id, urn=urn, olds=to_struct(old.outputs), news=checked.inputs),
        )
        self.run.add(Step("diff", urn, kind, name, (diff.changes, list(diff.replaces))))
        if diff.changes != provider_pb2.DiffResponse.DIFF_SOME:
            with self._lock:
                self.state[urn] = dataclasses.replace(old, deleted_with=deleted_with)
            self.run.add(Step("same", urn, kind, name))
            return resource_pb2.RegisterResourceResponse(urn=urn, id=old.id, object=to_struct(old.outputs))
        if self.preview:
            return resource_pb2.RegisterResourceResponse(urn=urn, id=old.id, object=checked.inputs)
        if diff.replaces:
            if diff.deleteBeforeReplace:
                self._delete(old)
            else:
                with self._lock:
                    self.replaced.append(old)
            return self._create(urn, request.type, name, checked.inputs, deleted_with)
        updated = self._call(
            "update",
            urn,
            self.host.stub.Update,
            provider_pb2.UpdateRequest(id=old.id, urn=urn, olds=to_struct(old.outputs), news=checked.inputs),
        )
        outputs = from_struct(updated.properties)
        with self._lock:
            self.state[urn] = Created(urn, request.type, name, old.id, outputs, deleted_with)
        self.run.add(Step("update", urn, kind, name))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=old.id, object=updated.properties)

    def _create(self, urn: str, type_: str, name: str, inputs: Any, deleted_with: str) -> Any:
        created = self._call(
            "create", urn, self.host.stub.Create, provider_pb2.CreateRequest(urn=urn, properties=inputs)
        )
        outputs = from_struct(created.properties)
        with self._lock:
            self.state[urn] = Created(urn, type_, name, created.id, outputs, deleted_with)
        self.run.add(Step("create", urn, _short_type(type_), name))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=created.id, object=created.properties)

    def _delete(self, resource: Created) -> None:
        self._call(
            "delete",
            resource.urn,
            self.host.stub.Delete,
            provider_pb2.DeleteRequest(id=resource.id, urn=resource.urn, properties=to_struct(resource.outputs)),
        )
        self._forget(resource, "delete")

    def _drop(self, resource: Created) -> None:
        self._forget(resource, "drop")

    def _forget(self, resource: Created, op: str) -> None:
        with self._lock:
            if self.state.get(resource.urn) is resource:
                del self.state[resource.urn]
        self.run.add(Step(op, resource.urn, _short_type(resource.type), resource.name))


def up(
    program: Program,
    host: ProviderHost,
    state: State,
    *,
    preview: bool = False,
    parallel: int = 64,
    on_call: OnCall | None = None,
) -> Run:
    """`pulumi up` (or, with preview=True, `pulumi preview`) of `program` over `state`, which is
    updated in place (a preview leaves it alone)."""
    run = Run()
    order = {urn: index for index, urn in enumerate(state)}
    monitor = ExistingStackMonitor(host, state if not preview else dict(state), run, preview=preview, on_call=on_call)
    loop = install_mocks(monitor, stack="staging", preview=preview)

    @pulumi.runtime.test
    def evaluate() -> Any:
        loop.set_default_executor(ThreadPoolExecutor(max_workers=parallel))
        exports = program()

        async def settle() -> None:
            for key, value in exports.items():
                run.exports[key] = await pulumi.Output.from_input(value).future()

        return pulumi.Output.from_input(asyncio.ensure_future(settle()))

    try:
        evaluate()
    except Exception as error:
        run.error = error
        return run
    if not preview:
        # What the program no longer declares, and the old halves of replacements: dependents
        # were created after their dependencies, so delete in reverse creation order.
        leftovers = [resource for urn, resource in state.items() if urn not in monitor.registered]
        going = leftovers + monitor.replaced
        deleting = {resource.urn for resource in going}
        for resource in sorted(going, key=lambda r: order.get(r.urn, -1), reverse=True):
            if goes_with_another(resource, deleting):
                monitor._drop(resource)
            else:
                monitor._delete(resource)
    return run


@dataclass(frozen=True)
class Drift:
    name: str
    type: str
    kind: str  # "gone" | "changed"
    changed: tuple[str, ...] = ()


def refresh(state: State, host: ProviderHost, *, on_call: OnCall | None = None) -> list[Drift]:
    """`pulumi refresh`: read every resource, write what is found into `state` (dropping what is
    gone) and return what differed from the state."""
    drift: list[Drift] = []
    for urn, resource in list(state.items()):
        request = provider_pb2.ReadRequest(id=resource.id, urn=urn, properties=to_struct(resource.outputs))
        if on_call is None:
            response = host.call(host.stub.Read, request)
        else:
            with on_call("read", urn):
                response = host.call(host.stub.Read, request)
        kind = _short_type(resource.type)
        if not response.id:
            del state[urn]
            drift.append(Drift(resource.name, kind, "gone"))
            continue
        outputs = from_struct(response.properties)
        changed = tuple(
            sorted(
                key
                for key in set(outputs) | set(resource.outputs)
                if key != PROVIDER_KEY and outputs.get(key) != resource.outputs.get(key)
            )
        )
        if changed:
            drift.append(Drift(resource.name, kind, "changed", changed))
        state[urn] = dataclasses.replace(resource, id=response.id, outputs=outputs)
    return drift


def destroy(state: State, host: ProviderHost, *, on_call: OnCall | None = None) -> Run:
    """`pulumi destroy` of whatever the state holds, dependents first; a resource deleted with
    another one is dropped without a provider call. The state is emptied as it goes."""
    run = Run()
    deleting = set(state)
    for urn, resource in reversed(list(state.items())):
        kind = _short_type(resource.type)
        if goes_with_another(resource, deleting):
            del state[urn]
            run.add(Step("drop", urn, kind, resource.name))
            continue
        request = provider_pb2.DeleteRequest(id=resource.id, urn=urn, properties=to_struct(resource.outputs))
        if on_call is None:
            host.call(host.stub.Delete, request)
        else:
            with on_call("delete", urn):
                host.call(host.stub.Delete, request)
        del state[urn]
        run.add(Step("delete", urn, kind, resource.name))
    return run
